"""Diarization error rate: missed speech, false alarm and speaker confusion over the scored time.

Computed exactly on the elementary intervals between all turn boundaries (no
frames), with overlapping speech scored, the best one-to-one mapping of found
speakers to reference speakers (the Hungarian method on co-occurring time), and
a collar around every reference boundary left unscored, as NIST md-eval and
pyannote.metrics do.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..transcript import Turn
from ..vad import Span


@dataclass(frozen=True)
class DerScore:
    """Seconds of each error kind and of reference speech (``total``), over the scored time."""

    missed: float
    false_alarm: float
    confusion: float
    total: float
    mapping: tuple[tuple[str, str], ...] = ()  # (hypothesis speaker, reference speaker) pairs

    @property
    def der(self) -> float:
        """(missed + false alarm + confusion) / reference speech; 0 when both are empty, inf when only it is."""
        errors = self.missed + self.false_alarm + self.confusion
        if self.total > 0:
            return float(errors / self.total)
        return 0.0 if errors == 0 else float("inf")


def _scored(reference: list[Turn], hypothesis: list[Turn], collar: float, uem: list[Span] | None) -> list[Span]:
    """The scored stretches: the UEM (default: from the first to the last turn) less the collars."""
    if uem is None:
        every = reference + hypothesis
        uem = [Span(min(t.start for t in every), max(t.end for t in every))] if every else []
    holes = sorted((b - collar, b + collar) for t in reference for b in (t.start, t.end)) if collar > 0 else []
    scored: list[Span] = []
    for span in sorted(uem, key=lambda s: s.start):
        at = span.start
        for lo, hi in holes:
            if hi <= at or lo >= span.end:
                continue
            if lo > at:
                scored.append(Span(at, lo))
            at = max(at, hi)
        if at < span.end:
            scored.append(Span(at, span.end))
    return scored


def _pieces(reference: list[Turn], hypothesis: list[Turn], scored: list[Span]) -> list[tuple[float, frozenset[str], frozenset[str]]]:
    """(length, reference speakers on, hypothesis speakers on) of each scored elementary interval, by a sweep."""
    from bisect import bisect_right
    from collections import Counter

    events: dict[float, list[tuple[int, int, str]]] = {}  # time -> (side, +1/-1, speaker)
    for side, turns in enumerate((reference, hypothesis)):
        for t in turns:
            if t.end > t.start:
                events.setdefault(t.start, []).append((side, 1, t.speaker))
                events.setdefault(t.end, []).append((side, -1, t.speaker))
    cuts = sorted(set(events) | {x for s in scored for x in (s.start, s.end)})
    starts = [s.start for s in scored]
    on: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    pieces = []
    for lo, hi in itertools.pairwise(cuts):
        for side, step, speaker in events.get(lo, ()):
            on[side][speaker] += step
        at = bisect_right(starts, lo) - 1
        if at >= 0 and scored[at].end >= hi:
            pieces.append((hi - lo, frozenset(k for k, v in on[0].items() if v > 0), frozenset(k for k, v in on[1].items() if v > 0)))
    return pieces



def der(reference: list[Turn], hypothesis: list[Turn], *, collar: float = 0.25, uem: list[Span] | None = None) -> DerScore:
    """Score ``hypothesis`` against ``reference``; speaker names need not match (they are mapped)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    refs = sorted({t.speaker for t in reference})
    hyps = sorted({t.speaker for t in hypothesis})
    pieces = _pieces(reference, hypothesis, _scored(reference, hypothesis, collar, uem))
    together = np.zeros((len(hyps), len(refs)))
    for length, ref_on, hyp_on in pieces:
        for h in hyp_on:
            for r in ref_on:
                together[hyps.index(h), refs.index(r)] += length
    rows, cols = linear_sum_assignment(together, maximize=True)
    mapped = {hyps[r]: refs[c] for r, c in zip(rows, cols, strict=True) if together[r, c] > 0}
    missed = false_alarm = confusion = total = 0.0
    for length, ref_on, hyp_on in pieces:
        correct = sum(1 for h in hyp_on if mapped.get(h) in ref_on)
        total += length * len(ref_on)
        missed += length * max(0, len(ref_on) - len(hyp_on))
        false_alarm += length * max(0, len(hyp_on) - len(ref_on))
        confusion += length * (min(len(ref_on), len(hyp_on)) - correct)
    return DerScore(missed, false_alarm, confusion, total, tuple(sorted(mapped.items())))
