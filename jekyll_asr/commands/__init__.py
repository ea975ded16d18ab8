"""Sub-commands: each module has ``add_arguments(parser)`` and ``run(args) -> int``.

The flags that override the ``asr:`` block come from the option table
(``config.OPTIONS``): one per option, with its help and default.
"""

from __future__ import annotations

import argparse

from ..config import Settings, add_option_flags, load_settings, overrides_from


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", default=".", help="the Jekyll site's source folder (default: .)")
    add_option_flags(parser.add_argument_group("settings (override the asr: block of _config.yml)"))


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(args.site, overrides_from(args))
