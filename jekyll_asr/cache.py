"""The transcript cache: one small JSON file per (audio SHA-256, settings key).

Entries are safe to commit: a CI build with the cache checked in transcribes
nothing. The key holds everything that changes the words (model identity,
engine, language, task, decoding options, prompt). Each entry carries a
checksum; a corrupt or tampered entry is recomputed, never served.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import __version__
from .fsutil import atomic_write
from .transcript import AudioTags, Transcript

FORMAT = 1


def settings_key(settings: dict[str, Any]) -> str:
    """A stable hash of the word-changing settings."""
    canonical = json.dumps({"format": FORMAT, **settings}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    audio_sha256: str
    key: str
    settings: dict[str, Any]
    transcript: Transcript
    tags: AudioTags
    path: Path


class TranscriptCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.corrupt: list[Path] = []  # entries found bad during this run

    def path_for(self, audio_sha256: str, key: str) -> Path:
        return self.root / audio_sha256[:2] / f"{audio_sha256}-{key[:16]}.json"

    def get(self, audio_sha256: str, key: str) -> CacheEntry | None:
        path = self.path_for(audio_sha256, key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            self.corrupt.append(path)
            return None
        try:
            data = json.loads(raw)
            body = {k: v for k, v in data.items() if k != "checksum"}
            if data.get("checksum") != _checksum(body) or data.get("format") != FORMAT:
                raise ValueError("checksum mismatch")
            if data["audio_sha256"] != audio_sha256 or data["key"] != key:
                raise ValueError("entry filed under the wrong name")
            return CacheEntry(
                audio_sha256=audio_sha256,
                key=key,
                settings=data["settings"],
                transcript=Transcript.from_dict(data["transcript"]),
                tags=AudioTags.from_dict(data.get("tags") or {}),
                path=path,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            self.corrupt.append(path)
            return None

    def put(
        self, audio_sha256: str, key: str, settings: dict[str, Any], transcript: Transcript, tags: AudioTags
    ) -> Path:
        body = {
            "format": FORMAT,
            "tool_version": __version__,
            "audio_sha256": audio_sha256,
            "key": key,
            "settings": settings,
            "tags": tags.to_dict(),
            "transcript": transcript.to_dict(),
        }
        body["checksum"] = _checksum(body)
        path = self.path_for(audio_sha256, key)
        atomic_write(path, json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        return path

    def entries(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from sorted(self.root.glob("??/*.json"))
