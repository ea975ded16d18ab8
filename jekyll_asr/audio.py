"""Audio files: what they are (by content), their samples, and their tags.

``sniff`` runs on every file in the site's asset globs, so it reads one small
block and imports nothing heavy. ``decode`` hands the engines float32 mono
16 kHz arrays (PyAV, no system ffmpeg) and refuses truncated files, because a
truncated file decodes without any error and Whisper invents words for it.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import AudioError
from .transcript import AudioTags, Chapter

if TYPE_CHECKING:
    from fractions import Fraction

    import numpy as np
    from av.container import InputContainer
    from numpy.typing import NDArray

SAMPLE_RATE = 16_000

# A file is truncated when it decodes to less than its header declares, by more
# than max(1 s, 1 %). Codec delay and padding (MP3 encoder delay, AAC priming,
# Opus pre-skip) account for at most ~0.05 s (0.04 s measured on the fixtures),
# so 1 s leaves a 20x margin on short clips; 1 % absorbs rounding in the lengths
# containers compute for long episodes. A truncated file is usually cut far
# shorter (the fixtures lose 95-99 %).
_TRUNCATION_SECONDS = 1.0
_TRUNCATION_FRACTION = 0.01

_SNIFF_BYTES = 4096  # one page: room for two MPEG frame headers after an ID3 tag
_WAV_STREAMING_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)  # "length unknown" sentinels of streaming writers
_MP4_BRANDS = {
    b"M4A ", b"M4B ", b"M4P ", b"M4V ", b"F4A ", b"F4B ", b"F4V ", b"mp41", b"mp42", b"mp71",
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9", b"dash", b"avc1",
    b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"MSNV", b"qt  ", b"caqv", b"NDAS",
}
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"jpeg"}

# MPEG audio header tables: bitrates in kbit/s by (version is MPEG-1, layer), sample rates by version bits.
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES[(False, 3)] = _BITRATES[(False, 2)]
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# MPEG audio frame header fields; the layer is 4 - its two bits, so the reserved bits 00 give 4.
_MPEG_HEADER_SIZE = 4
_MPEG_SYNC, _MPEG_SYNC_LOW = 0xFF, 0xE0  # eleven set bits: all of byte 0, the top three of byte 1
_MPEG_1, _MPEG_RESERVED_VERSION = 3, 1  # version bits (2 = MPEG-2, 0 = MPEG-2.5)
_LAYER_II, _RESERVED_LAYER = 2, 4
_RESERVED_RATE = 3  # sample rate index

_ID3_HEADER_SIZE = 10  # "ID3", version, revision, flags, four syncsafe size bytes; a footer is as long
_ID3_NO_VERSION = 0xFF  # never a valid ID3 version or revision byte
_FTYP_MINOR_VERSION = 4  # offset of the minor version in an ftyp box's body, the one 4-byte field there that is not a brand
_WAV_FMT_SIZE = 16  # a PCM fmt chunk: format, channels, sample rate, byte rate, block align, bits per sample


# ---------------------------------------------------------------- sniffing


def sniff(path: Path) -> str | None:
    """The audio format of ``path`` by its content, or None when it is not audio.

    One of "mp3", "wav", "ogg", "flac", "mp4", "webm", "aiff". Extensions are
    ignored: an Ogg file named .mp3 is "ogg", a text file named .mp3 is None.
    Unreadable paths (missing, directories, FIFOs) are None too.
    """
    if not _is_regular(path):  # a FIFO would block the read
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
            id3 = _id3_size(head)
            if id3:
                f.seek(id3)
                head = f.read(_SNIFF_BYTES)
    except OSError:
        return None
    return _sniff_bytes(head, after_id3=bool(id3))


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _id3_size(head: bytes) -> int:
    """Bytes taken by the ID3v2 tag at the start of ``head`` (0 when there is none)."""
    if len(head) < _ID3_HEADER_SIZE or head[:3] != b"ID3" or head[3] == _ID3_NO_VERSION or head[4] == _ID3_NO_VERSION:
        return 0
    size_bytes = head[6:10]
    if any(b & 0x80 for b in size_bytes):
        return 0
    size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
    footer = _ID3_HEADER_SIZE if head[5] & 0x10 else 0
    return _ID3_HEADER_SIZE + size + footer


def _sniff_bytes(head: bytes, *, after_id3: bool) -> str | None:
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:5] == b"OggS\x00":  # capture pattern, stream structure version 0
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "mp4" if _is_audio_ftyp(head) else None
    head = head.lstrip(b"\x00")  # some taggers pad between the tag and the first frame
    return "mp3" if _is_mpeg_audio(head, frames_needed=1 if after_id3 else 2) else None


def _is_audio_ftyp(head: bytes) -> bool:
    box_size = int.from_bytes(head[:4], "big")
    box = head[8 : max(8, min(box_size, len(head)))]
    brands = [box[i : i + 4] for i in range(0, len(box) - 3, 4) if i != _FTYP_MINOR_VERSION]
    if not brands or brands[0] in _IMAGE_BRANDS:
        return False
    return any(b in _MP4_BRANDS for b in brands)


def _is_mpeg_audio(data: bytes, *, frames_needed: int) -> bool:
    """True when ``data`` starts with ``frames_needed`` consecutive valid MPEG audio frames.

    Bare MPEG audio (no ID3 tag) needs two: one header's 11 sync bits plus valid
    fields match random bytes about once in 10,000, two in a row practically never.
    """
    offset = 0
    for _ in range(frames_needed):
        length = _mpeg_frame_length(data[offset : offset + 4])
        if length is None:
            return False
        offset += length
    return True


def _mpeg_frame_length(header: bytes) -> int | None:
    if len(header) < _MPEG_HEADER_SIZE or header[0] != _MPEG_SYNC or header[1] & _MPEG_SYNC_LOW != _MPEG_SYNC_LOW:
        return None
    version = (header[1] >> 3) & 0x3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 reserved
    layer = 4 - ((header[1] >> 1) & 0x3)  # bits 00 (reserved) give 4
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0x3
    if version == _MPEG_RESERVED_VERSION or layer == _RESERVED_LAYER or bitrate_index in (0, 15) or rate_index == _RESERVED_RATE:
        return None
    mpeg1 = version == _MPEG_1
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (header[2] >> 1) & 0x1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    samples = 1152 if layer == _LAYER_II or mpeg1 else 576
    return samples // 8 * bitrate // rate + padding


# ---------------------------------------------------------------- declared length


def duration(path: Path) -> float | None:
    """The length the container declares, in seconds, without decoding; None when unknown."""
    path = Path(path)
    return _declared(path, trusted_only=False) if _is_regular(path) else None


def _declared(path: Path, *, trusted_only: bool) -> float | None:
    """Declared length; ``trusted_only`` drops MP3 lengths guessed from file size and bitrate.

    Those guesses are consistent with a truncated CBR file and wrong for VBR
    files without a Xing header, so they cannot show truncation.
    """
    wav = _wav_header(path)
    if wav is not None:
        return wav.declared if wav.declared is not None or trusted_only else wav.present
    try:
        import mutagen
        from mutagen.mp3 import MP3, BitrateMode

        info = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, struct.error):
        info = None
    # mutagen declares ``FileType.info`` as None (each file type sets its own at load time).
    if info is not None and getattr(cast(Any, info.info), "length", None):
        if trusted_only and isinstance(info, MP3) and cast(Any, info.info).bitrate_mode == BitrateMode.UNKNOWN:
            return None
        return float(cast(Any, info.info).length)
    if trusted_only or sniff(path) is None:
        return None
    import av

    try:
        with av.open(str(path)) as container:
            return container.duration / 1_000_000 if container.duration else None
    except (av.FFmpegError, OSError):
        return None


@dataclass(frozen=True)
class _WavHeader:
    """What a RIFF/WAVE header says: bytes per second and the data chunk's claimed and present size."""

    byte_rate: int
    data_size: int
    data_present: int

    @property
    def declared(self) -> float | None:
        if self.data_size in _WAV_STREAMING_SIZES or not self.byte_rate:
            return None
        return self.data_size / self.byte_rate

    @property
    def present(self) -> float:
        return self.data_present / self.byte_rate if self.byte_rate else 0.0


def _wav_header(path: Path) -> _WavHeader | None:
    """Parse a plain RIFF/WAVE header (not RF64); None for anything else or a header without data."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if f.read(12)[:4] != b"RIFF":
                return None
            f.seek(8)
            if f.read(4) != b"WAVE":
                return None
            byte_rate = 0
            pos = 12
            while pos + 8 <= size:
                f.seek(pos)
                chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
                if chunk_id == b"fmt " and chunk_size >= _WAV_FMT_SIZE:
                    byte_rate = struct.unpack("<I", f.read(_WAV_FMT_SIZE)[8:12])[0]
                elif chunk_id == b"data":
                    return _WavHeader(byte_rate, chunk_size, max(0, min(chunk_size, size - pos - 8)))
                pos += 8 + chunk_size + (chunk_size & 1)
    except (OSError, struct.error):
        return None
    return None


def _check_wav(path: Path) -> None:
    """Refuse a WAV whose header promises more audio than the file holds, before decoding it."""
    header = _wav_header(path)
    if header is None or header.declared is None:
        return
    if header.data_present == 0:
        raise AudioError(f"{path}: the header claims {header.declared:.1f} s but holds no audio")
    _check_length(path, header.declared, header.present)


def _check_length(path: Path, declared: float | None, decoded: float, *, skipped: int = 0) -> None:
    if declared is None:
        return
    if decoded <= 0:
        raise AudioError(f"{path}: the header claims {declared:.1f} s but holds no audio")
    if declared - decoded > max(_TRUNCATION_SECONDS, _TRUNCATION_FRACTION * declared):
        damage = f", {skipped} damaged frame(s) skipped" if skipped else ""
        raise AudioError(
            f"{path}: truncated: the header says {declared:.1f} s but only {decoded:.1f} s "
            f"of audio could be decoded{damage} (re-export or re-upload the file)"
        )


# ---------------------------------------------------------------- decoding


def decode(path: Path) -> NDArray[np.float32]:
    """All of ``path`` as float32 mono samples at 16 kHz; AudioError when it cannot be trusted."""
    import numpy as np

    chunks = list(decode_chunks(path, seconds=600.0))
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]


def decode_chunks(path: Path, *, seconds: float = 600.0) -> Iterator[NDArray[np.float32]]:
    """The samples of ``decode(path)`` in pieces of ``seconds`` (the last one shorter).

    Streaming callers see a truncation AudioError only after the last chunk
    (except for WAV, which is checked before the first one): the length decoded
    is known only at the end.
    """
    import numpy as np

    size = round(seconds * SAMPLE_RATE)
    if size <= 0:
        raise ValueError(f"seconds must be positive, not {seconds}")
    path = Path(path)
    _check_readable(path)
    _check_wav(path)
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise AudioError(f"{path}: {_open_failure(path, exc)}") from exc
    pending: list[NDArray[np.float32]] = []
    pending_len = total = 0
    stats = _DecodeStats()
    with container:
        for samples in _decoded(path, container, stats):
            pending.append(samples)
            pending_len += samples.size
            while pending_len >= size:
                block = np.concatenate(pending)
                yield block[:size]
                total += size
                pending, pending_len = [block[size:]], block.size - size
    tail = np.concatenate(pending) if pending else np.zeros(0, dtype=np.float32)
    total += tail.size
    _check_decoded(path, total / SAMPLE_RATE, stats)
    if tail.size:
        yield tail


@dataclass
class _DecodeStats:
    """Damage met while decoding: frames FFmpeg could not decode, and a read error that ended it."""

    skipped: int = 0
    error: Exception | None = None


def _decoded(path: Path, container: InputContainer, stats: _DecodeStats) -> Iterator[NDArray[np.float32]]:
    """Resampled float32 mono blocks; a damaged frame is skipped (and counted), as ffmpeg does."""
    import av

    if not container.streams.audio:
        if sniff(path) is None:  # FFmpeg opens text as "tty" video
            raise AudioError(f"{path}: not audio ({_describe(path)})")
        kinds: list[str] = sorted({s.type for s in container.streams}) or ["no streams"]
        raise AudioError(f"{path}: no audio stream (the file holds {', '.join(kinds)})")
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)  # to_ndarray(): float32
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.FFmpegError as exc:  # the container could not be read further
            stats.error = exc
            break
        try:
            frames = packet.decode()
        except av.FFmpegError as exc:
            stats.skipped += 1
            stats.error = stats.error or exc
            continue
        for frame in frames:
            for out in resampler.resample(frame):
                yield cast("NDArray[np.float32]", out.to_ndarray()).reshape(-1)
    for out in resampler.resample(None):
        yield cast("NDArray[np.float32]", out.to_ndarray()).reshape(-1)


def _check_decoded(path: Path, decoded: float, stats: _DecodeStats) -> None:
    """Refuse what decoded to nothing, or to far less than the header declares."""
    reason = f": {_ffmpeg_reason(stats.error)}" if stats.error is not None else ""
    if decoded == 0:
        declared = _declared(path, trusted_only=False)
        if stats.error is not None:
            raise AudioError(f"{path}: cannot decode this {sniff(path) or 'file'}{reason}")
        if declared:
            raise AudioError(f"{path}: the header claims {declared:.1f} s but holds no audio")
        raise AudioError(f"{path}: holds no audio")
    declared = _declared(path, trusted_only=True)
    _check_length(path, declared, decoded, skipped=stats.skipped)
    if declared is None and stats.error is not None and not stats.skipped:  # nothing vouches for the rest
        raise AudioError(f"{path}: could not be read past {decoded:.1f} s{reason}")


def _check_readable(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise AudioError(f"{path}: not a regular file")
    if size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" and _wav_header(path) is None:
        claimed = int.from_bytes(head[4:8], "little") + 8
        raise AudioError(
            f"{path}: broken WAV header: it claims {claimed:,} bytes but the file holds {size:,} bytes "
            "and no audio data"
        )


def _open_failure(path: Path, exc: Exception) -> str:
    kind = sniff(path)
    if kind is None:
        return f"not audio ({_describe(path)})"
    if kind == "mp4":
        return "cannot read this MP4 file: its index (moov box) is missing or cut off; truncated, or still being written"
    return f"cannot read this {kind} file: {_ffmpeg_reason(exc)}"


def _ffmpeg_reason(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc).rstrip(".").lower()


def _describe(path: Path) -> str:
    """A few words on what a non-audio file looks like, for the error message."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return "unreadable"
    for magic, name in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                        (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"<", "markup (HTML/XML)")):
        if head.startswith(magic):
            return f"looks like {name}"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"unknown content starting {head[:8].hex(' ')}"
    return "looks like text"


# ---------------------------------------------------------------- tags


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


_MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "date": "\xa9day"}


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
