"""``jekyll-asr gc [SITE] [--dry-run]``: remove cache entries and generated files nothing uses."""

from __future__ import annotations

import argparse
import json
import sys

from . import add_site_arguments, settings_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument("-n", "--dry-run", action="store_true", help="list what would be removed; remove nothing")
    parser.add_argument("--keep-other-settings", action="store_true",
                        help="keep cache entries of audio still on the site made with other settings (another model)")
    parser.add_argument("--force", action="store_true",
                        help="also remove orphaned files edited by hand, and collect even when the site has problems")
    parser.add_argument("--json", action="store_true", help="print what was (or would be) removed as JSON")
    parser.add_argument("--no-wait", action="store_true", help="fail instead of waiting for a running build")


def run(args: argparse.Namespace) -> int:
    from ..gc import collect_garbage

    garbage = collect_garbage(
        settings_from_args(args),
        dry_run=args.dry_run,
        force=args.force,
        keep_other_settings=args.keep_other_settings,
        wait=not args.no_wait,
        say=lambda msg: print(msg, file=sys.stderr),
    )
    for warning in garbage.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for rel, page in garbage.included:
        print(f"kept {rel} ({page} includes it)", file=sys.stderr)
    if args.json:
        print(json.dumps({**garbage.to_dict(), "dry_run": args.dry_run}, indent=2))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for rel in garbage.removed:
        print(f"{verb} {rel}")
    for rel in garbage.edited:
        print(f"kept {rel} (edited by hand; --force removes it)", file=sys.stderr)
    if not args.quiet:
        temps = f" and {len(garbage.temp_files)} temp files of interrupted builds" if garbage.temp_files else ""
        print(f"jekyll-asr: {verb} {len(garbage.cache_entries)} cache entries, {len(garbage.outputs)} generated files{temps}",
              file=sys.stderr)
    return 0
