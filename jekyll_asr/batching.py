"""Short files transcribed together, so their windows share the model's batches.

Whisper pays a full 30 s window for a 3 s clip; the pipeline decodes the
windows of several files in shared batches (``pipeline.transcribe_many``), so a
site of short clips takes fewer, fuller model calls. A file's words and times
are the same alone or in a group (pipeline and engines guarantee it), so grouping is only a matter of
speed and memory: a group holds at most ``MAX_FILES`` files and ``MAX_SECONDS``
of audio, all decoded with the same options. Long files (streamed in blocks by
longform.py) always go alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from numpy.typing import NDArray

    from .engines import DecodeOptions, Engine
    from .transcript import Segment

MAX_FILES = 8  # two CPU batches of one-window clips
MAX_SECONDS = 240.0  # of decoded audio held for one group (15 MiB as float32)

T = TypeVar("T")
log = logging.getLogger("jekyll_asr")


def groups(items: Iterable[T], *, seconds: Callable[[T], float | None], options: Callable[[T], object]) -> Iterator[list[T]]:
    """Consecutive ``items`` in groups one engine call can take.

    ``seconds`` is an item's decoded length, or None for a long (streamed) file
    or one that failed to decode: such an item is a group of its own.
    """
    group: list[T] = []
    total = 0.0
    for item in items:
        length = seconds(item)
        fits = (
            length is not None
            and group
            and len(group) < MAX_FILES
            and total + length <= MAX_SECONDS
            and options(item) == options(group[0])
        )
        if group and not fits:
            yield group
            group, total = [], 0.0
        group.append(item)
        total += length or 0.0
        if length is None:
            yield group
            group, total = [], 0.0
    if group:
        yield group


def transcribe_group(
    engine: Engine, audios: list[NDArray[np.float32]], options: DecodeOptions
) -> list[tuple[list[Segment], str] | Exception]:
    """(segments, language) per file, or the exception that stopped that file.

    One pipeline call for the group; when that call fails, each file is tried
    alone, so the error names the file at fault and the others are still
    transcribed.
    """
    from .engines import pipeline

    if len(audios) > 1:
        try:
            return list(pipeline.transcribe_many(engine, audios, options))
        except Exception as exc:  # any failure: find the file at fault below
            log.debug("a group of %d files failed; transcribing them one by one", len(audios), exc_info=exc)
    results: list[tuple[list[Segment], str] | Exception] = []
    for audio in audios:
        try:
            results.append(pipeline.transcribe(engine, audio, options))
        except Exception as exc:  # reported for this file; the others go on
            results.append(exc)
    return results


def transcribe_batch(
    engine: Engine, files: Sequence[tuple[Path, NDArray[np.float32] | None]], options: DecodeOptions
) -> list[tuple[list[Segment], str, float] | Exception]:
    """(segments, language, seconds) per file of one group from ``groups``, or its exception.

    A group is one long file (samples None: ``longform`` streams it block by
    block) or short files decoded whole, which go to the engine together. While
    the model runs, Ctrl-C exits at once (interrupt.py).
    """
    from . import longform
    from .audio import SAMPLE_RATE
    from .interrupt import exit_on_interrupt

    with exit_on_interrupt():
        path, samples = files[0]
        if samples is None:
            try:
                return [longform.transcribe(engine, path, None, options)]
            except Exception as exc:  # reported for this file, like a short one's
                return [exc]
        # ``groups`` gives a long file (samples None) a group of its own: every file here has its samples.
        short = cast("Sequence[tuple[Path, NDArray[np.float32]]]", files)
        results = transcribe_group(engine, [s for _, s in short], options)
    return [r if isinstance(r, Exception) else (*r, s.size / SAMPLE_RATE) for (_, s), r in zip(short, results, strict=True)]
