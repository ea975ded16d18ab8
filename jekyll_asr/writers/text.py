"""Plain text: the paragraphs, one block each, for reading, search and downloads.

With two or more speakers, the paragraph that starts a speaker's turn begins "Alice: ".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..paragraphs import turn_names

if TYPE_CHECKING:
    from . import RenderContext

name = "text"
extension = ".txt"
media_type = "text/plain"


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    """Paragraphs separated by a blank line; an empty transcript is an empty file."""
    paragraphs = []
    for p, name in zip(ctx.paragraphs, turn_names(ctx.paragraphs, ctx.speaker_names), strict=True):
        if not p.text.strip():
            continue
        body = " ".join(p.text.split())
        paragraphs.append(f"{' '.join(name.split())}: {body}" if name else body)
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""
