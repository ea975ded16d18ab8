"""Remove what nothing references any more: old cache entries and orphaned generated files.

A cache entry is in use when a build of the site as it is now would read it
(current audio content and settings, any engine ``auto`` accepts). A generated
file is in use when a build would write it, or when its audio is not
transcribed yet (so a file waiting for another shard keeps its old outputs).
Everything else listed in the outputs manifest or the cache folder is garbage.
Orphaned generated files edited by hand are kept unless ``force``. Temp files
that a killed build left behind (``.NAME.XXXXXXXX.tmp``, see fsutil.atomic_write)
go too: gc holds the build lock, so no build is writing them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import JekyllAsrError, UsageError
from .fsutil import is_temp_name, sha256_bytes
from .state import SiteState, site_state
from .store import Store


@dataclass(frozen=True)
class Garbage:
    """What ``gc`` removes (or, with ``--dry-run``, would remove); paths are site-relative."""

    cache_entries: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()  # generated files nothing references
    edited: tuple[str, ...] = ()  # orphaned generated files edited by hand: kept unless force
    forgotten: tuple[str, ...] = ()  # manifest entries whose file is already gone
    temp_files: tuple[str, ...] = ()  # left by writes a killed build never finished

    @property
    def removed(self) -> tuple[str, ...]:
        return self.cache_entries + self.outputs + self.temp_files

    def to_dict(self) -> dict[str, Any]:
        return {
            "cache_entries": list(self.cache_entries),
            "outputs": list(self.outputs),
            "edited": list(self.edited),
            "forgotten": list(self.forgotten),
            "temp_files": list(self.temp_files),
        }


def find_garbage(settings: Settings, state: SiteState, *, keep_other_settings: bool = False, force: bool = False) -> Garbage:
    """Cache entries and generated files that ``state`` does not use."""
    cache = Store(settings).cache()
    present = {a.sha256 for a in state.audio}
    entries = []
    for path in cache.entries():
        rel = path.relative_to(cache.root).as_posix()
        if rel in state.cache_in_use:
            continue
        if keep_other_settings and path.name.split("-", 1)[0] in present:
            continue
        entries.append(_site_rel(settings, path))

    manifest = Store(settings).manifest()
    outputs, edited, forgotten = [], [], []
    for rel, written_sha in sorted(manifest.files.items()):
        if rel in state.outputs_in_use:
            continue
        target = settings.site / rel
        if not target.exists():
            forgotten.append(rel)
            continue
        if not force and _edited(target, written_sha):
            edited.append(rel)
        else:
            outputs.append(rel)
    return Garbage(tuple(entries), tuple(outputs), tuple(edited), tuple(forgotten), leftover_temp_files(settings, state))


def leftover_temp_files(settings: Settings, state: SiteState) -> tuple[str, ...]:
    """Temp files of unfinished writes, in the folders the tool writes to.

    Those are its own trees (state, manifest, cache wherever ``cache_dir`` puts
    it, the includes and captions folders, searched whole) and the folders of
    the posts whose front matter it edits (searched flat): never the rest of
    the user's site.
    """
    trees = [Store(settings).root, settings.cache_path, settings.includes_path, settings.captions_path]
    found = {p for tree in trees if tree.is_dir() for p in tree.rglob("*.tmp")}
    posts = {(settings.site / user).parent for audio in state.audio for user in audio.users}
    found |= {p for folder in posts if folder.is_dir() for p in folder.glob(".*.tmp")}
    return tuple(sorted(_site_rel(settings, p) for p in found if is_temp_name(p.name) and p.is_file() and not p.is_symlink()))


def collect_garbage(
    settings: Settings,
    *,
    dry_run: bool = False,
    force: bool = False,
    keep_other_settings: bool = False,
    wait: bool = True,
    say: Callable[[str], None] = print,
) -> Garbage:
    """Find the garbage and, unless ``dry_run``, remove it (holding the site's build lock).

    Refuses while the site has problems (a post whose front matter does not
    parse hides the audio it uses, whose transcript would then look unused),
    unless ``force``.
    """
    with Store(settings).lock(wait=wait, say=say):
        state = site_state(settings)
        if state.problems and not force:
            listed = "\n  ".join(f"{p}: {m}" for p, m in state.problems)
            raise UsageError(
                "gc stopped: the site has problems, so some audio in use may look unused:\n  "
                f"{listed}\nfix them first, or pass --force to collect anyway"
            )
        garbage = find_garbage(settings, state, keep_other_settings=keep_other_settings, force=force)
        if not dry_run:
            _remove(settings, garbage)
    return garbage


def _remove(settings: Settings, garbage: Garbage) -> None:
    for rel in garbage.removed:
        path = settings.site / rel
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise JekyllAsrError(f"cannot remove {rel}: {exc.strerror or exc}") from exc
        if settings.cache_path in path.parents:
            _prune_empty_dirs(path.parent, stop=settings.cache_path)
    manifest = Store(settings).manifest()
    for rel in garbage.outputs + garbage.forgotten:
        manifest.forget(rel)
    manifest.save()


def _edited(path: Path, written_sha: str) -> bool:
    """True when the file no longer holds the bytes the tool wrote."""
    try:
        return sha256_bytes(path.read_bytes()) != written_sha
    except OSError:
        return False


def _prune_empty_dirs(folder: Path, *, stop: Path) -> None:
    """Remove cache shard folders left empty."""
    while folder != stop and stop in folder.parents:
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = folder.parent


def _site_rel(settings: Settings, path: Path) -> str:
    try:
        return path.relative_to(settings.site).as_posix()
    except ValueError:
        return str(path)
