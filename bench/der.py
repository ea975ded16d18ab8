"""Diarization error rate per file: the offline diarizer beside a plain baseline, in one run.

    .venv/bin/python bench/der.py            # sample.wav + the ten AMI excerpts (about 2 min on 2 cores)

For each file: the baseline (one speaker over the speech Silero detects: what
a transcript without speakers says), the diarizer with the speaker count found
from the audio, and with the true count given (what names in front matter give).
DER with a 0.25 s collar, overlap scored, best one-to-one speaker mapping; the
AMI excerpts are scored over train.uem (their first 30 s). Reads the shared
test audio (../shared/audio/speakers): the bench may, the package and its tests
never do. Prints one markdown table under the machine line and writes it to
bench/results/der.md (+ der.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, ROOT, machine, machine_line

SHARED_SPEAKERS = ROOT.parent / "shared" / "audio" / "speakers"


def _files(folder: Path) -> list[tuple[str, Path]]:
    return [("sample", folder / "sample.wav")] + [(f"trn{i:02d}", folder / f"trn{i:02d}.wav") for i in range(10)]


def measure_file(name: str, path: Path, reference: list[Any], uem: list[Any] | None) -> dict[str, Any]:
    """The three DERs of one file, and what the diarizer found."""
    from jekyll_asr.audio import decode
    from jekyll_asr.speakers.der import der
    from jekyll_asr.speakers.diarize import diarize
    from jekyll_asr.transcript import Turn
    from jekyll_asr.vad import speech_spans

    audio = decode(path)
    spans = speech_spans(audio)
    speakers = len({t.speaker for t in reference})
    started = time.perf_counter()
    found = diarize(audio, spans=spans)
    found_s = time.perf_counter() - started
    given = diarize(audio, spans=spans, count=speakers)
    scores = {
        "baseline": der(reference, [Turn(s.start, s.end, "1") for s in spans], uem=uem),
        "auto": der(reference, found, uem=uem),
        "given": der(reference, given, uem=uem),
    }
    return {
        "file": name,
        "audio_s": round(audio.size / 16000, 1),
        "speech_s": round(sum(s.duration for s in spans), 1),
        "speakers": speakers,
        "found": len({t.speaker for t in found}),
        "auto_s": round(found_s, 2),
        **{key: {"der": s.der, "missed": s.missed, "false_alarm": s.false_alarm, "confusion": s.confusion, "total": s.total} for key, s in scores.items()},
    }


def _pooled(rows: list[dict[str, Any]], key: str) -> float:
    errors = sum(r[key]["missed"] + r[key]["false_alarm"] + r[key]["confusion"] for r in rows)
    total = sum(r[key]["total"] for r in rows)
    return errors / total if total else 0.0


def table(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        machine_line(info),
        "",
        "| File | Speakers (ref) | Found (auto) | Speech found | DER baseline (one speaker) | DER auto count | DER given count | Auto time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ders = " | ".join(f"{r[key]['der']:.3f}" for key in ("baseline", "auto", "given"))
        lines.append(f"| {r['file']} | {r['speakers']} | {r['found']} | {r['speech_s']:.1f} s | {ders} | {r['auto_s']:.1f} s |")
    trn = [r for r in rows if r["file"].startswith("trn")]
    if trn:
        pooled = " | ".join(f"{_pooled(trn, k):.3f}" for k in ("baseline", "auto", "given"))
        lines.append(f"| AMI excerpts, pooled | | | {sum(r['speech_s'] for r in trn):.1f} s | {pooled} | |")
    lines.append("")
    lines.append("DER: (missed + false alarm + confusion) / reference speech, collar 0.25 s, overlap scored, best one-to-one mapping; AMI over train.uem.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=SHARED_SPEAKERS, help="folder with sample.wav, trn00-09.wav, the RTTMs and train.uem")
    args = parser.parse_args(argv)
    from jekyll_asr.speakers.rttm import read_rttm, read_uem

    folder: Path = args.audio
    if not (folder / "sample.wav").is_file():
        print(f"no speaker audio in {folder}", file=sys.stderr)
        return 1
    references = read_rttm((folder / "sample.rttm").read_text()) | read_rttm((folder / "train.rttm").read_text())
    uems = read_uem((folder / "train.uem").read_text())
    info = machine()
    from jekyll_asr.speakers.embedding import load_encoder

    load_encoder()  # loaded once, before any file is timed
    rows = []
    for name, path in _files(folder):
        if path.is_file():
            rows.append(measure_file(name, path, references.get(name, []), uems.get(name)))
            print(f"{name}: auto {rows[-1]['auto']['der']:.3f}", file=sys.stderr, flush=True)
    import os

    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = table(rows, info)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "der.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "der.json").write_text(json.dumps({"machine": info, "files": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
