"""Output formats: one module per format, each a pure ``render(ctx) -> str``.

A writer module exposes ``name``, ``extension`` (with the dot, appended to the
slug), ``media_type`` (the Podcasting 2.0 ``<podcast:transcript type>``),
``applies(ctx)`` (whether the format has anything to say for this audio) and
``render(ctx)``. Writers never touch the file system except to read templates;
the build decides where the text goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..paragraphs import Paragraph
from ..transcript import AudioTags, Chapter, Transcript


@dataclass(frozen=True)
class RenderContext:
    """Everything a writer may use for one audio file (already glossary-fixed)."""

    transcript: Transcript
    tags: AudioTags
    slug: str
    title: str
    audio_url: str
    language: str
    paragraphs: Sequence[Paragraph]
    chapters: Sequence[Chapter]
    captions: Mapping[str, str]  # format name ("vtt", "srt", ...) -> site URL of that file
    templates_dir: Path | None = None  # the site's override folder (<site>/_asr_templates), if any
    speaker_names: Mapping[str, str] = field(default_factory=dict)  # speaker label -> name shown; empty: no labels
    translation: Transcript | None = None  # an English translation track (Whisper's translate task), if made


class Writer(Protocol):
    name: str
    extension: str
    media_type: str

    def applies(self, ctx: RenderContext) -> bool: ...

    def render(self, ctx: RenderContext) -> str: ...


from . import chapters_json, markdown, podcast_json, srt, text, translation_vtt, vtt  # noqa: E402  (modules need RenderContext)

WRITERS: dict[str, Writer] = {
    module.name: module
    for module in (markdown, vtt, srt, podcast_json, text, chapters_json, translation_vtt)
}

__all__ = ["WRITERS", "RenderContext", "Writer"]
