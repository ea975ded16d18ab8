"""The one cue generator WebVTT and SubRip share: (start, end, lines) in milliseconds.

Each Whisper segment becomes one or more cues of at most ``max_lines`` lines
of at most ``max_line`` characters (42 by default, the usual subtitle
guideline; SubRip uses 32, as the Podcasting 2.0 transcript guidance asks; the
WebVTT writer's hard limit is 65). A cue never spans two segments, so never a
speaker change (``turns.assign_speakers`` splits segments at every turn).

With word times a segment is cut at word boundaries, the cuts chosen together
(a shortest path over the words): a cue ends at a pause or a sentence end where
it can, holds no long pause inside, and is never one lone word of a longer
segment (the orphan that flashes for 0.2 s). Each cue runs from its first
word's start to its last word's end. Without word times (an engine without
them, an entry from before they were kept) a long segment is split at
sentence ends where it can and its time is shared out by characters.

Times are whole milliseconds, starts never go backwards, every cue lasts at
least one millisecond and none overlaps the one before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..paragraphs import ends_sentence
from ..transcript import Segment, Word
from .words import share, timed_words

MAX_LINE = 42
MAX_LINES = 2
_EVENED_LINES = 2  # a cue that wraps onto exactly this many lines has its break moved to even them
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str | None = None  # the segment's speaker label (named by the writer)


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


def cues(
    segments: Sequence[Segment], *, max_line: int = MAX_LINE, max_lines: int = MAX_LINES, prefixes: Mapping[str, str] | None = None
) -> Iterator[Cue]:
    """Caption cues for ``segments``, in order, never empty.

    ``prefixes`` (speaker label -> text, e.g. "Alice:") starts the first cue of each turn
    with that text, counted in the line length as SubRip shows it.
    """
    previous_end = 0
    previous_speaker: str | None = None
    for seg in segments:
        text = clean(seg.text)
        if not text:
            continue
        prefix = (prefixes or {}).get(seg.speaker or "") if seg.speaker != previous_speaker else None
        previous_speaker = seg.speaker
        timed = _timed_tokens(seg, max_line)
        pieces = _word_cues(timed, prefix, max_line, max_lines) if timed else _shared_cues(seg, prefix, text, max_line, max_lines)
        for wanted_start, wanted_end, lines in pieces:
            start = max(wanted_start, previous_end)
            previous_end = max(wanted_end, start + 1)
            yield Cue(start, previous_end, lines, seg.speaker)


def _shared_cues(seg: Segment, prefix: str | None, text: str, max_line: int, max_lines: int) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """A segment without word times: chunks timed by their share of the characters."""
    chunks = _chunks(f"{prefix} {text}" if prefix else text, max_line, max_lines)
    total = sum(len(" ".join(c)) for c in chunks)
    seg_start, seg_end = round(seg.start * 1000), round(seg.end * 1000)
    done = 0
    for lines in chunks:
        start = seg_start + (seg_end - seg_start) * done // total
        done += len(" ".join(lines))
        yield start, seg_start + (seg_end - seg_start) * done // total, lines


def _timed_tokens(seg: Segment, max_line: int) -> list[Word]:
    """The segment's words as printed (cleaned, a word longer than a line cut), each with its times."""
    out: list[Word] = []
    for word in timed_words(seg):
        out += share(_words(clean(word.text), max_line), word.start, word.end, word.probability)
    return out


# Costs of a cut (``_word_cues``): each cue costs 1; a pause inside a cue costs more than
# starting another; ending at a pause or a sentence end earns some of it back.
_INNER_PAUSE = 0.3  # seconds of silence inside a cue that cost nothing
_INNER_COST = 4.0  # per second beyond that
_ORPHAN_COST = 20.0  # one lone word of a longer segment
_LONG_CUE = 7.0  # seconds a cue may last before it costs more


def _cut_cost(words: Sequence[Word], i: int, j: int) -> float:
    """What a cue of ``words[i:j]`` costs, ending there included."""
    cost = 1.0
    for a, b in zip(words[i : j - 1], words[i + 1 : j], strict=True):
        cost += max(0.0, b.start - a.end - _INNER_PAUSE) * _INNER_COST
    cost += max(0.0, words[j - 1].end - words[i].start - _LONG_CUE) * 0.5
    if j < len(words):
        last = words[j - 1].text
        cost -= min(max(0.0, words[j].start - words[j - 1].end), 1.5) * 0.6
        cost -= 0.5 if ends_sentence(last) else 0.25 if last.endswith((",", ";", ":")) else -0.3
    return cost


def _word_cues(words: list[Word], prefix: str | None, max_line: int, max_lines: int) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """The segment's words cut into cues at the cheapest set of word boundaries."""
    n = len(words)
    best: list[tuple[float, int]] = [(0.0, 0)] + [(float("inf"), 0)] * n
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            texts = [w.text for w in words[i:j]]
            if i == 0 and prefix:
                texts.insert(0, prefix)
            if len(_greedy(texts, max_line)) > max_lines and j - i > 1:
                break
            cost = best[i][0] + _cut_cost(words, i, j) + (_ORPHAN_COST if j - i == 1 and n > 1 else 0.0)
            if cost < best[j][0]:
                best[j] = (cost, i)
    cuts, j = [], n
    while j > 0:
        cuts.append((best[j][1], j))
        j = best[j][1]
    for i, j in reversed(cuts):
        texts = [w.text for w in words[i:j]]
        if i == 0 and prefix:
            texts.insert(0, prefix)
        yield round(words[i].start * 1000), round(words[j - 1].end * 1000), _balanced(texts, max_line)


def clock(ms: int, separator: str) -> str:
    """``hh:mm:ss.mmm`` (``separator`` is "." for WebVTT, "," for SubRip)."""
    seconds, millis = divmod(max(0, ms), 1000)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
