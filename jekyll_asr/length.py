"""How long a file says it is, read from its header without decoding it.

Both decoding (``audio``: a file that decodes to far less than its header
declares is truncated) and tags (``tags``: the duration shown for an episode)
need the declared length, so it lives in its own module that neither of them
owns. WAV headers are parsed here directly, other containers through mutagen,
then PyAV; both are imported only when a length is asked for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

from .errors import JekyllAsrError
from .sniff import _is_regular, sniff

_WAV_STREAMING_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)  # "length unknown" sentinels of streaming writers
_WAV_FMT_SIZE = 16  # a PCM fmt chunk: format, channels, sample rate, byte rate, block align, bits per sample


def duration(path: Path) -> float | None:
    """The length the container declares, in seconds, without decoding; None when unknown."""
    path = Path(path)
    return _declared(path, trusted_only=False) if _is_regular(path) else None


def known_duration(path: Path) -> float | None:
    """``duration`` for a status column or a progress total: a file that cannot be read has no known length."""
    try:
        return duration(path)
    except (JekyllAsrError, OSError, ValueError):
        return None


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


_OGG_MAX_PAGE = 27 + 255 + 255 * 255  # header, lacing values, body


def ogg_ends_cleanly(path: Path) -> bool:
    """Whether the last whole Ogg page of ``path`` ends its stream (header flag 0x04).

    An Ogg file declares no length anywhere: the end-of-stream page is the only
    sign that a file was not cut off. Pages are found from the end and their CRC
    checked, so "OggS" inside compressed audio is not taken for one; bytes after
    the last page (an ID3v1 tag some tools append) are ignored. A file with no
    whole page in its last two page sizes is left to the decoder (True).
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            f.seek(max(0, size - 2 * _OGG_MAX_PAGE))
            tail = f.read()
    except OSError:
        return True  # decoding says why it cannot be read
    at = len(tail)
    while (at := tail.rfind(b"OggS\x00", 0, at)) >= 0:
        if _whole_ogg_page(tail, at):
            return bool(tail[at + 5] & 0x04)
    return True


def _whole_ogg_page(data: bytes, at: int) -> bool:
    """Whether a whole page with a correct CRC starts at ``at``."""
    if at + 27 > len(data):
        return False
    lacing_end = at + 27 + data[at + 26]
    if lacing_end > len(data):
        return False
    end = lacing_end + sum(data[at + 27 : lacing_end])
    if end > len(data):
        return False
    page = data[at : at + 22] + bytes(4) + data[at + 26 : end]
    return _ogg_crc(page) == int.from_bytes(data[at + 22 : at + 26], "little")


@cache
def _ogg_crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
        table.append(crc)
    return tuple(table)


def _ogg_crc(data: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, no final XOR: not zlib's)."""
    table, crc = _ogg_crc_table(), 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc
