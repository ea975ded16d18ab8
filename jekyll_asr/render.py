"""From a cached transcript to the files a site serves, and the managed front matter value.

Rendering is cheap and pure: it runs on every build, so a changed template or
glossary re-renders without re-transcribing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .cache import CacheEntry
from .config import Settings
from . import frontmatter
from .errors import FrontMatterError, PathError
from .scan import AudioFile
from .site import Document

# config format name -> writer module name (jekyll_asr.writers.WRITERS)
# sniffed container -> the MIME type a feed enclosure announces
MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "mp4": "audio/mp4", "webm": "audio/webm", "aiff": "audio/aiff"}
FORMAT_WRITERS = {"md": "markdown", "vtt": "vtt", "srt": "srt", "json": "podcast_json", "txt": "text", "chapters": "chapters_json"}


@dataclass(frozen=True)
class RenderPlan:
    """One audio file: its slug, the posts using it, its glossary and prompt."""

    audio: AudioFile
    slug: str
    users: tuple[Path, ...]
    glossary: tuple[Any, ...]
    prompt: str | None


def slugify(text: str) -> str:
    """A file name that cannot escape its folder: lowercase ASCII, digits and dashes."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:120] or "audio"


def slugs_for(paths: list[Path]) -> dict[Path, str]:
    """File stem where unique; else the whole path with its extension; else that plus a hash.

    Two audio files must never share output names (``a b.wav`` and ``a-b.wav``,
    ``x.wav`` and ``x.mp3``), or one's transcript would overwrite the other's.
    """
    import hashlib

    def unique(candidates: dict[Path, str], fallback) -> dict[Path, str]:
        counts: dict[str, int] = {}
        for slug in candidates.values():
            counts[slug] = counts.get(slug, 0) + 1
        return {p: slug if counts[slug] == 1 else fallback(p) for p, slug in candidates.items()}

    slugs = unique({p: slugify(p.stem) for p in paths}, lambda p: slugify(p.as_posix()))
    short = lambda p: f"{slugify(p.as_posix())[:100]}-{hashlib.sha256(p.as_posix().encode()).hexdigest()[:8]}"
    return unique(slugs, short)


def plan_outputs(settings: Settings, files: list[AudioFile], documents: list[Document]) -> list[RenderPlan]:
    from .glossary import Glossary, prompt_text

    slugs = slugs_for([f.path for f in files])
    using: dict[Path, list[Document]] = {}
    for document in documents:
        for audio in document.audio:
            using.setdefault(audio, []).append(document)
    plans = []
    for f in files:
        users = tuple(d.path for d in using.get(f.path, ()))
        terms = list(settings.glossary)
        for document in using.get(f.path, ()):
            terms += [t for t in document.glossary if t not in terms]
        glossary = Glossary.from_config(terms)
        plans.append(RenderPlan(f, slugs[f.path], users, tuple(terms), prompt_text(glossary)))
    return plans


def site_url(settings: Settings, rel: str) -> str:
    return f"{settings.baseurl}/{PurePosixPath(rel).as_posix()}"


def output_paths(settings: Settings, slug: str) -> dict[str, str]:
    """Format name -> site-relative path of its file, for the configured formats."""
    from .writers import WRITERS

    out = {}
    for fmt in settings.formats:
        writer = WRITERS[FORMAT_WRITERS[fmt]]
        folder = settings.includes_dir if fmt == "md" else settings.captions_dir
        rel = f"{folder.rstrip('/')}/{slug}{writer.extension}"
        if "/" in slug or slug.startswith("."):
            raise PathError(f"output name {slug!r} would escape {folder}")
        out[fmt] = rel
    return out


def render_context(settings: Settings, plan: RenderPlan, entry: CacheEntry):
    from .glossary import Glossary, apply, load_corrections
    from .paragraphs import build_paragraphs
    from .writers import RenderContext

    corrections = load_corrections(settings.site / settings.corrections_dir / f"{plan.slug}.yml")
    transcript = apply(entry.transcript, Glossary.from_config(list(plan.glossary)), corrections)
    paths = output_paths(settings, plan.slug)
    captions = {fmt: site_url(settings, rel) for fmt, rel in paths.items() if fmt != "md"}
    title = entry.tags.title or plan.audio.path.stem
    return RenderContext(
        transcript=transcript,
        tags=entry.tags,
        slug=plan.slug,
        title=title,
        audio_url=site_url(settings, plan.audio.path.as_posix()),
        language=transcript.language,
        paragraphs=build_paragraphs(
            transcript, pause=settings.paragraph_pause, breaks=[c.start for c in entry.tags.chapters if c.start > 0]
        ),
        chapters=entry.tags.chapters,
        captions=captions,
        templates_dir=settings.site / settings.templates_dir,
    )


def render_outputs(settings: Settings, plan: RenderPlan, entry: CacheEntry) -> dict[str, str]:
    """Site-relative path -> content, for every configured format that applies."""
    from .writers import WRITERS

    ctx = render_context(settings, plan, entry)
    files = {}
    for fmt, rel in output_paths(settings, plan.slug).items():
        writer = WRITERS[FORMAT_WRITERS[fmt]]
        applies = getattr(writer, "applies", None)
        if applies is not None and not applies(ctx):
            continue
        files[rel] = writer.render(ctx)
    return files


def managed_value(settings: Settings, plan: RenderPlan, entry: CacheEntry) -> dict[str, Any]:
    """The one front matter key the tool owns, on each post that uses this audio."""
    transcript = entry.transcript
    paths = output_paths(settings, plan.slug)
    value: dict[str, Any] = {}
    if "md" in paths:
        include = paths["md"]
        value["include"] = include[len("_includes/") :] if include.startswith("_includes/") else include
    value["audio"] = site_url(settings, plan.audio.path.as_posix())
    value["bytes"] = plan.audio.size  # for a feed's <enclosure length>
    value["type"] = MEDIA_TYPES.get(plan.audio.kind, "application/octet-stream")
    value["language"] = transcript.language
    value["duration"] = round(transcript.duration, 1)
    value["words"] = transcript.word_count
    value["model"] = transcript.model
    files = {fmt: site_url(settings, rel) for fmt, rel in paths.items() if fmt != "md"}
    if not entry.tags.chapters:
        files.pop("chapters", None)
    if files:
        value["files"] = files
    if entry.tags.title:
        value["title"] = entry.tags.title
    if entry.tags.artist:
        value["artist"] = entry.tags.artist
    return value


# Front matter a post's author may set; the tool fills them from tags only when the post has none.
USER_KEYS = ("title", "artist")


def document_value(values: list[dict[str, Any]], user_keys: set[str] | tuple[str, ...]) -> dict[str, Any]:
    """The managed value of a post that uses these audio files (first one leads)."""
    value = {k: v for k, v in values[0].items() if k not in user_keys}
    if len(values) > 1:
        value["parts"] = values[1:]
    return value


def document_update(settings: Settings, document: Path, values: list[dict[str, Any]]) -> tuple[str, str]:
    """The post's text now, and after a build sets its managed key (the same rule as build)."""
    path = settings.site / document
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrontMatterError(f"{document}: cannot read: {exc}") from exc
    fm, _ = frontmatter.split(text)
    present = {k for k in USER_KEYS if fm is not None and k in fm.data}
    return text, frontmatter.set_key(text, settings.front_matter_key, document_value(values, present))
