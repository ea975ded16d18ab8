"""(path, size, mtime_ns, ctime_ns, inode) -> SHA-256 and sniffed format, like git's index.

Lets a rebuild skip hashing (and even opening) files that did not change. It is
machine-local state: inodes and times mean nothing on another clone, so it
lives under ``.jekyll-asr/local/`` and is never committed. A corrupt index is
treated as empty; one of another version too (``Store`` says so once).

ctime is there because mtime can be put back (``cp -p``, ``rsync -t``,
``touch -r``) and ctime cannot: any write or ``utime`` sets it to now. What is
left, as for git: a same-size rewrite in place that restores the mtime within
the same ctime tick as the stat that recorded the file (a few milliseconds on
Linux without fine-grained timestamps), or on a filesystem whose ctime does not
change (some FUSE and network mounts), is not noticed until the file's size,
mtime, ctime or inode next changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .fsutil import atomic_write

BLOCK = 1 << 20  # large reads: hashing is bound by I/O, not Python


@dataclass(frozen=True)
class Stat:
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> Stat:
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass(frozen=True)
class Entry:
    stat: Stat
    sha256: str | None  # None: sniffed, not hashed yet
    kind: str | None  # sniffed audio format, None when not audio


class StatIndex:
    VERSION = 2  # 2: ctime added (version 1 entries are dropped: one build hashes every file again)

    def __init__(self, path: Path, entries: dict[str, Entry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, Entry] = entries or {}
        self.dirty = False

    @classmethod
    def load(cls, path: Path) -> StatIndex:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != cls.VERSION:
                return cls(path)
            entries = {
                rel: Entry(Stat(v[0], v[1], v[2], v[3]), v[4], v[5]) for rel, v in raw["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return cls(path)
        return cls(path, entries)

    def lookup(self, rel: str, stat: Stat) -> Entry | None:
        entry = self.entries.get(rel)
        if entry is not None and entry.stat == stat:
            return entry
        return None

    def record(self, rel: str, stat: Stat, sha256: str | None, kind: str | None) -> None:
        entry = Entry(stat, sha256, kind)
        if self.entries.get(rel) != entry:
            self.entries[rel] = entry
            self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        for rel in [r for r in self.entries if r not in present]:
            del self.entries[rel]
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        files = {
            rel: [e.stat.size, e.stat.mtime_ns, e.stat.ctime_ns, e.stat.inode, e.sha256, e.kind]
            for rel, e in sorted(self.entries.items())
        }
        atomic_write(self.path, json.dumps({"version": self.VERSION, "files": files}, separators=(",", ":")))
        self.dirty = False


def hash_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()  # reads in large blocks, releases the GIL
