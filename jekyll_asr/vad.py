"""Where the speech is: Silero VAD (the ONNX copy bundled with faster-whisper).

Whisper invents words when it is fed no speech ("Thank you for watching." on
silence, "Beep beep…" or "." on a tone) and no decoder threshold removes them
all. So the pipeline (engines/pipeline.py) asks this module first, for every engine: no speech spans means an empty
transcript without running the model at all, and otherwise only the speech
windows are decoded, with timestamps kept in the original timeline.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import EngineError
from .transcript import Segment

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SAMPLE_RATE = 16000
WINDOW_S = 30.0  # one Whisper window: a speech window never needs long-form seeking


@dataclass(frozen=True)
class Span:
    """A stretch of the audio, in seconds from its start."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VadSettings:
    """Silero parameters; the defaults kept every word of the test speech and no silence or tone."""

    threshold: float = 0.5
    min_speech_s: float = 0.25  # shorter blips (clicks, breaths) are not speech
    # A pause shorter than this does not end a span. Sentence pauses do end one, so
    # spans are short enough to fill 30 s windows (see pack); the padding closes
    # the gap between spans that a sentence pause separates.
    min_silence_s: float = 0.3
    pad_s: float = 0.2  # speech onsets and word tails are soft: keep a margin
    max_span_s: float = WINDOW_S  # longer speech is split at its longest inner pause

    def key(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "min_speech_s": self.min_speech_s,
            "min_silence_s": self.min_silence_s,
            "pad_s": self.pad_s,
            "max_span_s": self.max_span_s,
        }


DEFAULT_VAD = VadSettings()


def speech_spans(audio: NDArray[np.float32], settings: VadSettings = DEFAULT_VAD) -> list[Span]:
    """Speech spans of 16 kHz mono float32 ``audio``, padded, in time order; [] when none."""
    if audio.ndim != 1:
        raise EngineError(f"VAD needs mono audio, got an array of shape {audio.shape}")
    if audio.size == 0:
        return []
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise EngineError(
            "voice activity detection needs faster-whisper (it ships the Silero VAD model): "
            "`pip install faster-whisper`, or set `vad: false` in the asr: block"
        ) from exc
    options = VadOptions(
        threshold=settings.threshold,
        min_speech_duration_ms=int(settings.min_speech_s * 1000),
        min_silence_duration_ms=int(settings.min_silence_s * 1000),
        speech_pad_ms=int(settings.pad_s * 1000),
        max_speech_duration_s=settings.max_span_s,
    )
    import numpy as np

    found = get_speech_timestamps(np.ascontiguousarray(audio, dtype=np.float32), options)
    return [Span(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in found]


@dataclass(frozen=True)
class Packed:
    """Audio with every long silence shortened, and the way back to the original timeline.

    Whisper pays for a full 30 s window whatever it holds, so a window of 15 s
    of speech and 15 s of silence costs as much as one full of speech. Packing
    the speech closer together fills the windows (fewer of them), and keeps
    the model off long silences, where it invents words.
    """

    audio: NDArray[np.float32]
    spans: list[Span]  # the speech spans, in the packed timeline
    pieces: tuple[tuple[int, int], ...]  # (packed start, original start) of each kept stretch, in samples

    def original(self, t: float, *, end: bool = False) -> float:
        """The original time of packed time ``t``; an ``end`` on a seam stays in the stretch before it."""
        at = round(t * SAMPLE_RATE)
        index = (bisect_left if end else bisect_right)([p for p, _ in self.pieces], at) - 1
        packed, origin = self.pieces[max(0, index)]
        return (origin + at - packed) / SAMPLE_RATE

    def restore(self, segment: Segment) -> Segment:
        """``segment`` and its words (packed timeline) in the original timeline; its other fields kept."""
        start, end = self._span(segment.start, segment.end)
        words = []
        for word in segment.words:  # kept inside the segment: a word starting on its end's seam would leave it
            first, last = self._span(word.start, word.end)
            words.append(replace(word, start=min(max(first, start), end), end=min(max(last, start), end)))
        return replace(segment, start=start, end=end, words=tuple(words))

    def _span(self, start: float, end: float) -> tuple[float, float]:
        first = self.original(start)
        return round(first, 3), round(max(first, self.original(end, end=True)), 3)


def pack(audio: NDArray[np.float32], spans: list[Span], *, keep_gap_s: float = 1.0) -> Packed:
    """Cut each silence longer than ``keep_gap_s`` down to ``keep_gap_s`` (half kept on each side)."""
    import numpy as np

    half = int(keep_gap_s * SAMPLE_RATE) // 2
    total = audio.shape[0]
    bounds = [(round(s.start * SAMPLE_RATE), round(s.end * SAMPLE_RATE)) for s in spans]
    stretches: list[list[int]] = []
    for speech_start, speech_end in bounds:
        start, end = max(0, speech_start - half), min(total, speech_end + half)
        if stretches and start <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([start, end])
    pieces, offset = [], 0
    for start, end in stretches:
        pieces.append((offset, start))
        offset += end - start
    origins = [o for _, o in pieces]

    def to_packed(at: int) -> float:  # every span lies inside one stretch
        packed_start, origin = pieces[bisect_right(origins, at) - 1]
        return (packed_start + at - origin) / SAMPLE_RATE

    audio = np.concatenate([audio[a:b] for a, b in stretches]) if stretches else audio[:0]
    return Packed(audio, [Span(to_packed(a), to_packed(b)) for a, b in bounds], tuple(pieces))


def speech_windows(spans: list[Span], *, max_window_s: float = WINDOW_S, max_gap_s: float = 6.0) -> list[Span]:
    """Pack consecutive spans into windows of at most ``max_window_s`` seconds.

    A window keeps the short pauses between its spans as real audio, so the
    model still sees (and timestamps) them; a window never starts or ends in
    the middle of a span, so no word is cut. A long gap always starts a new
    window: the silence inside a window is where Whisper would hallucinate.
    """
    windows: list[Span] = []
    for span in spans:
        if windows:
            last = windows[-1]
            if span.start - last.end <= max_gap_s and span.end - last.start <= max_window_s:
                windows[-1] = Span(last.start, span.end)
                continue
        windows.append(span)
    return windows


def samples(audio: NDArray[np.float32], span: Span) -> NDArray[np.float32]:
    """The slice of ``audio`` a span covers."""
    return audio[round(span.start * SAMPLE_RATE) : round(span.end * SAMPLE_RATE)]
