"""The build report when the build's own state cannot be saved (a full disk, a file-size limit).

Real processes on a real size-limited file system (a tmpfs, where the tests may mount one) or
under a real file-size limit (RLIMIT_FSIZE: every write past it fails with EFBIG); no mocks.
Each test names the protection it proves; without that protection it fails.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .sitefactory import make_site
from .test_state import SITE, render_site, seed_cache

EXTRA_POSTS = 40  # posts without audio: they make the document memo the largest file a build writes
MEMO = ".jekyll-asr/local/documents.json"


def _site(root: Path) -> Path:
    """A built site (cached transcripts, no model), then one new post that uses cached audio."""
    files = dict(SITE) | {f"_posts/2026-02-{i:02d}-note-{i}.md": f"---\ntitle: Note {i}\n---\nNo audio here.\n" for i in range(1, EXTRA_POSTS)}
    site = make_site(root, files)
    seed_cache(site)
    assert render_site(site).failed == []
    (site / "_posts/2026-03-01-again.md").write_text("---\ntitle: Again\naudio: /assets/audio/one.wav\n---\nOnce more.\n")
    return site


def _run(site: Path, *args: str, preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(  # the child lowers its own file-size limit before exec
        [sys.executable, "-m", "jekyll_asr", "build", str(site), *args],
        capture_output=True, text=True, check=False, timeout=120, env=env, preexec_fn=preexec_fn,
    )


def _file_size_limit(limit: int) -> Callable[[], None]:
    def lower() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return lower


def test_state_that_cannot_be_saved_is_one_line_after_the_report(tmp_path: Path) -> None:
    """Protection: build catches the final state save's error into Report.state_error; the report
    (and ``--json``, with a ``state_error`` field) is printed as usual, the error is one line after
    it, the exit code is 1. Without it one "cannot write documents.json" line replaces the report,
    so the user never learns which posts were updated. The memo is made the largest file, and a
    real file-size limit (RLIMIT_FSIZE) stops just its write."""
    site = _site(tmp_path / "site")
    limit = max(p.stat().st_size for p in site.rglob("*") if p.is_file() and p.suffix != ".wav" and "documents" not in p.name) + 1024
    assert (site / MEMO).stat().st_size > limit  # only the memo cannot be written
    before = (site / MEMO).read_bytes()

    done = _run(site, "--json", preexec_fn=_file_size_limit(limit))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["documents"] == ["_posts/2026-03-01-again.md"] and result["failed"] == []
    assert "documents.json" in result["state_error"] and os.strerror(errno.EFBIG) in result["state_error"]
    assert result["exit_code"] == 1
    assert "transcript:" in (site / "_posts/2026-03-01-again.md").read_text()
    assert (site / MEMO).read_bytes() == before and not list(site.rglob("*.tmp"))  # the old memo is whole

    (site / "_posts/2026-03-01-again.md").write_text("---\ntitle: Again\naudio: /assets/audio/two.wav\n---\nOnce more.\n")
    human = _run(site, preexec_fn=_file_size_limit(limit))
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "1 posts updated" in human.stdout  # the report is there
    last = human.stderr.strip().splitlines()[-1]
    assert last.startswith("jekyll-asr: error: ") and "documents.json" in last and os.strerror(errno.EFBIG) in last

    healed = _run(site, "--json")  # room again: the next build saves its state
    assert healed.returncode == 0 and json.loads(healed.stdout)["state_error"] is None


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real small file system, or a skip where mounting one is not allowed."""
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> None:
    """Write until not one more byte fits."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        size = 1 << 20
        while size:
            try:
                os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                size //= 2
    finally:
        os.close(fd)


def test_a_full_disk_still_gives_the_report_and_which_files_failed(tmp_path: Path) -> None:
    """Protection: on a really full file system every write that fails is a per-file error in the
    report, the state save that fails is one line after it, the build lock does not need room to
    write its pid, and nothing is harmed. Without it the run ends with one line (or a traceback)
    and the user never learns which files were not written."""
    with _tmpfs(tmp_path / "disk", "4m") as disk:
        site = _site(disk / "site")
        shutil.rmtree(site / "assets/transcripts")  # outputs to write again
        (site / ".jekyll-asr/local/build.lock").unlink()  # a new lock file: no room for its pid
        _fill(disk)
        post = (site / "_posts/2026-03-01-again.md").read_bytes()

        done = _run(site, "--json")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        result = json.loads(done.stdout)
        failed = {f["path"]: f["error"] for f in result["failed"]}
        assert "assets/transcripts/one.vtt" in failed and "assets/transcripts/two.txt" in failed
        assert result["documents"] == []  # a post whose audio's files were not written keeps its text
        assert all(os.strerror(errno.ENOSPC) in e for e in failed.values()), failed
        assert os.strerror(errno.ENOSPC) in result["state_error"]
        assert done.stderr.strip().splitlines()[-1].startswith("jekyll-asr: error: ")
        assert (site / "_posts/2026-03-01-again.md").read_bytes() == post
        assert not list(site.rglob("*.tmp"))

        (disk / "filler").unlink()
        healed = _run(site, "--json")
        assert healed.returncode == 0, healed.stdout
        assert json.loads(healed.stdout)["state_error"] is None and (site / "assets/transcripts/one.vtt").is_file()
