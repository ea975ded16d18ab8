"""What a file is, by its content: the cheap test run on every file in the asset globs.

``sniff`` runs on every file a build scans (and on every download), so it lives
apart from decoding and tags: it reads one small block with the standard
library only, and importing this module pulls in neither numpy, PyAV nor
mutagen. A no-op rebuild of a large site pays for nothing heavier.
``_describe`` says in a few words what a file that is not audio looks like,
for error messages.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_SNIFF_BYTES = 4096  # one page: room for two MPEG frame headers after an ID3 tag
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
