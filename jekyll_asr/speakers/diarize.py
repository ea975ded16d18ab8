"""Who spoke when, offline on the CPU: voice embeddings over the speech, clustered.

The pipeline ENGINE-NOTES measured: Silero speech spans, 1.5 s windows every
0.75 s over the speech, one d-vector each, the embeddings centred per file,
spectral clustering (the eigengap gives the count), a centroid reassignment
pass, then turns smoothed so that no turn is shorter than 0.5 s. A file with
too little speech to tell voices apart, or whose clusters sound alike, is one
speaker: ``speakers: auto`` runs on every build and must never split a monologue.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..transcript import Turn
from ..vad import SAMPLE_RATE, Span

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

WINDOW_S = 1.5
HOP_S = 0.75
MIN_TURN_S = 0.5  # smoothing: a shorter turn goes to the speaker around it
MIN_SPEECH_S = 8.0  # less speech than this is one speaker: too few windows to tell voices apart
# Two clusters whose mean raw (uncentred) embeddings are more alike than this are one voice: a net
# under the eigengap. Measured: two real voices 0.88 (sample.wav), 0.73-0.82 (a long file made of
# them); an AMI excerpt with one dominant voice split in two 0.92 (merged: DER 0.42 -> 0.09); one
# voice forced into two clusters 0.85-0.94 (real speech) and 0.96-0.97 (synthetic speech).
SAME_VOICE = 0.92
TARGET_DBFS = -30.0  # resemblyzer's volume normalisation: quiet speech raised to this level
SILENT_RMS = 1e-9
_TOUCH_S = 1e-6  # turns closer than this touch


@dataclass(frozen=True)
class Windows:
    """The embedding windows of a file: where each starts (seconds), and the stretch each one stands for."""

    starts: list[float]
    owned: list[Span]  # the part of the speech a window's label is given to


def speech_windows(spans: list[Span], duration: float) -> Windows:
    """1.5 s windows every 0.75 s over each speech span; a shorter span gets one window centred on it."""
    starts: list[float] = []
    owned: list[Span] = []
    latest = max(0.0, duration - WINDOW_S)
    for span in spans:
        if span.duration <= WINDOW_S:
            mine = [min(latest, max(0.0, span.start + span.duration / 2 - WINDOW_S / 2))]
        else:
            count = 1 + int((span.duration - WINDOW_S) // HOP_S)
            mine = [span.start + i * HOP_S for i in range(count)]
            if mine[-1] + WINDOW_S < span.end - 1e-6:
                mine.append(span.end - WINDOW_S)
            mine = [min(latest, s) for s in mine]
        centres = [s + WINDOW_S / 2 for s in mine]
        cuts = [span.start, *((a + b) / 2 for a, b in itertools.pairwise(centres)), span.end]
        starts.extend(mine)
        owned.extend(Span(a, b) for a, b in itertools.pairwise(cuts))
    return Windows(starts, owned)


def _gain(audio: NDArray[np.float32], spans: list[Span]) -> float:
    """The factor that lifts the speech to TARGET_DBFS (never lowers it), as resemblyzer's preprocessing."""
    import numpy as np

    energy = count = 0.0
    for span in spans:  # span by span: an hour of speech is never copied at once
        piece = audio[round(span.start * SAMPLE_RATE) : round(span.end * SAMPLE_RATE)]
        energy += float(np.dot(piece, piece))
        count += piece.size
    rms = (energy / count) ** 0.5 if count else 0.0
    if rms <= SILENT_RMS:
        return 1.0
    return max(1.0, float(10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20)))


def embed_windows(audio: NDArray[np.float32], windows: Windows, gain: float = 1.0) -> NDArray[np.float32]:
    """One d-vector per window (rows in window order), a batch of windows at a time (bounded memory)."""
    import numpy as np

    from .embedding import BATCH, EMBEDDING_SIZE, load_encoder

    encoder = load_encoder()
    size = round(WINDOW_S * SAMPLE_RATE)
    out = np.zeros((len(windows.starts), EMBEDDING_SIZE), dtype=np.float32)
    for at in range(0, len(windows.starts), BATCH):
        batch = np.zeros((len(windows.starts[at : at + BATCH]), size), dtype=np.float32)  # zeros: a file shorter than a window
        for row, start in enumerate(windows.starts[at : at + BATCH]):
            piece = audio[round(start * SAMPLE_RATE) :][:size]
            batch[row, : piece.size] = piece
        out[at : at + BATCH] = encoder.embed(batch * np.float32(gain))
    return out


def _merge_alike(raw: NDArray[np.float32], labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """Join the two clusters whose mean raw embeddings are most alike while above SAME_VOICE."""
    import numpy as np

    from .cluster import centroids_of

    labels = labels.copy()
    while True:
        present = np.unique(labels)
        if len(present) < 2:  # noqa: PLR2004
            return labels
        centroids = centroids_of(raw, np.searchsorted(present, labels), len(present))
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -1.0)
        a, b = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[a, b] < SAME_VOICE:
            return labels
        labels[labels == present[b]] = present[a]


def diarize(
    audio: NDArray[np.float32], *, count: int | None = None, max_speakers: int = 8, spans: list[Span] | None = None
) -> list[Turn]:
    """Speaker turns of 16 kHz mono ``audio``: labels "1", "2"... in order of first appearance.

    ``count`` given: exactly that many speakers (when there are enough windows);
    None: found from the audio, between 1 and ``max_speakers``. ``spans``: the
    speech spans when the caller has them already (vad.speech_spans).
    """
    import numpy as np

    from ..vad import speech_spans
    from .cluster import spectral_labels, unit_rows

    if count is not None and count < 1:
        raise ConfigError(f"a speaker count must be 1 or more, not {count!r}")
    if spans is None:
        spans = speech_spans(audio)
    if not spans:
        return []
    windows = speech_windows(spans, len(audio) / SAMPLE_RATE)
    speech = sum(s.duration for s in spans)
    if count == 1 or (count is None and speech < MIN_SPEECH_S) or len(windows.starts) < 2:  # noqa: PLR2004
        return labelled_turns(windows.owned, [0] * len(windows.owned))
    raw = embed_windows(audio, windows, _gain(audio, spans))
    centred = unit_rows(raw - raw.mean(axis=0, keepdims=True))
    labels = spectral_labels(centred, count=count, max_speakers=max(max_speakers, count or 1))
    if count is None:
        labels = _merge_alike(raw, labels)
    return labelled_turns(windows.owned, [int(x) for x in np.asarray(labels)])


def labelled_turns(owned: list[Span], labels: list[int]) -> list[Turn]:
    """Turns from each window's stretch and label: smoothed, merged, renumbered by first appearance."""
    turns = _merged([Turn(s.start, s.end, str(label)) for s, label in zip(owned, labels, strict=True)])
    turns = _merged(_smoothed(turns))
    names: dict[str, str] = {}
    for t in turns:
        names.setdefault(t.speaker, str(len(names) + 1))
    return [Turn(round(t.start, 3), round(t.end, 3), names[t.speaker]) for t in turns]


def _merged(turns: list[Turn], gap: float = _TOUCH_S) -> list[Turn]:
    """Adjacent turns of the same speaker as one (a pause shorter than ``gap`` between them)."""
    out: list[Turn] = []
    for t in turns:
        if out and out[-1].speaker == t.speaker and t.start - out[-1].end <= gap:
            out[-1] = Turn(out[-1].start, max(out[-1].end, t.end), t.speaker)
        else:
            out.append(t)
    return out


def _smoothed(turns: list[Turn]) -> list[Turn]:
    """A turn shorter than MIN_TURN_S touching another turn takes its neighbour's speaker (the longer one)."""
    out = list(turns)
    for i, t in enumerate(out):
        if t.end - t.start >= MIN_TURN_S:
            continue
        neighbours = (out[i - 1] if i else None, out[i + 1] if i + 1 < len(out) else None)
        around = [n for n in neighbours if n is not None and min(abs(n.end - t.start), abs(t.end - n.start)) < _TOUCH_S]
        if around:
            out[i] = Turn(t.start, t.end, max(around, key=lambda n: n.end - n.start).speaker)
    return out
