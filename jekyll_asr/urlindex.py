"""What each remote audio URL served: ``.jekyll-asr/urls.json``, the no-network path of a rebuild.

The transcript cache is keyed by content, so a build needs each URL's SHA-256.
``UrlIndex`` remembers it, with the validators (ETag, Last-Modified) that let a
revalidation get a 304: a rebuild with nothing new sends no request.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .fsutil import atomic_write

SHA256 = re.compile(r"[0-9a-f]{64}")  # a content hash as the index and the download store name it


@dataclass(frozen=True)
class UrlRecord:
    """What a URL served when last fetched: enough to find its transcript without the network."""

    sha256: str
    size: int
    kind: str  # sniffed container ("mp3", "ogg", "mp4", ...)
    etag: str | None = None
    last_modified: str | None = None
    content_length: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, raw: Any) -> UrlRecord | None:
        """The record in ``raw``, or None when a field is malformed (that entry is dropped)."""
        try:
            rec = cls(**raw)
        except TypeError:
            return None
        ok = isinstance(rec.sha256, str) and SHA256.fullmatch(rec.sha256) and isinstance(rec.kind, str)
        ok = ok and isinstance(rec.size, int) and isinstance(rec.content_length, int | None)
        return rec if ok and all(isinstance(v, str | None) for v in (rec.etag, rec.last_modified)) else None


class UrlIndex:
    """URL -> UrlRecord in ``.jekyll-asr/urls.json``: sorted, indented text, committable beside the
    transcript cache so that a CI build with both checked in needs no network. A corrupt or
    unknown-version file is treated as empty; it is saved (atomically) only when changed."""

    VERSION = 1

    def __init__(self, path: Path, urls: dict[str, UrlRecord] | None = None) -> None:
        self.path = path
        self.urls: dict[str, UrlRecord] = urls or {}
        self.dirty = False
        self._lock = threading.Lock()  # download threads record into it

    @classmethod
    def load(cls, path: Path) -> UrlIndex:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != cls.VERSION:
                return cls(path)
            entries = {url: UrlRecord.from_json(value) for url, value in raw["urls"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(path)
        return cls(path, {url: rec for url, rec in entries.items() if rec is not None})

    def get(self, url: str) -> UrlRecord | None:
        """The URL's last known content: a build's no-network path."""
        return self.urls.get(url)

    def record(self, url: str, rec: UrlRecord) -> None:
        with self._lock:
            if self.urls.get(url) != rec:
                self.urls[url] = rec
                self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        """Drop URLs no document links any more, so the committed file does not grow forever."""
        with self._lock:
            for url in [u for u in self.urls if u not in present]:
                del self.urls[url]
                self.dirty = True

    def save(self) -> None:
        with self._lock:
            if self.dirty:
                urls = {url: rec.to_json() for url, rec in self.urls.items()}
                text = json.dumps({"version": self.VERSION, "urls": urls}, indent=2, sort_keys=True, ensure_ascii=False)
                atomic_write(self.path, text + "\n")
                self.dirty = False
