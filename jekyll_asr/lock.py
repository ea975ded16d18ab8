"""One build per site at a time: an exclusive lock on a file in the local state.

A second build waits (saying so) or, with ``wait=False``, stops with a clear
error; either way the cache and outputs are written by one process only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from .errors import LockError


class SiteLock:
    def __init__(self, state_dir: Path, *, wait: bool = True, timeout: float = 3600.0, say: Callable[[str], None] = print) -> None:
        self.path = state_dir / "build.lock"
        self.wait = wait
        self.timeout = timeout
        self.say = say
        self._fd: int | None = None

    def __enter__(self) -> SiteLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_local_state(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            if not self.wait:
                os.close(fd)
                raise LockError(f"another jekyll-asr build{holder} is running on this site; try again when it ends") from None
            self.say(f"jekyll-asr: waiting for another build{holder} of this site to finish…")
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise LockError(f"gave up waiting for another jekyll-asr build{holder} after {self.timeout:.0f} s") from None
                    time.sleep(0.2)
        with contextlib.suppress(OSError):  # the pid only names the holder to a waiting build: a full disk is no reason to stop
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


def _ignore_local_state(state_dir: Path) -> None:
    """Machine-local state must never be committed by accident."""
    gitignore = state_dir / ".gitignore"
    if not gitignore.exists():
        with contextlib.suppress(OSError):
            gitignore.write_text("*\n")
