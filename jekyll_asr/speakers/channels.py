"""Recordings that keep each voice on its own channel: the turns come from speech detection per channel.

A double-ender or a two-mic recording puts each speaker on a channel; finding
the speech on each channel gives who spoke when with no clustering and no
mistakes in overlap. A stereo file whose channels carry the same signal (mono
in stereo, an ordinary stereo mix that pans the voices) returns None: cluster
its mix instead. The judgement is per speech span: in a separated recording
each span is far louder on one channel than on the others and the channels
hardly correlate; in a mix the channels correlate whatever their levels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..transcript import Turn
from ..vad import SAMPLE_RATE, Span

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# A 0.1 s block of speech is "separated" when its two loudest channels differ by SEPARATED_DB or
# more, or hardly correlate at any lag up to MAX_LAG_S (two people talking at once, one a mic).
# Measured on sample.wav made stereo: mono in stereo and a panned mix (8.5 dB apart) give 0-1 % of
# the speech separated, one voice a channel 86 % (the rest is where they talk over each other),
# with -26 dB or -14 dB of crosstalk 87-91 %; two spaced mics hearing the same voices (1-3 ms
# apart) 0-1 % once the correlation looks past the delay (63-88 % at zero lag only).
MAX_CORRELATION = 0.5
MAX_LAG_S = 0.02  # 7 m of air
SEPARATED_DB = 10.0
SEPARATED_SHARE = 0.5  # of the speech time, for the file to count as one voice per channel
BLOCK_S = 0.1
MAX_PAUSE_S = 0.3  # a shorter pause inside one channel's speech does not end its turn
MIN_RUN_S = 0.3  # a shorter stretch is a cough or a click, not a turn
BLEED_DB = 6.0  # a channel this much quieter than the loudest is crosstalk there (DER with -14 dB of it: 0.21 at 10 dB, 0.04 at 6)


def _separated_share(channels: NDArray[np.float32], spans: list[Span]) -> float:
    """The share of the speech, in 0.1 s blocks, where the two loudest channels carry different signals."""
    import numpy as np

    size = round(BLOCK_S * SAMPLE_RATE)
    separated = total = 0
    for span in spans:
        piece = channels[:, round(span.start * SAMPLE_RATE) : round(span.end * SAMPLE_RATE)].astype(np.float64)
        count = piece.shape[1] // size
        if count == 0:
            continue
        blocks = piece[:, : count * size].reshape(len(piece), count, size)
        blocks = blocks - blocks.mean(axis=2, keepdims=True)
        power = np.mean(blocks**2, axis=2) + 1e-12  # (channels, blocks)
        order = np.argsort(power, axis=0)[::-1]
        loud, second = order[0], order[1]
        columns = np.arange(count)
        a, b = blocks[loud, columns], blocks[second, columns]
        ratio_db = 10 * np.log10(power[loud, columns] / power[second, columns])
        correlation = _lagged_correlation(a, b)
        separated += int(np.sum((ratio_db >= SEPARATED_DB) | (correlation < MAX_CORRELATION)))
        total += count
    return separated / total if total else 0.0


def _lagged_correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per row, the largest normalised cross-correlation of ``a`` and ``b`` within +-MAX_LAG_S: two
    mics a few metres apart hear one voice a few milliseconds apart, which hides it from a plain
    (zero-lag) correlation."""
    import numpy as np

    size = a.shape[1]
    spectrum = np.fft.rfft(a, 2 * size, axis=1) * np.conj(np.fft.rfft(b, 2 * size, axis=1))
    xcorr = np.fft.irfft(spectrum, 2 * size, axis=1)
    lag = round(MAX_LAG_S * SAMPLE_RATE)
    near = np.concatenate([xcorr[:, : lag + 1], xcorr[:, -lag:]], axis=1)  # lags 0..lag and -lag..-1
    scale = np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1)) + 1e-24
    return np.asarray(np.max(np.abs(near), axis=1) / scale, dtype=np.float64)


def separate_channels(channels: NDArray[np.float32]) -> list[Turn] | None:
    """Turns from a (channels, n) 16 kHz array with one voice per channel; None when the channels
    carry the same signal or fewer than two of them hold speech. Labels: "1" for the channel heard
    first, and so on."""
    import numpy as np

    from ..vad import speech_spans

    if channels.ndim != 2 or channels.shape[0] < 2:  # noqa: PLR2004
        return None
    channels = np.ascontiguousarray(channels, dtype=np.float32)
    per_channel = [speech_spans(row) for row in channels]
    if sum(1 for spans in per_channel if spans) < 2:  # noqa: PLR2004
        return None
    if _separated_share(channels, [s for spans in per_channel for s in spans]) < SEPARATED_SHARE:
        return None
    levels = _block_levels_db(channels)
    loudest = levels.max(axis=0)
    turns = []
    for index, spans in enumerate(per_channel):
        own = np.zeros(levels.shape[1], dtype=bool)
        for span in spans:
            own[int(span.start / BLOCK_S) : int(np.ceil(span.end / BLOCK_S))] = True
        own &= levels[index] >= loudest - BLEED_DB  # not the other voice leaking into this mic
        turns += [Turn(a * BLOCK_S, min(b * BLOCK_S, channels.shape[1] / SAMPLE_RATE), str(index)) for a, b in _runs(own)]
    return _numbered(turns)


def _block_levels_db(channels: NDArray[np.float32]) -> NDArray[np.float64]:
    """Level in dB of every 0.1 s block of every channel: (channels, blocks), a minute at a time."""
    import numpy as np

    size = round(BLOCK_S * SAMPLE_RATE)
    count = -(-channels.shape[1] // size)
    levels = np.empty((len(channels), count))
    step = 600  # blocks: a minute
    for at in range(0, count, step):
        piece = channels[:, at * size : (at + step) * size]
        whole = piece.shape[1] // size * size
        blocks = piece[:, :whole].reshape(len(piece), -1, size)
        power = np.einsum("cbs,cbs->cb", blocks, blocks, dtype=np.float64) / size
        if whole < piece.shape[1]:  # the last, shorter block
            tail = piece[:, whole:].astype(np.float64)
            power = np.concatenate([power, np.mean(tail * tail, axis=1, keepdims=True)], axis=1)
        levels[:, at : at + power.shape[1]] = 10 * np.log10(power + 1e-12)
    return levels


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, end) block of each run of True, pauses up to MAX_PAUSE_S bridged, runs under MIN_RUN_S dropped."""
    import numpy as np

    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    runs: list[tuple[int, int]] = []
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and (a - runs[-1][1]) * BLOCK_S <= MAX_PAUSE_S:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return [(a, b) for a, b in runs if (b - a) * BLOCK_S >= MIN_RUN_S]


def _numbered(turns: list[Turn]) -> list[Turn]:
    """Turns in time order, speakers renamed "1", "2"... by first appearance."""
    turns = sorted(turns, key=lambda t: (t.start, t.end))
    names: dict[str, str] = {}
    for t in turns:
        names.setdefault(t.speaker, str(len(names) + 1))
    return [Turn(round(t.start, 3), round(t.end, 3), names[t.speaker]) for t in turns]
