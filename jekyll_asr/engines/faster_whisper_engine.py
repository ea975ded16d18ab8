"""faster-whisper (CTranslate2): the fast CPU engine, int8 on CPU, float16 on CUDA.

Decoding is deterministic: one temperature (0.0), no sampling fallback, and no
conditioning on the previous window's text (the usual way a Whisper loop
starts). VAD, windows, the language decision, times back on the original
timeline and the loop guard run in engines/pipeline.py; this module decodes.

``decode`` takes speech windows in batches: one encoder call and one beam
search for up to ``batch_size`` windows, of one file or of several. Short
clips cost a full 30 s window each, so batching the windows of several clips
is where a site of many short files gains (measured on the 13 test clips,
2 cores: 1.25-1.4x their one-at-a-time time). A window's tokens do not depend on the
other windows in its batch (each row of CTranslate2's batched encoder and beam
search is computed alone; tests/test_engines.py checks it), and word times are
aligned per file, so a file's transcript is the same alone or in company.
On a CPU with AMX, the encoder runs in PyTorch bfloat16 (torch_encoder.py:
1.6x on the short clips in one call); CTranslate2 keeps the beam search and alignment.
Without VAD (``decode_unsegmented``), audio runs through faster-whisper's
sequential long-form loop, whose no-speech and log-prob thresholds skip what
the model calls silence.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

import numpy as np
from numpy.typing import NDArray

from ..errors import EngineError, ModelError
from ..transcript import Segment, Word
from ..vad import SAMPLE_RATE, Span, samples
from . import DecodeOptions, require
from .torch_encoder import amx_bf16
from .windows import WindowJob

if TYPE_CHECKING:
    from .torch_encoder import TorchEncoder

log = logging.getLogger("jekyll_asr")

DEFAULT_BATCH = {"cpu": 4, "cuda": 16}  # CPU: 4 as fast as 8 on 2 cores, half the attention memory

# The sequential long-form transcribe (vad: false).
_DETERMINISTIC: dict[str, Any] = {
    "temperature": 0.0,  # a list would fall back to sampling: not reproducible
    "compression_ratio_threshold": 2.4,
    "log_prob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "condition_on_previous_text": False,
    "without_timestamps": False,  # long-form decoding seeks by timestamp tokens
    "word_timestamps": True,
    "vad_filter": False,
}
# faster-whisper's (and openai/whisper's) defaults for joining punctuation to words.
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.。,，!！?？:：”)]}、"


class _Timed(Protocol):
    """A faster-whisper ``Segment`` (or ``_Decoded``) as ``split_at_pauses`` reads it; its ``words`` are optional."""

    start: float
    end: float
    text: str


def split_at_pauses(
    segment: _Timed, duration: float, silences: Sequence[tuple[float, float]] = (), *, pause: float = 0.5, long_pause: float = 1.0
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
    for word, following in zip(words, [*words[1:], None], strict=True):
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
        start = round(max(0.0, float(segment.start if i == 0 else group[0].start)), 3)
        end = round(min(duration, float(segment.end if i == len(groups) - 1 else ends[i])), 3)
        text = "".join(w.word for w in group).strip()
        pieces.append(Segment(start, end, text, tuple(_word(w, start, max(start, end)) for w in group)))
    return pieces


def _word(word: Any, start: float, end: float) -> Word:
    """A faster-whisper word, its times clamped into its segment (``start``..``end``) and rounded to ms."""
    first = round(min(max(float(word.start), start), end), 3)
    last = round(min(max(float(word.end), first), end), 3)
    probability = getattr(word, "probability", None)
    return Word(first, last, str(word.word), None if probability is None else round(min(max(float(probability), 0.0), 1.0), 3))


class FasterWhisperEngine:
    """A loaded ``faster_whisper.WhisperModel``."""

    name = "faster-whisper"

    def __init__(self, model: Any, *, device: str, encoder: TorchEncoder | None = None) -> None:
        self._model = model
        self._device = device
        # Something with ``encode(features) -> StorageView`` used instead of CTranslate2's
        # encoder (torch_encoder.py, on CPUs with AMX); None: CTranslate2's own.
        self._encoder = encoder

    @classmethod
    def load(cls, model: str, *, device: str, revision: str = "main") -> FasterWhisperEngine:
        require("faster_whisper", engine="faster-whisper", package="faster-whisper")
        from ..models import ctranslate2_model

        return cls.from_path(ctranslate2_model(model, revision=revision), device=device)

    @classmethod
    def from_path(cls, path: str, *, device: str) -> FasterWhisperEngine:
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
        encoder = None
        if kind == "cpu" and amx_bf16():
            from .torch_encoder import TorchEncoder

            try:
                encoder = TorchEncoder.from_ct2_dir(path)
            except (ModelError, ImportError, RuntimeError, OSError, KeyError) as exc:  # CTranslate2's encoder still works
                log.debug("the bfloat16 encoder could not be built (%s); using CTranslate2's", exc)
        return cls(model, device=kind, encoder=encoder)

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def detect_language(self, audio: NDArray[np.float32], windows: list[Span]) -> list[tuple[str, float]]:
        """(code, probability) per window: one batched encoder pass and one decoder step for each."""
        model = self._model
        out: list[tuple[str, float]] = []
        for at in range(0, len(windows), DEFAULT_BATCH[self._device]):
            chunks = [samples(audio, w) for w in windows[at : at + DEFAULT_BATCH[self._device]]]
            encoded = (self._encoder or model).encode(_features(model, chunks))
            for ranked in model.model.detect_language(encoded):
                token, probability = ranked[0]
                out.append((str(token)[2:-2], float(probability)))
        return out

    def decode(self, jobs: list[WindowJob], language: str, options: DecodeOptions) -> list[list[Segment]]:
        """Segments (packed timeline) per job, in batches of ``batch_size`` windows of any files."""
        batch = options.batch_size or DEFAULT_BATCH[self._device]
        out: list[list[Segment]] = []
        last_speech: dict[int, float] = {}  # per file: word timing looks back at the speech before
        for at in range(0, len(jobs), batch):
            picked = jobs[at : at + batch]
            for job, segment in zip(picked, self._batch(picked, language, options, last_speech), strict=True):
                pieces = split_at_pauses(segment, job.duration, job.silences)
                out.append([p for p in pieces if p.text])
        return out

    def _batch(self, jobs: list[WindowJob], language: str, options: DecodeOptions, last_speech: dict[int, float]) -> list[_Decoded]:
        """One encoder call and one beam search for ``jobs``; word times aligned per file."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import Word as TimedWord
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._model
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=options.task, language=language)
        chunks = [samples(job.audio, job.window) for job in jobs]
        encoded = (self._encoder or model).encode(_features(model, chunks))
        previous = tokenizer.encode(" " + options.initial_prompt.strip()) if options.initial_prompt else []
        prompt = model.get_prompt(
            tokenizer, previous, without_timestamps=True, hotwords=", ".join(options.hotwords) or None
        )
        results = model.model.generate(
            encoded,
            [list(prompt) for _ in jobs],
            beam_size=options.beam_size,
            max_length=model.max_length,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        )
        decoded: list[_Window] = []
        for window, chunk, result in zip((job.window for job in jobs), chunks, results, strict=True):
            seconds = chunk.shape[0] / SAMPLE_RATE
            tokens = result.sequences_ids[0]
            decoded.append(
                {
                    "start": window.start,
                    "end": window.start + seconds,
                    "tokens": tokens,
                    "text": tokenizer.decode(tokens),
                    "seek": int(window.start * model.frames_per_second),
                    "frames": int(np.ceil(seconds) * model.frames_per_second),
                }
            )
        for i in dict.fromkeys(job.file for job in jobs):  # per file, so a file's word times never see another file
            rows = [k for k, job in enumerate(jobs) if job.file == i]
            with _EncoderRows(encoded, rows, len(jobs)) as own:
                last_speech[i] = model.add_word_timestamps(
                    [[decoded[k]] for k in rows], tokenizer, own, [decoded[k]["frames"] for k in rows],
                    _PREPEND, _APPEND, last_speech.get(i, 0.0),
                )
        return [
            _Decoded(round(d["start"], 3), round(d["end"], 3), d["text"], [TimedWord(**w) for w in d.get("words", [])])
            for d in decoded
        ]

    def decode_unsegmented(self, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
        """No VAD: faster-whisper's own long-form loop, seeking by timestamp tokens (it detects the language)."""
        duration = audio.shape[0] / SAMPLE_RATE
        found, info = self._model.transcribe(
            audio,
            clip_timestamps="0",
            **_DETERMINISTIC,
            language=options.language,
            task=options.task,
            beam_size=options.beam_size,
            best_of=1,
            initial_prompt=options.initial_prompt,
            hotwords=", ".join(options.hotwords) or None,
        )
        return [piece for s in found for piece in split_at_pauses(s, duration) if piece.text], str(info.language)


def _features(model: Any, chunks: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    """Log-mel features of each chunk, padded to one 30 s window, stacked for one encoder call."""
    from faster_whisper.audio import pad_or_trim

    return np.stack([pad_or_trim(model.feature_extractor(chunk)[..., :-1]) for chunk in chunks])


class _WindowText(TypedDict):
    start: float
    end: float
    tokens: list[int]
    text: str
    seek: int
    frames: int


class _Window(_WindowText, total=False):
    """One window's decode in the dict form faster-whisper's ``add_word_timestamps`` reads (and adds "words" to)."""

    words: list[dict[str, Any]]


@dataclass
class _Decoded:
    """One window's decode, shaped like a faster-whisper segment for ``split_at_pauses``."""

    start: float
    end: float
    text: str
    words: list[Any] = field(default_factory=list)


class _EncoderRows:
    """The encoder output of some rows of a batch (all of it when that is all rows).

    CTranslate2 cannot slice a StorageView, so the rows go through NumPy on the
    host; the array stays alive while the slice is in use (they share memory).
    """

    def __init__(self, encoded: Any, rows: list[int], size: int) -> None:
        self.encoded, self.rows, self.size = encoded, rows, size
        self._host: Any = None

    def __enter__(self) -> Any:
        if len(self.rows) == self.size:
            return self.encoded
        import ctranslate2

        on_host = self.encoded.device == "cpu"
        host = self.encoded if on_host else self.encoded.to_device(ctranslate2.Device.cpu)
        self._host = np.ascontiguousarray(np.asarray(host)[self.rows])
        view = ctranslate2.StorageView.from_array(self._host)
        return view if on_host else view.to_device(ctranslate2.Device.cuda)

    def __exit__(self, *exc: object) -> None:
        self._host = None
