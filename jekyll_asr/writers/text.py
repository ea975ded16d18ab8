"""Plain text: the paragraphs, one block each, for reading, search and downloads.

With two or more speakers, the paragraph that starts a speaker's turn begins "Alice: ".
"""

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
    paragraphs, previous = [], None
    for p in ctx.paragraphs:
        if not p.text.strip():
            continue
        name = ctx.speaker_names.get(p.speaker) if p.speaker is not None and p.speaker != previous else None
        previous = p.speaker
        body = " ".join(p.text.split())
        paragraphs.append(f"{' '.join(name.split())}: {body}" if name and name.strip() else body)
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""
