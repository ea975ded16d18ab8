"""What the tool last wrote, so a file someone edited by hand is never overwritten.

``.jekyll-asr/outputs.json`` (committed with the site) maps each generated
file to the SHA-256 of the bytes the tool wrote. Before writing, the file on
disk must still hold those bytes; otherwise it was edited, and it is kept.
A file the manifest does not list (a fresh clone where it was not committed)
is the tool's only when its bytes are what the tool renders for an earlier
state (``vouch``, decided by the plan). The manifest is input, not an
instruction: an entry outside the output folders is ignored with a note.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from .errors import JekyllAsrError, OutputConflict, PathError
from .fsutil import Owner, atomic_write


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def output_verdict(on_disk: bytes | None, data: bytes, written_sha: str | None, *, force: bool = False) -> str:
    """'current', 'missing', 'out of date' (a build rewrites it) or 'edited' (a build keeps it).

    The one rule: ``OutputManifest.write`` refuses an 'edited' file, and the plan predicts with it.
    """
    if on_disk is None:
        return "missing"
    if on_disk == data:
        return "current"
    if force or _sha(on_disk) == written_sha:
        return "out of date"
    return "edited"


class OutputManifest:
    def __init__(self, site: Path, path: Path, *, roots: Iterable[Path]) -> None:
        """``roots``: the output folders; nothing outside them is written, or kept in the manifest."""
        self.site = site
        self.path = path
        self.owner = Owner(roots, site=site)
        self.files: dict[str, str] = {}
        self.vouched: dict[str, str] = {}  # not listed, but bytes the tool renders for an earlier state
        self.notes: list[str] = []
        self.dirty = False
        self.found = path.is_file()  # False: deleted, or never committed (a fresh clone)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(raw.get("files"), dict):
                self.files = {str(k): str(v) for k, v in raw["files"].items()}
        except (OSError, ValueError, AttributeError):
            pass
        for rel in [r for r in self.files if not self.owner.names(r)]:  # write() and gc resolve symlinks again
            del self.files[rel]
            self.dirty = True  # the next save drops it
            self.notes.append(f"{self._name()} lists {rel!r}, which is not in jekyll-asr's output folders ({self.owner.describe()}); ignored")

    def _name(self) -> str:
        try:
            return self.path.relative_to(self.site).as_posix()
        except ValueError:
            return str(self.path)

    def written_sha(self, rel: str) -> str | None:
        """The SHA-256 of what the tool wrote at ``rel`` (or vouched for), None when unknown."""
        return self.files.get(rel) or self.vouched.get(rel)

    def vouch(self, rel: str, earlier: Iterable[str]) -> bool:
        """Take an unlisted ``rel`` as the tool's when it holds one of ``earlier`` (what the tool
        renders for an earlier state): such bytes cannot be a hand edit. In memory only."""
        try:
            on_disk = (self.site / rel).read_bytes()
        except OSError:
            return False
        if rel in self.files or on_disk not in {e.encode("utf-8") for e in earlier}:
            return False
        self.vouched[rel] = _sha(on_disk)
        return True

    def _refusal(self, rel: str, target: Path) -> PathError:
        resolved = self.owner.resolve(Path(rel))
        lexical = os.path.normpath(target)
        if not any(lexical.startswith(os.path.normpath(r) + os.sep) for r in self.owner.roots):
            return PathError(f"{rel} is not in jekyll-asr's output folders ({self.owner.describe()}); not written")
        if not resolved.is_relative_to(self.site.resolve()):
            return PathError(f"{rel} leads outside the site ({resolved}) through a symlink; not written")
        return PathError(f"{rel} leads out of jekyll-asr's output folders ({resolved}) through a symlink; not written")

    def write(self, rel: str, content: str, *, force: bool = False) -> bool:
        """Write a generated file; True when its bytes changed on disk.

        Raises OutputConflict when the file was edited since the tool wrote it,
        or exists without having been written by the tool, unless ``force``.
        """
        data = content.encode("utf-8")
        new_sha = _sha(data)
        target = self.site / rel
        if not self.owner.owns(Path(rel)):  # a state file's path, or a symlinked folder, must not carry a write elsewhere
            raise self._refusal(rel, target)
        try:
            current = target.read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as exc:  # a file or a folder in the way: this output fails, the build goes on
            raise JekyllAsrError(f"cannot write {rel}: {exc.strerror or exc}") from exc
        verdict = output_verdict(current, data, self.written_sha(rel), force=force)
        if verdict == "current":
            self._remember(rel, new_sha)
            return False
        if verdict == "edited" and rel not in self.files:
            why = "is missing: commit it with the site" if not self.found else "does not list it"
            raise OutputConflict(
                f"{rel} exists but jekyll-asr has no record of writing it ({self._name()} {why}); "
                "kept as if edited by hand (pass --force to overwrite it)"
            )
        if verdict == "edited":
            raise OutputConflict(
                f"{rel} was edited by hand since jekyll-asr wrote it; kept as it is "
                "(put fixes in the corrections file, or pass --force to overwrite)"
            )
        atomic_write(target, data)
        self._remember(rel, new_sha)
        return True

    def verdict(self, rel: str, content: str) -> str:
        """What ``write`` would do with this content (``output_verdict``); read-only."""
        if not self.owner.owns(Path(rel)):
            return "out of date"  # a build tries, and reports why it cannot
        try:
            on_disk: bytes | None = (self.site / rel).read_bytes()
        except FileNotFoundError:
            on_disk = None
        except OSError:
            return "out of date"  # a build tries, and reports why it cannot
        return output_verdict(on_disk, content.encode("utf-8"), self.written_sha(rel))

    def recorded(self, rel: str) -> bool:
        """Whether the tool knows what it wrote at ``rel`` (listed, or vouched for)."""
        return self.written_sha(rel) is not None

    def _remember(self, rel: str, sha: str) -> None:
        if self.files.get(rel) != sha:
            self.files[rel] = sha
            self.dirty = True

    def forget(self, rel: str) -> None:
        if self.files.pop(rel, None) is not None:
            self.dirty = True

    def save(self) -> None:
        if self.dirty:
            atomic_write(self.path, json.dumps({"version": 1, "files": dict(sorted(self.files.items()))}, indent=1) + "\n")
            self.dirty = False
