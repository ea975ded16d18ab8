"""What the last build rendered, so an unchanged site re-renders nothing.

For each audio path: a fingerprint of everything rendering reads (cache entry,
slug, formats, folders, glossary, corrections, templates, tool version), the
(size, mtime_ns, ctime_ns, inode) of each file it wrote, and the managed front matter value.
When all of that still holds, the build neither reads the cache entry nor
renders. Machine-local (``.jekyll-asr/local/``); a corrupt index is empty.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, TypedDict

from . import __version__
from .config import Settings
from .fsutil import atomic_write


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]  # ctime and inode as git does: see statindex


def _templates_signature(settings: Settings) -> list[Any]:
    """Stats of the site's template overrides and the shipped templates."""
    from .writers.markdown import template_dirs

    signature: list[Any] = []
    for folder in [settings.site / settings.templates_dir, *template_dirs()]:
        if folder.is_dir():
            for name in sorted(os.listdir(folder)):
                if name.endswith(".j2"):
                    signature.append([str(folder / name), _stamp(folder / name)])
    return signature


class _Entry(TypedDict):
    """What was rendered for one audio file: the inputs' fingerprint, the outputs' stamps, the managed value."""

    fingerprint: str
    outputs: dict[str, list[int] | None]
    value: dict[str, Any]


class RenderIndex:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.state_path / "rendered.json"
        self.entries: dict[str, _Entry] = {}
        self.dirty = False
        self._common: str | None = None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if raw.get("version") == __version__:
                self.entries = dict(raw["audio"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass

    def _common_part(self) -> str:
        if self._common is None:
            s = self.settings
            data = [
                __version__, s.formats, s.includes_dir, s.captions_dir, s.baseurl, s.glossary, s.paragraph_pause, s.front_matter_key,
                _templates_signature(s),
            ]
            self._common = json.dumps(data, default=str, sort_keys=True)
        return self._common

    def fingerprint(self, plan: Any, cache_file: Path | list[Path], turns_file: Path | None = None, translation_file: Path | None = None) -> str:
        """What rendering one recording reads: a change to any of it renders again.

        ``turns_file``: its speaker turns, once stored (found later, they make a new fingerprint),
        with the speaker names and count of its posts; ``translation_file`` likewise.
        """
        corrections = self.settings.site / self.settings.corrections_dir / f"{plan.slug}.yml"
        if isinstance(cache_file, list):  # an episode of one file per voice: each track's entry
            files: Any = [[str(f), _stamp(f)] for f in cache_file] + [[name for _, name in plan.tracks], list(plan.speakers.names)]
            data = [self._common_part(), plan.audio.sha256, plan.slug, list(plan.glossary), files, _stamp(corrections)]
        else:
            data = [self._common_part(), plan.audio.sha256, plan.slug, list(plan.glossary), str(cache_file), _stamp(cache_file), _stamp(corrections)]
        if turns_file is not None:
            data += [str(turns_file), _stamp(turns_file), list(plan.speakers.names), plan.speakers.key()]
        if translation_file is not None:
            data += [str(translation_file), _stamp(translation_file)]
        return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()

    def fresh_value(self, rel: str, fingerprint: str) -> dict[str, Any] | None:
        """The managed value recorded for ``rel`` when nothing rendering reads has changed."""
        entry = self.entries.get(rel)
        if not entry or entry.get("fingerprint") != fingerprint:
            return None
        site = self.settings.site
        for out, stamp in entry["outputs"].items():
            if _stamp(site / out) != stamp:
                return None
        return entry["value"]

    def outputs_of(self, rel: str) -> tuple[str, ...]:
        """The files recorded for ``rel`` (those ``fresh_value`` vouched for)."""
        entry = self.entries.get(rel)
        return tuple(entry["outputs"]) if entry else ()

    def record(self, rel: str, fingerprint: str, outputs: list[str], value: dict[str, Any]) -> None:
        site = self.settings.site
        self.entries[rel] = {"fingerprint": fingerprint, "outputs": {o: _stamp(site / o) for o in outputs}, "value": value}
        self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        for rel in [r for r in self.entries if r not in present]:
            del self.entries[rel]
            self.dirty = True

    def save(self) -> None:
        if self.dirty:
            atomic_write(self.path, json.dumps({"version": __version__, "audio": self.entries}, separators=(",", ":"), default=str))
            self.dirty = False
