"""The one cue generator WebVTT and SubRip share: (start, end, lines) in milliseconds.

Each Whisper segment becomes one or more cues of at most ``max_lines`` lines
of at most ``max_line`` characters (42 by default, the usual subtitle
guideline; the WebVTT writer's hard limit is 65). A long segment is split at
sentence ends where it can and its time is shared out by characters. Times
are whole milliseconds, starts never go backwards, every cue lasts at least
one millisecond and none overlaps the one before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..paragraphs import ends_sentence
from ..transcript import Segment

MAX_LINE = 42
MAX_LINES = 2
_EVENED_LINES = 2  # a cue that wraps onto exactly this many lines has its break moved to even them
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


def clean(text: str) -> str:
    """One line of plain text: control characters dropped, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _words(text: str, max_line: int) -> list[str]:
    """Words, with any word longer than a line cut into line-sized pieces."""
    out: list[str] = []
    for word in text.split():
        out.extend(word[i : i + max_line] for i in range(0, len(word), max_line))
    return out


def _greedy(words: Sequence[str], max_line: int) -> list[list[str]]:
    lines: list[list[str]] = []
    for word in words:
        if lines and len(" ".join(lines[-1] + [word])) <= max_line:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _break_bonus(line: str, max_line: int) -> float:
    """How much longer a line may be to end at a sentence or clause break."""
    if ends_sentence(line):
        return max_line / 3
    if line.endswith((",", ";", ":")):
        return max_line / 6
    return 0.0


def _balanced(words: Sequence[str], max_line: int) -> tuple[str, ...]:
    """The words on as few lines as greedy wrapping needs, two lines made even."""
    text = " ".join(words)
    if len(text) <= max_line:
        return (text,)
    if len(_greedy(words, max_line)) == _EVENED_LINES:
        best: tuple[float, str, str] | None = None
        for i in range(1, len(words)):
            a, b = " ".join(words[:i]), " ".join(words[i:])
            if len(a) <= max_line and len(b) <= max_line:
                cost = max(len(a), len(b)) - _break_bonus(a, max_line)
                if best is None or cost < best[0]:
                    best = (cost, a, b)
        if best is not None:
            return best[1:]
    return tuple(" ".join(line) for line in _greedy(words, max_line))


def _chunks(text: str, max_line: int, max_lines: int) -> list[tuple[str, ...]]:
    """Cue texts (as lines): as full as fits, ended early at a sentence end past half full."""
    chunks: list[tuple[str, ...]] = []
    current: list[str] = []
    for word in _words(text, max_line):
        if current and len(_greedy([*current, word], max_line)) > max_lines:
            chunks.append(_balanced(current, max_line))
            current = []
        current.append(word)
        if ends_sentence(word) and len(" ".join(current)) >= max_line * max_lines // 2:
            chunks.append(_balanced(current, max_line))
            current = []
    if current:
        chunks.append(_balanced(current, max_line))
    return chunks


def cues(segments: Sequence[Segment], *, max_line: int = MAX_LINE, max_lines: int = MAX_LINES) -> Iterator[Cue]:
    """Caption cues for ``segments``, in order, never empty."""
    previous_end = 0
    for seg in segments:
        text = clean(seg.text)
        if not text:
            continue
        chunks = _chunks(text, max_line, max_lines)
        total = sum(len(" ".join(c)) for c in chunks)
        seg_start, seg_end = round(seg.start * 1000), round(seg.end * 1000)
        done = 0
        for lines in chunks:
            start = seg_start + (seg_end - seg_start) * done // total
            done += len(" ".join(lines))
            end = seg_start + (seg_end - seg_start) * done // total
            start = max(start, previous_end)
            end = max(end, start + 1)
            previous_end = end
            yield Cue(start, end, lines)


def clock(ms: int, separator: str) -> str:
    """``hh:mm:ss.mmm`` (``separator`` is "." for WebVTT, "," for SubRip)."""
    seconds, millis = divmod(max(0, ms), 1000)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
