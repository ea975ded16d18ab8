"""What the tool last wrote, so a file someone edited by hand is never overwritten.

``.jekyll-asr/outputs.json`` (committed with the site) maps each generated
file to the SHA-256 of the bytes the tool wrote. Before writing, the file on
disk must still hold those bytes; otherwise it was edited, and it is kept.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import JekyllAsrError, OutputConflict, PathError
from .fsutil import atomic_write, inside


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
    def __init__(self, site: Path, path: Path) -> None:
        self.site = site
        self.path = path
        self.files: dict[str, str] = {}
        self.dirty = False
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(raw.get("files"), dict):
                self.files = {str(k): str(v) for k, v in raw["files"].items()}
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, rel: str, content: str, *, force: bool = False) -> bool:
        """Write a generated file; True when its bytes changed on disk.

        Raises OutputConflict when the file was edited since the tool wrote it,
        or exists without having been written by the tool, unless ``force``.
        """
        data = content.encode("utf-8")
        new_sha = _sha(data)
        target = self.site / rel
        try:
            inside(self.site, target)  # a symlinked folder must not carry a write out of the site
        except PathError as exc:
            raise PathError(f"{rel} leads outside the site ({target.resolve()}) through a symlink; not written") from exc
        try:
            current = target.read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as exc:  # a file or a folder in the way: this output fails, the build goes on
            raise JekyllAsrError(f"cannot write {rel}: {exc.strerror or exc}") from exc
        verdict = output_verdict(current, data, self.files.get(rel), force=force)
        if verdict == "current":
            self._remember(rel, new_sha)
            return False
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
        try:
            on_disk: bytes | None = (self.site / rel).read_bytes()
        except FileNotFoundError:
            on_disk = None
        except OSError:
            return "out of date"  # a build tries, and reports why it cannot
        return output_verdict(on_disk, content.encode("utf-8"), self.files.get(rel))

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
