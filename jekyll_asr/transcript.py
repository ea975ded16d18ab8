"""The transcript model every layer shares: engines produce it, the cache stores
it, writers render it. Frozen dataclasses, no untyped dicts between layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, times in seconds from the start of the audio."""

    start: float
    end: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(start=float(data["start"]), end=float(data["end"]), text=str(data["text"]))


@dataclass(frozen=True)
class Chapter:
    """A chapter from the audio's own tags (ID3 CHAP, MP4 chapters)."""

    start: float
    title: str
    end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": None if self.end is None else round(self.end, 3), "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chapter:
        end = data.get("end")
        return cls(start=float(data["start"]), title=str(data["title"]), end=None if end is None else float(end))


@dataclass(frozen=True)
class Transcript:
    """What one audio file said, and what said it."""

    segments: tuple[Segment, ...]
    language: str
    duration: float
    model: str
    engine: str

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def is_empty(self) -> bool:
        return not self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "duration": round(self.duration, 3),
            "model": self.model,
            "engine": self.engine,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            segments=tuple(Segment.from_dict(s) for s in data["segments"]),
            language=str(data["language"]),
            duration=float(data["duration"]),
            model=str(data["model"]),
            engine=str(data["engine"]),
        )


@dataclass(frozen=True)
class AudioTags:
    """Tags read from the container: they fill front matter a post lacks."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    date: str | None = None
    duration: float | None = None
    chapters: tuple[Chapter, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "date": self.date,
            "duration": self.duration,
            "chapters": [c.to_dict() for c in self.chapters],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioTags:
        return cls(
            title=data.get("title"),
            artist=data.get("artist"),
            album=data.get("album"),
            date=data.get("date"),
            duration=data.get("duration"),
            chapters=tuple(Chapter.from_dict(c) for c in data.get("chapters") or ()),
        )
