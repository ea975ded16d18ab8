"""Remove what nothing references any more: old cache entries and orphaned generated files.

A cache entry is in use when a build of the site as it is now would read it
(current audio content and settings, any engine ``auto`` accepts), or when it is
an entry of audio whose transcript under the current settings is not made yet:
the published pages still come from it (a model changed to one this machine
cannot load must not cost the archive). A generated
file is in use when a build would write it, or when its audio is not
transcribed yet (so a file waiting for another shard keeps its old outputs).
Everything else listed in the outputs manifest or the cache folder is garbage.
Orphaned generated files edited by hand are kept unless ``force``, and so is
one a page still ``{% include %}``s (its audio may be gone; ``jekyll build``
still needs it). Temp files that a killed build left behind
(``.NAME.jekyll-asr-XXXXXXXX.tmp``, see fsutil.atomic_write) go too: gc holds
the build lock, so no build is writing them.

Nothing is deleted that is not the tool's: each path, whatever the manifest
says, must resolve inside the tool's folders (``Store.owned``).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import JekyllAsrError, UsageError
from .fsutil import Owner, sha256_bytes, temp_target
from .state import SiteState, site_state
from .store import Store

_CACHE_ENTRY = re.compile(r"[0-9a-f]{64}-[0-9a-f]{16}\.json")  # TranscriptCache's file names


@dataclass(frozen=True)
class Garbage:
    """What ``gc`` removes (or, with ``--dry-run``, would remove); paths are site-relative."""

    cache_entries: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()  # generated files nothing references
    edited: tuple[str, ...] = ()  # orphaned generated files edited by hand: kept unless force
    forgotten: tuple[str, ...] = ()  # manifest entries whose file is already gone
    temp_files: tuple[str, ...] = ()  # left by writes a killed build never finished
    included: tuple[tuple[str, str], ...] = ()  # (orphaned generated file, the page including it): kept
    warnings: tuple[str, ...] = ()  # state file entries ignored: not the tool's to delete

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
            "included": [rel for rel, _ in self.included],
            "warnings": list(self.warnings),
        }


def find_garbage(settings: Settings, state: SiteState, *, keep_other_settings: bool = False, force: bool = False) -> Garbage:
    """Cache entries and generated files that ``state`` does not use."""
    store = Store(settings)
    cache, manifest = store.cache(), store.manifest()  # the manifest drops (with a note) what is not in the output folders
    present = {a.sha256 for a in state.audio}
    entries, warnings = [], []
    in_cache = Owner((settings.cache_path,), site=settings.site)
    for path in itertools.chain(cache.entries(), store.turns().entries()):  # transcripts, and speaker turns beside them
        rel = path.relative_to(cache.root).as_posix()
        if rel in state.cache_in_use or (keep_other_settings and path.name.split("-", 1)[0] in present):
            continue
        if not in_cache.owns(path):
            warnings.append(f"{_site_rel(settings, path)} resolves outside the cache folder ({in_cache.resolve(path)}); ignored")
            continue
        entries.append(_site_rel(settings, path))

    outputs, edited, forgotten, included = [], [], [], []
    pages = included_files(settings)
    for rel, written_sha in sorted(manifest.files.items()):
        if rel in state.outputs_in_use:
            continue
        target = settings.site / rel
        if not store.owned(target, outputs_only=True):  # loading checked the name; a symlink may still lead out
            warnings.append(f"outputs.json lists {rel!r}, which resolves outside jekyll-asr's output folders; ignored")
            continue
        if not target.exists():
            forgotten.append(rel)
        elif rel in pages:
            included.append((rel, pages[rel]))
        elif not force and _edited(target, written_sha):
            edited.append(rel)
        else:
            outputs.append(rel)
    temp_files = leftover_temp_files(settings, state)
    warnings = store.notes + warnings
    return Garbage(tuple(entries), tuple(outputs), tuple(edited), tuple(forgotten), temp_files, tuple(included), tuple(warnings))


def leftover_temp_files(settings: Settings, state: SiteState) -> tuple[str, ...]:
    """Temp files of unfinished writes that the tool could have made, where it writes.

    In its own folders (state, manifest, cache wherever ``cache_dir`` puts it,
    the includes and captions folders, searched whole): the tool's temp pattern,
    and inside ``.jekyll-asr/`` also the older releases' plain mkstemp pattern
    (only the tool writes there; elsewhere a user's ``.notes.backup01.tmp`` has
    that shape). Beside a post whose front matter it edits: only that post's
    own temp name. Never the rest of the user's site.
    """
    store = Store(settings)
    owner, state_folder = store.owner(), Owner((store.root,), site=settings.site)
    found: set[Path] = set()
    for tree in dict.fromkeys((store.root, settings.cache_path, *store.output_roots)):
        for path in tree.rglob("*.tmp") if tree.is_dir() else ():
            legacy = state_folder.owns(path) or (settings.cache_path in path.parents and _is_cache_temp(path.name))
            if temp_target(path.name, legacy=legacy) is not None and owner.owns(path):
                found.add(path)
    found |= set(_post_temp_files(settings, state))
    return tuple(sorted(_site_rel(settings, p) for p in found if p.is_file() and not p.is_symlink()))


def _is_cache_temp(name: str) -> bool:
    """An older release's temp file of a cache entry (``.<sha>-<key>.json.XXXXXXXX.tmp``)."""
    target = temp_target(name, legacy=True)
    return target is not None and _CACHE_ENTRY.fullmatch(target) is not None


def _post_temp_files(settings: Settings, state: SiteState) -> Iterator[Path]:
    """Temp files beside the posts the tool edits, each named for its own post."""
    site = settings.site.resolve()
    posts: dict[Path, set[str]] = {}
    for user in {user for audio in state.audio for user in audio.users}:
        post = settings.site / user
        posts.setdefault(post.parent, set()).add(post.name)
    for folder, names in posts.items():
        real = folder.resolve()
        if site != real and site not in real.parents:
            continue
        for path in folder.glob(".*.tmp") if folder.is_dir() else ():
            if temp_target(path.name) in names and path.resolve().parent == real:
                yield path


# `{% include x %}` / `{%- include_relative "x" -%}`: the file a page pulls in (no Liquid in its name)
_INCLUDE = re.compile(r"\{%-?\s*include(_relative)?\s+([\"']?)([^\s\"'%{}]+)\2")
_PAGE_SUFFIXES = (".md", ".markdown", ".mkd", ".html", ".htm", ".liquid", ".xml", ".rss", ".atom", ".json", ".txt")
_SKIPPED_DIRS = ("node_modules", "vendor")


def included_files(settings: Settings) -> dict[str, str]:
    """Site-relative file -> the first page, layout or include that ``{% include %}``s it by name.

    gc keeps these whatever else says they are unused: ``jekyll build`` fails on a missing include.
    """
    folder = settings.includes_dir.split("/", 1)[0]  # Jekyll's includes folder (`include` names are relative to it)
    found: dict[str, str] = {}
    for page in _pages(settings):
        try:
            text = page.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        rel_page = page.relative_to(settings.site)
        for relative, _, name in _INCLUDE.findall(text):
            base = rel_page.parent if relative else Path(folder)
            target = os.path.normpath(base / name).replace(os.sep, "/")
            found.setdefault(target, rel_page.as_posix())
    return found


def _pages(settings: Settings) -> Iterator[Path]:
    """The site's text files Jekyll may render, outside its output, dependency and hidden folders."""
    destination = settings.destination.strip("/")
    for folder, dirs, files in os.walk(settings.site):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS
                         and (Path(folder) / d).relative_to(settings.site).as_posix() != destination)
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith(_PAGE_SUFFIXES) and not path.is_symlink():
                yield path


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
    store = Store(settings)
    temp_files = set(garbage.temp_files)  # checked where found: the tool's exact name, in a folder it writes to
    for rel in garbage.removed:
        path = settings.site / rel
        if rel not in temp_files and not store.owned(path):  # find_garbage checked it; once more before the unlink
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise JekyllAsrError(f"cannot remove {rel}: {exc.strerror or exc}") from exc
        if settings.cache_path in path.parents:
            _prune_empty_dirs(path.parent, stop=settings.cache_path)
    manifest = store.manifest()
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
