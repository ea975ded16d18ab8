"""Who spoke when, for the recordings whose speakers are wanted and not yet stored.

A file whose channels hold different voices (a double-ender, two mics on two
channels) is split by channel: no clustering, no mistakes where voices
overlap. Anything else is diarized (speakers/diarize.py) with the count the
recording's posts give, or found. The turns are stored in the cache's
``turns/`` folder (turnstore.py); transcripts are never touched, so turning
speakers on for an archive costs the diarizer alone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import JekyllAsrError, one_line
from .speakerspec import SpeakerSpec
from .transcript import Turn

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .plan import Recording
    from .render import RenderPlan
    from .report import Report
    from .turnstore import TurnsCache

log = logging.getLogger("jekyll_asr")

# What decoding and the diarizer's libraries raise for a file they cannot use; anything else is a bug.
FAILURES = (JekyllAsrError, OSError, ValueError, RuntimeError)


def find_turns(path: Path, spec: SpeakerSpec, samples: NDArray[np.float32] | None = None, *, diarizer: str = "resemblyzer") -> tuple[list[Turn], str]:
    """(turns, source) for one file: "channels" when its channels hold one voice each, else "diarized"."""
    from .audio import decode_channels
    from .speakers import DIARIZERS
    from .speakers.channels import separate_channels

    channels = decode_channels(path)
    if channels.shape[0] > 1:
        by_channel = separate_channels(channels)
        if by_channel is not None:
            return by_channel, "channels"
    mono = samples if samples is not None else channels.mean(axis=0, dtype="float32")
    del channels
    return DIARIZERS[diarizer](mono, count=spec.count), "diarized"


def store_turns(
    turns_cache: TurnsCache, ident: tuple[str, str], path: Path, spec: SpeakerSpec, samples: NDArray[np.float32] | None = None, *, diarizer: str
) -> None:
    """Find and store one file's turns; raises what ``FAILURES`` lists."""
    turns, source = find_turns(path, spec, samples, diarizer=diarizer)
    turns_cache.put(ident[0], ident[1], turns, source)


def stored_or_reported(
    turns_cache: TurnsCache, ident: tuple[str, str], plan: RenderPlan, locate: Callable[[], Path], *, report: Report, diarizer: str,
    samples: NDArray[np.float32] | None = None,
) -> bool:
    """Find and store one file's turns; a file that fails is reported alone (its outputs keep no labels)."""
    path: Path | None = None
    try:
        path = locate()
        store_turns(turns_cache, ident, path, plan.speakers, samples, diarizer=diarizer)
    except FAILURES as exc:
        log.debug("finding the speakers of %s failed", plan.key, exc_info=exc)
        report.fail(plan.key, "speakers not found: " + one_line(exc, *(n for n in (path, plan.key) if n is not None)))
        return False
    return True


def diarize_recordings(
    recordings: list[Recording], *, turns_cache: TurnsCache, report: Report, locate: Callable[[RenderPlan], Path], diarizer: str
) -> set[str]:
    """Diarize each recording's audio once per (content, key); the keys of the recordings now stored.

    ``locate(plan) -> Path`` gives the local file (a site file, or remote audio fetched again).
    A file that fails is reported alone; its outputs keep no speaker labels until a build succeeds.
    """
    done: set[str] = set()
    groups: dict[tuple[str, str], list[Recording]] = {}
    for recording in recordings:
        assert recording.turns.key is not None
        groups.setdefault((recording.plan.audio.sha256, recording.turns.key), []).append(recording)
    for ident, group in groups.items():
        first = group[0].plan
        if stored_or_reported(turns_cache, ident, first, functools.partial(locate, first), report=report, diarizer=diarizer):
            done.update(r.key for r in group)
    return done
