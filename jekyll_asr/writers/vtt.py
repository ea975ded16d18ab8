"""WebVTT captions (W3C): what an HTML ``<track>`` and most podcast apps read.

Cue text is escaped (``&``, ``<``, ``>``), so transcript text can neither
inject markup nor write ``-->`` into a cue; a blank line separates cues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cues import clock, cues

if TYPE_CHECKING:
    from . import RenderContext

name = "vtt"
extension = ".vtt"
media_type = "text/vtt"
MAX_LINE_HARD = 65  # never more characters than this on one cue line


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    blocks = ["WEBVTT"]
    for cue in cues(ctx.transcript.segments):
        timing = f"{clock(cue.start_ms, '.')} --> {clock(cue.end_ms, '.')}"
        blocks.append("\n".join([timing, *(escape(line) for line in cue.lines)]))
    return "\n\n".join(blocks) + "\n"
