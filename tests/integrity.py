"""Helpers for the reliability, safety and crash tests: run the CLI, check a site's files parse.

"Parses" means what a reader of the site needs: every JSON file loads, every WebVTT
and SubRip file parses with an independent library, every document's front matter
is valid YAML, and the output manifest names no temp file.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

FRONT_MATTER = re.compile(r"\A\ufeff?---\r?\n(.*?)^---\s*$", re.DOTALL | re.MULTILINE)
LOCAL_STATE = ".jekyll-asr/local"


def cli(site: Path, *args: str, timeout: float = 300, command: str = "build") -> subprocess.CompletedProcess:
    """``jekyll-asr build SITE ARGS`` in a subprocess; a hang fails the test through ``timeout``."""
    return subprocess.run(
        [sys.executable, "-m", "jekyll_asr", command, str(site), *args], capture_output=True, check=False, text=True, timeout=timeout
    )


def python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=False, text=True, timeout=timeout)


def front_matter(path: Path) -> dict | None:
    """The YAML front matter of a document (None when it has none); raises when it does not parse."""
    text = path.read_bytes().decode("utf-8")
    m = FRONT_MATTER.match(text)
    if m is None:
        return None
    return yaml.safe_load(m.group(1)) or {}


def snapshot(site: Path) -> dict[str, bytes]:
    """Every file of the site by relative path, except machine-local state and temp files."""
    out = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and not rel.startswith(LOCAL_STATE) and not path.name.endswith(".tmp"):
            out[rel] = path.read_bytes()
    return out


def cache_entries(site: Path) -> list[Path]:
    return sorted((site / ".jekyll-asr" / "cache").glob("??/*.json"))


def check_site_files(site: Path) -> None:
    """Assert every generated or managed file of ``site`` is whole: it parses."""
    import srt
    import webvtt

    for path in site.rglob("*"):
        if not path.is_file() or path.name.endswith(".tmp"):
            continue
        rel = path.relative_to(site).as_posix()
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".vtt":
            webvtt.from_string(path.read_text(encoding="utf-8"))
        elif path.suffix == ".srt":
            list(srt.parse(path.read_text(encoding="utf-8")))
        elif path.suffix == ".md" and rel.startswith("_posts/"):
            front_matter(path)
    manifest = site / ".jekyll-asr" / "outputs.json"
    if manifest.exists():
        for rel in json.loads(manifest.read_text())["files"]:
            assert not rel.endswith(".tmp"), f"a temp file is listed as an output: {rel}"


def report(proc: subprocess.CompletedProcess) -> dict:
    """The --json report printed by a build."""
    return json.loads(proc.stdout)


class LineReader:
    """Reads a process's stream on a thread, so a test can wait for a line with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s; got {self.lines}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"stream ended before a line matching {pattern!r}; got {self.lines}")
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def rest(self, timeout: float = 60) -> str:
        """Everything left, once the stream ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
        return "".join(self.lines)


def popen_build(site: Path, *args: str) -> tuple[subprocess.Popen, LineReader]:
    """A background ``jekyll-asr build`` whose stderr a test can watch line by line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jekyll_asr", "build", str(site), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return proc, LineReader(proc.stderr)


# ---------------------------------------------------------------- invariants (tests/test_invariants.py)


def is_hidden_temp(rel: str) -> bool:
    """A hidden ``*.tmp`` name: what a killed ``atomic_write`` may leave (whatever its exact pattern)."""
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".") and name.endswith(".tmp")


def plain_words(text: str) -> str:
    """Lowercase words only: a transcript compared across formats, paragraphs and case corrections."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def without_key(data: bytes, key: str) -> bytes:
    """``data`` with the top-level ``key:`` of its front matter and that key's indented lines taken out.

    Written independently of jekyll_asr.frontmatter: what is left is the author's, byte for byte.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return data
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return data
    kept, skipping = [lines[0]], False
    for line in lines[1:end]:
        if line.startswith(f"{key}:"):
            skipping = True
        elif not (skipping and line[:1] in (" ", "\t")):
            skipping = False
            kept.append(line)
    return "".join(kept + lines[end:]).encode("utf-8")


def user_files(site: Path, tool_dirs: tuple[str, ...], key: str) -> dict[str, bytes]:
    """Every file and folder of ``site`` outside ``tool_dirs`` (folders as ``name/``: b""),
    documents with ``key`` taken out of their front matter; the tool folders' parents are left
    out as folders (a build may create ``_includes/`` to hold its own folder)."""
    parents = {p.as_posix() for d in tool_dirs for p in Path(d).parents if p.as_posix() != "."}
    out: dict[str, bytes] = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if any(rel == d or rel.startswith(d + "/") for d in tool_dirs):
            continue
        if path.is_symlink() or path.is_file():
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            out[rel] = without_key(data, key) if path.suffix in (".md", ".markdown", ".html") else data
        elif rel not in parents:
            out[rel + "/"] = b""
    return out


def tree_stamps(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under ``folder``: proof that nothing touched it."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_front_matter(text: str, change: Callable[[list[str]], list[str]]) -> str:
    """``text`` with ``change(lines) -> lines`` applied to its front matter lines (line ends kept)."""
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
    return "".join([lines[0], *change(lines[1:end]), *lines[end:]])


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"
