"""Podcasting 2.0 chapters JSON (``<podcast:chapters type="application/json+chapters">``).

Only written when the audio carries chapters (ID3 CHAP, MP4 chapters).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .cues import clean

if TYPE_CHECKING:
    from . import RenderContext

name = "chapters_json"
extension = ".chapters.json"
media_type = "application/json+chapters"
VERSION = "1.2.0"


def applies(ctx: RenderContext) -> bool:
    return bool(ctx.chapters)


def render(ctx: RenderContext) -> str:
    chapters: list[dict[str, Any]] = []
    for number, chapter in enumerate(sorted(ctx.chapters, key=lambda c: c.start), start=1):
        title = clean(chapter.title) or f"Chapter {number}"
        item: dict[str, Any] = {"startTime": round(chapter.start, 3), "title": title}
        if chapter.end is not None and chapter.end > chapter.start:
            item["endTime"] = round(chapter.end, 3)
        chapters.append(item)
    return json.dumps({"version": VERSION, "chapters": chapters}, ensure_ascii=False, indent=2) + "\n"
