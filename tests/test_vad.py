"""vad.py: Silero speech spans on real clips, packing out long silences, and spans into windows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jekyll_asr.audio import decode
from jekyll_asr.errors import EngineError
from jekyll_asr.transcript import Segment, Word
from jekyll_asr.vad import SAMPLE_RATE, Span, pack, samples, speech_spans, speech_windows

# Where episode-12's six paragraphs start (seconds): 1.5 s pauses between them.
EPISODE_12_STARTS = (0.0, 11.5, 23.7, 35.3, 48.7, 57.5)


@pytest.mark.parametrize("name", ["silence-20s.wav", "tone-10s.wav"])
def test_no_speech_in_silence_or_tone(fixtures, name):
    assert speech_spans(decode(fixtures / name)) == []


def test_spans_cover_the_speech_and_split_at_the_sentence_pause(fixtures):
    audio = decode(fixtures / "welcome.wav")  # "Welcome to the show. Today we talk about ..."
    spans = speech_spans(audio)
    assert len(spans) == 2
    assert spans[0].start < 0.5
    assert spans[-1].end > len(audio) / SAMPLE_RATE - 0.5
    assert spans[1].start - spans[0].end < 0.2  # padding closes a sentence pause: nothing is lost


def test_paragraph_pauses_are_the_long_gaps_between_spans(fixtures):
    audio = decode(fixtures / "episode-12.mp3")
    spans = speech_spans(audio)
    for a, b in itertools.pairwise(spans):
        assert a.start < a.end <= b.start  # sorted, disjoint
    starts = [spans[0].start] + [b.start for a, b in itertools.pairwise(spans) if b.start - a.end >= 1.0]
    assert len(starts) == len(EPISODE_12_STARTS)
    for start, expected in zip(starts, EPISODE_12_STARTS, strict=True):
        assert abs(start - expected) < 0.6
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


def _tone_spans(layout: list[tuple[float, float]]) -> tuple[np.ndarray, list[Span]]:
    """Audio that counts its samples (so a slice shows where it came from) and its spans."""
    end = max(b for _, b in layout) + 3.0
    return np.arange(int(end * SAMPLE_RATE), dtype=np.float32), [Span(a, b) for a, b in layout]


def test_pack_cuts_long_silences_to_the_kept_gap_and_keeps_short_ones():
    audio, spans = _tone_spans([(5.0, 8.0), (8.4, 10.0), (20.0, 22.0)])
    packed = pack(audio, spans, keep_gap_s=1.0)
    # 0.5 s before the first span, the 0.4 s pause whole, 10 s of silence down to 1 s, 0.5 s after.
    assert [round(s.start, 3) for s in packed.spans] == [0.5, 3.9, 6.5]
    assert len(packed.audio) == int((0.5 + 5.0 + 1.0 + 2.0 + 0.5) * SAMPLE_RATE)
    for span, moved in zip(spans, packed.spans, strict=True):
        assert moved.duration == pytest.approx(span.duration)
        np.testing.assert_array_equal(samples(packed.audio, moved), samples(audio, span))  # the same speech


def test_packed_times_map_back_to_the_original_timeline():
    audio, spans = _tone_spans([(5.0, 8.0), (20.0, 22.0)])
    packed = pack(audio, spans, keep_gap_s=1.0)
    assert packed.original(packed.spans[1].start) == pytest.approx(20.0)
    assert packed.original(packed.spans[1].end, end=True) == pytest.approx(22.0)
    seam = packed.pieces[1][0] / SAMPLE_RATE  # where the cut silence was
    assert packed.original(seam) == pytest.approx(19.5)  # a start on the seam belongs after it
    assert packed.original(seam, end=True) == pytest.approx(8.5)  # an end, before it
    restored = packed.restore(Segment(packed.spans[0].start + 1.0, packed.spans[1].end, "both"))
    assert (restored.start, restored.end) == (6.0, 22.0)


def test_restore_moves_words_with_their_segment_and_keeps_them_inside_it():
    """Protection: word times come back to the original timeline like segment times. Without it a
    word after a cut silence would be highlighted seconds before it is spoken."""
    audio, spans = _tone_spans([(5.0, 8.0), (20.0, 22.0)])
    packed = pack(audio, spans, keep_gap_s=1.0)
    first, second = packed.spans
    seam = packed.pieces[1][0] / SAMPLE_RATE
    words = (
        Word(first.start + 1.0, first.start + 1.5, " one", 0.9),
        Word(second.start + 0.5, second.start + 1.0, " two", None),
        Word(second.end, second.end, " three", 0.2),
    )
    segment = Segment(first.start + 1.0, second.end, " one two three", words, speaker="2", language="de")
    restored = packed.restore(segment)
    assert [(w.start, w.end) for w in restored.words] == [(6.0, 6.5), (20.5, 21.0), (22.0, 22.0)]
    assert [w.text for w in restored.words] == [" one", " two", " three"] and restored.words[1].probability is None
    assert (restored.speaker, restored.language) == ("2", "de")
    ending = packed.restore(Segment(first.start, seam, "x", (Word(seam, seam, " x", 1.0),)))  # a word on its end's seam
    assert ending.start <= ending.words[0].start <= ending.words[0].end <= ending.end


@given(st.lists(st.tuples(st.floats(0.05, 20.0), st.floats(0.3, 29.0)), min_size=1, max_size=12), st.floats(0.2, 3.0))
def test_pack_keeps_every_span_whole_and_in_order(layout, keep):
    spans, t = [], 0.0
    for gap, length in layout:
        spans.append(Span(round(t + gap, 3), round(t + gap + length, 3)))
        t += gap + length
    audio = np.zeros(int((t + 1.0) * SAMPLE_RATE), dtype=np.float32)
    packed = pack(audio, spans, keep_gap_s=keep)
    assert len(packed.spans) == len(spans)
    for a, b in itertools.pairwise(packed.spans):
        assert b.start - a.end <= keep + 1e-3  # no silence longer than the kept gap
    for span, moved in zip(spans, packed.spans, strict=True):
        assert moved.duration == pytest.approx(span.duration, abs=1e-3)
        assert packed.original(moved.start) == pytest.approx(span.start, abs=1e-3)
        assert packed.original(moved.end, end=True) == pytest.approx(span.end, abs=1e-3)
    assert len(packed.audio) <= len(audio)


def test_packing_needs_fewer_windows_for_a_podcast_shaped_file():
    # Six paragraphs of two 5 s sentences (0.1 s apart), 8 s pauses between paragraphs.
    layout, t = [], 0.0
    for _ in range(6):
        for _ in range(2):
            layout.append((t, t + 5.0))
            t += 5.1
        t += 7.9
    audio, spans = _tone_spans(layout)
    packed = pack(audio, spans)
    assert len(speech_windows(spans)) == 6  # a long pause always starts a new window
    assert len(speech_windows(packed.spans)) == 3  # 60 s of speech and 1 s pauses fill 30 s windows
    assert all(w.duration <= 30.0 for w in speech_windows(packed.spans))


def test_packing_a_real_episode_keeps_less_silence(fixtures):
    audio = decode(fixtures / "episode-12.mp3")  # five 1.5 s paragraph pauses
    spans = speech_spans(audio)
    packed = pack(audio, spans)
    assert len(packed.spans) == len(spans)
    assert len(audio) - len(packed.audio) > 5 * 0.4 * SAMPLE_RATE
    assert sum(w.duration for w in speech_windows(packed.spans)) < sum(w.duration for w in speech_windows(spans))


def test_no_speech_packs_to_nothing():
    packed = pack(np.zeros(5 * SAMPLE_RATE, dtype=np.float32), [])
    assert packed.spans == [] and packed.audio.size == 0
