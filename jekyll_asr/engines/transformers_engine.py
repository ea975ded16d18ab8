"""Hugging Face transformers: the ``automatic-speech-recognition`` pipeline.

CPU runs float32 always (a float16 checkpoint runs 2.2x slower on CPU) and
feeds the speech windows one at a time: batching and ``chunk_length_s`` gave
no speed-up on 2 cores, and 30 s chunking merged paragraphs into one segment.
CUDA runs float16 with SDPA attention and batches the windows (untested here:
no GPU on the machine this was written on).

VAD, windows, the language decision, times back on the original timeline and
the loop guard run in engines/pipeline.py. Each speech window it hands
``decode`` is at most 30 s, so every window is a single Whisper window. With
``vad: false`` the whole audio goes through sequential long-form decoding
instead (``decode_unsegmented``).

Segments carry no word times (``Segment.words`` is empty): the pipeline's
``return_timestamps="word"`` answers words *instead of* segments (measured on
episode-12's windows, tiny.en: about the CPU time of a segment decode, 15.1 s
against 14.7 s), so keeping both would decode every window twice.

Decoding is deterministic: beam search, no sampling, one temperature. The
thresholds only skip a window the model itself calls no-speech (logprob
threshold is required with the no-speech one, and temperature must be given
with the logprob one, or transformers raises); engines/guards.py drops what
loops.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from ..errors import EngineError, ModelError
from ..transcript import Segment
from ..vad import SAMPLE_RATE, Span, samples
from . import DecodeOptions, require
from .windows import WindowJob

DEFAULT_CUDA_BATCH = 8
_CPU_DETECT_BATCH = 4  # windows per language-detection call: bounds the encoder's attention memory

# Verified on tests/fixtures (silence, tone, speech, 64 s episode) with transformers 5.24.
_DETERMINISTIC: dict[str, Any] = {
    "do_sample": False,
    "temperature": (0.0,),  # a single temperature: no sampling fallback
    "logprob_threshold": -1.0,
    "no_speech_threshold": 0.6,
    "condition_on_prev_tokens": False,  # long-form (vad: false) only
}


class TransformersEngine:
    """A loaded ``WhisperForConditionalGeneration`` behind the ASR pipeline."""

    name = "transformers"

    def __init__(self, pipe: Any, *, device: str) -> None:
        self._pipe = pipe
        self._device = device
        self._multilingual = bool(getattr(pipe.model.generation_config, "is_multilingual", False))

    @classmethod
    def load(cls, model: str, *, device: str, revision: str = "main") -> TransformersEngine:
        require("transformers", engine="transformers", package="transformers torch")
        require("torch", engine="transformers", package="torch")
        from ..models import transformers_checkpoint

        return cls.from_path(transformers_checkpoint(model, revision=revision), device=device)

    @classmethod
    def from_path(cls, path: str, *, device: str) -> TransformersEngine:
        """Load a transformers Whisper checkpoint; ModelError when it cannot be loaded."""
        require("transformers", engine="transformers", package="transformers torch")
        import torch
        from transformers import pipeline
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # per-window generation warnings would drown the progress output
        cuda = device.startswith("cuda")
        if cuda and not torch.cuda.is_available():
            raise EngineError(
                "device is cuda but this torch has no usable CUDA (a CPU build, or no driver); "
                "set `device: cpu`, or install a CUDA build of torch"
            )
        try:
            pipe = pipeline(
                "automatic-speech-recognition",
                model=str(path),
                dtype=torch.float16 if cuda else torch.float32,
                device=device,
                model_kwargs={"attn_implementation": "sdpa"} if cuda else {},
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"transformers cannot load the Whisper checkpoint {path} on {device}: {exc}") from exc
        return cls(pipe, device=device)

    @property
    def multilingual(self) -> bool:
        return self._multilingual

    def detect_language(self, audio: NDArray[np.float32], windows: list[Span]) -> list[tuple[str, float]]:
        """(code, probability) per window: the language tokens' share of the first decoder step, as Whisper ranks them."""
        batch = DEFAULT_CUDA_BATCH if self._device.startswith("cuda") else _CPU_DETECT_BATCH
        return [found for at in range(0, len(windows), batch) for found in self._detect(audio, windows[at : at + batch])]

    def _detect(self, audio: NDArray[np.float32], windows: list[Span]) -> list[tuple[str, float]]:
        import torch

        model, config = self._pipe.model, self._pipe.model.generation_config
        features = self._pipe.feature_extractor(
            [samples(audio, w) for w in windows], sampling_rate=SAMPLE_RATE, return_tensors="pt"
        ).input_features.to(model.device, model.dtype)
        languages = torch.tensor(list(config.lang_to_id.values()), device=model.device)
        start = torch.full((len(windows), 1), config.decoder_start_token_id, device=model.device, dtype=torch.long)
        with torch.inference_mode():
            logits = model(input_features=features, decoder_input_ids=start, use_cache=False).logits[:, -1]
        best, index = logits[:, languages].float().softmax(dim=-1).max(dim=-1)
        codes = [self._pipe.tokenizer.convert_ids_to_tokens(int(languages[i])) for i in index.tolist()]
        return [(str(code).strip("<|>") or "und", float(p)) for code, p in zip(codes, best.tolist(), strict=True)]

    def decode(self, jobs: list[WindowJob], language: str, options: DecodeOptions) -> list[list[Segment]]:
        """Segments (packed timeline) per job: one pipeline call per file, so a batch never mixes files."""
        out: dict[int, list[Segment]] = {}
        for i in dict.fromkeys(job.file for job in jobs):
            rows = [k for k, job in enumerate(jobs) if job.file == i]
            found = self._windows([samples(jobs[k].audio, jobs[k].window) for k in rows], language, options)
            for k, chunks in zip(rows, found, strict=True):
                out[k] = _window_segments(jobs[k].window, chunks)
        return [out[k] for k in range(len(jobs))]

    def decode_unsegmented(self, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
        """No VAD: the whole audio in one pipeline call (long-form past 30 s)."""
        whole = Span(0.0, audio.shape[0] / SAMPLE_RATE)
        language = "en"
        if self._multilingual:
            language = options.language or self.detect_language(audio, [Span(0.0, min(whole.end, 30.0))])[0][0]
        (chunks,) = self._windows([audio], language, options)
        return _window_segments(whole, chunks), language

    def _windows(self, audios: list[NDArray[np.float32]], language: str, options: DecodeOptions) -> list[list[_Chunk]]:
        """The pipeline's timed chunks per audio, in batches of ``batch_size`` on CUDA (one at a time on CPU)."""
        kwargs = dict(_DETERMINISTIC, num_beams=options.beam_size)
        if self._multilingual:
            kwargs.update(language=language, task=options.task)
        if options.prompt:
            kwargs["prompt_ids"] = self._prompt_ids(options.prompt)
        batch = (options.batch_size or DEFAULT_CUDA_BATCH) if self._device.startswith("cuda") else 1
        # A fresh dict per window: the pipeline pops "raw" out of it.
        inputs = [{"raw": audio, "sampling_rate": SAMPLE_RATE} for audio in audios]
        outputs = self._pipe(inputs, return_timestamps=True, batch_size=batch, generate_kwargs=dict(kwargs))
        return [out.get("chunks") or [] for out in outputs]

    def _prompt_ids(self, prompt: str) -> Any:
        return self._pipe.tokenizer.get_prompt_ids(prompt, return_tensors="pt").to(self._pipe.model.device)


class _Chunk(TypedDict, total=False):
    """One timed piece of the ASR pipeline's output (``return_timestamps=True``)."""

    text: str
    timestamp: tuple[float | None, float | None]


def _window_segments(window: Span, chunks: list[_Chunk]) -> list[Segment]:
    """Pipeline chunks of one window, shifted into the original timeline and clamped to it."""
    segments = []
    for chunk in chunks:
        text = str(chunk.get("text") or "").strip()
        start, end = chunk.get("timestamp") or (None, None)
        start = window.start + (start or 0.0)
        end = window.end if end is None else window.start + end
        start = min(max(start, window.start), window.end)
        end = min(max(end, start), window.end)
        segments.append(Segment(round(start, 3), round(end, 3), text))
    return segments
