"""Long episodes in blocks, so a 3-hour file never sits in memory whole.

A file is decoded in blocks of ``block_seconds``; each block is cut at its
quietest moment near the end (the rest carries over to the next block), handed
to the engine, and its segments are moved to the file's timeline. Peak memory
is one block plus the model, whatever the episode's length. Each block detects
its own languages (engines/spoken_languages.py); the file's language is the one spoken
longest over all blocks, and a segment in another one says which.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .audio import SAMPLE_RATE, decode, decode_chunks, duration
from .engines import pipeline
from .engines.spoken_languages import longest
from .transcript import Segment

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .engines import DecodeOptions, Engine

BLOCK_SECONDS = 600.0
LONG_FILE_SECONDS = 1.5 * BLOCK_SECONDS  # longer files are streamed in blocks
SEARCH_SECONDS = 20.0  # where to look for a pause before the end of a block
FRAME = SAMPLE_RATE // 10  # 100 ms


def quietest_cut(samples: NDArray[np.float32], *, search: int) -> int:
    """Sample index of the quietest 100 ms frame in the last ``search`` samples."""
    import numpy as np

    start = max(0, samples.size - search)
    tail = samples[start : start + (samples.size - start) // FRAME * FRAME]
    if tail.size < FRAME:
        return samples.size
    energy = np.square(tail.reshape(-1, FRAME)).mean(axis=1)
    return start + int(np.argmin(energy)) * FRAME + FRAME // 2


def transcribe_path(
    engine: Engine, path: Path, options: DecodeOptions, *, block_seconds: float = BLOCK_SECONDS
) -> tuple[list[Segment], str, float]:
    """Segments, language and duration of ``path``, decoded and transcribed block by block."""
    import numpy as np

    segments: list[Segment] = []
    spoken: dict[str, float] = {}  # speech seconds per language, over all blocks
    carry = np.zeros(0, dtype=np.float32)
    offset = 0  # samples before ``carry``
    chunks = decode_chunks(path, seconds=block_seconds)
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)  # one block ahead: is this the last one?
        block = np.concatenate([carry, chunk]) if carry.size else chunk
        cut = block.size if following is None else quietest_cut(block, search=int(SEARCH_SECONDS * SAMPLE_RATE))
        found, language = pipeline.transcribe(engine, block[:cut], options)
        shift = offset / SAMPLE_RATE
        for s in found:  # each block names its own languages: the file's is settled below
            segments.append(_shifted(s, shift, s.language or language))
            spoken[s.language or language] = spoken.get(s.language or language, 0.0) + s.end - s.start
        carry = block[cut:]
        offset += cut
        chunk = following
        if not found:
            spoken.setdefault(language, 0.0)  # a block without speech still names a language (a file without any)
    language = _longest(spoken, fallback=options.language or "")
    segments = [replace(s, language=None if s.language == language else s.language) for s in segments]
    return segments, language, (offset + carry.size) / SAMPLE_RATE


def _shifted(segment: Segment, shift: float, language: str | None) -> Segment:
    """``segment`` and its words ``shift`` seconds later, in ``language``."""
    words = tuple(replace(w, start=round(w.start + shift, 3), end=round(w.end + shift, 3)) for w in segment.words)
    return replace(segment, start=round(segment.start + shift, 3), end=round(segment.end + shift, 3), words=words, language=language)


def _longest(spoken: dict[str, float], *, fallback: str) -> str:
    """The language spoken longest ("und", a block nobody listened to, only when nothing else was heard)."""
    heard = {code: seconds for code, seconds in spoken.items() if code not in ("", "und")} or spoken
    return longest(heard) if heard else fallback


def load_short(path: Path) -> NDArray[np.float32] | None:
    """The whole waveform of a short file, or None for a long one (streamed by ``transcribe``)."""
    declared = duration(path)
    return None if declared is not None and declared > LONG_FILE_SECONDS else decode(path)


def transcribe(
    engine: Engine, path: Path, samples: NDArray[np.float32] | None, options: DecodeOptions
) -> tuple[list[Segment], str, float]:
    """Segments, language and duration: from ``samples`` when given, else block by block."""
    if samples is None:
        return transcribe_path(engine, path, options)
    segments, language = pipeline.transcribe(engine, samples, options)
    return segments, language, samples.size / SAMPLE_RATE
