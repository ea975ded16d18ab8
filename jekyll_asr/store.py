"""Everything jekyll-asr keeps on disk for a site, with one owner.

Committed with the site (``.jekyll-asr/``): the transcript cache, the outputs
manifest (what the tool wrote, so hand edits are kept), the names given to
episodes' outputs, and the URL index of linked audio. Machine-local
(``.jekyll-asr/local/``, ignored by git): the stat index, the document memo,
the render index, the last build's failures, and the build lock.

Each file carries a version; one this version cannot read is treated as empty
(machine-local state is rebuilt, costing one slower build) and said once in
``notes``. ``save`` writes in the one order that keeps a killed build safe:
what was written (manifest, names, URLs) before what says "nothing to do"
(stat index, memo, render index), so a crash costs re-work, never a wrong skip.

State files are input, not instructions: ``owned`` is the one test of a path
one of them names before anything is written or deleted there (the output
folders, this folder, the cache, symlinks resolved); what fails it is dropped
at load with a note.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .cache import TranscriptCache
from .config import Settings
from .errors import PathError
from .find import DocumentMemo
from .fsutil import Owner
from .lock import SiteLock
from .names import NameIndex
from .outputs import OutputManifest
from .renderindex import RenderIndex
from .statindex import StatIndex
from .turnstore import TurnsCache
from .urlindex import UrlIndex

# file name -> the version this release reads (None: the file has no version field)
VERSIONS: dict[str, int | str | None] = {
    "names.json": NameIndex.VERSION,
    "urls.json": UrlIndex.VERSION,
    "outputs.json": None,
    "local/stat-index.json": StatIndex.VERSION,
    "local/documents.json": DocumentMemo.VERSION,
    "local/failures.json": 1,
}


def _outputs(entry: Any) -> list[str]:
    """The output paths a render index entry names (none when it is malformed)."""
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    return [str(o) for o in outputs] if isinstance(outputs, dict) else ["(malformed entry)"]


class _Saves(Protocol):
    def save(self) -> None: ...


@dataclass
class Store:
    """The paths, loaders, lock and save order of a site's ``.jekyll-asr`` folder and cache."""

    settings: Settings
    notes: list[str] = field(default_factory=list)
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def root(self) -> Path:
        return self.settings.site / ".jekyll-asr"

    @property
    def local(self) -> Path:
        """Machine-local state: inodes and mtimes mean nothing on another clone."""
        return self.settings.state_path

    @property
    def output_roots(self) -> tuple[Path, ...]:
        """The folders generated files live in: the includes and the captions folders."""
        return (self.settings.includes_path, self.settings.captions_path)

    def owner(self, *, outputs_only: bool = False) -> Owner:
        """The tool's own folders: the output folders, and unless ``outputs_only`` this folder and the cache."""
        key = "outputs-owner" if outputs_only else "owner"
        if key not in self._loaded:
            roots = self.output_roots if outputs_only else (*self.output_roots, self.root, self.settings.cache_path)
            self._loaded[key] = Owner(roots, site=self.settings.site)
        owner: Owner = self._loaded[key]
        return owner

    def owned(self, path: Path, *, outputs_only: bool = False) -> bool:
        """Whether the tool may write or delete ``path`` (site-relative or absolute), symlinks resolved."""
        return self.owner(outputs_only=outputs_only).owns(path)

    def path(self, name: str) -> Path:
        """A file of the store by its name in ``VERSIONS`` (``names.json``, ``local/stat-index.json``…)."""
        if name not in VERSIONS and name != "local/rendered.json":
            raise KeyError(name)
        return self.root / name

    def lock(self, *, wait: bool = True, say: Callable[[str], None] = print) -> SiteLock:
        """One build (or gc) per site at a time."""
        return SiteLock(self.local, wait=wait, say=say)

    def cache(self) -> TranscriptCache:
        """The transcript cache; the same object for the life of this store (as are manifest and render index)."""
        if "cache" not in self._loaded:
            self._loaded["cache"] = TranscriptCache(self.inside(self.settings.cache_path))
        cache: TranscriptCache = self._loaded["cache"]
        return cache

    def turns(self) -> TurnsCache:
        """Who spoke when, cached beside the transcripts (turnstore.py)."""
        if "turns" not in self._loaded:
            self._loaded["turns"] = TurnsCache(self.inside(self.settings.cache_path))
        turns: TurnsCache = self._loaded["turns"]
        return turns

    def manifest(self) -> OutputManifest:
        if "manifest" not in self._loaded:
            loaded = OutputManifest(self.settings.site, self.path("outputs.json"), roots=self.output_roots)
            self.notes.extend(loaded.notes)  # entries outside the output folders, dropped
            self._loaded["manifest"] = loaded
        manifest: OutputManifest = self._loaded["manifest"]
        return manifest

    def names(self) -> NameIndex:
        return NameIndex.load(self._checked("names.json"))

    def urls(self) -> UrlIndex:
        return UrlIndex.load(self._checked("urls.json"))

    def stat_index(self) -> StatIndex:
        """The stat index, without paths that leave the site (it is only ever asked about site files)."""
        index = StatIndex.load(self._checked("local/stat-index.json"))
        for rel in [r for r in index.entries if os.path.isabs(r) or ".." in r.split("/")]:  # strings: runs on every no-op build
            del index.entries[rel]
            index.dirty = True
            self.notes.append(f".jekyll-asr/local/stat-index.json names {rel!r}, which is not in the site; ignored")
        return index

    def memo(self) -> DocumentMemo:
        return DocumentMemo.load(self._checked("local/documents.json"))

    def rendered(self) -> RenderIndex:
        if "rendered" not in self._loaded:
            loaded = RenderIndex(self.settings)
            owner = self.owner(outputs_only=True)
            for key, entry in list(loaded.entries.items()):
                foreign = [o for o in _outputs(entry) if not owner.names(o)]
                if foreign:  # it would vouch for files that are not outputs: rendered again instead
                    del loaded.entries[key]
                    loaded.dirty = True
                    self.notes.append(f".jekyll-asr/local/rendered.json names {foreign[0]!r} as an output of {key}, "
                                      "which is not in jekyll-asr's output folders; ignored")
            self._loaded["rendered"] = loaded
        rendered: RenderIndex = self._loaded["rendered"]
        return rendered

    def inside(self, path: Path) -> Path:
        """``path``, after checking it lies inside the site (the cache may not be moved out of it)."""
        resolved, site = path.resolve(), self.settings.site.resolve()
        if resolved != site and site not in resolved.parents:
            raise PathError(f"{path} is outside the site {site}; jekyll-asr only writes inside it")
        return path

    def _checked(self, name: str) -> Path:
        """The file's path; a version this release cannot read is noted (its loader starts empty)."""
        path = self.path(name)
        wanted = VERSIONS[name]
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return path
        except (OSError, ValueError):
            self.notes.append(f"{path.relative_to(self.settings.site)} could not be read; it is rebuilt")
            return path
        found = raw.get("version") if isinstance(raw, dict) else None
        if wanted is not None and found != wanted:
            self.notes.append(f"{path.relative_to(self.settings.site)} has version {found!r}, this jekyll-asr reads {wanted}; it is rebuilt")
        return path

    def save_all(self, *, manifest: _Saves, names: _Saves, urls: _Saves, stat_index: _Saves, memo: _Saves, rendered: _Saves) -> None:
        """Save in the order that keeps a killed build safe: what was written first (the manifest of
        outputs, the names they were given, the URLs' hashes), then what says "unchanged, skip it"
        next time (stat index, document memo, render index). Each save is atomic on its own."""
        for part in (manifest, names, urls, stat_index, memo, rendered):
            part.save()
