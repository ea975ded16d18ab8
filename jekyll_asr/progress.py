"""Progress in audio seconds: a bar on a terminal, plain lines otherwise, nothing when quiet.

Audio seconds, not files, because one 60-minute episode costs as much as sixty
one-minute clips. On a terminal: two tqdm bars on stderr, the whole run (with
an ETA once the build announced its total) and the file being transcribed. In
a log (CI, pre-commit, a pipe): one plain line per file, no carriage returns or
escape codes. With ``-q`` or ``--json``: nothing at all.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from .build import Progress

_KILO = 1000  # decimal units, as download tools print sizes
_NO_DECIMALS_FROM = 100  # "148 kB" but "51.2 MB"


@contextlib.contextmanager
def progress_for(args: argparse.Namespace, stream: IO[str] | None = None) -> Iterator[Progress]:
    """The Progress callbacks that suit ``args`` and the terminal (``stream`` defaults to stderr)."""
    if getattr(args, "quiet", False) or getattr(args, "json", False):
        yield Progress()
        return
    stream = stream if stream is not None else sys.stderr
    tracker: _Bars | _Lines = _Bars(stream) if _is_terminal(stream) else _Lines(stream)
    try:
        yield Progress(file_started=tracker.file_started, advance=tracker.advance, total=tracker.total, fetched=tracker.fetched)
    finally:
        tracker.close()


def _is_terminal(stream: IO[str]) -> bool:
    """A terminal with room for a bar (a pty of width 0, as some wrappers make, gets lines)."""
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return True  # a terminal-like stream without a file descriptor


def format_seconds(seconds: float) -> str:
    """``1:02:03`` or ``2:03``: audio lengths and ETAs."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Counter:
    """Seconds done and expected, and an ETA from the rate so far."""

    def __init__(self) -> None:
        self.expected: float | None = None
        self.done = 0.0
        self.files = 0
        self.started_at: float | None = None

    def fetched(self, url: str, size: int, done: int, total: int) -> None:
        """One linked URL downloaded (or found in a mirror): its size in bytes and the count so far."""
        self._say(f"fetched {done}/{total} {url} ({format_bytes(size)})")

    def _say(self, line: str) -> None:
        raise NotImplementedError

    def eta(self) -> float | None:
        if not self.expected or self.done <= 0 or self.started_at is None:
            return None
        elapsed = time.monotonic() - self.started_at
        return max(0.0, (self.expected - self.done) * elapsed / self.done)


class _Lines(_Counter):
    """One line per file, for logs: ``transcribing a.mp3 (1:04 of audio) [12%, ETA 3:10]``."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream
        self.current: tuple[str, float, float, float] | None = None  # path, length, began, done

    def total(self, seconds: float) -> None:
        self.expected = seconds

    def file_started(self, path: str, seconds: float) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()
        self.files += 1
        self.current = (path, seconds, time.monotonic(), 0.0)
        where = ""
        if self.expected:
            eta = self.eta()
            where = f" [{100 * self.done / self.expected:.0f}% of {format_seconds(self.expected)}"
            where += f", ETA {format_seconds(eta)}]" if eta is not None else "]"
        self._say(f"transcribing {path} ({format_seconds(seconds)} of audio){where}")

    def advance(self, seconds: float) -> None:
        self.done += seconds
        if self.current is None:
            return
        path, length, began, done = self.current
        done += seconds
        self.current = (path, length, began, done)
        if done >= length - 0.05:  # the file is finished (an engine may report it in parts)
            took = time.monotonic() - began
            speed = f", {length / took:.1f}x real time" if took > 0 else ""
            self._say(f"transcribed {path} in {took:.1f} s{speed}")
            self.current = None

    def close(self) -> None:
        pass

    def _say(self, line: str) -> None:
        print(f"jekyll-asr: {line}", file=self.stream, flush=True)


class _Bars(_Counter):
    """Two tqdm bars in audio seconds: the whole run, and the file in progress."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream
        self.overall: Any = None
        self.file_bar: Any = None

    def _make(self, **kwargs: Any) -> Any:
        from tqdm import tqdm

        return tqdm(file=self.stream, unit="s", unit_scale=False, dynamic_ncols=True, mininterval=0.5, **kwargs)

    def total(self, seconds: float) -> None:
        self.expected = seconds
        if self.overall is None:
            self.overall = self._make(total=round(seconds, 1), desc="audio", position=0, leave=True,
                                      bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]")
        else:
            self.overall.total = round(seconds, 1)
            self.overall.refresh()

    def file_started(self, path: str, seconds: float) -> None:
        if self.overall is None:  # no total announced: count seconds without an ETA
            self.overall = self._make(total=None, desc="audio", position=0, leave=True,
                                      bar_format="{desc}: {n:.0f} s transcribed [{elapsed}]")
        if self.file_bar is not None:
            self.file_bar.close()
        self.file_bar = self._make(total=round(seconds, 1), desc=_short(path), position=1, leave=False,
                                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s")

    def advance(self, seconds: float) -> None:
        self.done += seconds
        if self.overall is not None:
            self.overall.update(seconds)
        if self.file_bar is not None:
            self.file_bar.update(min(seconds, max(0.0, self.file_bar.total - self.file_bar.n)))

    def _say(self, line: str) -> None:
        from tqdm import tqdm

        tqdm.write(f"jekyll-asr: {line}", file=self.stream)

    def close(self) -> None:
        for bar in (self.file_bar, self.overall):
            if bar is not None:
                bar.close()
        self.file_bar = self.overall = None


def format_bytes(size: int) -> str:
    """``148 kB``, ``51.2 MB``: download sizes."""
    if size < _KILO:
        return f"{size} B"
    for unit in ("kB", "MB", "GB"):
        size_f = size / _KILO
        if size_f < _KILO or unit == "GB":
            return f"{size_f:.0f} {unit}" if size_f >= _NO_DECIMALS_FROM else f"{size_f:.1f} {unit}"
        size = int(size_f)
    return f"{size} B"


def _short(path: str, width: int = 40) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]
