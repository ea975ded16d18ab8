"""Plain text: the paragraphs, one block each, for reading, search and downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import RenderContext

name = "text"
extension = ".txt"
media_type = "text/plain"


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    """Paragraphs separated by a blank line; an empty transcript is an empty file."""
    paragraphs = [" ".join(p.text.split()) for p in ctx.paragraphs if p.text.strip()]
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""
