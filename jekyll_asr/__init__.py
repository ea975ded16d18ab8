"""jekyll-asr: transcripts, captions and podcast transcript files for a Jekyll site's audio.

Library use::

    from jekyll_asr import build, load_settings
    report = build(load_settings("my-site", {"model": "tiny.en"}))
    print(report.summary())

Names are imported lazily so that ``import jekyll_asr`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["build", "load_settings", "transcribe_file", "transcribe_files", "Settings", "Report", "Transcript", "Segment"]

_LAZY = {
    "build": ("build", "build"),
    "load_settings": ("config", "load_settings"),
    "Settings": ("config", "Settings"),
    "Report": ("report", "Report"),
    "transcribe_file": ("transcribe", "transcribe_file"),
    "transcribe_files": ("transcribe", "transcribe_files"),
    "Transcript": ("transcript", "Transcript"),
    "Segment": ("transcript", "Segment"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(name)
