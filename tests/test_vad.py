"""vad.py: Silero speech spans on real clips, and packing spans into windows."""

from __future__ import annotations

import numpy as np
import pytest

from jekyll_asr.audio import decode
from jekyll_asr.errors import EngineError
from jekyll_asr.vad import SAMPLE_RATE, Span, samples, speech_spans, speech_windows

# Where episode-12's six paragraphs start (seconds): 1.5 s pauses between them.
EPISODE_12_STARTS = (0.0, 11.5, 23.7, 35.3, 48.7, 57.5)


@pytest.mark.parametrize("name", ["silence-20s.wav", "tone-10s.wav"])
def test_no_speech_in_silence_or_tone(fixtures, name):
    assert speech_spans(decode(fixtures / name)) == []


def test_one_sentence_is_one_span_covering_it(fixtures):
    audio = decode(fixtures / "welcome.wav")
    spans = speech_spans(audio)
    assert len(spans) == 1
    assert spans[0].start < 0.5
    assert spans[0].end > len(audio) / SAMPLE_RATE - 0.5


def test_paragraph_pauses_separate_spans(fixtures):
    audio = decode(fixtures / "episode-12.mp3")
    spans = speech_spans(audio)
    assert len(spans) == len(EPISODE_12_STARTS)
    for span, expected in zip(spans, EPISODE_12_STARTS):
        assert abs(span.start - expected) < 0.6
    for a, b in zip(spans, spans[1:]):
        assert a.start < a.end <= b.start  # sorted, disjoint
    assert spans[-1].end <= len(audio) / SAMPLE_RATE


def test_short_human_speech_is_found(fixtures):
    spans = speech_spans(decode(fixtures / "goforward.wav"))
    assert spans and sum(s.duration for s in spans) > 1.0


def test_empty_audio_has_no_spans():
    assert speech_spans(np.zeros(0, dtype=np.float32)) == []


def test_stereo_array_is_refused():
    with pytest.raises(EngineError, match="mono"):
        speech_spans(np.zeros((2, 16000), dtype=np.float32))


def test_windows_pack_spans_up_to_thirty_seconds():
    spans = [Span(0.0, 9.9), Span(11.5, 22.2), Span(23.7, 33.8), Span(35.3, 47.1), Span(48.7, 55.9)]
    windows = speech_windows(spans)
    assert windows == [Span(0.0, 22.2), Span(23.7, 47.1), Span(48.7, 55.9)]
    assert all(w.duration <= 30.0 for w in windows)


def test_windows_never_cut_a_span_and_cover_every_span():
    spans = [Span(i * 7.0, i * 7.0 + 5.5) for i in range(20)]
    windows = speech_windows(spans)
    for span in spans:
        assert sum(1 for w in windows if w.start <= span.start and span.end <= w.end) == 1


def test_a_long_gap_starts_a_new_window():
    assert speech_windows([Span(0.0, 3.0), Span(12.0, 14.0)], max_gap_s=6.0) == [Span(0.0, 3.0), Span(12.0, 14.0)]
    assert speech_windows([Span(0.0, 3.0), Span(5.0, 7.0)], max_gap_s=6.0) == [Span(0.0, 7.0)]


def test_no_spans_no_windows():
    assert speech_windows([]) == []


def test_samples_slices_the_span():
    audio = np.arange(5 * SAMPLE_RATE, dtype=np.float32)
    piece = samples(audio, Span(1.0, 2.5))
    assert len(piece) == int(1.5 * SAMPLE_RATE)
    assert piece[0] == SAMPLE_RATE
