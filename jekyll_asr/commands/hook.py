"""``jekyll-asr hook [SITE]``: build, then exit 1 when anything changed (for pre-commit).

Like a formatter hook: the commit stops, the new transcripts, captions, cache
entries and front matter are on disk, and the next commit (after `git add`)
passes. pre-commit alone would miss new untracked files, so the exit code
says it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import add_site_arguments, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the build report as one JSON object")
    parser.add_argument("--no-wait", action="store_true", help="fail instead of waiting for another build")


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from ..progress import progress_for
    from ..report import EXIT_FAILED

    settings = settings_from_args(args)
    with progress_for(args) as progress:
        report = build(settings, wait=not args.no_wait, progress=progress, say=lambda msg: print(msg, file=sys.stderr))
    if args.json:
        print(report.to_json())
    elif not args.quiet or report.failed:
        print(report.summary(), file=sys.stderr)
    if (line := report.state_line()) is not None:
        print(line, file=sys.stderr)
    changed = list(dict.fromkeys(report.outputs + report.documents))
    if report.transcribed or changed:
        if not args.json:
            print("jekyll-asr: files changed; review and stage them, then commit again:", file=sys.stderr)
            for rel in changed:
                print(f"  {_from_cwd(settings.site / rel)}", file=sys.stderr)
            if report.transcribed:
                print(f"  {_from_cwd(settings.cache_path)}/ (new transcripts: commit them so CI transcribes nothing)",
                      file=sys.stderr)
        return EXIT_FAILED
    return report.exit_code


def _from_cwd(path: Path) -> str:
    """Paths as `git add` in the current folder wants them (the site may be a subfolder)."""
    return os.path.relpath(path)
