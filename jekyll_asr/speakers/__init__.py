"""Who spoke when: diarizers in a dict registry, as the engines are.

Importing this package is cheap (no torch, no numpy): ``diarizer_key`` reads
package versions only, so a build whose transcripts are cached never loads a
model. ``resemblyzer`` is the offline default (its weights ship in the wheel);
``pyannote`` is for a user with pyannote.audio and a Hugging Face token.
"""

from __future__ import annotations

import importlib.metadata
import os
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, SpeakerError
from ..transcript import Turn
from ..vad import Span

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Bump when a change here or in diarize.py/cluster.py/channels.py changes the turns for the same
# audio: every cached diarization is redone.
DIARIZE_VERSION = 1
PYANNOTE_PIPELINE = "pyannote/speaker-diarization-3.1"


class Diarizer(Protocol):
    """Finds speaker turns in 16 kHz mono float32 audio (an entry of ``DIARIZERS``)."""

    def __call__(self, audio: NDArray[np.float32], *, count: int | None = None, max_speakers: int = 8, spans: list[Span] | None = None) -> list[Turn]: ...


def _resemblyzer(audio: NDArray[np.float32], *, count: int | None = None, max_speakers: int = 8, spans: list[Span] | None = None) -> list[Turn]:
    from .diarize import diarize

    return diarize(audio, count=count, max_speakers=max_speakers, spans=spans)


def _pyannote(audio: NDArray[np.float32], *, count: int | None = None, max_speakers: int = 8, spans: list[Span] | None = None) -> list[Turn]:
    from .pyannote_diarizer import diarize_pyannote

    return diarize_pyannote(audio, count=count, max_speakers=max_speakers)


DIARIZERS: dict[str, Diarizer] = {
    "resemblyzer": _resemblyzer,
    "pyannote": _pyannote,
}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def diarizer_key(name: str) -> dict[str, Any]:
    """What a cached diarization depends on: the diarizer, its model's package version, our version."""
    if name not in DIARIZERS:
        raise ConfigError(f"unknown diarizer {name!r}; choose one of: {', '.join(DIARIZERS)}")
    if name == "resemblyzer":
        model = {"package": "resemblyzer", "version": _version("resemblyzer")}
    else:
        model = {"package": "pyannote.audio", "version": _version("pyannote.audio"), "pipeline": PYANNOTE_PIPELINE}
    return {"name": name, "model": model, "diarize_version": DIARIZE_VERSION}


def hf_token() -> str:
    """The Hugging Face token pyannote's gated pipeline needs; SpeakerError saying how to set it."""
    token = os.environ.get("HF_TOKEN", "").strip()
    if not token:
        raise SpeakerError(
            f"the pyannote diarizer needs a Hugging Face token: accept the terms of {PYANNOTE_PIPELINE} on huggingface.co, "
            "then set HF_TOKEN in the environment (or use the offline `diarizer: resemblyzer`)"
        )
    return token
