"""Word times for the text a reader sees, which is not always the text the model timed.

Glossary and corrections fixes change a segment's text after its words were timed
("jackal" -> "Jekyll", "static site radio" -> "Static Site Radio"). ``timed_words``
lines the fixed text's tokens up with the timed words (difflib on tokens): unchanged
tokens keep their times, a replaced run shares the time of what it replaced by
characters, an inserted token gets the gap it was inserted into. One ``Word`` per
whitespace-separated token of the segment's text, so writers can cut captions and
the page can highlight word by word from the same list.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..transcript import Segment, Word


def tokens(text: str) -> list[str]:
    """The text's words as writers print them: whitespace-separated, nothing dropped."""
    return text.split()


def _token_times(words: Sequence[Word]) -> list[Word]:
    """The model's words as whitespace tokens: a word without a leading space continues the
    token before it ("Web" "-vid" -> "Web-vid", probability the lower), a word holding a space
    is cut in two, times shared by characters."""
    out: list[Word] = []
    for word in words:
        parts = word.text.split()
        if not parts:
            continue
        if out and not word.text[:1].isspace():
            last, first_end = out[-1], word.start + (word.end - word.start) * len(parts[0]) / max(1, len("".join(parts)))
            low = None if last.probability is None or word.probability is None else min(last.probability, word.probability)
            out[-1] = Word(last.start, max(last.end, first_end), last.text + parts[0], low)
            first_start, parts = first_end, parts[1:]
            out.extend(share(parts, first_start, word.end, word.probability))
            continue
        out.extend(share(parts, word.start, word.end, word.probability))
    return out


def share(parts: Sequence[str], start: float, end: float, probability: float | None) -> list[Word]:
    """``parts`` laid end to end over ``start``..``end`` by characters."""
    total = sum(len(p) for p in parts) or 1
    out, done = [], 0
    for part in parts:
        a = start + (end - start) * done / total
        done += len(part)
        out.append(Word(a, start + (end - start) * done / total, part, probability))
    return out


def timed_words(segment: Segment) -> tuple[Word, ...]:
    """One timed Word (text without the leading space) per token of ``segment.text``; () when
    the segment has no word times (an engine without them, an entry from before they were kept)."""
    if not segment.words:
        return ()
    old = _token_times(segment.words)
    new = tokens(segment.text)
    if [w.text for w in old] == new:
        return tuple(old)
    out: list[Word] = []
    matcher = difflib.SequenceMatcher(a=[w.text.casefold() for w in old], b=[t.casefold() for t in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(Word(w.start, w.end, t, w.probability) for w, t in zip(old[i1:i2], new[j1:j2], strict=True))
        elif op == "replace":
            out.extend(share(new[j1:j2], old[i1].start, old[i2 - 1].end, None))
        elif op == "insert":
            before = old[i1 - 1].end if i1 > 0 else segment.start
            after = old[i1].start if i1 < len(old) else max(before, segment.end)
            out.extend(share(new[j1:j2], before, max(before, after), None))
    return tuple(out)
