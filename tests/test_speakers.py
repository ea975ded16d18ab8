"""speakers/: the voice encoder against resemblyzer and librosa, diarization of real two-voice and
one-voice recordings, per-channel turns, the registry. Real weights and real audio throughout."""

from __future__ import annotations

import itertools
import subprocess
import sys
import tracemalloc
import types
from pathlib import Path

import numpy as np
import pytest

from jekyll_asr.audio import decode, decode_channels
from jekyll_asr.errors import ConfigError, SpeakerError
from jekyll_asr.speakers import DIARIZE_VERSION, DIARIZERS, diarizer_key, embedding
from jekyll_asr.speakers.channels import separate_channels
from jekyll_asr.speakers.cluster import MAX_CLUSTERED, spectral_labels, unit_rows
from jekyll_asr.speakers.der import der
from jekyll_asr.speakers.diarize import diarize, embed_windows, labelled_turns, speech_windows
from jekyll_asr.speakers.rttm import read_rttm
from jekyll_asr.transcript import Turn
from jekyll_asr.vad import SAMPLE_RATE, Span, speech_spans

SPEAKERS = Path(__file__).parent / "fixtures" / "speakers"
# Measured on sample.wav (collar 0.25 s): DER 0.017 with the count found and with it given.
SAMPLE_DER_BOUND = 0.05


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    return decode(SPEAKERS / "sample.wav")


@pytest.fixture(scope="module")
def reference() -> list[Turn]:
    return read_rttm((SPEAKERS / "sample.rttm").read_text())["sample"]


# ---------------------------------------------------------------- the encoder


def test_mel_features_equal_librosa(sample):
    librosa = pytest.importorskip("librosa")
    piece = sample[SAMPLE_RATE * 8 : SAMPLE_RATE * 12]
    expected = librosa.feature.melspectrogram(y=piece, sr=16000, n_fft=400, hop_length=160, n_mels=40).astype(np.float32).T
    found = embedding.mel_spectrogram(piece)
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-6 * float(expected.max()))
    np.testing.assert_allclose(embedding.mel_filters(), librosa.filters.mel(sr=16000, n_fft=400, n_mels=40), atol=1e-8)


@pytest.mark.filterwarnings("ignore:Please import `binary_dilation`:DeprecationWarning")  # resemblyzer's own import
def test_embeddings_equal_resemblyzers_own_encoder(sample, monkeypatch):
    """Its package cannot be imported as it is (webrtcvad needs pkg_resources); a stand-in for the
    webrtcvad module it never uses here lets its VoiceEncoder load the same weights for comparison."""
    pytest.importorskip("librosa")
    torch = pytest.importorskip("torch")
    monkeypatch.setitem(sys.modules, "webrtcvad", types.ModuleType("webrtcvad"))
    from resemblyzer import audio as resemblyzer_audio
    from resemblyzer.voice_encoder import VoiceEncoder

    windows = np.stack([sample[SAMPLE_RATE * s : SAMPLE_RATE * s + 24000] for s in (8, 12, 20)])
    theirs = VoiceEncoder("cpu", verbose=False)
    with torch.no_grad():
        expected = np.stack([theirs(torch.from_numpy(resemblyzer_audio.wav_to_mel_spectrogram(w)[None])).numpy()[0] for w in windows])
    found = embedding.load_encoder().embed(windows)
    np.testing.assert_allclose(found, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-5)


def test_missing_weights_say_what_to_install(monkeypatch):
    monkeypatch.setattr(embedding, "PACKAGE", "resemblyzer_not_installed")
    with pytest.raises(SpeakerError, match=r"pip install resemblyzer==0\.1\.4"):
        embedding.weights_path()


# ---------------------------------------------------------------- diarization


@pytest.mark.parametrize("count", [None, 2])
def test_two_voices_in_the_sample(sample, reference, count):
    turns = diarize(sample, count=count)
    assert {t.speaker for t in turns} == {"1", "2"}
    assert der(reference, turns).der <= SAMPLE_DER_BOUND


def test_turns_are_numbered_by_first_appearance_merged_and_deterministic(sample):
    turns = diarize(sample)
    assert turns == diarize(sample)
    assert turns[0].speaker == "1"
    seen: list[str] = []
    for t in turns:
        if t.speaker not in seen:
            seen.append(t.speaker)
    assert seen == [str(i) for i in range(1, len(seen) + 1)]
    for a, b in itertools.pairwise(turns):
        assert a.end <= b.start
        assert not (a.speaker == b.speaker and a.end == b.start)  # adjacent same-speaker turns are one


def test_a_given_count_is_obeyed(sample):
    assert {t.speaker for t in diarize(sample, count=3)} == {"1", "2", "3"}
    assert {t.speaker for t in diarize(sample, count=1)} == {"1"}


def test_given_spans_are_used(sample):
    spans = [Span(8.0, 14.0)]
    turns = diarize(sample, spans=spans)
    assert turns and turns[0].start >= 8.0 and turns[-1].end <= 14.0


@pytest.mark.parametrize("name", ["goforward.wav", "welcome.wav", "episode-12.mp3"])
def test_one_voice_is_one_speaker(fixtures, name):
    turns = diarize(decode(fixtures / name))
    assert turns
    assert {t.speaker for t in turns} == {"1"}


def test_no_speech_no_turns(fixtures):
    assert diarize(decode(fixtures / "silence-20s.wav")) == []


def test_short_turns_are_smoothed_into_their_neighbours():
    owned = [Span(0, 2), Span(2, 2.3), Span(2.3, 5), Span(6, 6.2)]
    assert labelled_turns(owned, [7, 3, 7, 3]) == [Turn(0, 5, "1"), Turn(6, 6.2, "2")]


def test_windows_cover_each_span_once():
    windows = speech_windows([Span(1.0, 1.4), Span(3.0, 7.0)], duration=10.0)
    assert windows.owned[0] == Span(1.0, 1.4)
    assert windows.starts[0] == pytest.approx(1.2 - 0.75)
    owned = windows.owned[1:]
    assert owned[0].start == 3.0 and owned[-1].end == 7.0
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(owned))
    assert windows.starts[-1] == pytest.approx(7.0 - 1.5)


def test_clustering_a_long_file_is_bounded_in_memory(sample):
    """Thousands of windows: only MAX_CLUSTERED are in the affinity matrix (5,000^2 would be 200 MiB a matrix)."""
    spans = speech_spans(sample)
    raw = embed_windows(sample, speech_windows(spans, len(sample) / SAMPLE_RATE))
    rng = np.random.default_rng(0)
    many = raw[rng.integers(0, len(raw), 5000)] + rng.normal(0, 0.01, (5000, raw.shape[1])).astype(np.float32)
    centred = unit_rows(many - many.mean(axis=0, keepdims=True))
    tracemalloc.start()
    try:
        labels = spectral_labels(centred, count=2, max_speakers=8)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(labels) == 5000 and set(labels.tolist()) == {0, 1}
    assert peak < 8 * MAX_CLUSTERED**2 * 6  # a few 2,000^2 float64 matrices, never 5,000^2


def _long_two_voice_file(sample, reference, minutes: float) -> tuple[np.ndarray, list[Turn]]:
    """sample.wav's two voices, their solo stretches strung together again and again, each time cut
    and levelled a little differently, with pauses between: a long two-person episode with its truth."""
    solo: dict[str, list[np.ndarray]] = {}
    for t in reference:
        others = [o for o in reference if o.speaker != t.speaker and o.start < t.end and o.end > t.start]
        start = max([t.start, *(o.end for o in others if o.start <= t.start)])
        end = min([t.end, *(o.start for o in others if o.start > t.start)])
        if end - start > 0.5:
            solo.setdefault(t.speaker, []).append(sample[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)])
    rng = np.random.default_rng(0)
    pieces, truth, at = [], [], 0.0
    while at < minutes * 60:
        for speaker, stretches in solo.items():
            for _ in range(int(rng.integers(1, 4))):
                piece = stretches[int(rng.integers(len(stretches)))]
                piece = piece[int(rng.integers(0, 3200)) :] * np.float32(rng.uniform(0.6, 1.4))
                pause = np.zeros(int(rng.integers(3000, 9000)), dtype=np.float32)
                truth.append(Turn(at, at + piece.size / SAMPLE_RATE, speaker))
                pieces += [piece, pause]
                at += (piece.size + pause.size) / SAMPLE_RATE
    return np.concatenate(pieces).astype(np.float32), truth


@pytest.mark.slow
def test_a_long_two_person_episode_keeps_both_voices(sample, reference):
    audio, truth = _long_two_voice_file(sample, reference, minutes=25)
    turns = diarize(audio)
    assert {t.speaker for t in turns} == {"1", "2"}
    assert der(truth, turns).der <= 0.05  # measured 0.002


# ---------------------------------------------------------------- channels


def test_one_voice_per_channel_gives_each_its_own_speaker(reference):
    channels = decode_channels(SPEAKERS / "sample-stereo.flac")
    assert channels.shape == (2, 30 * SAMPLE_RATE)
    turns = separate_channels(channels)
    assert turns is not None
    score = der(reference, turns)
    assert score.der <= 0.03  # measured 0.017: speech detection edges only, no confusion
    assert score.confusion == pytest.approx(0, abs=0.05)
    first = "speaker90" if speech_spans(channels[0])[0].start < speech_spans(channels[1])[0].start else "speaker91"
    assert dict(score.mapping)["1"] == first  # "1" is the channel heard first


def test_two_tracks_of_one_episode(reference):
    tracks = [decode(SPEAKERS / f"sample-track-{side}.flac") for side in "ab"]
    length = max(t.size for t in tracks)
    turns = separate_channels(np.stack([np.pad(t, (0, length - t.size)) for t in tracks]))
    assert turns is not None
    assert der(reference, turns).der <= 0.03


def test_the_same_signal_on_every_channel_is_not_separated(sample, fixtures):
    assert separate_channels(np.stack([sample, sample])) is None
    assert separate_channels(decode_channels(fixtures / "welcome.mp3")) is None  # a real mono-in-stereo MP3
    left, right = decode_channels(SPEAKERS / "sample-stereo.flac")
    assert separate_channels(np.stack([0.8 * left + 0.3 * right, 0.3 * left + 0.8 * right])) is None  # a panned mix


@pytest.mark.parametrize(("gain", "noise", "bound"), [(0.05, 0.0, 0.03), (0.2, 0.002, 0.06)])  # measured 0.000 and 0.043
def test_crosstalk_does_not_make_a_turn(reference, gain, noise, bound):
    """Each mic also hears the other voice, 5 ms late and -26 dB (or -14 dB, over a noise floor)."""
    left, right = decode_channels(SPEAKERS / "sample-stereo.flac")
    rng = np.random.default_rng(0)
    floor = rng.normal(0, noise, (2, left.size)) if noise else np.zeros((2, left.size))
    bleed = np.stack([left + gain * np.roll(right, 80), right + gain * np.roll(left, 80)]) + floor
    turns = separate_channels(bleed.astype(np.float32))
    assert turns is not None and der(reference, turns).der <= bound


def test_spaced_mics_hearing_the_same_voices_are_not_separated(sample):
    """Two mics metres apart: each channel holds every voice, a few milliseconds apart (not a zero-lag copy)."""
    assert separate_channels(np.stack([sample, 0.8 * np.roll(sample, 48)]).astype(np.float32)) is None
    left, right = decode_channels(SPEAKERS / "sample-stereo.flac")
    assert separate_channels(np.stack([left + 0.6 * np.roll(right, 32), 0.6 * np.roll(left, 32) + right]).astype(np.float32)) is None


def test_one_channel_or_one_speaking_channel_is_not_separated(sample):
    assert separate_channels(sample[None, :]) is None
    assert separate_channels(np.stack([sample, np.zeros_like(sample)])) is None


# ---------------------------------------------------------------- registry


def test_registry_and_cache_key():
    assert set(DIARIZERS) == {"resemblyzer", "pyannote"}
    key = diarizer_key("resemblyzer")
    assert key == {"name": "resemblyzer", "model": {"package": "resemblyzer", "version": "0.1.4"}, "diarize_version": DIARIZE_VERSION}
    assert diarizer_key("pyannote")["name"] == "pyannote"
    with pytest.raises(ConfigError, match="resemblyzer, pyannote"):
        diarizer_key("nope")


def test_pyannote_says_what_to_install(sample, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "")
    with pytest.raises(SpeakerError, match=r"pip install pyannote\.audio.*HF_TOKEN"):
        DIARIZERS["pyannote"](sample)


def test_hf_token_missing_is_named(monkeypatch):
    from jekyll_asr.speakers import hf_token

    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(SpeakerError, match="HF_TOKEN"):
        hf_token()


def test_importing_the_package_is_cheap():
    code = "import sys, jekyll_asr.speakers; print(sorted(m for m in ('torch', 'numpy', 'scipy', 'librosa') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_a_count_below_one_is_refused(sample):
    with pytest.raises(ConfigError, match="1 or more"):
        diarize(sample, count=0)


def test_a_count_above_max_speakers_is_still_obeyed(sample):
    assert len({t.speaker for t in diarize(sample, count=3, max_speakers=2)}) == 3
