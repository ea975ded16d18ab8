"""``jekyll-asr check [SITE]``: exit 1 when a build would change anything; never transcribes.

For CI and pre-commit: "are the committed transcripts, captions and front
matter what `jekyll-asr build` would produce for this audio and settings?"
"""

from __future__ import annotations

import argparse
import json
import sys

from . import add_site_arguments, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the state as one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..report import EXIT_FAILED, EXIT_OK
    from ..scan import printable
    from ..state import DONE, site_state

    state = site_state(settings_from_args(args))
    code = EXIT_OK if state.current else EXIT_FAILED
    if args.json:
        print(json.dumps({**state.to_dict(), "exit_code": code}, indent=2))
        return code
    for rel in state.edited_outputs:
        print(f"warning: {rel} was edited by hand; build keeps it", file=sys.stderr)
    for warning in state.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    skipped = sum(1 for a in state.audio if a.state == "skipped")
    off = f"; {skipped} remote audio file{'s' if skipped != 1 else ''} skipped (asr.remote: off)" if skipped else ""
    if state.current:
        if not args.quiet:
            n = len(state.audio) - skipped
            print(f"jekyll-asr: {n} of {n} transcript{'s' if n != 1 else ''} up to date{off}")
        return code
    lines = []
    for a in state.audio:
        if a.state not in DONE:
            lines.append(f"  {a.path}: {a.state}: {'; '.join(a.reasons)}")
    lines += [f"  {printable(path)}: {printable(message)}" for path, message in state.problems]
    stale = [a for a in state.audio if a.state not in DONE]
    head = f"jekyll-asr: {len(stale)} of {len(state.audio) - skipped} audio files need `jekyll-asr build`"
    if state.problems:
        head += f", {len(state.problems)} problem{'s' if len(state.problems) != 1 else ''}"
    print("\n".join([head + off + ":", *lines]), file=sys.stderr)
    return code
