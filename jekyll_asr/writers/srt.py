"""SubRip captions: numbered cues, ``hh:mm:ss,mmm`` times, each cue ended by a blank line.

SubRip has no escaping; players read a few HTML-like tags (``<i>``, ``<b>``,
``<font>``), so ``<`` and ``>`` are swapped for look-alikes that no player
reads as markup (‹ ›) and ``-->`` can never appear in cue text. Lines hold at
most 32 characters, two a cue, and a speaker turn starts a new cue with the
speaker's name and a colon (the Podcasting 2.0 transcript guidance for SRT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cues import clean, clock, cues

if TYPE_CHECKING:
    from . import RenderContext

name = "srt"
extension = ".srt"
media_type = "application/x-subrip"
MAX_LINE = 32


def neutralise(text: str) -> str:
    return text.replace("<", "\u2039").replace(">", "\u203a")


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    blocks = []
    prefixes = {label: f"{clean(name)}:" for label, name in ctx.speaker_names.items() if clean(name)}
    for number, cue in enumerate(cues(ctx.transcript.segments, max_line=MAX_LINE, prefixes=prefixes), start=1):
        timing = f"{clock(cue.start_ms, ',')} --> {clock(cue.end_ms, ',')}"
        blocks.append("\n".join([str(number), timing, *(neutralise(line) for line in cue.lines)]))
    return "".join(block + "\n\n" for block in blocks)
