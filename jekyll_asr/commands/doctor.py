"""``jekyll-asr doctor [SITE]``: one screen that says whether this machine can transcribe.

Python, torch and CUDA, the engines, the engine ``auto`` picks, whether the
configured model is here (bundled packages installed, hub model cached),
whether the Hub is reachable, and whether jekyll is on PATH. Exit 1 when the
configured model cannot be used, so CI can run it as a first step.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from . import add_site_arguments, settings_from_args

if TYPE_CHECKING:
    from ..config import Settings

HUB_HOST = ("huggingface.co", 443)
CONNECT_TIMEOUT = 2.0


@dataclass(frozen=True)
class Finding:
    label: str
    value: str
    ok: bool | None = None  # None: information only; False: a problem to fix


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    findings = collect(settings)
    problems = [f for f in findings if f.ok is False]
    if args.json:
        print(json.dumps({"findings": [asdict(f) for f in findings], "ok": not problems}, indent=2))
    else:
        width = max(len(f.label) for f in findings)
        for f in findings:
            mark = {True: "ok ", False: "!! ", None: "   "}[f.ok]
            print(f"{mark}{f.label.ljust(width)}  {f.value}")
        if problems:
            print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''}: " + "; ".join(p.label for p in problems))
    return 1 if problems else 0


def collect(settings: Settings) -> list[Finding]:
    """Everything doctor reports, in screen order."""
    from .. import __version__

    findings = [
        Finding("python", f"{platform.python_version()} ({sys.executable})"),
        Finding("jekyll-asr", __version__),
        Finding("platform", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"),
    ]
    findings += _torch()
    for dist in ("transformers", "faster-whisper", "ctranslate2", "av", "huggingface-hub"):
        findings.append(Finding(dist, _version(dist) or "not installed", None if dist != "av" else _version(dist) is not None))
    findings.append(_command("ffmpeg (optional)", ["ffmpeg", "-version"], required=False))
    engine = _engine(settings)
    findings.append(engine)
    findings += _model(settings, engine)
    findings.append(_offline())
    findings.append(_speakers(settings))
    findings.append(Finding("cache", str(settings.cache_path)))
    from ..models import models_home

    findings.append(Finding("models home", str(models_home())))
    findings.append(_command("jekyll", ["jekyll", "--version"], required=False))
    return findings


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _torch() -> list[Finding]:
    if _version("torch") is None:
        return [Finding("torch", "not installed (the transformers engine needs it)", False)]
    try:
        import torch
    except ImportError as exc:  # installed but broken (missing shared library, wrong CUDA build)
        return [Finding("torch", f"{_version('torch')}, cannot import: {exc}", False)]
    out = [Finding("torch", torch.__version__)]
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        out.append(Finding("CUDA", f"available, CUDA {torch.version.cuda}: {', '.join(names)}", True))
    else:
        built = f"torch built with CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only torch build"
        out.append(Finding("CUDA", f"not available ({built}); transcribing on the CPU"))
    return out


def _engine(settings: Settings) -> Finding:
    try:
        from ..engines import resolve_engine

        engine, device = resolve_engine(settings.engine, settings.device)
    except Exception as exc:  # doctor reports whatever is broken instead of crashing
        return Finding("engine", f"cannot pick one: {exc}", False)
    via = " (auto)" if settings.engine == "auto" else ""
    if engine == "faster-whisper" and device == "cpu":
        from ..engines.torch_encoder import amx_bf16

        via += "; encoder: PyTorch bfloat16 (CPU has AMX)" if amx_bf16() else "; encoder: CTranslate2 int8"
    return Finding("engine", f"{engine} on {device}{via}", True)


def _model(settings: Settings, engine: Finding) -> list[Finding]:
    """Whether the configured model can be loaded without the network."""
    from ..errors import JekyllAsrError
    from ..models import BUNDLED, model_identity

    name = settings.model
    label = f"model {name}"
    try:
        identity = model_identity(name, revision=settings.model_revision)
    except JekyllAsrError as exc:
        return [Finding(label, str(exc), False)]
    if name in BUNDLED:
        return [Finding(label, f"bundled, installed ({identity})", True)]
    if os.path.isdir(os.path.expanduser(name)):
        return [Finding(label, f"local directory ({identity})", True)]
    engine_name = engine.value.split(" ", 1)[0] if engine.ok else "transformers"
    saved = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"  # look in the local cache only; never download from doctor
    try:
        from .. import models

        resolve = models.ctranslate2_model if engine_name == "faster-whisper" else models.transformers_checkpoint
        path = resolve(name, revision=settings.model_revision)
        return [Finding(label, f"in the local cache for {engine_name}: {path}", True)]
    except JekyllAsrError:
        return [Finding(label, f"not in the local Hugging Face cache for {engine_name}: the first build downloads it "
                               "(or use a bundled model: tiny.en, base)", None)]
    finally:
        if saved is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved


def hub_reachable(timeout: float = CONNECT_TIMEOUT) -> bool:
    """A TCP connect to huggingface.co:443 within ``timeout`` seconds, DNS lookup included.

    The socket timeout does not cover name resolution, which can hang far
    longer on a machine without network; a daemon thread bounds the whole try.
    """
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection(HUB_HOST, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=attempt, name="jekyll-asr-doctor-net", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def _offline() -> Finding:
    flags = [v for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE") if os.environ.get(v, "").upper() in ("1", "ON", "YES", "TRUE")]
    if flags:
        return Finding("network", f"offline ({', '.join(flags)} set): only bundled, local and cached models")
    if hub_reachable():
        return Finding("network", "huggingface.co reachable: hub models download on first use")
    return Finding("network", "huggingface.co not reachable: only bundled, local and cached models")


def _command(label: str, argv: list[str], *, required: bool) -> Finding:
    path = shutil.which(argv[0])
    if path is None:
        return Finding(label, "not on PATH", False if required else None)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
        first = (done.stdout or done.stderr).strip().splitlines()
        version = first[0] if first else f"exit {done.returncode}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        version = f"did not answer ({exc})"
    return Finding(label, f"{version} ({path})", True if required else None)


def _speakers(settings: Settings) -> Finding:
    """Whether who-spoke-when can run: the diarizer's weights (resemblyzer's ship in its wheel)."""
    if settings.speakers == "off":
        return Finding("speakers", "off (asr.speakers)")
    if settings.diarizer != "resemblyzer":
        found = _version("pyannote.audio")
        token = "HF_TOKEN set" if os.environ.get("HF_TOKEN") else "HF_TOKEN not set"
        return Finding("speakers", f"pyannote.audio {found or 'not installed'}, {token}", found is not None and "not" not in token)
    from ..errors import SpeakerError
    from ..speakers.embedding import weights_path

    try:
        return Finding("speakers", f"{settings.speakers}, resemblyzer {_version('resemblyzer')} weights at {weights_path()}", True)
    except SpeakerError as exc:
        return Finding("speakers", str(exc), False)
