"""Long episodes in blocks, so a 3-hour file never sits in memory whole.

A file is decoded in blocks of ``block_seconds``; each block is cut at its
quietest moment near the end (the rest carries over to the next block), handed
to the engine, and its segments are moved to the file's timeline. Peak memory
is one block plus the model, whatever the episode's length.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .audio import SAMPLE_RATE, decode, decode_chunks, duration
from .engines import pipeline
from .transcript import Segment

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .engines import DecodeOptions, Engine

BLOCK_SECONDS = 600.0
LONG_FILE_SECONDS = 1.5 * BLOCK_SECONDS  # longer files are streamed in blocks
SEARCH_SECONDS = 20.0  # where to look for a pause before the end of a block
FRAME = SAMPLE_RATE // 10  # 100 ms


def quietest_cut(samples: NDArray[np.float32], *, search: int) -> int:
    """Sample index of the quietest 100 ms frame in the last ``search`` samples."""
    import numpy as np

    start = max(0, samples.size - search)
    tail = samples[start : start + (samples.size - start) // FRAME * FRAME]
    if tail.size < FRAME:
        return samples.size
    energy = np.square(tail.reshape(-1, FRAME)).mean(axis=1)
    return start + int(np.argmin(energy)) * FRAME + FRAME // 2


def transcribe_path(
    engine: Engine, path: Path, options: DecodeOptions, *, block_seconds: float = BLOCK_SECONDS
) -> tuple[list[Segment], str, float]:
    """Segments, language and duration of ``path``, decoded and transcribed block by block."""
    import numpy as np

    segments: list[Segment] = []
    language = options.language or ""
    carry = np.zeros(0, dtype=np.float32)
    offset = 0  # samples before ``carry``
    chunks = decode_chunks(path, seconds=block_seconds)
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)  # one block ahead: is this the last one?
        block = np.concatenate([carry, chunk]) if carry.size else chunk
        cut = block.size if following is None else quietest_cut(block, search=int(SEARCH_SECONDS * SAMPLE_RATE))
        found, language = pipeline.transcribe(engine, block[:cut], options)
        shift = offset / SAMPLE_RATE
        segments += [Segment(round(s.start + shift, 3), round(s.end + shift, 3), s.text) for s in found]
        carry = block[cut:]
        offset += cut
        chunk = following
        if language and options.language is None:
            options = _pin_language(options, language)  # later blocks keep the first block's language
    return segments, language, (offset + carry.size) / SAMPLE_RATE


def _pin_language(options: DecodeOptions, language: str) -> DecodeOptions:
    from dataclasses import replace

    return replace(options, language=language) if language not in ("", "und") else options


def load_short(path: Path) -> NDArray[np.float32] | None:
    """The whole waveform of a short file, or None for a long one (streamed by ``transcribe``)."""
    declared = duration(path)
    return None if declared is not None and declared > LONG_FILE_SECONDS else decode(path)


def transcribe(
    engine: Engine, path: Path, samples: NDArray[np.float32] | None, options: DecodeOptions
) -> tuple[list[Segment], str, float]:
    """Segments, language and duration: from ``samples`` when given, else block by block."""
    if samples is None:
        return transcribe_path(engine, path, options)
    segments, language = pipeline.transcribe(engine, samples, options)
    return segments, language, samples.size / SAMPLE_RATE
