"""``jekyll-asr status [SITE]``: each audio file's state, without transcribing anything.

Never loads a model and never imports torch: it reads the stat index, the
cache and the outputs manifest, and renders nothing it does not need to.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from . import add_site_arguments, settings_from_args

if TYPE_CHECKING:
    from ..state import SiteState

_NAMED = 5  # audio files named on the "not shown on any page" line before the ellipsis


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the state as one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..state import site_state

    state = site_state(settings_from_args(args))
    if args.json:
        print(json.dumps(state.to_dict(), indent=2))
        return 0
    print(status_table(state, verbose=bool(args.verbose)))
    return 0


def status_table(state: SiteState, *, verbose: bool = False) -> str:
    """A plain table (file, state, duration, words, used by) and a one-line summary."""
    from ..progress import format_seconds
    from ..scan import printable

    rows = [("FILE", "STATE", "DURATION", "WORDS", "USED BY")]
    for a in state.audio:
        rows.append((
            a.path,
            a.state,
            "-" if a.duration is None else format_seconds(a.duration),
            "-" if a.words is None else str(a.words),
            ", ".join(a.users) or "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i in (0, 1) else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=False))) + "  " + r[4]
             for r in rows]
    summary = _headline(state)
    lines.append(summary)
    if verbose:
        lines += [f"why: {a.path}: {'; '.join(a.reasons)}" for a in state.audio if a.reasons]
    lines += [f"problem: {printable(path)}: {printable(message)}" for path, message in state.problems]
    lines += [f"kept (edited by hand): {rel}" for rel in state.edited_outputs]
    lines += [f"warning: {w}" for w in state.warnings]
    unlinked = [a.path for a in state.audio if not a.users]
    if unlinked:
        lines.append(f"not shown on any page ({len(unlinked)}): {', '.join(unlinked[:_NAMED])}{' …' if len(unlinked) > _NAMED else ''}")
        lines.append("  (no document links this audio; link it from a post, e.g. `audio: /path/to/file.mp3`, or exclude it: asr.exclude)")
    if not state.audio:  # the headline first, then the problems
        lines = lines[len(rows) :]
        if not state.problems:
            lines.append("  (see README, 'Sites you already have', for the keys, folders and URLs recognised)")
    return "\n".join(lines)


def _headline(state: SiteState) -> str:
    """What documents link, counted: files by state (skipped ones too), and the links that cannot be used."""
    n, problems = len(state.audio), len(state.problems)
    said = f"{problems} problem{'s' if problems != 1 else ''}"
    if not n:
        if problems:
            return f"0 audio files available; {said} with the audio documents link (below)"
        return "0 audio files: no document links audio and no audio file was found"
    parts = [f"{k} {name}" + (" (asr.remote: off)" if name == "skipped" else "") for name, k in state.counts().items() if k]
    return f"{n} audio file{'s' if n != 1 else ''}: {', '.join(parts)}" + (f"; {said} (below)" if problems else "")
