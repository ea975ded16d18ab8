"""jekyll-asr benchmark: ``python bench/run.py`` (or ``make bench``).

Prints one markdown table, every row measured side by side in this run on the
same files, and writes it to bench/results/latest.md with the raw numbers in
bench/results/latest.json. Nothing here is a pass/fail test. See bench/README.md.

  --quick   skip the 1-hour memory row and the long file; fewer repeats (about 5 min)
  --gpu     only the GPU batch-size table (random-init large-v3-turbo, float16, CUDA)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
import table

SECTIONS = ("speed", "noop", "remote", "hashing", "memory")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 1-hour file and the long episode; 3 repeats")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section (repeatable)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats of the no-op build and git status (default 5, quick 3)")
    parser.add_argument("--files", type=int, default=1000, help="audio files in the no-op site (default 1000)")
    parser.add_argument("--hour-seconds", type=float, default=3600.0, help="length of the long memory file (default 3600)")
    parser.add_argument("--model", default="tiny.en", help="bundled model of the speed rows: tiny.en (default) or base")
    parser.add_argument("--longer-seconds", type=float, default=10800.0,
                        help="length of the second memory file, jekyll-asr only (default 10800 = 3 h; 0 skips it)")
    parser.add_argument("--gpu", action="store_true", help="only the GPU batch-size benchmark (needs CUDA)")
    parser.add_argument("--gpu-smoke", action="store_true", help="the GPU benchmark's code on CPU with tiny dims")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only print the table of a saved latest.json")
    parser.add_argument("--out", type=Path, default=common.RESULTS,
                        help="folder for latest.md/.json (latest-quick.* with --quick, partial.* with --only)")
    return parser.parse_args(argv)


def run_gpu(args: argparse.Namespace, info: dict) -> int:
    import gpu

    result = gpu.measure(smoke=args.gpu_smoke)
    text = common.machine_line(info) + "\n\n" + gpu.table(result)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu.md").write_text(text + "\n", encoding="utf-8")
    common.write_json(args.out / "gpu.json", {"machine": info, "gpu": result})
    return 0 if "error" not in result else 1


def stem(args: argparse.Namespace) -> str:
    """latest.* for a full run; a quick or partial run never overwrites it."""
    return "partial" if args.only else ("latest-quick" if args.quick else "latest")


def run_cpu(args: argparse.Namespace, info: dict) -> dict:
    wanted = set(args.only or SECTIONS)
    repeats = args.repeats or (3 if args.quick else 5)
    results: dict = {"skipped": []}
    timings: dict[str, float] = {}

    def stage(name: str, fn) -> None:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        results[name] = fn()
        timings[name] = round(time.perf_counter() - started, 1)

    if "speed" in wanted:
        import speed

        stage("speed", lambda: speed.measure(with_long=not args.quick, model=args.model))
        results["skipped"] += results["speed"]["notes"]
        if args.quick:
            results["skipped"].append("the long episode (--quick)")
    with tempfile.TemporaryDirectory(prefix="jekyll-asr-bench-") as tmp:
        if "noop" in wanted:
            import noop

            profile = args.out / f"{stem(args)}-noop-profile.txt"
            stage("noop", lambda: noop.measure(Path(tmp) / "noop", repeats=repeats, files=args.files, profile_to=profile))
        if "remote" in wanted:
            import remote

            stage("remote", lambda: remote.measure(Path(tmp) / "remote", repeats=repeats, posts=args.files))
        if "hashing" in wanted:
            import hashing

            stage("hashing", lambda: hashing.measure(Path(tmp) / "hashing", repeats=repeats))
    if "memory" in wanted and args.quick:
        results["skipped"].append("peak RSS of a 1-hour file (--quick)")
    elif "memory" in wanted:
        import memory

        stage("memory", lambda: memory.measure(seconds=args.hour_seconds, longer_seconds=args.longer_seconds))
    results["stage_seconds"] = timings
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        print(table.render(saved["results"], common.machine_line(saved["machine"])))
        return 0
    # The bench measures the tool as users run it: their model cache, no network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    info = common.machine()
    if args.gpu or args.gpu_smoke:
        return run_gpu(args, info)
    started = time.perf_counter()
    results = run_cpu(args, info)
    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    info["total_s"] = round(time.perf_counter() - started, 1)
    text = table.render(results, common.machine_line(info))
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    name = stem(args)
    (args.out / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    common.write_json(args.out / f"{name}.json", {"machine": info, "quick": args.quick, "only": args.only, "results": results})
    print(f"\n(written to {args.out / name}.md and .json; {info['total_s'] / 60:.1f} min)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
