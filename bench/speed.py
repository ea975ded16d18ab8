"""Real-time factor and WER: jekyll-asr's library call against plain baselines.

As a script it is the worker: ``python bench/speed.py SYSTEM --group NAME FILE...``
loads one system's model once, runs one untimed warm-up, then transcribes every
file of every group and writes texts, wall and CPU seconds to ``--out``.

Systems (all the same Whisper tiny.en weights, CPU):
- ``jekyll-asr:auto`` / ``jekyll-asr:transformers``: ``transcribe_file`` with a
  loaded engine, as ``jekyll-asr transcribe`` runs it (decode, VAD, decode options).
- ``plain:pipeline``: ``transformers.pipeline("automatic-speech-recognition")`` on
  the converted checkpoint, called with the file path (needs a system ffmpeg).
- ``plain:faster-whisper``: ``WhisperModel(ct2, compute_type="int8").transcribe(path, beam_size=5)``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIXTURES, SHARED_LONG, cpu_seconds, peak_rss_mib, run_worker, wer, write_json  # noqa: E402

SYSTEMS = ("jekyll-asr:auto", "jekyll-asr:transformers", "plain:pipeline", "plain:faster-whisper")
MODEL = "tiny.en"
WARM_UP = FIXTURES / "welcome.wav"
WELCOME = (
    "Welcome to the show. Today we talk about static sites, audio transcripts, "
    "and why every episode deserves a searchable page."
)  # tests/fixtures/README.md
SHORT = [f"welcome.{ext}" for ext in ("wav", "mp3", "m4a", "ogg", "opus", "flac")] + [
    f"cards-00{i}.wav" for i in range(1, 6)
] + ["goforward.wav", "episode-12.mp3"]


def short_group() -> tuple[list[Path], list[str]]:
    """The short clips of tests/fixtures and their reference texts."""
    cmu = dict(
        line.split("\t", 1) for line in (FIXTURES / "cmu-references.tsv").read_text().splitlines() if "\t" in line
    )
    refs = []
    for name in SHORT:
        if name.startswith("welcome."):
            refs.append(WELCOME)
        elif name == "episode-12.mp3":
            refs.append((FIXTURES / "episode-12.txt").read_text())
        else:
            refs.append(cmu.get(name, cmu.get(name.removesuffix(".wav"), "")).strip())
    return [FIXTURES / n for n in SHORT], refs


def long_group() -> tuple[list[Path], list[str]] | None:
    """episode-40 from ../shared when present (the bench may read it; tests may not)."""
    audio, text = SHARED_LONG / "episode-40.mp3", SHARED_LONG / "episode-40.txt"
    if not (audio.is_file() and text.is_file()):
        return None
    return [audio], [text.read_text()]


# --- worker --------------------------------------------------------------------


def _jekyll_asr(engine: str) -> tuple[Callable[[Path], str], str]:
    import tempfile

    from jekyll_asr.config import load_settings
    from jekyll_asr.engines import load_engine, resolve_engine
    from jekyll_asr.transcribe import transcribe_file

    with tempfile.TemporaryDirectory() as empty:
        settings = load_settings(empty, {"model": MODEL, "engine": engine, "device": "cpu"})
    name, device = resolve_engine(engine, "cpu")
    loaded = load_engine(name, MODEL, device=device)

    def run(path: Path) -> str:
        transcript = transcribe_file(path, settings, engine=loaded)
        return " ".join(s.text for s in transcript.segments)

    return run, f"engine {name}, beam {settings.beam_size}, VAD {'on' if settings.vad else 'off'}"


def _plain_pipeline(notes: list[str]) -> tuple[Callable[[Path], str], str]:
    from transformers import pipeline

    from jekyll_asr.models import transformers_checkpoint

    pipe = pipeline("automatic-speech-recognition", model=transformers_checkpoint(MODEL))
    has_ffmpeg = shutil.which("ffmpeg") is not None

    def run(path: Path) -> str:
        # return_timestamps=True: without it transformers refuses audio over 30 s.
        if has_ffmpeg:
            try:
                return pipe(str(path), return_timestamps=True)["text"]
            except ValueError as exc:  # ffmpeg cannot stream some files (an .m4a with its index at the end)
                notes.append(f"{path.name}: path failed ({str(exc)[:60]}...), fed the decoded array")
        from jekyll_asr.audio import decode

        return pipe({"raw": decode(path), "sampling_rate": 16000}, return_timestamps=True)["text"]

    how = "path in, return_timestamps=True" if has_ffmpeg else "no system ffmpeg: decoded array in"
    return run, f"{how}, dtype {pipe.model.dtype}, default generate settings"


def _plain_faster_whisper() -> tuple[Callable[[Path], str], str]:
    from faster_whisper import WhisperModel

    from jekyll_asr.models import ctranslate2_model

    model = WhisperModel(ctranslate2_model(MODEL), device="cpu", compute_type="int8")

    def run(path: Path) -> str:
        segments, _ = model.transcribe(str(path), beam_size=5)
        return " ".join(s.text.strip() for s in segments)

    return run, "int8, beam 5, defaults otherwise"


def worker(system: str, groups: dict[str, list[Path]]) -> dict[str, Any]:
    from jekyll_asr.audio import decode

    notes: list[str] = []
    started = time.perf_counter()
    if system.startswith("jekyll-asr:"):
        run, how = _jekyll_asr(system.split(":", 1)[1])
    elif system == "plain:pipeline":
        run, how = _plain_pipeline(notes)
    elif system == "plain:faster-whisper":
        run, how = _plain_faster_whisper()
    else:
        raise SystemExit(f"unknown system {system!r}; one of {', '.join(SYSTEMS)}")
    load_s = time.perf_counter() - started
    run(WARM_UP)  # one untimed warm-up
    out: dict[str, Any] = {"system": system, "how": how, "load_s": load_s, "groups": {}}
    for group, files in groups.items():
        rows = []
        for path in files:
            seconds = len(decode(path)) / 16000  # outside the timed part
            cpu, t0 = cpu_seconds(), time.perf_counter()
            text = run(path)
            rows.append({"file": path.name, "audio_s": seconds, "wall_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - cpu, "text": text})
        out["groups"][group] = rows
    out["notes"] = notes
    out["peak_rss_mib"] = peak_rss_mib()
    return out


# --- the section ---------------------------------------------------------------


def measure(*, with_long: bool, timeout: float = 1800) -> dict[str, Any]:
    """Every system over the same groups, each in a fresh process; RTF and WER per group."""
    files, refs = short_group()
    groups: dict[str, tuple[list[Path], list[str]]] = {"short": (files, refs)}
    notes = []
    long = long_group() if with_long else None
    if long is not None:
        groups["long"] = long
    elif with_long:
        notes.append(f"{SHARED_LONG / 'episode-40.mp3'} is absent: long-file rows skipped")
    args: list[str] = []
    for name, (paths, _) in groups.items():
        args += ["--group", name, *map(str, paths)]
    systems: dict[str, Any] = {}
    for system in SYSTEMS:
        print(f"  speed: {system} ...", file=sys.stderr, flush=True)
        result = run_worker([str(Path(__file__).resolve()), system, *args], timeout=timeout)
        if not result.ok:
            systems[system] = {"error": result.error}
            continue
        data = result.data
        for name, rows in data["groups"].items():
            audio = sum(r["audio_s"] for r in rows)
            wall = sum(r["wall_s"] for r in rows)
            data["groups"][name] = {
                "files": rows,
                "audio_s": audio,
                "wall_s": wall,
                "cpu_s": sum(r["cpu_s"] for r in rows),
                "rtf": audio / wall if wall else 0.0,
                "wer": wer(groups[name][1], [r["text"] for r in rows]),
            }
        systems[system] = data
    return {"groups": {k: [p.name for p in v[0]] for k, v in groups.items()}, "systems": systems, "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("--group", nargs="+", action="append", metavar=("NAME", "FILE"), required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    groups = {g[0]: [Path(f) for f in g[1:]] for g in args.group}
    write_json(args.out, worker(args.system, groups))


if __name__ == "__main__":
    main()
