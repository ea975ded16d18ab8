"""Shared helpers of the benchmark: the machine, workers in fresh processes, WER.

Each measurement that loads a model runs in its own fresh Python process, so
one engine's threads, caches and memory never colour another's numbers; the
worker writes one JSON object to a file the parent reads back.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FIXTURES = ROOT / "tests" / "fixtures"
SHARED_LONG = ROOT.parent / "shared" / "audio" / "long"  # read only if present; the bench may, tests may not
RESULTS = BENCH / "results"
PYTHON = sys.executable


@dataclass(frozen=True)
class WorkerResult:
    """What a worker process reported, or why it did not."""

    ok: bool
    data: dict[str, Any]
    error: str = ""
    wall_s: float = 0.0


def run_worker(args: list[str], *, timeout: float, env: dict[str, str] | None = None) -> WorkerResult:
    """Run ``python <args> --out FILE`` in a fresh process and read the JSON it wrote."""
    with tempfile.TemporaryDirectory(prefix="jekyll-asr-bench-") as tmp:
        out = Path(tmp) / "result.json"
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [PYTHON, *args, "--out", str(out)],
                capture_output=True, check=False, text=True, timeout=timeout, cwd=ROOT, env=env,
            )
        except subprocess.TimeoutExpired:
            return WorkerResult(False, {}, f"timed out after {timeout:.0f} s", time.perf_counter() - started)
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return WorkerResult(False, {}, " | ".join(tail) or f"exit {proc.returncode}", wall)
        return WorkerResult(True, json.loads(out.read_text(encoding="utf-8")), "", wall)


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, indent=2), encoding="utf-8")


def peak_rss_mib() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def median_wall(command: list[str], *, repeats: int, cwd: Path | None = None) -> tuple[float, list[float]]:
    """Median wall time of ``command`` run ``repeats`` times, each a fresh process."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


# --- words -------------------------------------------------------------------

_PUNCT = re.compile(r"[^\w\s']|_")


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(number: str) -> str:
    n = int(number)
    if n < len(_ONES):
        return _ONES[n]
    if n < 10 * len(_TENS):
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    return number


def normalise(text: str) -> str:
    """Lowercase, punctuation stripped, numbers under 100 spelled out ("40" = "forty")."""
    text = _PUNCT.sub(" ", text.lower().replace("\u2019", "'"))
    text = re.sub(r"\b\d{1,2}\b", lambda m: _spell(m.group(0)), text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER of a group of files (word errors over all reference words)."""
    import jiwer

    pairs = [(normalise(r), normalise(h)) for r, h in zip(references, hypotheses, strict=True) if normalise(r)]
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))


# --- the machine -------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def machine() -> dict[str, Any]:
    """What the numbers were measured on; versions from package metadata (no heavy imports)."""
    return {
        "cpu": _cpu_model(),
        "cores": cores(),
        "ram_gib": round(_ram_gib(), 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": {d: _version(d) for d in ("jekyll-asr", "torch", "transformers", "ctranslate2", "faster-whisper", "av")},
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(info: dict[str, Any]) -> str:
    v = info["versions"]
    load = info.get("load_avg_start", [0, 0, 0])
    end = info.get("load_avg_end")
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']:.0f} GiB RAM, {info['os']}; "
        f"Python {info['python']}, jekyll-asr {v['jekyll-asr']}, torch {v['torch']}, transformers {v['transformers']}, "
        f"ctranslate2 {v['ctranslate2']}, faster-whisper {v['faster-whisper']}, PyAV {v['av']}; "
        f"load average {load[0]:.1f} at start" + (f", {end[0]:.1f} at end" if end else "")
    )
