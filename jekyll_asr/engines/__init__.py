"""Transcription engines: one module per engine, a Protocol and a dict registry.

Importing this package is cheap: no torch, no transformers, no CTranslate2.
``resolve_engine`` decides "auto" from files on disk alone, so a build whose
audio is all cached never pays for a model import; only ``load_engine``
imports the engine's libraries and loads the weights (once).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import ConfigError, EngineError
from ..transcript import Segment
from ..vad import DEFAULT_VAD, Span
from .guards import MAX_COMPRESSION_RATIO, MAX_REPEATS
from .windows import WindowJob

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Bump when a change here or in an engine module changes the words for the same
# options (decode kwargs, VAD windows, guards): every cached transcript is redone.
DECODE_VERSION = 4  # 4: every VAD window decoded in batches (one-window files no longer sequential)

TASKS = ("transcribe", "translate")
DEVICES = ("auto", "cpu", "cuda")
_NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode; everything here can change the words, so all of it is in ``key()``."""

    language: str | None = None  # None = detect (".en" models: "en")
    task: str = "transcribe"
    beam_size: int = 5
    batch_size: int = 0  # 0 = engine picks (measured best)
    vad: bool = True
    initial_prompt: str | None = None
    hotwords: tuple[str, ...] = ()
    # Guards against invented words; see engines/guards.py and vad.py.
    max_compression_ratio: float = MAX_COMPRESSION_RATIO
    max_repeats: int = MAX_REPEATS

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, not {self.task!r}")
        if not isinstance(self.beam_size, int) or self.beam_size < 1:
            raise ConfigError(f"beam_size must be a whole number >= 1, not {self.beam_size!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 0:
            raise ConfigError(f"batch_size must be a whole number >= 0 (0 = engine picks), not {self.batch_size!r}")
        if self.language is not None and not re.fullmatch(r"[a-z]{2,3}(_[a-z]+)?", self.language):
            raise ConfigError(f"language must be a Whisper language code such as 'en' or 'de', not {self.language!r}")
        if isinstance(self.hotwords, (str, list)):
            object.__setattr__(self, "hotwords", (self.hotwords,) if isinstance(self.hotwords, str) else tuple(self.hotwords))
        if self.max_repeats < 1:
            raise ConfigError(f"max_repeats must be >= 1, not {self.max_repeats!r}")

    @property
    def prompt(self) -> str | None:
        """Initial prompt and hotwords as one text, for engines without a hotword option."""
        parts = [p for p in (self.initial_prompt, ", ".join(self.hotwords)) if p]
        return " ".join(parts) or None

    def key(self) -> dict[str, Any]:
        """JSON-able: every field plus the decoder and VAD versions (the cache key uses it)."""
        data = asdict(self)
        data["hotwords"] = list(self.hotwords)
        data["decode_version"] = DECODE_VERSION
        data["vad_settings"] = DEFAULT_VAD.key() if self.vad else None
        return data


@runtime_checkable
class Engine(Protocol):
    """A loaded model that decodes speech windows of 16 kHz mono float32 audio.

    Everything around the model (VAD, windows, which language, the rounds that
    re-decode an unheard tail, times back on the original timeline, loop
    guards) runs once for every engine in engines/pipeline.py; an engine only
    decodes.
    """

    name: str

    @property
    def multilingual(self) -> bool:
        """False for an English-only model, whose language is always "en"."""
        ...

    def detect_language(self, audio: NDArray[np.float32], windows: list[Span]) -> list[tuple[str, float]]:
        """(language code, probability) of each of ``windows`` (at most 30 s each) of ``audio`` (a file's packed samples)."""
        ...

    def decode(self, jobs: list[WindowJob], language: str, options: DecodeOptions) -> list[list[Segment]]:
        """Segments per job, in the packed timeline of each job's file; the engine picks the batches.

        A job's segments must not depend on the other jobs in the call (the cache
        promises a file the same words alone or in company).
        """
        ...

    def decode_unsegmented(self, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
        """``vad: false``: the model's own long-form loop over non-empty ``audio``; (segments, language)."""
        ...


def _transformers(model: str, *, device: str, revision: str = "main") -> Engine:
    from .transformers_engine import TransformersEngine

    return TransformersEngine.load(model, device=device, revision=revision)


def _faster_whisper(model: str, *, device: str, revision: str = "main") -> Engine:
    from .faster_whisper_engine import FasterWhisperEngine

    return FasterWhisperEngine.load(model, device=device, revision=revision)


class EngineLoader(Protocol):
    """Loads ``model`` into one engine: an entry of ``ENGINES``."""

    def __call__(self, model: str, *, device: str, revision: str = "main") -> Engine: ...


ENGINES: dict[str, EngineLoader] = {
    "transformers": _transformers,
    "faster-whisper": _faster_whisper,
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _torch_has_cuda() -> bool:
    """A CUDA build of torch, judged from ``torch/version.py`` without importing torch."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    for location in spec.submodule_search_locations:
        try:
            text = (Path(location) / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        match = re.search(r"^cuda\s*(?::[^=]*)?=\s*(.+)$", text, re.MULTILINE)
        return match is not None and match.group(1).strip() != "None"
    return True  # unknown layout: let load_engine find out


def resolve_engine(engine: str, device: str) -> tuple[str, str]:
    """Make "auto" concrete, cheaply (no torch import): returns (engine, device)."""
    if engine != "auto" and engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: auto, {', '.join(ENGINES)}")
    if device not in DEVICES and not re.fullmatch(r"cuda:\d+", device):
        raise ConfigError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)} (or cuda:N)")
    if device == "auto":
        gpu = _NVIDIA_DRIVER.exists() and _installed("torch") and _torch_has_cuda()
        device = "cuda" if gpu else "cpu"
    if engine == "auto":  # a GPU: transformers; a CPU: faster-whisper when it is installed
        engine = "transformers" if device.startswith("cuda") or not _installed("faster_whisper") else "faster-whisper"
    return engine, device


def load_engine(engine: str, model: str, *, device: str, revision: str = "main") -> Engine:
    """Load ``model`` into ``engine`` once; raises EngineError/ModelError saying what to do."""
    engine, device = resolve_engine(engine, device)
    return ENGINES[engine](model, device=device, revision=revision)


def require(module: str, *, engine: str, package: str) -> None:
    """EngineError naming the pip package and the other engine when ``module`` is missing."""
    if _installed(module):
        return
    other = next(name for name in ENGINES if name != engine)
    raise EngineError(f"engine {engine!r} needs {package}: `pip install {package}`, or set `engine: {other}` in the asr: block")
