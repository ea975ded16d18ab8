"""A file in two languages keeps both (engines/spoken_languages.py, engines/pipeline.py), with the
multilingual bundled ``base`` model: tests/fixtures/bilingual-en-de.mp3 is 10 s of English, a
pause, then 10 s of German. Forcing the first window's language on the whole file (the old way)
turned the German into invented English."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jekyll_asr.audio import decode
from jekyll_asr.engines import DecodeOptions, Engine, load_engine
from jekyll_asr.engines.pipeline import transcribe
from jekyll_asr.engines.spoken_languages import span_languages
from jekyll_asr.transcript import Segment
from jekyll_asr.vad import Span

FIXTURES = Path(__file__).parent / "fixtures"
SWITCH = 11.0  # seconds: the English part ends before, the German part starts after


@pytest.fixture(scope="module")
def base() -> Engine:
    return load_engine("faster-whisper", "base", device="cpu")


@pytest.fixture(scope="module")
def audio() -> np.ndarray:
    return decode(FIXTURES / "bilingual-en-de.mp3")


def _text(segments: list[Segment]) -> str:
    return " ".join(s.text for s in segments).lower()


def _words(segments: list[Segment]) -> str:
    return "".join(w.text for s in segments for w in s.words).lower()


class Counting:
    """The real engine behind the Protocol alone, counting the windows it was asked the language of."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.name, self.detected = engine, engine.name, 0

    @property
    def multilingual(self) -> bool:
        return self.engine.multilingual

    def detect_language(self, audio: np.ndarray, windows: list[Span]) -> list[tuple[str, float]]:
        self.detected += len(windows)
        return self.engine.detect_language(audio, windows)

    def decode(self, jobs, language, options):
        return self.engine.decode(jobs, language, options)

    def decode_unsegmented(self, audio, options):
        return self.engine.decode_unsegmented(audio, options)


@pytest.mark.slow
def test_each_part_comes_out_in_its_own_language(base: Engine, audio: np.ndarray) -> None:
    """Protection: the German half is decoded as German and says so (``Segment.language``); the
    English half stays English. Without per-window languages the German became English words."""
    segments, language = transcribe(base, audio, DecodeOptions())
    english = [s for s in segments if s.end <= SWITCH]
    german = [s for s in segments if s.start >= SWITCH]
    assert english and german and len(english) + len(german) == len(segments)
    assert language == "en"  # 10.0 s of English against 9.7 s of German
    assert all(s.language is None for s in english) and all(s.language == "de" for s in german)
    for word in ("welcome", "podcast", "mountain", "interview"):
        assert word in _text(english) and word in _words(english)
    for word in ("vielen dank", "einladung", "dorf", "bergen", "jahren"):
        assert word in _text(german) and word in _words(german)
    assert not {"thank", "village", "mountains", "years"} & set(_text(german).replace(".", " ").split())


@pytest.mark.slow
def test_a_german_window_is_translated_from_german(base: Engine, audio: np.ndarray) -> None:
    """Protection: ``task: translate`` decodes each window with its own source language token, so
    the German part comes out as an English translation (not a German transcript, nor invented text)."""
    segments, language = transcribe(base, audio, DecodeOptions(task="translate"))
    german = [s for s in segments if s.start >= SWITCH]
    assert language == "en" and german and all(s.language == "de" for s in german)
    assert "thank you" in _text(german) and "invitation" in _text(german) and "village" in _text(german)
    assert not {"vielen", "einladung", "dorf"} & set(_text(german).replace(".", " ").split())


@pytest.mark.slow
def test_a_given_language_costs_no_detection_and_marks_no_segment(base: Engine, audio: np.ndarray) -> None:
    """Protection: with ``language:`` set nothing is detected (no extra encoder pass) and every
    segment is in the given language; without one the window is asked, then (unsure) each 10 s in it."""
    engine = Counting(base)
    segments, language = transcribe(engine, audio, DecodeOptions(language="en"))
    assert engine.detected == 0 and language == "en" and all(s.language is None for s in segments)
    transcribe(engine, audio, DecodeOptions())
    assert engine.detected == 1 + 3  # the window (English, 0.88: unsure), then its 10 s stretches


def test_an_unsure_window_is_asked_again_in_stretches_and_an_unsure_stretch_takes_the_files_language() -> None:
    """Protection: a window the model is not quite sure of is asked again in stretches of at most
    10 s (it may hold both languages); a stretch still unsure (under ``SURE``) keeps the language
    spoken longest, the sure ones keep theirs. Without it a switch inside a window is lost, or one
    mumbled stretch of an English file is decoded as Welsh."""
    answers = {
        (0.0, 23.0): ("en", 0.6),  # unsure: asked again in stretches
        (23.5, 33.0): ("en", 0.95),
        (0.0, 9.0): ("en", 0.9),
        (9.5, 18.0): ("cy", 0.57),
        (18.5, 23.0): ("de", 0.95),
    }
    asked: list[list[tuple[float, float]]] = []

    class Answers:
        multilingual, name = True, "answers"

        def detect_language(self, audio: np.ndarray, windows: list[Span]) -> list[tuple[str, float]]:
            asked.append([(w.start, w.end) for w in windows])
            return [answers[(w.start, w.end)] for w in windows]

    spans = [Span(0.0, 9.0), Span(9.5, 18.0), Span(18.5, 23.0), Span(23.5, 33.0)]
    languages, language = span_languages(Answers(), np.zeros(16000 * 33, dtype=np.float32), spans)
    assert asked == [[(0.0, 23.0), (23.5, 33.0)], [(0.0, 9.0), (9.5, 18.0), (18.5, 23.0)]]
    assert languages == ["en", "en", "de", "en"] and language == "en"
