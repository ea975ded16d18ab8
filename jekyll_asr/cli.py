"""The command line: parses arguments and hands each sub-command to one module.

One error boundary: a JekyllAsrError becomes one readable line and its exit
code, Ctrl-C exits 130, anything else is a bug and says how to report it.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import JekyllAsrError

COMMANDS = {
    "build": "transcribe new or changed audio and write transcripts, captions and front matter",
    "transcribe": "print one audio file's transcript",
    "status": "show each audio file's state (new, changed, cached, failed)",
    "check": "fail when any transcript is missing or stale; never transcribes",
    "gc": "remove cache entries and generated files nothing references",
    "init": "add the asr: block and the includes to a site",
    "doctor": "show Python, torch, CUDA, engines, models and offline state",
    "hook": "build, then fail when files changed (the pre-commit hook)",
    "review": "list the words the model was unsure of, with the corrections-file line that fixes each",
}


def make_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``chosen``'s module is imported (all of them when None)."""
    parser = argparse.ArgumentParser(prog="jekyll-asr", description="Transcripts for every audio file on a Jekyll site.")
    parser.add_argument("--version", action="version", version=f"jekyll-asr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if chosen is not None and name != chosen:
            continue  # a build need not import status, gc, doctor…
        module = importlib.import_module(f".commands.{name}", __package__)
        p.add_argument("-v", "--verbose", action="count", default=0, help="more detail; tracebacks for errors")
        p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    chosen = next((w for w in words if not w.startswith("-")), None)
    parser = make_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return int(args.func(args))
    except JekyllAsrError as exc:
        if args.verbose:
            logging.getLogger("jekyll_asr").exception("details")
        print(f"jekyll-asr: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("jekyll-asr: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
