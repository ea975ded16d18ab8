"""Who said which words: speaker turns laid over a transcript, and the names shown for them.

Diarization (or one track per speaker) gives turns, times without words; the engine gives
words, without speakers. ``assign_speakers`` joins them word by word, so a segment that
holds the end of one speaker's sentence and the start of the other's reply is split where
the voice changes, not at a caption boundary. Labels are kept only when two or more
speakers remain: a monologue shows no "Speaker 1". Names are a render-time matter
(``speaker_names``): front matter and the corrections file change them without
re-transcribing.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from .glossary import load_speaker_renames
from .transcript import Segment, Transcript, Turn, Word

DEFAULT_NAME = "Speaker {}"


def _overlap(start: float, end: float, turn: Turn) -> float:
    return min(end, turn.end) - max(start, turn.start)


class _Turns:
    """Turns in time order with a reach index: the turns near a word are found by bisection, so an
    hour's 10,000 words against 1,000 turns cost milliseconds, not a scan of every turn per word."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        self.turns = sorted(turns, key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        # The latest end among the turns so far, and which turn has it (turns may overlap).
        latest = list(itertools.accumulate(((t.end, i) for i, t in enumerate(self.turns)), max))
        self.reach = [e for e, _ in latest]
        self.reached_by = [i for _, i in latest]

    def near(self, start: float, end: float) -> list[Turn]:
        """Every turn that overlaps ``start``..``end``, plus the nearest before and after it."""
        last = bisect.bisect_right(self.starts, end)  # turns from here on start after ``end``
        first = bisect.bisect_left(self.reach, start)  # turns before this one all end before ``start``
        before = [self.turns[self.reached_by[first - 1]]] if first > 0 else []
        return before + self.turns[first : last + 1]


def speaker_at(start: float, end: float, turns: Sequence[Turn] | _Turns) -> str | None:
    """The speaker whose turn overlaps ``start``..``end`` most; the nearest turn when none does."""
    index = turns if isinstance(turns, _Turns) else _Turns(turns)
    candidates = index.near(start, end)
    if not candidates:
        return None
    best = max(candidates, key=lambda t: (_overlap(start, end, t), -t.start))
    if _overlap(start, end, best) > 0:
        return best.speaker
    middle = (start + end) / 2
    return min(candidates, key=lambda t: (max(t.start - middle, middle - t.end, 0.0), t.start)).speaker


def _split(segment: Segment, turns: _Turns) -> list[Segment]:
    """``segment`` cut where its words change speaker; times of each piece from its words."""
    if not segment.words:
        return [replace(segment, speaker=speaker_at(segment.start, segment.end, turns))]
    runs: list[tuple[str | None, list[Word]]] = []
    for word in segment.words:
        who = speaker_at(word.start, word.end, turns)
        if runs and runs[-1][0] == who:
            runs[-1][1].append(word)
        else:
            runs.append((who, [word]))
    if len(runs) == 1:
        return [replace(segment, speaker=runs[0][0])]
    return [
        replace(segment, start=words[0].start, end=words[-1].end, text="".join(w.text for w in words), words=tuple(words), speaker=who)
        for who, words in runs
    ]


def assign_speakers(transcript: Transcript, turns: Sequence[Turn]) -> Transcript:
    """``transcript`` with a speaker on every segment (split at speaker changes), or none at all
    when fewer than two speakers are heard."""
    index = _Turns(turns)
    segments = [piece for seg in transcript.segments for piece in _split(seg, index)]
    heard = {s.speaker for s in segments if s.speaker is not None and s.text.strip()}
    if len(heard) < 2:  # noqa: PLR2004  (one voice: a monologue carries no labels)
        segments = [replace(s, speaker=None) for s in segments]
    return replace(transcript, segments=tuple(segments))


FIRST_TURN_S = 2.0  # a turn this long starts a voice's part; a shorter one may be an interjection ("Hello?")


def by_first_turn(labels: Sequence[str], turns: Sequence[Turn], min_s: float = FIRST_TURN_S) -> list[str]:
    """``labels`` ordered by their first turn of at least ``min_s`` seconds, else by first appearance.

    Names are given in this order ("Speaker 1" is the first to really speak): a guest's
    one-word "hello" over the host's opening must not take the host's name.
    """
    first: dict[str, float] = {}
    for turn in sorted(turns, key=lambda t: t.start):
        if turn.end - turn.start >= min_s and turn.speaker not in first:
            first[turn.speaker] = turn.start
    rank = {label: number for number, label in enumerate(labels)}
    return sorted(labels, key=lambda label: (label not in first, first.get(label, 0.0), rank[label]))


def labels_in_order(transcript: Transcript) -> list[str]:
    """Speaker labels in order of first appearance (segments with text only)."""
    return list(dict.fromkeys(s.speaker for s in transcript.segments if s.speaker is not None and s.text.strip()))


def speaker_names(labels_in_order: Sequence[str], given: Sequence[str], renames: Mapping[str, str]) -> dict[str, str]:
    """Label -> display name: ``given`` names in order of first appearance, else "Speaker N";
    then ``renames`` (by display name or label: {"Speaker 2": "Carol"}). Empty for fewer than
    two labels: one voice is shown without a label."""
    labels = list(dict.fromkeys(labels_in_order))
    if len(labels) < 2:  # noqa: PLR2004
        return {}
    names: dict[str, str] = {}
    for number, label in enumerate(labels, start=1):
        given_name = given[number - 1].strip() if number <= len(given) and str(given[number - 1]).strip() else ""
        names[label] = given_name or DEFAULT_NAME.format(number)
    for label, name in list(names.items()):
        new = renames.get(name, renames.get(label))
        if new is not None and str(new).strip():
            names[label] = " ".join(str(new).split())
    return names


def names_for(transcript: Transcript, given: Iterable[str], corrections: Path) -> dict[str, str]:
    """The names shown for ``transcript``'s speakers: ``given`` names, then the corrections file's renames."""
    return speaker_names(labels_in_order(transcript), [str(g) for g in given], load_speaker_renames(corrections))
