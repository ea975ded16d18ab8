"""Podcasting 2.0 JSON transcript (``<podcast:transcript type="application/json">``).

One entry per Whisper segment: ``{"startTime", "endTime", "body"}`` in seconds,
and ``"speaker"`` (the display name) when two or more speakers were told apart.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .cues import clean

if TYPE_CHECKING:
    from . import RenderContext

name = "podcast_json"
extension = ".json"
media_type = "application/json"
VERSION = "1.0.0"


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    segments = []
    for seg in ctx.transcript.segments:
        body = clean(seg.text)
        if body:
            start = round(seg.start, 3)
            item = {"startTime": start, "endTime": max(start, round(seg.end, 3)), "body": body}
            name = ctx.speaker_names.get(seg.speaker) if seg.speaker is not None else None
            segments.append({"speaker": clean(name), **item} if name and clean(name) else item)
    return json.dumps({"version": VERSION, "segments": segments}, ensure_ascii=False, indent=2) + "\n"
