"""faster-whisper (CTranslate2): the fast CPU engine, int8 on CPU, float16 on CUDA.

Decoding is deterministic: one temperature (0.0), no sampling fallback, and no
conditioning on the previous window's text (the usual way a Whisper loop
starts). The thresholds still skip windows the model itself calls no-speech;
engines/guards.py drops what loops anyway. VAD (vad.py) runs first: audio
without speech never reaches the model, long silences are cut short
(vad.pack: fuller windows, fewer of them), only speech windows are decoded,
and timestamps are mapped back to the original timeline.

Audio with one speech window (at most 30 s) runs sequentially; longer audio
runs its windows through ``BatchedInferencePipeline``, which measured faster on
2 CPU cores for both the 64 s and the 233 s test episodes.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import EngineError, ModelError
from ..transcript import Segment
from ..vad import SAMPLE_RATE, Span, pack, speech_spans, speech_windows
from . import DecodeOptions, require
from .guards import drop_loops
from .windows import decode_windows

DEFAULT_BATCH = {"cpu": 4, "cuda": 16}  # CPU: 4 as fast as 8 on 2 cores, half the attention memory

# Keyword arguments shared by the sequential and the batched transcribe.
_DETERMINISTIC: dict[str, Any] = {
    "temperature": 0.0,  # a list would fall back to sampling: not reproducible
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "condition_on_previous_text": False,
    "without_timestamps": False,  # long-form decoding (vad: false) seeks by timestamp tokens
    "word_timestamps": True,
    "vad_filter": False,  # vad.py already chose the windows
}


def split_at_pauses(
    segment: Any, duration: float, silences: list[tuple[float, float]] = (), *, pause: float = 0.5, long_pause: float = 1.0
) -> list[Segment]:
    """One faster-whisper segment as several, split where the speaker pauses.

    A split needs a sentence end and ``pause`` seconds between words, or
    ``long_pause`` seconds anywhere, or a VAD silence (``silences``) between two
    words: word times alone can stretch the last word of a sentence over the
    pause that follows it.
    """
    words = [w for w in (getattr(segment, "words", None) or []) if w.word.strip()]
    if not words:
        return [Segment(round(max(0.0, segment.start), 3), round(min(duration, segment.end), 3), segment.text.strip())]
    groups: list[list[Any]] = [[]]
    ends: list[float] = []
    for word, following in zip(words, words[1:] + [None]):
        groups[-1].append(word)
        if following is None:
            break
        gap = following.start - word.end
        silence = next((g for g in silences if g[1] - g[0] >= pause and word.start < g[0] and following.start >= g[1] - 0.3), None)
        if silence is not None or gap >= long_pause or (gap >= pause and word.word.rstrip().endswith((".", "?", "!"))):
            ends.append(min(word.end, silence[0]) if silence else word.end)
            groups.append([])
    pieces = []
    for i, group in enumerate(groups):
        start = segment.start if i == 0 else group[0].start
        end = segment.end if i == len(groups) - 1 else ends[i]
        text = "".join(w.word for w in group).strip()
        pieces.append(Segment(round(max(0.0, float(start)), 3), round(min(duration, float(end)), 3), text))
    return pieces


class FasterWhisperEngine:
    """A loaded ``faster_whisper.WhisperModel``."""

    name = "faster-whisper"

    def __init__(self, model: Any, *, device: str) -> None:
        self._model = model
        self._device = device
        self._batched: Any = None

    @classmethod
    def load(cls, model: str, *, device: str, revision: str = "main") -> "FasterWhisperEngine":
        require("faster_whisper", engine="faster-whisper", package="faster-whisper")
        from ..models import ctranslate2_model

        return cls.from_path(ctranslate2_model(model, revision=revision), device=device)

    @classmethod
    def from_path(cls, path: str, *, device: str) -> "FasterWhisperEngine":
        """Load a CTranslate2 Whisper directory; ModelError when it cannot be loaded."""
        require("faster_whisper", engine="faster-whisper", package="faster-whisper")
        import ctranslate2
        from faster_whisper import WhisperModel

        kind, _, index = device.partition(":")
        if kind == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise EngineError(
                "device is cuda but CTranslate2 sees no CUDA device (or was built without CUDA); "
                "set `device: cpu`, or `engine: transformers` with a CUDA build of torch"
            )
        try:
            model = WhisperModel(
                str(path),
                device=kind,
                device_index=int(index or 0),
                compute_type="float16" if kind == "cuda" else "int8",
                cpu_threads=os.cpu_count() or 0,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"faster-whisper cannot load the model in {path} on {device}: {exc}") from exc
        return cls(model, device=kind)

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> tuple[list[Segment], str]:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        duration = audio.shape[0] / SAMPLE_RATE
        kwargs = dict(
            _DETERMINISTIC,
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            best_of=1,
            initial_prompt=options.initial_prompt,
            hotwords=", ".join(options.hotwords) or None,
        )
        language = [self._fallback_language(options)]
        if duration == 0.0:
            return [], language[0]
        packed = pack(audio, speech_spans(audio)) if options.vad else None
        source = audio if packed is None else packed.audio
        length = source.shape[0] / SAMPLE_RATE
        silences = [] if packed is None else [(a.end, b.start) for a, b in zip(packed.spans, packed.spans[1:])]
        # Word times find the pauses inside a window (segments from timestamp tokens
        # miss them; with a prompt tiny.en writes one segment per window), and with
        # them the batched windows need no timestamp tokens: measured on episode-40,
        # keeping the tokens as well cost 1.35x the time and raised WER from 0.074 to
        # 0.093. Where a window stops early, its last word's end tells decode_windows
        # where to go back. Audio of one span has no pause to find. (The sequential
        # path, in _run, always keeps the tokens: it seeks by them.)
        if packed is not None:
            kwargs["word_timestamps"] = kwargs["without_timestamps"] = bool(silences)

        def decode(windows: list[Span]) -> list[list[Segment]]:
            found, info = self._run(source, windows if packed is not None else None, options, kwargs)
            language[0] = kwargs["language"] = info.language  # detected once, then pinned for retries
            pieces = [piece for s in found for piece in split_at_pauses(s, length, silences)]
            return _by_window(windows, pieces)

        try:
            if packed is not None:
                segments = [packed.restore(s) for s in decode_windows(speech_windows(packed.spans), packed.spans, decode)]
            else:
                segments = decode([Span(0.0, duration)])[0]
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"faster-whisper failed while transcribing: {exc}") from exc
        kept = drop_loops(segments, max_compression_ratio=options.max_compression_ratio, max_repeats=options.max_repeats)
        return kept, language[0]

    def _run(self, audio: np.ndarray, windows: list[Span] | None, options: DecodeOptions, kwargs: dict[str, Any]) -> Any:
        """Sequential for one window (or no VAD), batched for several (measured faster)."""
        if windows is None:
            return self._model.transcribe(audio, clip_timestamps="0", **kwargs)
        batch = options.batch_size or DEFAULT_BATCH[self._device]
        if len(windows) < 2 or batch < 2:
            clips = [t for w in windows for t in (w.start, w.end)]
            # Sequential decoding seeks by timestamp tokens: measured 1.4x slower without them.
            return self._model.transcribe(audio, clip_timestamps=clips, **dict(kwargs, without_timestamps=False))
        clips = [{"start": w.start, "end": w.end} for w in windows]
        return self._pipeline().transcribe(audio, clip_timestamps=clips, batch_size=batch, **kwargs)

    def _pipeline(self) -> Any:
        if self._batched is None:
            from faster_whisper import BatchedInferencePipeline

            self._batched = BatchedInferencePipeline(self._model)
        return self._batched

    def _fallback_language(self, options: DecodeOptions) -> str:
        """The language to report for a transcript with no speech in it."""
        return (options.language or "und") if self._model.model.is_multilingual else "en"


def _by_window(windows: list[Span], segments: list[Segment]) -> list[list[Segment]]:
    """Segments grouped by the window they overlap most (windows do not overlap).

    Not by where they start: a first word's time can fall a few milliseconds
    before its window, and the window would look empty to decode_windows.
    """
    groups: list[list[Segment]] = [[] for _ in windows]
    for segment in segments:
        overlaps = [min(segment.end, w.end) - max(segment.start, w.start) for w in windows]
        groups[overlaps.index(max(overlaps))].append(segment)
    return groups
