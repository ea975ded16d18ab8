"""Tags and chapters of an audio file: title, artist, album, date, chapter marks.

Transcript pages and podcast feeds show what the file's own tags say, so these
are read with mutagen (ID3 frames and CTOC/CHAP chapters, MP4 atoms and
chapters, Vorbis comments), falling back to FFmpeg's metadata through PyAV for
containers mutagen leaves empty (WAV INFO lists, Matroska/WebM). This has
nothing to do with decoding samples, so it is kept apart from ``audio``;
both libraries are imported only when tags are read.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .length import _declared
from .sniff import _is_regular, sniff
from .transcript import AudioTags, Chapter

if TYPE_CHECKING:
    from fractions import Fraction

_MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "date": "\xa9day"}


def read_tags(path: Path) -> AudioTags:
    """Title, artist, album, date, declared duration and chapters; empty AudioTags when none."""
    path = Path(path)
    if not _is_regular(path):
        return AudioTags()
    try:
        import mutagen

        file = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, struct.error):
        file = None
    fields: dict[str, str | None] = {"title": None, "artist": None, "album": None, "date": None}
    chapters: tuple[Chapter, ...] = ()
    if file is not None and file.tags is not None:
        from mutagen.id3 import ID3
        from mutagen.mp4 import MP4

        if isinstance(file.tags, ID3):
            fields = _id3_fields(file.tags)
            chapters = _id3_chapters(file.tags)
        elif isinstance(file, MP4):
            fields = {k: _first(file.tags.get(key)) for k, key in _MP4_KEYS.items()}
            chapters = _mp4_chapters(file)
        else:  # Vorbis comments: Ogg Vorbis/Opus/FLAC, FLAC
            fields = {k: _first(file.tags.get(k)) for k in fields}
    length = _declared(path, trusted_only=False)
    if not all(fields.values()) or not chapters:
        fields, chapters = _av_fallback(path, fields, chapters)
    return AudioTags(duration=length, chapters=_with_ends(chapters, length), **fields)


def _first(values: Any) -> str | None:
    if not values:
        return None
    text = str(values[0]).strip() if isinstance(values, list) else str(values).strip()
    return text or None


def _id3_fields(tags: Any) -> dict[str, str | None]:
    def text(frame_id: str) -> str | None:
        frame = tags.get(frame_id)
        return _first([str(t) for t in frame.text]) if frame is not None else None

    return {"title": text("TIT2"), "artist": text("TPE1"), "album": text("TALB"), "date": text("TDRC")}


def _id3_chapters(tags: Any) -> tuple[Chapter, ...]:
    """CHAP frames in the order of the top-level CTOC (unlisted ones after it, by start)."""
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    if not chaps:
        return ()
    tocs = {f.element_id: f for f in tags.getall("CTOC")}
    top = [t for t in tocs.values() if t.flags & 0x1] or list(tocs.values())
    ordered: list[str] = []

    def walk(element_id: str, seen: frozenset[str]) -> None:
        if element_id in chaps and element_id not in ordered:
            ordered.append(element_id)
        elif element_id in tocs and element_id not in seen:
            for child in tocs[element_id].child_element_ids:
                walk(child, seen | {element_id})

    for toc in top[:1]:
        walk(toc.element_id, frozenset())
    rest = sorted((c for c in chaps if c not in ordered), key=lambda c: chaps[c].start_time)
    result = []
    for element_id in ordered + rest:
        chap = chaps[element_id]
        title_frame = chap.sub_frames.get("TIT2")
        title = _first([str(t) for t in title_frame.text]) if title_frame is not None else None
        end = chap.end_time / 1000 if chap.end_time not in (0xFFFFFFFF,) and chap.end_time > chap.start_time else None
        result.append(Chapter(start=chap.start_time / 1000, title=title or element_id, end=end))
    return tuple(result)


def _mp4_chapters(file: Any) -> tuple[Chapter, ...]:
    found = getattr(file, "chapters", None)
    if not found:
        return ()
    return tuple(Chapter(start=float(c.start), title=str(c.title or "")) for c in found)


def _av_fallback(
    path: Path, fields: dict[str, str | None], chapters: tuple[Chapter, ...]
) -> tuple[dict[str, str | None], tuple[Chapter, ...]]:
    """Fill what mutagen did not find from FFmpeg's metadata (WAV INFO lists, Matroska/WebM)."""
    if sniff(path) is None:
        return fields, chapters
    import av

    try:
        with av.open(str(path)) as container:
            meta = {k.lower(): v for k, v in container.metadata.items()}
            found = container.chapters()
    except (av.FFmpegError, OSError):
        return fields, chapters
    filled = {k: v or _first(meta.get(k)) for k, v in fields.items()}
    if not chapters and found:
        # PyAV types a chapter's time base as Fraction | None (None for 0/0); FFmpeg gives every chapter one.
        chapters = tuple(
            Chapter(
                start=float(c["start"] * cast("Fraction", c["time_base"])),
                title=str(c["metadata"].get("title") or f"Chapter {i + 1}"),
                end=float(c["end"] * cast("Fraction", c["time_base"])) if c["end"] > c["start"] else None,
            )
            for i, c in enumerate(sorted(found, key=lambda c: c["start"] * cast("Fraction", c["time_base"])))
        )
    return filled, chapters


def _with_ends(chapters: tuple[Chapter, ...], length: float | None) -> tuple[Chapter, ...]:
    """Chapters without an end end where the next one starts (the last one at the declared length)."""
    result = []
    for i, chapter in enumerate(chapters):
        end = chapter.end
        if end is None:
            end = chapters[i + 1].start if i + 1 < len(chapters) else length
        result.append(Chapter(start=chapter.start, title=chapter.title, end=end))
    return tuple(result)
