"""The pyannote diarizer: pyannote.audio's pretrained pipeline, for a user with a GPU and a token.

Not installed by default (its pipeline is a gated model on the Hugging Face hub);
the errors say what to install and which token to set.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from ..errors import SpeakerError
from ..transcript import Turn
from ..vad import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


def _require() -> None:
    try:
        found = importlib.util.find_spec("pyannote.audio") is not None
    except (ImportError, ValueError):  # no "pyannote" namespace at all
        found = False
    if not found:
        raise SpeakerError(
            "the pyannote diarizer needs pyannote.audio: `pip install pyannote.audio`, set HF_TOKEN to a Hugging Face token "
            "that may read its gated pipeline, or use the offline `diarizer: resemblyzer`"
        )


def diarize_pyannote(audio: NDArray[np.float32], *, count: int | None = None, max_speakers: int = 8) -> list[Turn]:
    """Turns from pyannote's pipeline, labels renumbered "1", "2"... by first appearance."""
    _require()
    from . import PYANNOTE_PIPELINE, hf_token

    token = hf_token()
    import torch
    from pyannote.audio import Pipeline

    try:
        pipeline: Any = Pipeline.from_pretrained(PYANNOTE_PIPELINE, token=token)
    except Exception as exc:  # hub and auth errors come in many types; each is shown as it is
        raise SpeakerError(f"cannot load {PYANNOTE_PIPELINE}: {exc} (check HF_TOKEN and that you accepted its terms)") from exc
    if torch.cuda.is_available():
        pipeline.to(torch.device("cuda"))
    options = {"num_speakers": count} if count is not None else {"max_speakers": max_speakers}
    result = pipeline({"waveform": torch.from_numpy(audio).unsqueeze(0), "sample_rate": SAMPLE_RATE}, **options)
    annotation = getattr(result, "speaker_diarization", result)
    names: dict[str, str] = {}
    turns = []
    for segment, _, speaker in sorted(annotation.itertracks(yield_label=True), key=lambda item: item[0].start):
        turns.append(Turn(round(segment.start, 3), round(segment.end, 3), names.setdefault(speaker, str(len(names) + 1))))
    return turns
