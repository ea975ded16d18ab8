"""No-op rebuild of a 1,000-file site against ``git status`` on the same tree.

The site holds one small clip under 1,000 names (so the first build transcribes
once: the cache is keyed by content) and one post per 10 files. After the first
build the tree is committed to git; then each timed build and each ``git status``
runs as a fresh process, and the median is reported. The same no-op build is
also profiled (cProfile) and checked for heavy imports.
"""

from __future__ import annotations

import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FIXTURES, PYTHON, RESULTS, median_wall

CLIP = FIXTURES / "welcome.opus"
HEAVY = ("torch", "transformers", "ctranslate2", "faster_whisper", "onnxruntime", "av", "numpy", "jinja2", "mutagen")
CONFIG = "title: Bench site\nasr:\n  model: tiny.en\n  language: en\n"
_CHECK_IMPORTS = """
import json, sys
from jekyll_asr.cli import main
code = main(["build", sys.argv[1], "-q"])
print(json.dumps({"code": code, "heavy": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def make_site(root: Path, *, files: int = 1000, per_post: int = 10) -> Path:
    """``files`` copies of one clip under assets/audio, a post for every ``per_post`` of them."""
    audio = root / "assets" / "audio"
    posts = root / "_posts"
    audio.mkdir(parents=True)
    posts.mkdir()
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (root / ".gitignore").write_text(".jekyll-asr/local/\n_site/\n", encoding="utf-8")
    names = [f"episode-{i:04d}{CLIP.suffix}" for i in range(files)]
    for name in names:
        shutil.copyfile(CLIP, audio / name)
    for p in range(0, files, per_post):
        first, rest = names[p], names[p + 1 : p + per_post]
        links = "\n".join(f"- [part {j}](/assets/audio/{n})" for j, n in enumerate(rest, start=2))
        day = 1 + (p // per_post) % 28
        text = f"---\ntitle: Episode {p // per_post}\naudio: /assets/audio/{first}\n---\nParts:\n\n{links}\n"
        (posts / f"2026-01-{day:02d}-episode-{p // per_post:03d}.md").write_text(text, encoding="utf-8")
    return root


def _build(site: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "jekyll_asr", "build", str(site), *extra], capture_output=True, check=False, text=True)


def _git(site: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    return subprocess.run(["git", *args], cwd=site, check=True, capture_output=True, text=True, env=env).stdout


def profile_top(site: Path, *, limit: int = 15) -> tuple[list[dict[str, Any]], str]:
    """cProfile of one no-op build: the top functions by own time, and the cumulative listing."""
    out = site.parent / "noop.prof"
    subprocess.run([PYTHON, "-m", "cProfile", "-o", str(out), "-m", "jekyll_asr", "build", str(site), "-q"],
                   check=True, capture_output=True)
    stats = pstats.Stats(str(out))
    top = []
    for (file, line, func), (_, calls, own, cum, _) in sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:limit]:
        where = f"{Path(file).name}:{line}" if line else file
        top.append({"function": f"{where}({func})", "calls": calls, "own_s": round(own, 4), "cum_s": round(cum, 4)})
    text = io.StringIO()
    pstats.Stats(str(out), stream=text).sort_stats("cumulative").print_stats(30)
    return top, text.getvalue()


def measure(workdir: Path, *, repeats: int = 5, files: int = 1000, profile_to: Path = RESULTS / "noop-profile.txt") -> dict[str, Any]:
    site = make_site(workdir / "site", files=files)
    started = time.perf_counter()
    first = _build(site, "--json")
    first_s = time.perf_counter() - started
    if first.returncode != 0:
        return {"error": f"first build failed ({first.returncode}): {(first.stderr or first.stdout).strip()[-300:]}"}
    report = json.loads(first.stdout)
    _git(site, "init", "-q")
    _git(site, "add", "-A")
    _git(site, "commit", "-q", "-m", "site after the first build")
    second = _build(site, "--json")  # not timed: proves the rebuild has nothing to do
    again = json.loads(second.stdout) if second.returncode == 0 else {}
    build_s, build_all = median_wall([PYTHON, "-m", "jekyll_asr", "build", str(site), "-q"], repeats=repeats)
    _git(site, "status")  # warm git's index once, as a user's repository is
    git_s, git_all = median_wall(["git", "status"], repeats=repeats, cwd=site)
    python_s, _ = median_wall([PYTHON, "-c", "pass"], repeats=repeats)
    dirty = _git(site, "status", "--porcelain").strip().splitlines()
    imports = subprocess.run([PYTHON, "-c", _CHECK_IMPORTS, str(site), *HEAVY], capture_output=True, check=False, text=True)
    heavy = json.loads(imports.stdout.strip().splitlines()[-1])["heavy"] if imports.returncode == 0 else ["(check failed)"]
    top, listing = profile_top(site)
    profile_to.parent.mkdir(parents=True, exist_ok=True)
    profile_to.write_text(listing, encoding="utf-8")
    return {
        "files": files,
        "posts": len(list((site / "_posts").iterdir())),
        "first_build_s": first_s,
        "first_build": {k: (len(v) if isinstance(v, list) else v) for k, v in report.items()},
        "second_build": {k: (len(v) if isinstance(v, list) else v) for k, v in again.items()},
        "noop_s": build_s,
        "noop_runs_s": build_all,
        "git_status_s": git_s,
        "git_status_runs_s": git_all,
        "python_startup_s": python_s,
        "changed_after_noop": dirty,
        "heavy_imports": heavy,
        "profile_top": top,
        "profile_listing": str(profile_to),
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jekyll-asr-bench-") as tmp:
        print(json.dumps(measure(Path(tmp), repeats=3, files=int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
