"""Find a site's audio: include/exclude globs, recognised by content.

Only the folders named by include globs are walked, and the stat index means
an unchanged file is neither opened nor hashed again.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
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
    return re.compile("".join(out) + r"\Z")


def matches(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(glob_regex(p).match(rel) for p in patterns)


def _walk_roots(site: Path, include: tuple[str, ...]) -> list[Path]:
    """The literal folder each include glob starts from, so nothing else is walked."""
    roots: set[Path] = set()
    for pattern in include:
        literal = []
        for part in pattern.split("/"):
            if any(ch in part for ch in "*?["):
                break
            literal.append(part)
        root = site.joinpath(*literal) if literal else site
        roots.add(root if root.is_dir() else root.parent)
    ordered = sorted(roots, key=lambda p: len(p.parts))
    return [r for r in ordered if not any(o in r.parents for o in ordered if o != r)]


# Files that are never audio: not even opened (the default include is the whole site).
NOT_AUDIO_SUFFIXES = frozenset(
    ".md .markdown .html .htm .xml .rss .atom .json .yml .yaml .toml .txt .csv .css .scss .sass .less .js .mjs .ts .map "
    ".png .jpg .jpeg .gif .svg .webp .avif .ico .bmp .tif .tiff .pdf .woff .woff2 .ttf .otf .eot .rb .py .sh .lock .gemspec "
    ".vtt .srt .liquid .zip .gz .tgz .epub .psd .ai .sketch .key .pptx .docx .xlsx".split()
)
# Named as video: a screen recording in a write-up is not an episode. Found only when a document
# links it as audio (an <audio> element, an audio key), never by the site-wide glob.
VIDEO_SUFFIXES = frozenset(".mp4 .m4v .mov .mkv .avi .wmv .ogv".split())


def candidate_files(settings: Settings) -> list[str]:
    """Site-relative paths (POSIX) that the include globs select and no exclude rejects.

    Jekyll's own folders (``_layouts``, ``_posts``… every top-level ``_x`` that is
    not a collection), its ``exclude:`` list and its destination are not walked
    unless an include glob names them.
    """
    site = settings.site
    own = tuple(f"{d.rstrip('/')}/**" for d in (settings.captions_dir, settings.includes_dir, settings.cache_dir))
    exclude = settings.excluded + own + settings.exclude  # never sniff the tool's own outputs
    exclude += tuple(f"{x.strip('/')}/**" for x in settings.jekyll_exclude) + tuple(x.strip("/") for x in settings.jekyll_exclude)
    named = {p.split("/", 1)[0] for p in settings.include}
    published = {f"_{c}" for c in settings.collections} | named
    found: set[str] = set()
    for root in _walk_roots(site, settings.include):
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            rel_dir = os.path.relpath(dirpath, site).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = [
                d
                for d in dirnames
                if not matches(rel_dir + d + "/", exclude)
                and not d.startswith(".")
                and not (rel_dir == "" and d.startswith("_") and d not in published)
            ]
            for name in filenames:
                rel = rel_dir + name
                suffix = os.path.splitext(name)[1].lower()
                if suffix in NOT_AUDIO_SUFFIXES or suffix in VIDEO_SUFFIXES or name.startswith("."):
                    continue
                if matches(rel, settings.include) and not matches(rel, exclude):
                    found.add(rel)
    return sorted(found)


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
