"""Who spoke when, cached beside the transcripts: one small JSON file per (audio SHA-256, diarization key).

Kept apart from the transcript entries on purpose: turning speakers on for an
archive of 500 episodes, or changing an episode's speaker count, runs the
diarizer (about a minute per hour of audio on a CPU) and never transcribes
again. Names are not in the key: they are applied when rendering. Files live
under ``<cache>/turns/``, are committed with the cache, and are checked like
transcript entries (checksum, types, finite times); a bad one is diarized again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cache import InvalidEntry, checksum, parse_json_file, seconds
from .errors import CacheError
from .fsutil import atomic_write
from .transcript import Turn

FORMAT = 1
FOLDER = "turns"
MAX_BYTES = 16 << 20
_MAX_LABEL = 40


def turns_key(diarizer: dict[str, Any], count: str) -> str:
    """The hash of what changes the turns: the diarizer's identity and the speaker count asked for."""
    canonical = json.dumps({"format": FORMAT, "diarizer": diarizer, "count": count}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class TurnsEntry:
    audio_sha256: str
    key: str
    turns: tuple[Turn, ...]
    source: str  # "diarized" (voices clustered) or "channels" (one voice per channel of the file)
    path: Path


class InvalidTurns(InvalidEntry):
    """Why a turns file cannot be used (the cache's checks: cache.parse_json_file, cache.seconds)."""


class TurnsCache:
    """The ``turns/`` folder of the transcript cache."""

    def __init__(self, cache_root: Path) -> None:
        self.cache_root = cache_root
        self.root = cache_root / FOLDER
        self.refused: dict[Path, str] = {}

    def path_for(self, audio_sha256: str, key: str) -> Path:
        return self.root / audio_sha256[:2] / f"{audio_sha256}-{key[:16]}.json"

    def relative(self, audio_sha256: str, key: str) -> str:
        """``path_for`` relative to the cache folder (what gc's in-use sets hold), without Path work."""
        return f"{FOLDER}/{audio_sha256[:2]}/{audio_sha256}-{key[:16]}.json"

    def get(self, audio_sha256: str, key: str) -> TurnsEntry | None:
        """The stored turns, None when missing or refused (the reason is kept in ``refused``)."""
        path = self.path_for(audio_sha256, key)
        try:
            data = _load(path)
            if data["audio_sha256"] != audio_sha256 or data["key"] != key:
                raise InvalidTurns("filed under another audio hash or key")
        except FileNotFoundError:
            return None
        except InvalidEntry as exc:
            self.refused[path] = str(exc)
            return None
        turns = tuple(Turn.from_list(t) for t in data["turns"])
        return TurnsEntry(audio_sha256, key, turns, data["source"], path)

    def put(self, audio_sha256: str, key: str, turns: list[Turn], source: str) -> Path:
        body: dict[str, Any] = {
            "format": FORMAT, "audio_sha256": audio_sha256, "key": key, "source": source, "turns": [t.to_list() for t in turns],
        }
        try:
            check(body)
        except InvalidEntry as exc:
            raise CacheError(f"the speaker turns cannot be stored: {exc}") from exc
        body["checksum"] = checksum(body)
        path = self.path_for(audio_sha256, key)
        atomic_write(path, json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
        return path

    def entries(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from sorted(self.root.glob("??/*.json"))


def _load(path: Path) -> dict[str, Any]:
    data = parse_json_file(path, limit=MAX_BYTES)
    if data.get("checksum") != checksum({k: v for k, v in data.items() if k != "checksum"}):
        raise InvalidTurns("its checksum does not match its contents (damaged)")
    check(data)
    return data


def check(data: dict[str, Any]) -> None:
    """Every field, checked: InvalidTurns names the first that is wrong."""
    if data.get("format") != FORMAT:
        raise InvalidTurns(f"format is {data.get('format')!r}, this version reads {FORMAT}")
    if data.get("source") not in {"diarized", "channels"}:
        raise InvalidTurns(f"source is {data.get('source')!r}")
    turns = data.get("turns")
    if not isinstance(turns, list):
        raise InvalidTurns("turns is not a list")
    for number, turn in enumerate(turns, 1):
        if not (isinstance(turn, list) and len(turn) == 3):  # noqa: PLR2004
            raise InvalidTurns(f"turn {number} is not [start, end, speaker]")
        start, end, label = (seconds(turn[0], f"turn {number}: start"), seconds(turn[1], f"turn {number}: end"), turn[2])
        if start > end:
            raise InvalidTurns(f"turn {number} starts after it ends")
        if not isinstance(label, str) or not 0 < len(label) <= _MAX_LABEL:
            raise InvalidTurns(f"turn {number}: speaker {label!r} is not a short label")
