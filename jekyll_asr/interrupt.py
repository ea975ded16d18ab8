"""Ctrl-C while the model runs: exit at once, instead of raising into native code.

CTranslate2 and onnxruntime look for signals from C++ while they work; a
KeyboardInterrupt raised there cannot unwind through their frames, and the
process aborts ("terminate called after throwing an instance of
'pybind11::error_already_set'", exit -6) or dies by SIGINT with no exit code
(both seen with Ctrl-C half a second into a build). While the model runs, no
file is being written, and every write is atomic anyway (the kill tests in
tests/test_crash.py), and the build lock is an flock the OS drops with the
process: so the handler says one line and exits 130 on the spot.

Only the main thread can set it, and only over Python's own Ctrl-C handler: a
program that installed its own keeps it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_CODE = 130


def _exit_now(signum: int, frame: object) -> None:
    try:
        sys.stderr.write("jekyll-asr: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_CODE)


@contextmanager
def exit_on_interrupt() -> Iterator[None]:
    """Within the block, Ctrl-C ends the process with exit code 130 (see the module's docstring)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    signal.signal(signal.SIGINT, _exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
