"""The one markdown table of a run: every row measured in the same run, same files.

Ratio is always "how many times as good as the baseline" (>= 1.0: jekyll-asr is
at least as fast, or as lean): for times and memory it is baseline / ours, for
speeds ours / baseline.
"""

from __future__ import annotations

from typing import Any

HEAD = (
    "| # | Measure | Input | jekyll-asr | Baseline | Ratio (>= 1: at least as fast / as lean) | WER jekyll-asr / baseline | Notes |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
)
OURS = {"jekyll-asr:auto": "`jekyll-asr transcribe` (auto = faster-whisper)", "jekyll-asr:transformers": "`jekyll-asr transcribe --engine transformers`"}
BASELINES = {"plain:faster-whisper": "plain faster-whisper", "plain:pipeline": "plain transformers pipeline"}


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _group_input(name: str, group: dict[str, Any]) -> str:
    files = len(group["files"])
    label = {"short": "short clips, one file per call", "short-one-call": "short clips, all in one call"}.get(name, "episode-40.mp3")
    return f"{label} ({files} file{'s' if files != 1 else ''}, {group['audio_s']:.0f} s)"


def speed_rows(speed: dict[str, Any]) -> list[str]:
    rows = []
    systems = speed["systems"]
    names = list(speed["groups"])
    if any("short-one-call" in s.get("groups", {}) for s in systems.values()):
        names.insert(names.index("short") + 1, "short-one-call")
    for name in names:
        for ours_key, ours_label in OURS.items():
            ours = systems.get(ours_key, {})
            if name not in ours.get("groups", {name: None}):
                continue
            for base_key, base_label in BASELINES.items():
                base = systems.get(base_key, {})
                measure = f"Real-time factor (audio s / wall s): {ours_label} vs {base_label}"
                if "error" in ours or "error" in base:
                    which = ours if "error" in ours else base
                    rows.append(_row("1", measure, name, "—", "—", "—", "—", f"not measured: {which['error'][:160]}"))
                    continue
                # one call is ours alone: the baselines' per-file loop is what it is measured against
                o, b = ours["groups"][name], base["groups"][name.replace("-one-call", "")]
                notes = [f"CPU s per audio s: {o['cpu_s'] / o['audio_s']:.2f} / {b['cpu_s'] / b['audio_s']:.2f}"]
                names = {f["file"] for f in b["files"]}
                notes += [n for n in base.get("notes", []) if n.split(":", 1)[0] in names]
                for who, g in (("jekyll-asr", o), ("baseline", b)):
                    if g.get("reference_words") and g["words"] > 1.3 * g["reference_words"]:
                        notes.append(f"{who} wrote {g['words']:,} words for {g['reference_words']:,} spoken (invented text)")
                rows.append(_row(
                    "1", measure, f"{_group_input(name, o)}, {speed.get('model', 'tiny.en')}",
                    f"{o['rtf']:.1f}×", f"{b['rtf']:.1f}×", f"{o['rtf'] / b['rtf']:.2f}",
                    f"{o['wer']:.3f} / {b['wer']:.3f}", "; ".join(notes),
                ))
    return rows


def noop_row(noop: dict[str, Any]) -> str:
    measure = "No-op rebuild (`jekyll-asr build`, fresh process, median) vs `git status` on the same tree"
    if "error" in noop:
        return _row("2", measure, "—", "—", "—", "—", "—", noop["error"][:200])
    heavy = [m for m in noop["heavy_imports"] if m in ("torch", "transformers", "ctranslate2", "faster_whisper", "onnxruntime", "av")]
    light = [m for m in noop["heavy_imports"] if m not in heavy]
    notes = [
        f"{len(noop['noop_runs_s'])} runs; heavy imports: {', '.join(heavy) or 'none (no torch)'}"
        + (f" (loads {', '.join(light)})" if light else ""),
        f"files changed: {len(noop['changed_after_noop'])}",
        f"Python start-up alone {noop['python_startup_s']:.3f} s",
        f"first build {noop['first_build_s']:.1f} s ({noop['first_build'].get('transcribed', '?')} transcribed)",
    ]
    return _row(
        "2", measure, f"{noop['files']:,} audio files, {noop['posts']} posts",
        f"{noop['noop_s']:.2f} s", f"{noop['git_status_s']:.3f} s", f"{noop['git_status_s'] / noop['noop_s']:.3f}", "—",
        "; ".join(notes),
    )


def remote_row(r: dict[str, Any]) -> str:
    measure = "No-op rebuild of a site linking audio by URL (fresh process, median) vs `git status`"
    if "error" in r:
        return _row("2b", measure, "—", "—", "—", "—", "—", r["error"][:200])
    notes = (
        f"{len(r['noop_runs_s'])} runs; HTTP requests in the no-op builds: {r['noop_requests']}; "
        f"first build {r['first_build_s']:.1f} s ({r['first_requests']:,} downloads from a local server, "
        f"{r['transcribed']} transcribed: {r['distinct']} distinct clips)"
    )
    return _row(
        "2b", measure, f"{r['posts']:,} posts, each `enclosure: {{url: …}}`",
        f"{r['noop_s']:.2f} s", f"{r['git_status_s']:.3f} s", f"{r['git_status_s'] / r['noop_s']:.3f}", "—", notes,
    )


def hashing_row(h: dict[str, Any]) -> str:
    return _row(
        "3", "First-time hashing (`statindex.hash_file`, SHA-256) vs `cat files > /dev/null`, page cache warm",
        f"{h['files']} files, {h['size_mb']:.0f} MB",
        f"{h['hash_mb_s']:,.0f} MB/s", f"{h['cat_mb_s']:,.0f} MB/s", f"{h['hash_mb_s'] / h['cat_mb_s']:.2f}", "—",
        f"median of {h['repeats']}; coreutils `sha256sum` on the same files: {h['sha256sum_mb_s']:,.0f} MB/s",
    )


def memory_row(m: dict[str, Any]) -> str:
    measure = "Peak RSS: `jekyll-asr transcribe` of a long mp3 (default engine, tiny.en) vs plain faster-whisper"
    t, p, d = m.get("transcribe", {}), m.get("plain", {}), m.get("decode", {})
    if "error" in t or "error" in d:
        return _row("4", measure, m.get("file", "—"), "—", "—", "—", "—", (t.get("error") or d.get("error", ""))[:200])
    notes = (
        f"decoding the file alone peaks at {d['peak_rss_mib']:,.0f} MiB (float32 waveform {d['waveform_mib']:.0f} MiB); "
        f"jekyll-asr ran at {t['rtf']:.1f}× real time ({t['wall_s'] / 60:.1f} min, model load included), {t['words']:,} words"
    )
    if "error" in p or not p:
        baseline, ratio = "—", "—"
        notes += f"; plain faster-whisper: {p.get('error', 'not run')[:120]}"
    else:
        baseline, ratio = f"{p['peak_rss_mib']:,.0f} MiB", f"{p['peak_rss_mib'] / t['peak_rss_mib']:.2f}"
        notes += f"; plain faster-whisper at {p['rtf']:.1f}×, {p['words']:,} words"
    return _row(
        "4", measure, f"{t['audio_s'] / 60:.0f} min mp3, {m['size_mb']:.0f} MB",
        f"{t['peak_rss_mib']:,.0f} MiB", baseline, ratio, "—", notes,
    )


def longer_memory_row(m: dict[str, Any], shorter: dict[str, Any]) -> str:
    """The 3-hour file: jekyll-asr against a process that only decodes it whole."""
    measure = "Peak RSS: `jekyll-asr transcribe` of a 3× longer mp3 vs decoding that file alone"
    t, d = m.get("transcribe", {}), m.get("decode", {})
    if "error" in t or "error" in d:
        return _row("4", measure, m.get("file", "—"), "—", "—", "—", "—", (t.get("error") or d.get("error", ""))[:200])
    notes = f"float32 waveform {d['waveform_mib']:.0f} MiB; jekyll-asr ran at {t['rtf']:.1f}× real time, {t['words']:,} words"
    if "peak_rss_mib" in shorter:
        notes += (
            f"; its peak on the {shorter['audio_s'] / 60:.0f} min file: {shorter['peak_rss_mib']:,.0f} MiB"
            f" (×{t['peak_rss_mib'] / shorter['peak_rss_mib']:.2f} for ×{t['audio_s'] / shorter['audio_s']:.0f} the audio)"
        )
    return _row(
        "4", measure, f"{t['audio_s'] / 60:.0f} min mp3, {m['size_mb']:.0f} MB",
        f"{t['peak_rss_mib']:,.0f} MiB", f"{d['peak_rss_mib']:,.0f} MiB", f"{d['peak_rss_mib'] / t['peak_rss_mib']:.2f}", "—", notes,
    )


def render(results: dict[str, Any], machine_line: str) -> str:
    lines = [machine_line, "", *HEAD]
    if "speed" in results:
        lines += speed_rows(results["speed"])
    if "noop" in results:
        lines.append(noop_row(results["noop"]))
    if "remote" in results:
        lines.append(remote_row(results["remote"]))
    if "hashing" in results:
        lines.append(hashing_row(results["hashing"]))
    if "memory" in results:
        lines.append(memory_row(results["memory"]))
        if "longer" in results["memory"]:
            lines.append(longer_memory_row(results["memory"]["longer"], results["memory"].get("transcribe", {})))
    skipped = results.get("skipped", [])
    if skipped:
        lines += ["", "Not measured in this run: " + "; ".join(skipped) + "."]
    return "\n".join(lines)
