"""Which language each stretch of speech is in, so a bilingual episode keeps both.

Forcing the first window's language on a whole file turns the other language
into invented English. So the engine names the language of every decoding
window (one encoder pass each), and where it is not quite sure (under
``REFINE``) of a window that holds more than ``DETECT_WINDOW_S`` seconds of
speech, of each stretch of at most that length in it: a window can hold both
languages. Measured with base: the English and German halves of
tests/fixtures/bilingual-en-de.mp3 (10 s each) share one window, which it calls
English at 0.88; in 10 s stretches, English (0.91) and German (0.98). Stretches
much shorter are worse (a 2.3 s German sentence came out Thai, 0.95), and
detecting every 10 s stretch of every file cost 2x the whole transcription of
episode-12 (CPU time), against 1.03x for this (its windows are sure: 0.97, 0.96).

An answer under ``SURE`` takes the file's language: the one spoken longest
among the sure answers. Measured with base on 62 ten-second stretches of
English (the test clips, episode-40, ten AMI meeting excerpts): the one wrong
answer was Welsh at 0.57, and German stretches were named at 0.98.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..vad import Span, speech_windows

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from . import Engine

DETECT_WINDOW_S = 10.0
REFINE = 0.9
SURE = 0.7


def span_languages(engine: Engine, audio: NDArray[np.float32], spans: list[Span]) -> tuple[list[str], str]:
    """The language of each of ``spans`` (packed ``audio``) and the file's: the one spoken longest."""
    units, detected = _detected(engine, audio, spans)
    starts = [u.start for u in units]
    owner = [bisect_right(starts, s.start) - 1 for s in spans]  # a unit never cuts a span
    seconds = [0.0] * len(units)
    for span, u in zip(spans, owner, strict=True):
        seconds[u] += span.duration
    sure = _tally((code, length) for (code, p), length in zip(detected, seconds, strict=True) if p >= SURE)
    fallback = longest(sure or _tally((code, length) for (code, _), length in zip(detected, seconds, strict=True)))
    per_unit = [code if probability >= SURE else fallback for code, probability in detected]
    return [per_unit[u] for u in owner], longest(_tally(zip(per_unit, seconds, strict=True)))


def _detected(engine: Engine, audio: NDArray[np.float32], spans: list[Span]) -> tuple[list[Span], list[tuple[str, float]]]:
    """Windows and the engine's answers; an unsure window of several stretches replaced by its stretches."""
    windows = speech_windows(spans)
    answers = engine.detect_language(audio, windows)
    finer: dict[int, list[Span]] = {}
    for i, (window, (_, probability)) in enumerate(zip(windows, answers, strict=True)):
        if probability < REFINE:
            inside = [s for s in spans if window.start <= s.start < window.end]
            stretches = speech_windows(inside, max_window_s=DETECT_WINDOW_S)
            if len(stretches) > 1:
                finer[i] = stretches
    more = iter(engine.detect_language(audio, [s for found in finer.values() for s in found]) if finer else [])
    units: list[Span] = []
    out: list[tuple[str, float]] = []
    for i, (window, answer) in enumerate(zip(windows, answers, strict=True)):
        units += finer.get(i, [window])
        out += [next(more) for _ in finer[i]] if i in finer else [answer]
    return units, out


def _tally(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for code, length in pairs:
        out[code] = out.get(code, 0.0) + length
    return out


def longest(seconds: dict[str, float]) -> str:
    """The language with the most seconds; a tie goes to the first one heard (dicts keep order)."""
    return max(seconds, key=lambda code: seconds[code])
