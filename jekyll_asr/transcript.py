"""The transcript model every layer shares: engines produce it, the cache stores
it, writers render it. Frozen dataclasses, no untyped dicts between layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    """One word as the model timed it; ``probability`` is the model's confidence (None: not known).

    ``text`` keeps the model's leading space (" world"), so joining a segment's words gives its text.
    """

    start: float
    end: float
    text: str
    probability: float | None = None

    def to_list(self) -> list[Any]:
        """Compact in the cache: [start, end, text, probability]; an hour holds about 10,000 words."""
        return [round(self.start, 3), round(self.end, 3), self.text, None if self.probability is None else round(self.probability, 3)]

    @classmethod
    def from_list(cls, data: list[Any]) -> Word:
        probability = data[3] if len(data) > 3 else None  # noqa: PLR2004  (the optional fourth field)
        return cls(float(data[0]), float(data[1]), str(data[2]), None if probability is None else float(probability))


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, times in seconds from the start of the audio.

    ``words`` (may be empty: an engine without word times, or an entry from before they were
    kept), ``speaker`` (a label such as "1", named at render time; None: not diarized) and
    ``language`` (set when it differs from the transcript's: a bilingual episode) are optional,
    and left out of the stored form when unset, so older entries read unchanged.
    """

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.words:
            out["words"] = [w.to_list() for w in self.words]
        if self.speaker is not None:
            out["speaker"] = self.speaker
        if self.language is not None:
            out["language"] = self.language
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        speaker, language = data.get("speaker"), data.get("language")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            words=tuple(Word.from_list(w) for w in data.get("words") or ()),
            speaker=None if speaker is None else str(speaker),
            language=None if language is None else str(language),
        )


@dataclass(frozen=True)
class Turn:
    """Who spoke when: one speaker's stretch of speech, from diarization or a per-speaker track."""

    start: float
    end: float
    speaker: str  # a label ("1", "2"… in order of first appearance); names come at render time

    def to_list(self) -> list[Any]:
        return [round(self.start, 3), round(self.end, 3), self.speaker]

    @classmethod
    def from_list(cls, data: list[Any]) -> Turn:
        return cls(float(data[0]), float(data[1]), str(data[2]))


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
