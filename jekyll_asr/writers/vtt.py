"""WebVTT captions (W3C): what an HTML ``<track>`` and most podcast apps read.

Cue text is escaped (``&``, ``<``, ``>``), so transcript text can neither
inject markup nor write ``-->`` into a cue; a blank line separates cues. With
two or more speakers every cue opens with a voice span, ``<v Alice>``, as the
Podcasting 2.0 transcript guidance shows (a player names the voice; Chromium's
``cue.text`` keeps the span). ``render_transcript`` renders any Transcript, so
the same code writes a translation track.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .cues import clean, clock, cues

if TYPE_CHECKING:
    from ..transcript import Transcript
    from . import RenderContext

name = "vtt"
extension = ".vtt"
media_type = "text/vtt"
MAX_LINE_HARD = 65  # never more characters than this on one cue line


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def applies(ctx: RenderContext) -> bool:
    return True


def voice(name: str) -> str:
    """The opening voice span for ``name``: escaped, and never ending the tag early."""
    return f"<v {escape(clean(name))}>"


def render(ctx: RenderContext) -> str:
    return render_transcript(ctx.transcript, ctx.speaker_names)


def render_transcript(transcript: Transcript, speaker_names: Mapping[str, str] | None = None) -> str:
    """A WebVTT file for ``transcript`` (the episode's, or its translation's)."""
    names = speaker_names or {}
    blocks = ["WEBVTT"]
    for cue in cues(transcript.segments):
        timing = f"{clock(cue.start_ms, '.')} --> {clock(cue.end_ms, '.')}"
        lines = [escape(line) for line in cue.lines]
        name = names.get(cue.speaker) if cue.speaker is not None else None
        if name:
            lines[0] = voice(name) + lines[0]
        blocks.append("\n".join([timing, *lines]))
    return "\n\n".join(blocks) + "\n"
