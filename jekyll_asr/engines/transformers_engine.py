"""Hugging Face transformers: the ``automatic-speech-recognition`` pipeline.

CPU runs float32 always (a float16 checkpoint runs 2.2x slower on CPU) and
feeds the speech windows one at a time: batching and ``chunk_length_s`` gave
no speed-up on 2 cores, and 30 s chunking merged paragraphs into one segment.
CUDA runs float16 with SDPA attention and batches the windows (untested here:
no GPU on the machine this was written on).

VAD (vad.py) runs first: no speech means no model call; long silences are cut
short (vad.pack), each speech window is at most 30 s, so every call is a single
Whisper window, and its timestamps are mapped back into the original timeline. With ``vad: false`` the whole audio
goes through sequential long-form decoding instead.

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
from ..vad import SAMPLE_RATE, Span, pack, samples, speech_spans, speech_windows
from . import DecodeOptions, require
from .guards import drop_loops
from .windows import decode_windows

DEFAULT_CUDA_BATCH = 8

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

    def transcribe(self, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        duration = audio.shape[0] / SAMPLE_RATE
        packed = pack(audio, speech_spans(audio)) if options.vad else None
        if packed is not None:
            audio, spans = packed.audio, packed.spans
        else:
            spans = [Span(0.0, duration)]
        windows = speech_windows(spans) if options.vad else spans
        if not windows or duration == 0.0:
            return [], (options.language or "und") if self._multilingual else "en"
        language = self._language(audio, windows[0], options)
        kwargs = dict(_DETERMINISTIC, num_beams=options.beam_size)
        if self._multilingual:
            kwargs.update(language=language, task=options.task)
        if options.prompt:
            kwargs["prompt_ids"] = self._prompt_ids(options.prompt)
        batch = (options.batch_size or DEFAULT_CUDA_BATCH) if self._device.startswith("cuda") else 1

        def decode(pending: list[Span]) -> list[list[Segment]]:
            # A fresh dict per window: the pipeline pops "raw" out of it.
            inputs = [{"raw": samples(audio, w), "sampling_rate": SAMPLE_RATE} for w in pending]
            outputs = self._pipe(inputs, return_timestamps=True, batch_size=batch, generate_kwargs=dict(kwargs))
            return [_window_segments(w, out.get("chunks") or []) for w, out in zip(pending, outputs, strict=True)]

        try:
            segments = [packed.restore(s) for s in decode_windows(windows, spans, decode)] if packed is not None else decode(windows)[0]
        except (RuntimeError, ValueError, TypeError) as exc:
            raise EngineError(f"transformers failed while transcribing: {exc}") from exc
        kept = drop_loops(segments, max_compression_ratio=options.max_compression_ratio, max_repeats=options.max_repeats)
        return kept, language

    def _language(self, audio: NDArray[np.float32], first: Span, options: DecodeOptions) -> str:
        """"en" for English-only models, else the given language, else detected on the first window."""
        if not self._multilingual:
            return "en"
        if options.language:
            return options.language
        import torch

        features = self._pipe.feature_extractor(
            samples(audio, Span(first.start, min(first.end, first.start + 30.0))),
            sampling_rate=SAMPLE_RATE,
            return_tensors="pt",
        ).input_features.to(self._pipe.model.device, self._pipe.model.dtype)
        with torch.inference_mode():
            token = self._pipe.model.detect_language(features)
        code = self._pipe.tokenizer.decode(token.view(-1)[:1].tolist())
        return code.strip("<|>") or "und"

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
