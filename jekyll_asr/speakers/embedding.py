"""Voice embeddings: resemblyzer's GE2E d-vector encoder, re-implemented in a few lines of torch.

The ``resemblyzer`` wheel is the one speaker-embedding package on PyPI that
ships its weights (``pretrained.pt``, 16 MiB). Importing the package fails on
current setuptools (it imports webrtcvad, which imports pkg_resources) and pulls
librosa, so only its weights file is used, found on disk without importing it;
the mel features are computed here with numpy and equal resemblyzer's
``wav_to_mel_spectrogram`` (tests/test_speakers.py checks them against librosa).
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpeakerError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
EMBEDDING_SIZE = 256
BATCH = 64  # windows per forward pass: 64 x 1.5 s is ~15 MiB of frames
PACKAGE = "resemblyzer"
_BREAK_HZ, _BREAK_MEL = 1000.0, 15.0  # where Slaney's mel scale turns from linear to logarithmic


def weights_path() -> Path:
    """Where the installed wheel keeps ``pretrained.pt``; SpeakerError saying what to install when absent."""
    try:
        spec = importlib.util.find_spec(PACKAGE)  # a top-level package: found, not imported
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / "pretrained.pt"
        if path.is_file():
            return path
    raise SpeakerError(
        "speaker detection needs the voice encoder weights of resemblyzer 0.1.4: "
        "`pip install resemblyzer==0.1.4` (its wheel ships them), or set `speakers: off` in the asr: block"
    )


# ---------------------------------------------------------------- features


def _hz_to_mel(hz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above."""
    import numpy as np

    linear = hz / (200.0 / 3)
    log = _BREAK_MEL + np.log(np.maximum(hz, 1e-10) / _BREAK_HZ) / (np.log(6.4) / 27.0)
    return np.where(hz >= _BREAK_HZ, log, linear)


def _mel_to_hz(mel: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    linear = mel * (200.0 / 3)
    log = _BREAK_HZ * np.exp((np.log(6.4) / 27.0) * (mel - _BREAK_MEL))
    return np.where(mel >= _BREAK_MEL, log, linear)


@functools.cache
def mel_filters() -> NDArray[np.float32]:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40) (slaney scale and norm), shape (40, 201)."""
    import numpy as np

    fft_hz = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """Power mel frames (not log) of 16 kHz mono ``audio`` (n,) or a batch (b, n): (…, frames, 40).

    The same numbers as resemblyzer's ``wav_to_mel_spectrogram`` (librosa: centred frames with
    zero padding, periodic Hann window, power 2).
    """
    import numpy as np

    audio = np.asarray(audio, dtype=np.float32)
    padded = np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(N_FFT // 2, N_FFT // 2)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT, axis=-1)[..., ::HOP, :]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    spectrum = np.fft.rfft(frames * window, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.asarray(power @ mel_filters().T, dtype=np.float32)


# ---------------------------------------------------------------- the encoder


@dataclass(frozen=True)
class VoiceEncoder:
    """The loaded d-vector network (3-layer LSTM 40->256, Linear 256->256, ReLU, L2 norm) on the CPU."""

    lstm: Any  # torch.nn.LSTM
    linear: Any  # torch.nn.Linear

    def embed(self, windows: NDArray[np.float32]) -> NDArray[np.float32]:
        """One unit-length 256-d embedding per row of ``windows`` (b, n samples), in batches."""
        import numpy as np
        import torch

        out = np.zeros((len(windows), EMBEDDING_SIZE), dtype=np.float32)
        with torch.inference_mode():
            for at in range(0, len(windows), BATCH):
                mels = torch.from_numpy(mel_spectrogram(windows[at : at + BATCH]))
                _, (hidden, _) = self.lstm(mels)
                raw = torch.relu(self.linear(hidden[-1]))
                out[at : at + BATCH] = (raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-12)).numpy()
        return out


@functools.cache
def load_encoder() -> VoiceEncoder:
    """resemblyzer's pretrained encoder, loaded once per process (weights_only: no pickle code runs)."""
    import torch

    path = weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
        lstm = torch.nn.LSTM(N_MELS, EMBEDDING_SIZE, 3, batch_first=True)
        linear = torch.nn.Linear(EMBEDDING_SIZE, EMBEDDING_SIZE)
        lstm.load_state_dict({k.removeprefix("lstm."): v for k, v in state.items() if k.startswith("lstm.")})
        linear.load_state_dict({k.removeprefix("linear."): v for k, v in state.items() if k.startswith("linear.")})
    except (OSError, RuntimeError, KeyError, TypeError) as exc:
        raise SpeakerError(f"{path}: cannot load the voice encoder weights ({exc}); reinstall: `pip install --force-reinstall resemblyzer==0.1.4`") from exc
    lstm.eval()
    linear.eval()
    return VoiceEncoder(lstm, linear)
