"""Output names that never move: an episode keeps the name it was given.

An episode's include, captions and corrections file are named once, from the
document that uses the audio (its ``slug:``, its permalink, or its file name
without the date), or from the audio's own name when several documents share
it. The name is remembered in ``.jekyll-asr/names.json`` (committed with the
cache), so adding an unrelated file with the same base name elsewhere never
renames an existing episode's outputs, rewrites its front matter, or orphans
its corrections file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from .fsutil import atomic_write

_DATE_PREFIX = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")


def slugify(text: str) -> str:
    """A file name that cannot escape its folder: lowercase ASCII, digits and dashes."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:120].strip("-") or "audio"


class NameIndex:
    """Audio key (site path or URL) -> the output name given to it."""

    VERSION = 1

    def __init__(self, path: Path, names: dict[str, str] | None = None) -> None:
        self.path = path
        self.names: dict[str, str] = dict(names or {})
        self._saved = dict(self.names)

    @classmethod
    def load(cls, path: Path) -> NameIndex:
        """The committed names; a missing, corrupt or unknown-version file is empty (names are re-derived)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") == cls.VERSION and isinstance(raw.get("names"), dict):
                names = {str(k): slugify(str(v)) for k, v in raw["names"].items() if isinstance(v, str)}
                return cls(path, names)
        except (OSError, ValueError, AttributeError):
            pass
        return cls(path)

    def forget_missing(self, present: Iterable[str]) -> None:
        keep = set(present)
        self.names = {k: v for k, v in self.names.items() if k in keep}

    def save(self) -> None:
        if self.names != self._saved:
            data = {"version": self.VERSION, "names": dict(sorted(self.names.items()))}
            atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
            self._saved = dict(self.names)


def document_slug(path: PurePosixPath, front_matter_slug: Any = None) -> str:
    """A document's own name: its ``slug:``, else its file name without the date prefix."""
    if isinstance(front_matter_slug, str) and front_matter_slug.strip():
        return slugify(front_matter_slug)
    stem = path.stem
    if stem == "index" and path.parent.name:
        stem = path.parent.name
    return slugify(_DATE_PREFIX.sub("", stem))


def previous_name(managed: Any) -> str | None:
    """The name a document's managed value already uses (``include: transcripts/x.md``): kept on upgrade."""
    if not isinstance(managed, dict):
        return None
    include = managed.get("include")
    if isinstance(include, str) and include.endswith(".md"):
        return slugify(PurePosixPath(include).stem)
    files = managed.get("files")
    if isinstance(files, dict):
        for url in files.values():
            if isinstance(url, str):
                name = PurePosixPath(url.split("?", 1)[0]).name
                return slugify(name.split(".", 1)[0])
    return None


def assign(wanted: list[tuple[str, list[str], list[str]]], index: NameIndex, present: set[str] | None = None) -> dict[str, str]:
    """A name for each recording: the one remembered for any of its files, else the first free wanted name.

    ``wanted``: (key of the file transcribed, keys of all its encodings, names in
    order of preference). Remembered names are never given to another
    recording while their audio is ``present`` (a file or a link still in the
    site); a name whose audio is gone is free, so audio renamed together with
    its post keeps the post's name (and its corrections file). A new name that
    is taken gets ``-2``, ``-3``….
    """
    taken = {name for key, name in index.names.items() if present is None or key in present}
    out: dict[str, str] = {}
    for key, keys, _ in wanted:
        remembered = next((index.names[k] for k in [key, *keys] if k in index.names), None)
        if remembered is not None:
            out[key] = remembered
    for key, _, names in wanted:
        if key in out:
            continue
        name = next((n for n in names if n not in taken), None)
        if name is None:
            base, n = names[0], 2
            while f"{base}-{n}" in taken:
                n += 1
            name = f"{base}-{n}"
        out[key] = name
        taken.add(name)
    for key, keys, _ in wanted:  # every encoding remembers the recording's name
        for k in [key, *keys]:
            index.names[k] = out[key]
    return out
