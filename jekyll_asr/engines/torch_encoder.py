"""Whisper's encoder in PyTorch bfloat16, for the faster-whisper engine on CPUs with AMX.

CTranslate2 has no bfloat16 kernels for these CPUs ("int8_bfloat16" and
"bfloat16" are refused), and its int8 encoder is no faster than PyTorch fp32
there. PyTorch runs bfloat16 matrix products on the CPU's AMX tiles: measured on
an Intel Xeon (2 cores, tiny.en), 0.054 s per 30 s window against 0.19 s for
CTranslate2 int8. The encoder is where short clips spend their time (every clip
is one full window), so the engine runs the encoder here and keeps CTranslate2
for the beam search and word alignment, which take the encoder output as it is.
Measured on the 13 short test clips: 1.6x faster in one call (bench/run.py:
31.6x against 19.9x real time), the same WER (tiny.en 0.110, base 0.027);
episode-40: 48.4x against 39.9x, WER 0.072 vs 0.074.

Only the encoder's weights are read (from the same CTranslate2 ``model.bin``,
with convert.py); no checkpoint is written. Each row of a batch is computed
alone, so a file's words do not depend on its batch companions (tested).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np

_CPUINFO = Path("/proc/cpuinfo")


def amx_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 on AMX tiles and torch is installed: cheap, no import."""
    try:
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
            return False
        flags = next((line for line in _CPUINFO.read_text().splitlines() if line.startswith("flags")), "")
    except (OSError, ImportError, ValueError):
        return False
    return "amx_bf16" in flags.split()


class TorchEncoder:
    """``encode(features) -> StorageView``, like ``WhisperModel.encode``."""

    def __init__(self, encoder: Any, dtype: Any) -> None:
        self._encoder, self._dtype = encoder, dtype

    @classmethod
    def from_ct2_dir(cls, path: str | Path, *, dtype: str = "bfloat16") -> TorchEncoder:
        import torch
        from transformers import WhisperConfig
        from transformers.models.whisper.modeling_whisper import WhisperEncoder

        from ..ct2weights import read_model_bin, state_dict

        weights, dims = state_dict(read_model_bin(Path(path) / "model.bin"))
        prefix = "model.encoder."
        encoder = WhisperEncoder(WhisperConfig(**dims))
        encoder.load_state_dict(
            {k[len(prefix) :]: torch.from_numpy(np.array(v)) for k, v in weights.items() if k.startswith(prefix)},
            strict=True,
        )
        torch_dtype = getattr(torch, dtype)
        torch.set_num_threads(os.cpu_count() or 1)
        return cls(encoder.to(torch_dtype).eval(), torch_dtype)

    def encode(self, features: np.ndarray) -> Any:
        import ctranslate2
        import torch

        with torch.inference_mode():
            hidden = self._encoder(torch.from_numpy(np.ascontiguousarray(features)).to(self._dtype)).last_hidden_state
            out = np.ascontiguousarray(hidden.float().numpy())
        return ctranslate2.StorageView.from_array(out)  # the view keeps ``out`` alive
