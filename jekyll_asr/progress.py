"""Progress in audio seconds: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Iterator

from .build import Progress


@contextlib.contextmanager
def progress_for(args: argparse.Namespace) -> Iterator[Progress]:
    quiet = getattr(args, "quiet", False)
    if quiet or getattr(args, "json", False):
        yield Progress()
        return

    def started(path: str, seconds: float) -> None:
        print(f"transcribing {path} ({seconds:.1f} s)", file=sys.stderr, flush=True)

    yield Progress(file_started=started)
