"""Atomic file writes and paths that cannot escape their root.

Every file the tool writes goes through ``atomic_write``: a temp file in the
same directory, fsync, then ``os.replace``. A crash leaves the old file or the
new one, never half of either.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import ChangedMeanwhile, JekyllAsrError, PathError

# atomic_write's temp files: ".NAME.jekyll-asr-" + mkstemp's 8 random characters + ".tmp", so that
# no file of the user's is taken for one. Releases before 0.2 used mkstemp's plain ".NAME.XXXXXXXX.tmp".
TEMP_MARK = "jekyll-asr-"
_TEMP_NAME = re.compile(rf"\.(?P<name>.+)\.{re.escape(TEMP_MARK)}[a-z0-9_]{{8}}\.tmp")
_LEGACY_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


def temp_target(name: str, *, legacy: bool = False) -> str | None:
    """The NAME an ``atomic_write`` temp file was writing (``.NAME.jekyll-asr-XXXXXXXX.tmp``), else None.

    ``legacy`` also accepts the older releases' ``.NAME.XXXXXXXX.tmp``: only where nobody but the
    tool writes (``.jekyll-asr/``), since a user's ``.notes.backup01.tmp`` has that shape too.
    """
    found = _TEMP_NAME.fullmatch(name) or (_LEGACY_TEMP_NAME.fullmatch(name) if legacy else None)
    return found.group("name") if found else None


def is_temp_name(name: str, *, legacy: bool = False) -> bool:
    """True for the name of an ``atomic_write`` temp file (one a killed process may leave)."""
    return temp_target(name, legacy=legacy) is not None


class Owner:
    """The tool's own folders, resolved once: the one test before it writes or deletes a path
    that a state file names (state files are input, not instructions).

    ``owns(path)``: the path, symlinks resolved, lies strictly inside one of the folders (resolved
    too) and inside the site. A folder that is (or holds) the site, or leads out of it, owns
    nothing. Parents are resolved once each, so checking every output of a site stays cheap.
    """

    def __init__(self, roots: Iterable[Path], *, site: Path) -> None:
        self.site = Path(site)
        self._site = self.site.resolve()
        self.roots = tuple(Path(r) for r in roots)
        kept = [(r, r.resolve()) for r in self.roots]
        kept = [(r, resolved) for r, resolved in kept if self._site in resolved.parents]
        self._roots = tuple(resolved for _, resolved in kept)
        self._names = tuple(os.path.join(os.path.relpath(r, self.site), "").replace(os.sep, "/") for r, _ in kept)
        # Prefixes as strings: ``Path.parents`` containment builds a Path per level, per call,
        # and a site's state files name thousands of paths on every (no-op) build.
        self._site_prefix = os.path.join(self._site, "")
        self._root_prefixes = tuple(os.path.join(r, "") for r in self._roots)
        self._site_str = str(self.site)
        self._parents: dict[str, str] = {}

    def resolve(self, candidate: Path) -> Path:
        """``candidate`` with symlinks resolved (its folder resolved once per folder)."""
        return Path(self._resolved(candidate))

    def names(self, rel: str) -> bool:
        """The cheap test for an entry a state file lists: relative, no ``..``, under a folder's name.

        Symlinks are not followed here (thousands of entries load on every no-op build);
        ``owns`` resolves them before anything is written or deleted.
        """
        rel = rel.replace("\\", "/")
        return not os.path.isabs(rel) and ".." not in rel.split("/") and rel.startswith(self._names)

    def owns(self, candidate: Path) -> bool:
        resolved = self._resolved(candidate)
        return resolved.startswith(self._site_prefix) and resolved.startswith(self._root_prefixes)

    def _resolved(self, candidate: Path | str) -> str:
        """The resolved path as a string: os.path on strings, as thousands of paths pass here per build."""
        path = os.path.join(self._site_str, candidate)
        folder, name = os.path.split(path)
        if name in ("", ".", "..") or os.path.islink(path):
            return os.path.realpath(path)
        parent = self._parents.get(folder)
        if parent is None:
            parent = self._parents[folder] = os.path.realpath(folder)
        return os.path.join(parent, name)

    def describe(self) -> str:
        """The folders, as a user names them: ``_includes/transcripts, assets/transcripts``."""
        return ", ".join(os.path.relpath(r, self.site) for r in self.roots)


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None, expect: bytes | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new bytes.

    With ``expect``, the file must still hold those bytes at the last moment before the
    rename (after the slow write and fsync); otherwise ChangedMeanwhile and nothing changes.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_MARK}", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise JekyllAsrError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if expect is not None and _bytes_or_none(path) != expect:
            os.unlink(tmp)
            raise ChangedMeanwhile(f"{path}: changed while building; not updated, run build again")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise JekyllAsrError(f"cannot write {path}: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


def _bytes_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write only when the bytes differ, so unchanged outputs cause no git churn."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write(path, data)
    return True


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inside(root: Path, candidate: Path) -> Path:
    """Resolve ``candidate`` (symlinks too) and refuse it unless it lies under ``root``."""
    root_resolved = Path(root).resolve()
    resolved = Path(candidate).resolve()
    if resolved != root_resolved and root_resolved not in resolved.parents:
        raise PathError(f"{candidate} resolves outside the site ({resolved}); refusing to use it")
    return resolved
