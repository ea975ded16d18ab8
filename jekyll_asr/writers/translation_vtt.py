"""The English caption track (``translate: true``): Whisper's translation of the episode, as WebVTT.

Written beside the original captions as ``<slug>.en.vtt`` and offered by the
player include as a second ``<track srclang="en">``; only for episodes not
spoken in English (an English episode has nothing to translate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .vtt import render_transcript

if TYPE_CHECKING:
    from . import RenderContext

name = "translation_vtt"
extension = ".en.vtt"
media_type = "text/vtt"


def applies(ctx: RenderContext) -> bool:
    return ctx.translation is not None and not ctx.translation.is_empty


def render(ctx: RenderContext) -> str:
    assert ctx.translation is not None  # applies() said so
    return render_transcript(ctx.translation)
