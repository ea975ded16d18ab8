"""Drop what Whisper writes when it loops, whichever engine produced it.

Deterministic decoding (no temperature fallback) keeps transcripts
reproducible, but it also keeps a looping window as it is. These checks run on
the finished segments: a segment whose text compresses too well ("beep beep
beep…") or the third and later copies of one sentence in a row ("Thank you
for watching." ×30) are dropped, so a long file never ends in a loop.
"""

from __future__ import annotations

import re
import zlib

from ..transcript import Segment

MAX_COMPRESSION_RATIO = 2.4  # openai/whisper's threshold, computed on the text as it does
MAX_REPEATS = 2  # a sentence may follow itself once ("Yes. Yes."), not more
_MIN_TEXT_FOR_RATIO = 24  # zlib overhead makes short texts meaningless to compress

_WORDS = re.compile(r"[^\w']+")


def compression_ratio(text: str) -> float:
    """Bytes of text over bytes of its zlib compression; high means repetitive."""
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def _normalised(text: str) -> str:
    return _WORDS.sub(" ", text.lower()).strip()


def drop_loops(
    segments: list[Segment],
    *,
    max_compression_ratio: float = MAX_COMPRESSION_RATIO,
    max_repeats: int = MAX_REPEATS,
) -> list[Segment]:
    """Segments with empty, looping or endlessly repeated text removed; order kept.

    A run of more than ``max_repeats`` identical segments is a loop: only its
    first copy is kept (it is usually the real last sentence before the loop).
    """
    runs: list[list[Segment]] = []
    previous = None
    for segment in segments:
        text = segment.text.strip()
        words = _normalised(text)
        if not words:
            continue
        if len(text) >= _MIN_TEXT_FOR_RATIO and compression_ratio(text) > max_compression_ratio:
            continue
        if words == previous:
            runs[-1].append(segment)
        else:
            runs.append([segment])
        previous = words
    kept: list[Segment] = []
    for run in runs:
        kept.extend(run if len(run) <= max_repeats else run[:1])
    return kept
