"""Real-time factor and WER: jekyll-asr's library call against plain baselines.

As a script it is a worker: ``python bench/speed.py SYSTEM --serve`` loads one
system's model once, runs one untimed warm-up, then transcribes each file named
on stdin and answers with its text, wall and CPU seconds, one JSON line each.
All four workers are loaded at once and every file goes to each in turn, so the
machine's load (shared, busy) drifts over all systems alike.

Systems (all the same Whisper tiny.en weights, CPU):
- ``jekyll-asr:auto`` / ``jekyll-asr:transformers``: ``transcribe_file`` with a
  loaded engine, as ``jekyll-asr transcribe FILE`` runs it (decode, VAD, decode
  options), one file per call; and, for the short clips, ``transcribe_files`` on
  all of them in one call, as ``jekyll-asr transcribe *.wav`` (or a build) runs
  them: their windows share the model's batches.
- ``plain:pipeline``: ``transformers.pipeline("automatic-speech-recognition")`` on
  the converted checkpoint, called with the file path (needs a system ffmpeg).
- ``plain:faster-whisper``: ``WhisperModel(ct2, compute_type="int8").transcribe(path, beam_size=5)``.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIXTURES, PYTHON, RESULTS, ROOT, SHARED_LONG, cpu_seconds, normalise, peak_rss_mib, wer

SYSTEMS = ("jekyll-asr:auto", "jekyll-asr:transformers", "plain:pipeline", "plain:faster-whisper")
MODEL = "tiny.en"  # default; --model base measures the bundled base model instead
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


def _jekyll_asr(engine: str, model: str) -> tuple[Callable[[Path], str], str]:
    import tempfile

    from jekyll_asr.config import load_settings
    from jekyll_asr.engines import load_engine, resolve_engine
    from jekyll_asr.transcribe import transcribe_file, transcribe_files

    with tempfile.TemporaryDirectory() as empty:
        settings = load_settings(empty, {"model": model, "engine": engine, "device": "cpu"})
    name, device = resolve_engine(engine, "cpu")
    loaded = load_engine(name, model, device=device)

    def run(path: Path) -> str:
        transcript = transcribe_file(path, settings, engine=loaded)
        return " ".join(s.text for s in transcript.segments)

    def run_many(paths: list[Path]) -> list[str]:
        found = [result for _, result in transcribe_files(paths, settings, engine=loaded)]
        return [" ".join(s.text for s in t.segments) for t in found]

    run.many = run_many  # type: ignore[attr-defined]  # `jekyll-asr transcribe FILE...`: files in one call
    return run, f"engine {name}, beam {settings.beam_size}, VAD {'on' if settings.vad else 'off'}"


def _plain_pipeline(notes: list[str], model: str) -> tuple[Callable[[Path], str], str]:
    from transformers import pipeline

    from jekyll_asr.models import transformers_checkpoint

    pipe = pipeline("automatic-speech-recognition", model=transformers_checkpoint(model))
    has_ffmpeg = shutil.which("ffmpeg") is not None

    def run(path: Path) -> str:
        # return_timestamps=True: without it transformers refuses audio over 30 s.
        if has_ffmpeg:
            try:
                return pipe(str(path), return_timestamps=True)["text"]
            except ValueError as exc:  # ffmpeg cannot stream some files (an .m4a with its index at the end)
                notes.append(f"{path.name}: ffmpeg could not read the path ({str(exc)[:40]}...); fed the decoded array")
        from jekyll_asr.audio import decode

        return pipe({"raw": decode(path), "sampling_rate": 16000}, return_timestamps=True)["text"]

    how = "path in, return_timestamps=True" if has_ffmpeg else "no system ffmpeg: decoded array in"
    return run, f"{how}, dtype {pipe.model.dtype}, default generate settings"


def _plain_faster_whisper(model: str) -> tuple[Callable[[Path], str], str]:
    from faster_whisper import WhisperModel

    from jekyll_asr.models import ctranslate2_model

    whisper = WhisperModel(ctranslate2_model(model), device="cpu", compute_type="int8")

    def run(path: Path) -> str:
        segments, _ = whisper.transcribe(str(path), beam_size=5)
        return " ".join(s.text.strip() for s in segments)

    return run, "int8, beam 5, defaults otherwise"


def serve(system: str, model: str = MODEL) -> None:
    """Load once, warm up once, then answer one JSON line per requested file on the real stdout."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the libraries print goes to stderr, never into the replies
    sys.stdout = sys.stderr
    notes: list[str] = []
    started = time.perf_counter()
    try:
        if system.startswith("jekyll-asr:"):
            run, how = _jekyll_asr(system.split(":", 1)[1], model)
        elif system == "plain:pipeline":
            run, how = _plain_pipeline(notes, model)
        else:
            run, how = _plain_faster_whisper(model)
        load_s = time.perf_counter() - started
        run(WARM_UP)  # one untimed warm-up
    except Exception as exc:  # report why this system cannot be measured; the others go on
        reply.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        return
    reply.write(json.dumps({"ready": True, "how": how, "load_s": load_s}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if "files" in request:  # several files in one call, where the system has such a call
            paths = [Path(f) for f in request["files"]]
            many = getattr(run, "many", None) or (lambda ps: [run(p) for p in ps])
            cpu, t0 = cpu_seconds(), time.perf_counter()
            texts = many(paths)
            reply.write(json.dumps({"files": [p.name for p in paths], "wall_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - cpu, "texts": texts}) + "\n")
            continue
        path = Path(request["file"])
        cpu, t0 = cpu_seconds(), time.perf_counter()
        text = run(path)
        reply.write(json.dumps({"file": path.name, "wall_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - cpu, "text": text}) + "\n")
    reply.write(json.dumps({"peak_rss_mib": peak_rss_mib(), "notes": notes}) + "\n")


class Worker:
    """One system in its own process, driven one file at a time."""

    def __init__(self, system: str, log: Path, timeout: float, model: str = MODEL) -> None:
        self.system, self.timeout = system, timeout
        self.log = open(log, "w")  # noqa: SIM115 - the worker's stderr for its whole life; closed in close()
        self.proc = subprocess.Popen([PYTHON, str(Path(__file__).resolve()), system, "--serve", "--model", model], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            return {"error": "timed out" if not ready else f"worker exited ({self.proc.wait()}); see {self.log.name}"}
        return json.loads(line)

    def transcribe(self, path: Path) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps({"file": str(path)}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def transcribe_all(self, paths: list[Path]) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps({"files": [str(p) for p in paths]}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> dict[str, Any]:
        self.proc.stdin.close()
        last = self._read()
        self.proc.wait()
        self.log.close()
        return last


def measure(*, with_long: bool, model: str = MODEL, timeout: float = 900) -> dict[str, Any]:
    """All systems loaded side by side; each file goes to every system in turn (rotating order),
    so a change in the machine's load falls on all of them alike."""
    from jekyll_asr.audio import decode

    files, refs = short_group()
    groups: dict[str, tuple[list[Path], list[str]]] = {"short": (files, refs)}
    notes = []
    long = long_group() if with_long else None
    if long is not None:
        groups["long"] = long
    elif with_long:
        notes.append(f"{SHARED_LONG / 'episode-40.mp3'} is absent: long-file rows skipped")
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    workers = {}
    for system in SYSTEMS:  # loaded one after another: no load time overlaps another
        print(f"  speed: loading {system} ...", file=sys.stderr, flush=True)
        workers[system] = Worker(system, logs / f"speed-{system.replace(':', '-')}.log", timeout, model)
    live = [s for s, w in workers.items() if "error" not in w.info]
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {s: {g: [] for g in groups} for s in live}
    turn = 0
    for name, (paths, _) in groups.items():
        for path in paths:
            seconds = len(decode(path)) / 16000
            print(f"  speed: {path.name} ({seconds:.0f} s)", file=sys.stderr, flush=True)
            for system in live[turn % len(live):] + live[: turn % len(live)]:
                got = workers[system].transcribe(path) if "error" not in workers[system].info else {}
                if "error" in got:
                    workers[system].info = got
                rows[system][name].append(dict(got, audio_s=seconds))
            turn += 1
    together = _short_clips_in_one_call(workers, live, files, rows)
    systems = {system: _system_row(worker, rows.get(system, {}), groups, together.get(system), refs) for system, worker in workers.items()}
    return {"model": model, "groups": {k: [p.name for p in v[0]] for k, v in groups.items()}, "systems": systems, "notes": notes}


def _short_clips_in_one_call(
    workers: dict[str, Worker], live: list[str], files: list[Path], rows: dict[str, dict[str, list[dict[str, Any]]]],
) -> dict[str, dict[str, Any]]:
    """`jekyll-asr transcribe FILE...` on all the short clips at once: the clips' windows share
    batches. The baselines have no such call (their loop is the per-file rows)."""
    together: dict[str, dict[str, Any]] = {}
    short_seconds = sum(r["audio_s"] for r in rows[live[0]]["short"]) if live else 0.0
    for system in live:
        if system.startswith("jekyll-asr:") and "error" not in workers[system].info:
            print(f"  speed: {system}, all short clips in one call", file=sys.stderr, flush=True)
            got = workers[system].transcribe_all(files)
            if "error" in got:
                workers[system].info = got
            else:
                together[system] = dict(got, audio_s=short_seconds)
    return together


def _system_row(
    worker: Worker, rows: dict[str, list[dict[str, Any]]], groups: dict[str, tuple[list[Path], list[str]]],
    together: dict[str, Any] | None, refs: list[str],
) -> dict[str, Any]:
    """One system's results: its info, a summary per group, or the error that stopped it."""
    if "error" in worker.info:
        worker.proc.kill()
        return {"error": worker.info["error"]}
    row = dict(worker.info, **worker.close(), groups={})
    for name, (_, group_refs) in groups.items():
        got = rows[name]
        row["groups"][name] = _summary(
            got, audio=sum(r["audio_s"] for r in got), wall=sum(r["wall_s"] for r in got), cpu=sum(r["cpu_s"] for r in got),
            texts=[r["text"] for r in got], refs=group_refs,
        )
    if together is not None:
        row["groups"]["short-one-call"] = _summary(
            [{"file": f} for f in together["files"]],
            audio=together["audio_s"], wall=together["wall_s"], cpu=together["cpu_s"], texts=together["texts"], refs=refs,
        )
    return row


def _summary(files: list[dict[str, Any]], *, audio: float, wall: float, cpu: float, texts: list[str], refs: list[str]) -> dict[str, Any]:
    """One system's row for one group of files: speed, WER, and words written against spoken."""
    return {
        "files": files,
        "audio_s": audio,
        "wall_s": wall,
        "cpu_s": cpu,
        "rtf": audio / wall if wall else 0.0,
        "wer": wer(refs, texts),
        "words": sum(len(normalise(t).split()) for t in texts),
        "reference_words": sum(len(normalise(r).split()) for r in refs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("--serve", action="store_true", required=True)
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args()
    serve(args.system, args.model)


if __name__ == "__main__":
    main()
