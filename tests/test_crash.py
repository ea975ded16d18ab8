"""Crash safety: a build killed with SIGKILL at any point leaves every file old or new, never
partial, and the next build finishes the job.

Writes are interrupted without any hook in the product: the killed build runs in a subprocess
whose ``open`` is wrapped so that the Nth file written inside the site gets half its data and
then the process SIGKILLs itself, or with a Python audit hook (``sys.addaudithook``) that
SIGKILLs it just before the Nth rename into the site. The wrapper sees every ``open``
(``os.fdopen`` and ``pathlib`` go through it), so it catches a writer that rewrites a file in
place as surely as one that renames a temp file.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jekyll_asr.build import build
from jekyll_asr.config import load_settings
from jekyll_asr.gc import collect_garbage

from .integrity import cache_entries, check_site_files, cli, popen_build, report, snapshot
from .sitefactory import FIXTURES, Fixture, make_site, write_wav

pytestmark = pytest.mark.slow

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n"

KILLED_BUILD = r"""
import builtins, io, os, signal, sys
site, kill_at, mode = os.path.realpath(sys.argv[1]) + os.sep, int(sys.argv[2]), sys.argv[3]
seen = 0

def inside(path):
    return os.path.realpath(path).startswith(site) and not path.endswith("build.lock")

def nth():
    global seen
    seen += 1
    return seen == kill_at

def die(what):
    os.write(2, f"KILLED at {mode} {what}\n".encode())
    os.kill(os.getpid(), signal.SIGKILL)

class HalfWriter:
    # the file the build is writing: its first write() stores half the data, then the process dies
    def __init__(self, f, path):
        self._f, self._path = f, path
    def write(self, data):
        self._f.write(data[: len(data) // 2])
        self._f.flush()
        die(self._path)
    def __getattr__(self, name):
        return getattr(self._f, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self._f.__exit__(*exc)

real_open = io.open
def dying_open(file, mode="r", *args, **kwargs):
    f = real_open(file, mode, *args, **kwargs)
    if any(c in mode for c in "wax+"):
        path = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else os.fsdecode(file)
        if inside(path) and nth():
            return HalfWriter(f, path)
    return f

def hook(event, args):
    if event == "os.rename" and inside(os.fsdecode(args[1])) and nth():
        die(os.fsdecode(args[1]))  # audit hooks run before the rename: the temp file is whole, not in place

if mode == "write":
    io.open = builtins.open = dying_open  # os.fdopen and pathlib open through io.open too
else:
    sys.addaudithook(hook)
from jekyll_asr.cli import main
sys.exit(main(["build", site, "-q"]))
"""


def killed_build(site: Path, kill_at: int, mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLED_BUILD, str(site), str(kill_at), mode],
                          capture_output=True, check=False, text=True, timeout=300)


def quiet_build(site: Path, **kwargs):
    return build(load_settings(site), say=lambda m: None, **kwargs)


def assert_old_or_new(site: Path, old: dict[str, bytes], new: dict[str, bytes], where: str) -> None:
    after = snapshot(site)
    for rel in sorted(set(old) | set(new) | set(after)):
        assert after.get(rel) in (old.get(rel), new.get(rel)), f"{rel} is neither old nor new after {where}"
    for tmp in site.rglob("*.tmp"):  # a killed write may leave its temp file: hidden from Jekyll, never an output
        assert tmp.name.startswith("."), tmp
    check_site_files(site)


# ---------------------------------------------------------------- killed while writing


@pytest.fixture(scope="module")
def before_and_after(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A built site with changes pending (corrections, a post whose key was removed), and
    the files a clean build of those changes gives."""
    root = tmp_path_factory.mktemp("crash-writes")
    site = make_site(root / "pending", {
        "_config.yml": CONFIG,
        "assets/audio/cards.wav": Fixture("cards-003.wav"),
        "assets/audio/go.wav": Fixture("goforward.wav"),
        "_posts/2026-01-01-cards.md": "---\r\ntitle: Cards\r\naudio: /assets/audio/cards.wav\r\n---\r\nCRLF body.\r\n",
        "_posts/2026-01-02-go.md": "---\ntitle: Go\n---\n<audio src=\"/assets/audio/go.wav\"></audio>\n",
    })
    first = quiet_build(site)
    assert first.failed == [] and len(first.transcribed) == 2
    make_site(site, {
        "_transcript_corrections/cards.yml": "corrections:\n  clubs: hearts\n",
        "_transcript_corrections/go.yml": "corrections:\n  forward: backward\n",
        "_posts/2026-01-02-go.md": "---\ntitle: Go\n---\n<audio src=\"/assets/audio/go.wav\"></audio>\n",
    })
    old = snapshot(site)
    done = shutil.copytree(site, root / "done", symlinks=True)
    result = quiet_build(done)
    assert result.failed == [] and result.transcribed == [] and result.documents == ["_posts/2026-01-02-go.md"]
    new = snapshot(done)
    changed = [rel for rel in new if old.get(rel) != new[rel]]
    assert len(changed) >= 10  # every caption, include, the manifest and a post: plenty of writes to interrupt
    return site, old, new


@pytest.mark.parametrize("mode", ["write", "rename"])
def test_killed_at_every_write_leaves_old_or_new_files(before_and_after, tmp_path: Path, mode: str) -> None:
    """Protection: atomic_write (temp file, fsync, os.replace) for every output, post, manifest
    and index, and outputs-before-manifest ordering. Without it a kill leaves a truncated file
    (mode "open" kills right after a file is opened for writing), and a rerun would either serve
    it or call it "edited by hand"."""
    pending, old, new = before_and_after
    kills = 0
    for n in range(1, 60):
        site = shutil.copytree(pending, tmp_path / f"{mode}-{n}", symlinks=True)
        out = killed_build(site, n, mode)
        if out.returncode != -signal.SIGKILL:  # fewer than n writes: the build ran to its end
            assert out.returncode == 0, out.stderr
            assert snapshot(site) == new
            break
        kills += 1
        assert "KILLED at" in out.stderr and "Traceback" not in out.stderr
        assert_old_or_new(site, old, new, f"a kill at {mode} #{n}")
        rerun = quiet_build(site, wait=False)  # wait=False: a stale lock would fail here
        assert rerun.failed == [] and rerun.warnings == [], (n, rerun.failed, rerun.warnings)
        assert rerun.transcribed == []
        assert snapshot(site) == new, f"the rerun after a kill at {mode} #{n} did not finish the job"
        collect_garbage(load_settings(site), say=lambda m: None)  # the temp files the kill left go, nothing else
        assert not list(site.rglob("*.tmp")) and snapshot(site) == new
        shutil.rmtree(site)
    assert kills >= 10, kills


def test_killed_while_storing_the_cache_entry(tmp_path: Path) -> None:
    """Protection: the cache entry is written atomically and before any output, so a kill
    just before it lands leaves no entry and no outputs (never an entry without a checksum)."""
    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG,
        "assets/audio/cards.wav": Fixture("cards-003.wav"),
        "_posts/2026-01-01-cards.md": "---\ntitle: Cards\naudio: /assets/audio/cards.wav\n---\n",
    })
    before = snapshot(site)
    out = killed_build(site, 1, "rename")  # the first rename into the site is the cache entry
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert "/.jekyll-asr/cache/" in out.stderr
    assert cache_entries(site) == [] and snapshot(site) == before
    rerun = cli(site, "--json", "--no-wait")
    assert rerun.returncode == 0, rerun.stderr
    assert report(rerun)["transcribed"] == ["assets/audio/cards.wav"]
    assert "clubs" in (site / "assets/transcripts/cards.txt").read_text()
    check_site_files(site)


# ---------------------------------------------------------------- killed while transcribing


def _long_audio(path: Path, repeats: int = 2) -> None:
    """episode-12 twice over (~128 s) as 16 kHz WAV: long enough to be killed mid-way."""
    import numpy as np

    from jekyll_asr.audio import decode

    write_wav(path, np.tile(decode(FIXTURES / "episode-12.mp3"), repeats))


def test_killed_while_transcribing_then_rerun_finishes(tmp_path: Path) -> None:
    """Protection: nothing is written for a file until its transcript is complete (cache entry
    first, then outputs), and the lock is a flock the kernel drops with the process. Without it a
    kill leaves a partial transcript that is served forever, or a lock that blocks every build."""
    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG,
        "_posts/2026-01-01-long.md": "---\ntitle: Long\naudio: /assets/audio/long.wav\n---\nBody.\n",
    })
    (site / "assets/audio").mkdir(parents=True)
    _long_audio(site / "assets/audio/long.wav")
    before = snapshot(site)

    proc, err = popen_build(site)
    try:
        err.wait_for("transcribing assets/audio/long.wav", timeout=120)
        time.sleep(2.0)  # the model loads (about 1 s) and starts on the first windows
        assert proc.poll() is None, "the build ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert cache_entries(site) == [], "the transcription finished before the kill; use longer audio"
    assert snapshot(site) == before  # no output, no post change, no half-written cache entry
    assert not list(site.rglob("*.tmp"))

    rerun = cli(site, "--json", "--no-wait", timeout=600)  # --no-wait: fails if the lock survived the kill
    assert rerun.returncode == 0, rerun.stderr
    assert report(rerun)["transcribed"] == ["assets/audio/long.wav"]
    check_site_files(site)
    assert "static" in (site / "assets/transcripts/long.txt").read_text().lower()
    data = json.loads((site / "assets/transcripts/long.json").read_text())
    assert data["segments"][-1]["endTime"] > 100  # the whole file, not the part done before the kill


@pytest.mark.parametrize("delay", [0.0, 0.5, 0.6, 0.8, 1.0])
def test_ctrl_c_while_transcribing_stops_cleanly(tmp_path: Path, delay: float) -> None:
    """Protection: the CLI's one error boundary turns KeyboardInterrupt into exit 130 and one line,
    and nothing is stored for the file in progress. Without it Ctrl-C prints a traceback. And
    interrupt.exit_on_interrupt: without it, Ctrl-C half a second in (inside CTranslate2 or
    onnxruntime) aborted the process ('terminate called after throwing
    pybind11::error_already_set', exit -6) or killed it by SIGINT (exit -2)."""
    site = make_site(tmp_path / "site", {"_config.yml": CONFIG, "assets/audio/ep.mp3": Fixture("episode-12.mp3")})
    before = snapshot(site)
    proc, err = popen_build(site)
    try:
        err.wait_for("transcribing assets/audio/ep.mp3", timeout=120)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = err.rest()
    assert "interrupted" in rest and "Traceback" not in rest and "terminate called" not in rest
    assert cache_entries(site) == [] and snapshot(site) == before
    assert not list(site.rglob("*.tmp"))
