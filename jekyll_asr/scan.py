"""Find a site's audio: include/exclude globs, recognised by content.

Only the folders named by include globs are walked, and the stat index means
an unchanged file is neither opened nor hashed again.
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .config import Settings
from .statindex import Stat, StatIndex, hash_file


@dataclass(frozen=True)
class AudioFile:
    """An audio file of the site, known by its content hash."""

    path: Path  # relative to the site; for remote audio, the URL's path (names and titles come from it)
    sha256: str
    size: int
    kind: str  # sniffed container format
    url: str | None = None  # remote audio: the URL the documents link

    @property
    def key(self) -> str:
        """What documents, reports and indexes call this file: its site path, or its URL."""
        return self.url if self.url is not None else self.path.as_posix()

    @classmethod
    def remote(cls, url: str, sha256: str, size: int, kind: str) -> AudioFile:
        from urllib.parse import unquote, urlsplit

        return cls(Path(unquote(urlsplit(url).path).lstrip("/") or "audio"), sha256, size, kind, url)


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """``**`` spans folders, ``*`` and ``?`` stay inside one path part."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(glob_regex(p).match(rel) for p in patterns)


def _walk_roots(site: Path, include: tuple[str, ...]) -> list[Path]:
    """The literal folder each include glob starts from, so nothing else is walked.

    A glob that is absolute or climbs with ``..`` is skipped (config refuses it; a
    Settings made in code is not validated): the walk never starts outside the site.
    """
    roots: set[Path] = set()
    for pattern in include:
        parts = pattern.split("/")
        if pattern.startswith("/") or ".." in parts:
            continue
        literal = []
        for part in parts:
            if any(ch in part for ch in "*?["):
                break
            literal.append(part)
        root = site.joinpath(*literal) if literal else site
        broken = root.is_symlink() and not _exists(str(root))  # walked to be said (a loop, a dangling link)
        roots.add(root if _is_dir(root) or broken or root == site else root.parent)
    ordered = sorted(roots, key=lambda p: len(p.parts))
    return [r for r in ordered if not any(o in r.parents for o in ordered if o != r)]


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


# Files that are never audio: not even opened (the default include is the whole site).
NOT_AUDIO_SUFFIXES = frozenset(
    ".md .markdown .html .htm .xml .rss .atom .json .yml .yaml .toml .txt .csv .css .scss .sass .less .js .mjs .ts .map "
    ".png .jpg .jpeg .gif .svg .webp .avif .ico .bmp .tif .tiff .pdf .woff .woff2 .ttf .otf .eot .rb .py .sh .lock .gemspec "
    ".vtt .srt .liquid .zip .gz .tgz .epub .psd .ai .sketch .key .pptx .docx .xlsx".split()
)
# Named as video: a screen recording in a write-up is not an episode. Found only when a document
# links it as audio (an <audio> element, an audio key), never by the site-wide glob.
VIDEO_SUFFIXES = frozenset(".mp4 .m4v .mov .mkv .avi .wmv .ogv".split())
# Control characters, undecodable bytes (surrogate escapes) and line separators: a name holding one
# cannot go into a report line, YAML front matter or a link as it is.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_ESCAPED_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's surrogate escape of an undecodable byte (0x80-0xFF)


def unsafe_name(name: str) -> bool:
    return any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in name)


def printable(name: str) -> str:
    """``name`` for one report line: control characters as ``\\n``/``\\x1b``, bytes that are not UTF-8 as ``\\xe9``."""
    out = []
    for ch in name:
        if ord(ch) in _ESCAPED_BYTES:
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def candidate_files(settings: Settings, warnings: list[str] | None = None) -> list[str]:
    """Site-relative paths (POSIX) that the include globs select and no exclude rejects.

    Jekyll's own folders (``_layouts``, ``_posts``… every top-level ``_x`` that is
    not a collection), its ``exclude:`` list and its destination are not walked
    unless an include glob names them. What cannot be walked (an unreadable folder,
    a looping or broken symlink, a name with a control character) is one line in
    ``warnings`` and the walk goes on.
    """
    site = settings.site
    own = tuple(f"{d.rstrip('/')}/**" for d in (settings.captions_dir, settings.includes_dir, settings.cache_dir))
    exclude = settings.excluded + own + settings.exclude  # never sniff the tool's own outputs
    exclude += tuple(f"{x.strip('/')}/**" for x in settings.jekyll_exclude) + tuple(x.strip("/") for x in settings.jekyll_exclude)
    named = {p.split("/", 1)[0] for p in settings.include}
    walk = _Walk(site, settings.include, exclude, frozenset(f"_{c}" for c in settings.collections) | named)
    for root in _walk_roots(site, settings.include):
        walk.tree(root)
    if warnings is not None:
        warnings.extend(walk.warnings)
    return sorted(walk.found)


@dataclass
class _Walk:
    """One walk of the include roots: folder symlinks are never followed (a loop cannot be
    walked; audio under a linked folder is found through the documents that link it)."""

    site: Path
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    published: frozenset[str]  # top-level ``_x`` folders that are walked
    found: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def tree(self, root: Path) -> None:
        rel_root = root.relative_to(self.site).as_posix()
        if not _is_dir(root):
            if root.is_symlink():
                self._broken(rel_root, root)
            return
        stack = ["" if rel_root == "." else rel_root + "/"]
        while stack:
            stack.extend(reversed(self._folder(stack.pop())))

    def _folder(self, rel_dir: str) -> list[str]:
        """Record the folder's candidate files; return its subfolders to walk."""
        try:
            with os.scandir(self.site / rel_dir if rel_dir else self.site) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.warnings.append(f"{printable(rel_dir.rstrip('/') or '.')}: cannot read this folder ({exc.strerror or exc}); its files are skipped")
            return []
        folders = []
        for entry in entries:
            name, rel = entry.name, rel_dir + entry.name
            if name.startswith("."):
                continue
            if _entry_is_dir(entry):
                if entry.is_symlink():
                    self._linked_folder(rel, entry.path)
                elif not matches(rel + "/", self.exclude) and not (rel_dir == "" and name.startswith("_") and name not in self.published):
                    if unsafe_name(name):
                        self.warnings.append(f"{printable(rel)}: a control character in the folder name; skipped (rename it)")
                    else:
                        folders.append(rel + "/")
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix in NOT_AUDIO_SUFFIXES or suffix in VIDEO_SUFFIXES or not matches(rel, self.include) or matches(rel, self.exclude):
                continue
            if unsafe_name(name):
                self.warnings.append(f"{printable(rel)}: a control character in the file name; skipped (rename it)")
            elif entry.is_symlink() and not _exists(entry.path):
                self._broken(rel, Path(entry.path))
            else:
                self.found.add(rel)
        return folders

    def _linked_folder(self, rel: str, path: str) -> None:
        """A folder symlink is not followed; one that points at its own folder or above is a loop, said once."""
        target = os.path.realpath(path)
        here = os.path.realpath(os.path.dirname(path))
        if here == target or here.startswith(target.rstrip(os.sep) + os.sep):
            self.warnings.append(f"{printable(rel)}: symlink loop (to {printable(target)}); not followed")

    def _broken(self, rel: str, path: Path) -> None:
        try:
            os.stat(path)
        except OSError as exc:
            kind = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
            self.warnings.append(f"{printable(rel)}: {kind} ({exc.strerror or exc}); skipped")


def _entry_is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a looping symlink
        return False


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except OSError:
        return False
    return True


def classify(settings: Settings, rel: str, index: StatIndex, *, hash_it: bool = True) -> AudioFile | None:
    """The AudioFile at ``rel``, or None when it is not audio; uses and updates the index."""
    from .sniff import sniff  # deferred: a file is sniffed only when it is new (sniff.py imports no numpy or PyAV)

    path = settings.site / rel
    try:
        stat = Stat.of(path)
    except OSError:
        return None
    entry = index.lookup(rel, stat)
    if entry is not None and entry.kind is None:
        return None
    kind = entry.kind if entry is not None else sniff(path)
    if kind is None:
        index.record(rel, stat, None, None)
        return None
    sha = entry.sha256 if entry is not None else None
    if sha is None and hash_it:
        sha = hash_file(path)
    index.record(rel, stat, sha, kind)
    return AudioFile(Path(rel), sha or "", stat.size, kind)
