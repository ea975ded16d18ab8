"""Decode speech windows, then go back for any speech a window's decode skipped.

A window of at most 30 s is decoded in one pass (batched, or short-form in
transformers), and Whisper sometimes ends such a pass early: it writes a final
timestamp and stops, and the speech after it is lost. Sequential long-form
decoding avoids that by seeking to the last timestamp and decoding again; this
does the same for windows: where VAD still hears at least ``min_tail_s`` of
speech after a window's last segment, the rest of the window is decoded again.

``decode_windows_many`` runs the rounds for several files at once, so one
engine call can batch windows of different files (short clips cost one window
each); a file's own rounds are the same as when it is decoded alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..transcript import Segment
from ..vad import SAMPLE_RATE, Span

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MIN_TAIL_S = 1.0  # less unheard speech than this is a trailing breath, not lost words
MAX_ROUNDS = 4  # each round starts later in the window, so this only bounds the cost

# (file index, window): what one round of ``decode_windows_many`` decodes, in this order.
Job = tuple[int, Span]


@dataclass(frozen=True, eq=False)
class WindowJob:
    """One speech window handed to ``Engine.decode``, with what the engine needs of its file.

    ``file`` tells the windows of different files apart within one call (an
    engine may keep per-file state, such as word timing, keyed on it);
    ``window`` and ``silences`` are in the packed timeline of ``audio``.
    """

    file: int
    window: Span
    audio: NDArray[np.float32]  # the file's packed samples: the window is a slice of them
    silences: tuple[tuple[float, float], ...] = ()  # VAD pauses between speech spans

    @property
    def duration(self) -> float:
        """Seconds of the file's packed audio (segment ends are clamped to it)."""
        return len(self.audio) / SAMPLE_RATE


def decode_windows(
    windows: list[Span],
    spans: list[Span],
    decode: Callable[[list[Span]], list[list[Segment]]],
    *,
    min_tail_s: float = MIN_TAIL_S,
    max_rounds: int = MAX_ROUNDS,
) -> list[Segment]:
    """All segments of ``windows`` in time order; ``decode`` maps windows to their segments."""
    return decode_windows_many(
        [(windows, spans)], lambda jobs: decode([w for _, w in jobs]), min_tail_s=min_tail_s, max_rounds=max_rounds
    )[0]


def decode_windows_many(
    files: Sequence[tuple[list[Span], list[Span]]],
    decode: Callable[[list[Job]], list[list[Segment]]],
    *,
    min_tail_s: float = MIN_TAIL_S,
    max_rounds: int = MAX_ROUNDS,
) -> list[list[Segment]]:
    """Per file (its windows, its VAD spans): all its segments in time order."""
    found: list[list[Segment]] = [[] for _ in files]
    pending: list[Job] = [(i, w) for i, (windows, _) in enumerate(files) for w in windows]
    for _ in range(max_rounds):
        if not pending:
            break
        retry: list[Job] = []
        for (i, window), segments in zip(pending, decode(pending), strict=True):
            found[i].extend(segments)
            if not segments:
                continue  # the model heard no speech here: asking again gives the same answer
            last_end = max(s.end for s in segments)
            if last_end > window.start and unheard_speech(files[i][1], last_end, window.end) >= min_tail_s:
                retry.append((i, Span(last_end, window.end)))
        pending = retry
    return [sorted(segments, key=lambda s: (s.start, s.end)) for segments in found]


def unheard_speech(spans: list[Span], start: float, end: float) -> float:
    """Seconds of VAD speech between ``start`` and ``end``."""
    return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in spans)
