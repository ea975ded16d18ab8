"""No-op rebuild of a site whose 1,000 posts link audio by URL, against ``git status``.

The audio is served by a local HTTP server (``tests/audioserver.py``): three
distinct clips under 1,000 URLs. The first build downloads every URL and
transcribes each content once; after it, the site is committed to git and each
timed build runs as a fresh process. The server counts requests: a no-op build
must make none. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import FIXTURES, PYTHON, median_wall

from tests.audioserver import AudioServer

CONTENTS = ("cards-001.wav", "cards-003.wav", "goforward.wav")
CONFIG = "title: Network\nurl: https://network.example.com\nasr:\n  model: tiny.en\n  language: en\n"


def make_site(root: Path, base: str, *, posts: int) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (root / ".gitignore").write_text(".jekyll-asr/local/\n_site/\n", encoding="utf-8")
    for n in range(posts):
        text = f"---\ntitle: Episode {n}\nenclosure:\n  url: {base}/media/ep{n:04d}.wav\n  length: 1\n---\nNotes {n}.\n"
        (root / "_posts" / f"2020-01-01-episode-{n:04d}.md").write_text(text, encoding="utf-8")
    return root


def _git(site: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    subprocess.run(["git", *args], cwd=site, check=True, capture_output=True, env=env)


def measure(workdir: Path, *, repeats: int = 5, posts: int = 1000) -> dict[str, Any]:
    files = {f"/media/ep{n:04d}.wav": (FIXTURES / CONTENTS[n % len(CONTENTS)]).read_bytes() for n in range(posts)}
    downloads = workdir / "downloads"
    with AudioServer(files) as server:
        site = make_site(workdir / "site", server.url, posts=posts)
        command = [PYTHON, "-m", "jekyll_asr", "build", str(site), "-q", "--downloads-dir", str(downloads)]
        started = time.perf_counter()
        first = subprocess.run([*command, "--json"], capture_output=True, check=False, text=True)
        first_s = time.perf_counter() - started
        if first.returncode != 0:
            return {"error": f"first build failed ({first.returncode}): {(first.stderr or first.stdout).strip()[-300:]}"}
        report = json.loads(first.stdout)
        first_requests = server.count()
        _git(site, "init", "-q")
        _git(site, "add", "-A")
        _git(site, "commit", "-q", "-m", "after the first build")
        build_s, build_all = median_wall(command, repeats=repeats)
        noop_requests = server.count() - first_requests
    _git(site, "status")
    git_s, _ = median_wall(["git", "status"], repeats=repeats, cwd=site)
    return {
        "posts": posts,
        "distinct": len(CONTENTS),
        "first_build_s": first_s,
        "first_requests": first_requests,
        "transcribed": len(report.get("transcribed", [])),
        "noop_s": build_s,
        "noop_runs_s": build_all,
        "noop_requests": noop_requests,
        "git_status_s": git_s,
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jekyll-asr-bench-remote-") as tmp:
        print(json.dumps(measure(Path(tmp), repeats=3, posts=int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
