"""Sub-commands: each module has ``add_arguments(parser)`` and ``run(args) -> int``.

Shared here: the flags that override the ``asr:`` block, one per option.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import Settings, load_settings

# flag -> (option, argparse kwargs); every option of the asr: block has one.
CONFIG_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "--model": ("model", {"help": "hub id, local directory, or a bundled name (tiny.en, base)"}),
    "--model-revision": ("model_revision", {"help": "hub revision (branch, tag or commit)"}),
    "--engine": ("engine", {"choices": ["auto", "transformers", "faster-whisper"]}),
    "--device": ("device", {"choices": ["auto", "cpu", "cuda"]}),
    "--language": ("language", {"help": "language code, or 'auto' to detect"}),
    "--task": ("task", {"choices": ["transcribe", "translate"]}),
    "--beam-size": ("beam_size", {"type": int}),
    "--batch-size": ("batch_size", {"type": int, "help": "0 lets the engine pick"}),
    "--vad": ("vad", {"action": argparse.BooleanOptionalAction, "help": "skip non-speech with Silero VAD"}),
    "--include": ("include", {"action": "append", "metavar": "GLOB", "help": "audio globs (repeatable)"}),
    "--exclude": ("exclude", {"action": "append", "metavar": "GLOB"}),
    "--formats": ("formats", {"help": "comma-separated: md,vtt,srt,json,txt,chapters"}),
    "--cache-dir": ("cache_dir", {}),
    "--includes-dir": ("includes_dir", {}),
    "--captions-dir": ("captions_dir", {}),
    "--front-matter-key": ("front_matter_key", {}),
    "--paragraph-pause": ("paragraph_pause", {"type": float}),
}


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", nargs="?", default=".", help="the Jekyll site's source folder (default: .)")
    group = parser.add_argument_group("settings (override the asr: block of _config.yml)")
    for flag, (option, kwargs) in CONFIG_FLAGS.items():
        group.add_argument(flag, dest=option, default=None, **kwargs)


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {option: getattr(args, option, None) for option, _ in CONFIG_FLAGS.values()}
    if overrides.get("formats"):
        overrides["formats"] = [f.strip() for f in overrides["formats"].split(",") if f.strip()]
    return load_settings(args.site, overrides)
