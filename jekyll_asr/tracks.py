"""Episodes recorded one voice per file (a double-ender, a mic per speaker): words per track, merged by time.

A post lists the files under ``tracks:`` (each with its speaker's name, or the
post's ``speakers:`` in track order). Each track is transcribed on its own, a
cache entry per file like any audio, so no clustering is needed and speech
that overlaps is not lost; rendering merges the tracks' segments by time, each
labelled with its track's speaker. The episode's own audio (the published
mix, when the post links one) is what the page plays; it is not transcribed.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING

from .cache import CacheEntry
from .speakerspec import SpeakerSpec
from .transcript import Segment, Transcript, Word

if TYPE_CHECKING:
    from .render import RenderPlan
    from .scan import AudioFile


def track_plan(plan: RenderPlan, audio: AudioFile) -> RenderPlan:
    """The plan one track is transcribed under: the episode's prompt and language, no outputs of its own."""
    return replace(plan, audio=audio, encodings=(), speakers=SpeakerSpec("off"), tracks=())


def merge_tracks(entries: list[CacheEntry], plan: RenderPlan) -> CacheEntry:
    """One entry for the episode: every track's segments in time order, track N's labelled "N"."""
    segments = sorted(
        (replace(piece, speaker=str(number)) for number, entry in enumerate(entries, 1) for s in entry.transcript.segments for piece in split_at_gaps(s)),
        key=lambda s: (s.start, s.end),
    )
    spoken: dict[str, float] = {}  # seconds of speech per language
    for entry in entries:
        language = entry.transcript.language
        spoken[language] = spoken.get(language, 0.0) + sum(s.end - s.start for s in entry.transcript.segments)
    first = entries[0]
    language = max(spoken, key=lambda k: spoken[k]) if any(spoken.values()) else first.transcript.language
    transcript = Transcript(tuple(segments), language, max(e.transcript.duration for e in entries), first.transcript.model, first.transcript.engine)
    return replace(first, audio_sha256=plan.audio.sha256, transcript=transcript)


GAP_S = 1.0  # a voice silent this long on its own track has let the other speak


def split_at_gaps(segment: Segment, gap: float = GAP_S) -> list[Segment]:
    """A track's segment cut where its words pause for ``gap`` seconds or more.

    One voice's track is silent while the other talks, and its segments may run across
    that silence; merged by time they would put a reply before the question it answers.
    Without word times the segment stays whole.
    """
    words = segment.words
    if len(words) < 2:  # noqa: PLR2004
        return [segment]
    pieces: list[list[Word]] = [[words[0]]]
    for before, word in itertools.pairwise(words):
        if word.start - before.end >= gap:
            pieces.append([])
        pieces[-1].append(word)
    if len(pieces) == 1:
        return [segment]
    out = []
    for number, piece in enumerate(pieces):
        start = segment.start if number == 0 else piece[0].start
        end = segment.end if number == len(pieces) - 1 else piece[-1].end
        out.append(replace(segment, start=start, end=max(start, end), text="".join(w.text for w in piece).strip(), words=tuple(piece)))
    return out


def track_names(plan: RenderPlan) -> dict[str, str]:
    """Label -> name for each track: the name given with the track, else the posts' ``speakers:`` in order."""
    given = plan.speakers.names
    out = {}
    for number, (_, name) in enumerate(plan.tracks, 1):
        out[str(number)] = name or (given[number - 1] if number <= len(given) else f"Speaker {number}")
    return out
