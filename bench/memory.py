"""Peak memory of transcribing a 1-hour file, against plain faster-whisper and the waveform.

A 1-hour mp3 is made by looping episode-12.mp3 (PyAV encodes it; cached under
bench/results/cache/). Three fresh processes read it: one only decodes it to
float32 16 kHz (the waveform alone is 3600 s x 16000 x 4 B = 230 MB), one
transcribes it with jekyll-asr's default engine, one with plain faster-whisper
(``WhisperModel(...).transcribe(path, beam_size=5)``, the same tiny.en weights);
each reports its peak RSS.

As a script it is the worker: ``python bench/memory.py decode|transcribe|plain FILE --out JSON``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIXTURES, RESULTS, cpu_seconds, peak_rss_mib, run_worker, write_json

SOURCE = FIXTURES / "episode-12.mp3"
SAMPLE_RATE = 16000
MODEL = "tiny.en"


def make_long_mp3(seconds: float = 3600.0) -> Path:
    """An mp3 of ``seconds`` made by looping SOURCE; built once and kept."""
    out = RESULTS / "cache" / f"episode-12-looped-{int(seconds)}s.mp3"
    if out.is_file():
        return out
    import av
    import numpy as np

    from jekyll_asr.audio import decode

    clip = (np.clip(decode(SOURCE), -1.0, 1.0) * 32767).astype(np.int16)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.mp3")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libmp3lame", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = 48000
        remaining = int(seconds * SAMPLE_RATE)
        pts = 0
        while remaining > 0:
            for start in range(0, min(len(clip), remaining), SAMPLE_RATE):
                chunk = clip[start : min(start + SAMPLE_RATE, len(clip), start + remaining)]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
                frame.sample_rate, frame.pts = SAMPLE_RATE, pts
                pts += len(chunk)
                container.mux(stream.encode(frame))
            remaining -= min(len(clip), remaining)
        container.mux(stream.encode(None))
    tmp.replace(out)
    return out


# --- workers ---------------------------------------------------------------------


def decode_only(path: Path) -> dict[str, Any]:
    from jekyll_asr.audio import decode

    before = peak_rss_mib()
    started = time.perf_counter()
    samples = decode(path)
    return {
        "audio_s": len(samples) / SAMPLE_RATE,
        "waveform_mib": samples.nbytes / 2**20,
        "rss_before_mib": before,
        "peak_rss_mib": peak_rss_mib(),
        "wall_s": time.perf_counter() - started,
    }


def transcribe(path: Path) -> dict[str, Any]:
    """``jekyll-asr transcribe FILE --model tiny.en`` as a library call, defaults otherwise."""
    import tempfile

    from jekyll_asr.config import load_settings
    from jekyll_asr.transcribe import transcribe_file

    with tempfile.TemporaryDirectory() as empty:
        settings = load_settings(empty, {"model": MODEL})
    cpu, started = cpu_seconds(), time.perf_counter()
    transcript = transcribe_file(path, settings)
    wall = time.perf_counter() - started
    return {
        "audio_s": transcript.duration,
        "engine": transcript.engine,
        "segments": len(transcript.segments),
        "words": sum(len(s.text.split()) for s in transcript.segments),
        "wall_s": wall,
        "cpu_s": cpu_seconds() - cpu,
        "rtf": transcript.duration / wall,
        "peak_rss_mib": peak_rss_mib(),
    }


def plain(path: Path) -> dict[str, Any]:
    """Plain faster-whisper on the same file and weights: it decodes the whole file first."""
    from faster_whisper import WhisperModel

    from jekyll_asr.models import ctranslate2_model

    model = WhisperModel(ctranslate2_model(MODEL), device="cpu", compute_type="int8")
    cpu, started = cpu_seconds(), time.perf_counter()
    segments, info = model.transcribe(str(path), beam_size=5)
    words = sum(len(s.text.split()) for s in segments)
    wall = time.perf_counter() - started
    return {
        "audio_s": info.duration,
        "words": words,
        "wall_s": wall,
        "cpu_s": cpu_seconds() - cpu,
        "rtf": info.duration / wall,
        "peak_rss_mib": peak_rss_mib(),
    }


WORKERS = {"decode": decode_only, "transcribe": transcribe, "plain": plain}


def measure_file(seconds: float, workers: tuple[str, ...], *, timeout: float) -> dict[str, Any]:
    """Each worker in its own fresh process on a looped file of ``seconds``."""
    started = time.perf_counter()
    path = make_long_mp3(seconds)
    made_s = time.perf_counter() - started
    result: dict[str, Any] = {"file": path.name, "size_mb": path.stat().st_size / 1e6, "made_s": made_s}
    for what in workers:
        print(f"  memory: {what} {path.name} ...", file=sys.stderr, flush=True)
        done = run_worker([str(Path(__file__).resolve()), what, str(path)], timeout=timeout)
        result[what] = done.data if done.ok else {"error": done.error}
    return result


def measure(*, seconds: float = 3600.0, longer_seconds: float = 10800.0, timeout: float = 1800) -> dict[str, Any]:
    """The 1-hour file with all three workers; then, to show the peak does not grow with
    length, a 3-hour file with jekyll-asr and decode-only (plain faster-whisper already
    needs several GiB at 1 hour, and would take most of the run at 3)."""
    result = measure_file(seconds, tuple(WORKERS), timeout=timeout)
    if longer_seconds > seconds:
        result["longer"] = measure_file(longer_seconds, ("decode", "transcribe"), timeout=timeout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=tuple(WORKERS))
    parser.add_argument("file", type=Path)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    write_json(args.out, WORKERS[args.what](args.file))


if __name__ == "__main__":
    main()
