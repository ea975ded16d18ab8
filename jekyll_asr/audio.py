"""Audio samples: decoding a file to what the engines transcribe, and refusing a truncated one.

``decode`` hands the engines float32 mono 16 kHz arrays (PyAV, no system
ffmpeg) and refuses truncated files, because a truncated file decodes without
any error and Whisper invents words for it. numpy and PyAV are imported inside
the functions that decode, never by importing this module.

The rest of what the project knows about an audio file lives next door and is
re-exported here, so ``from jekyll_asr.audio import ...`` keeps working:
``sniff`` (what a file is, by content: ``sniff.py``, cheap, run on every build),
``duration`` (the length its header declares: ``length.py``) and ``read_tags``
(tags and chapters: ``tags.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .errors import AudioError
from .length import _declared, _wav_header, duration, ogg_ends_cleanly
from .sniff import _describe, sniff
from .tags import read_tags

if TYPE_CHECKING:
    import numpy as np
    from av.container import InputContainer
    from numpy.typing import NDArray

__all__ = ["SAMPLE_RATE", "_describe", "decode", "decode_channels", "decode_chunks", "duration", "read_tags", "sniff"]

SAMPLE_RATE = 16_000

# A file is truncated when it decodes to less than its header declares, by more
# than max(1 s, 1 %). Codec delay and padding (MP3 encoder delay, AAC priming,
# Opus pre-skip) account for at most ~0.05 s (0.04 s measured on the fixtures),
# so 1 s leaves a 20x margin on short clips; 1 % absorbs rounding in the lengths
# containers compute for long episodes. A truncated file is usually cut far
# shorter (the fixtures lose 95-99 %).
_TRUNCATION_SECONDS = 1.0
_TRUNCATION_FRACTION = 0.01


# ---------------------------------------------------------------- truncation


def _check_wav(path: Path) -> None:
    """Refuse a WAV whose header promises more audio than the file holds, before decoding it."""
    header = _wav_header(path)
    if header is None or header.declared is None:
        return
    if header.data_present == 0:
        raise AudioError(f"{path}: the header claims {header.declared:.1f} s but holds no audio")
    _check_length(path, header.declared, header.present)


def _check_ogg(path: Path) -> None:
    """Refuse an Ogg file that stops without its end-of-stream page, before decoding it: cut off,
    it decodes without an error to its first seconds, and no header says how long it should be."""
    if sniff(path) != "ogg" or ogg_ends_cleanly(path):
        return
    stops = _declared(path, trusted_only=False)  # the last page's position: where the audio stops
    after = f" after {stops:.1f} s" if stops else ""
    raise AudioError(f"{path}: truncated: the Ogg stream stops{after} without its end-of-stream page (re-export or re-upload the file)")


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


def decode_channels(path: Path) -> NDArray[np.float32]:
    """All of ``path`` as float32 samples at 16 kHz, one row per channel: shape (channels, n).

    For recordings that keep each speaker on a channel (speakers/channels.py);
    the same checks as ``decode``, an AudioError when the file cannot be trusted.
    """
    import numpy as np

    path = Path(path)
    container = _opened(path)
    stats = _DecodeStats()
    with container:
        blocks = list(_decoded(path, container, stats, planar=True))
    samples = np.concatenate(blocks, axis=1) if blocks else np.zeros((1, 0), dtype=np.float32)
    _check_decoded(path, samples.shape[1] / SAMPLE_RATE, stats)
    return samples


def _opened(path: Path) -> InputContainer:
    """The container of ``path`` after the checks that need no decoding; AudioError saying why not."""
    _check_readable(path)
    _check_wav(path)
    _check_ogg(path)
    import av

    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        raise AudioError(f"{path}: {_open_failure(path, exc)}") from exc


def decode_chunks(path: Path, *, seconds: float = 600.0) -> Iterator[NDArray[np.float32]]:
    """The samples of ``decode(path)`` in pieces of ``seconds`` (the last one shorter).

    Streaming callers see a truncation AudioError only after the last chunk
    (except for WAV and Ogg, which are checked before the first one): the length
    decoded is known only at the end.
    """
    import numpy as np

    size = round(seconds * SAMPLE_RATE)
    if size <= 0:
        raise ValueError(f"seconds must be positive, not {seconds}")
    path = Path(path)
    container = _opened(path)
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


def _decoded(path: Path, container: InputContainer, stats: _DecodeStats, *, planar: bool = False) -> Iterator[NDArray[np.float32]]:
    """Resampled float32 mono blocks (``planar``: (channels, n) blocks in the stream's own layout);
    a damaged frame is skipped (and counted), as ffmpeg does."""
    import av

    if not container.streams.audio:
        if sniff(path) is None:  # FFmpeg opens text as "tty" video
            raise AudioError(f"{path}: not audio ({_describe(path)})")
        kinds: list[str] = sorted({s.type for s in container.streams}) or ["no streams"]
        raise AudioError(f"{path}: no audio stream (the file holds {', '.join(kinds)})")
    stream = container.streams.audio[0]
    if planar:  # one row per channel
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=SAMPLE_RATE)
    else:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)  # to_ndarray(): float32
    shape = (stream.channels, -1) if planar else (-1,)
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
                yield cast("NDArray[np.float32]", out.to_ndarray()).reshape(shape)
    for out in resampler.resample(None):
        yield cast("NDArray[np.float32]", out.to_ndarray()).reshape(shape)


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
