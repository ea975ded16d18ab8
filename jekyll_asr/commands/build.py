"""``jekyll-asr build [SITE]``: bring every transcript of the site up to date."""

from __future__ import annotations

import argparse
import sys

from . import add_site_arguments, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--force", action="store_true", help="overwrite generated files edited by hand")
    parser.add_argument("--shard", metavar="K/N", help="do only shard K of N (split by content hash)")
    parser.add_argument("--no-wait", action="store_true", help="fail instead of waiting for another build")
    parser.add_argument(
        "--refresh", action="store_true",
        help="transcribe again what was transcribed before an upgrade of jekyll-asr or of a bundled model (kept otherwise)",
    )


def run(args: argparse.Namespace) -> int:
    from ..build import Shard, build
    from ..progress import progress_for

    settings = settings_from_args(args)
    shard = Shard.parse(args.shard) if args.shard else None

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    with progress_for(args) as progress:
        report = build(settings, force=args.force, shard=shard, wait=not args.no_wait, progress=progress, say=say, refresh=args.refresh)
    if args.json:
        print(report.to_json())
    elif not getattr(args, "quiet", False) or report.failed:
        print(report.summary(), file=sys.stderr if args.quiet else sys.stdout)
    if (line := report.state_line()) is not None:  # after the report, never instead of it
        sys.stdout.flush()
        print(line, file=sys.stderr)
    return report.exit_code
