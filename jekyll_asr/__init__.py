"""jekyll-asr: transcripts, captions and podcast transcript files for a Jekyll site's audio.

Library use::

    from jekyll_asr import build, load_settings
    report = build(load_settings("my-site", {"model": "tiny.en"}))
    print(report.summary())

Names are imported lazily so that ``import jekyll_asr`` stays cheap.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__version__ = "0.2.0"
__all__ = ["Report", "Segment", "Settings", "Transcript", "build", "load_settings", "transcribe_file", "transcribe_files"]

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


class _Package(types.ModuleType):
    """``jekyll_asr.build`` is the function, even after the submodule of that name is imported.

    Importing ``jekyll_asr.build`` (the module) makes Python set the package's
    ``build`` attribute to the module; the property ignores that, so
    ``from jekyll_asr import build`` always gives the function the README shows.
    The module stays importable: ``importlib.import_module("jekyll_asr.build")``.
    """

    @property
    def build(self) -> Any:
        return __getattr__("build")

    @build.setter
    def build(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package
