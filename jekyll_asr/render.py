"""From a cached transcript to the files a site serves, and the managed front matter value.

Rendering is cheap and pure: it runs on every build, so a changed template or
glossary re-renders without re-transcribing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import frontmatter
from .cache import CacheEntry
from .config import Settings
from .errors import FrontMatterError, PathError
from .scan import AudioFile
from .site import Document
from .speakerspec import SpeakerSpec, spec_for
from .transcript import Transcript
from .turnstore import TurnsEntry

if TYPE_CHECKING:
    from .writers import RenderContext

# config format name -> writer module name (jekyll_asr.writers.WRITERS)
# sniffed container -> the MIME type a feed enclosure announces
MEDIA_TYPES = {
    "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "mp4": "audio/mp4", "webm": "audio/webm", "aiff": "audio/aiff",
}
FORMAT_WRITERS = {
    "md": "markdown", "vtt": "vtt", "srt": "srt", "json": "podcast_json", "txt": "text", "chapters": "chapters_json", "translation": "translation_vtt",
}


@dataclass(frozen=True)
class RenderPlan:
    """One recording: the file transcribed, its other encodings, its name, the documents using it."""

    audio: AudioFile  # the encoding that is transcribed
    slug: str
    users: tuple[Path, ...]
    glossary: tuple[Any, ...]
    prompt: str | None
    encodings: tuple[AudioFile, ...] = ()  # every encoding of the recording (the transcribed one included) when several
    speakers: SpeakerSpec = field(default_factory=SpeakerSpec)  # how many voices, and their names (the site's option and the posts' front matter)
    language: str | None = None  # the posts' own language, overriding the site's (None: the site's)
    # One file per voice (a double-ender): the words are theirs, merged by time, each labelled with its
    # speaker (the name given with the track, else the posts' ``speakers:``); ``audio`` is not transcribed.
    tracks: tuple[tuple[AudioFile, str | None], ...] = ()

    translate: bool | None = None  # a post's own `translate:` (None: the site's)
    task: str | None = None  # "translate": this plan makes the English caption track (None: the site's task)

    def translates(self, settings: Settings) -> bool:
        """Whether this recording gets an English caption track: its posts say, else the site."""
        return settings.translate if self.translate is None else self.translate

    def options(self) -> tuple[str | None, str | None, str | None]:
        """What, besides the site's settings, changes this recording's words: (prompt, language, task)."""
        return self.prompt, self.language, self.task

    @property
    def key(self) -> str:
        return self.audio.key


# Which encoding of one recording is transcribed: a local file before a download, lossless first.
_SOURCE_RANK = {"flac": 0, "wav": 1, "aiff": 2, "mp4": 3, "ogg": 4, "webm": 5, "mp3": 6}


def best_source(files: list[AudioFile]) -> AudioFile:
    """The encoding to transcribe: local before remote, then lossless before lossy, then the larger."""
    return min(files, key=lambda f: (f.url is not None, _SOURCE_RANK.get(f.kind, 9), -f.size, f.key))


def recordings(files: list[AudioFile], documents: list[Document]) -> list[list[AudioFile]]:
    """The site's recordings: files that documents list as encodings of one recording go together."""
    by_key = {f.key: f for f in files}
    group_of: dict[str, int] = {}
    groups: list[list[str]] = []
    for document in documents:
        for recording in document.recordings:
            known = [k for k in recording if k in by_key]
            if not known:
                continue
            target = next((group_of[k] for k in known if k in group_of), None)
            if target is None:
                target = len(groups)
                groups.append([])
            for k in known:
                if k not in group_of:
                    group_of[k] = target
                    groups[target].append(k)
    for f in files:
        if f.key not in group_of:
            group_of[f.key] = len(groups)
            groups.append([f.key])
    return [[by_key[k] for k in group] for group in groups if group]


def plan_outputs(settings: Settings, files: list[AudioFile], documents: list[Document], names: Any = None) -> list[RenderPlan]:
    """One plan per recording, named once and for good (``names``: a NameIndex, updated in memory)."""
    from .glossary import Glossary, prompt_text
    from .names import NameIndex, assign, previous_name, slugify

    index = names if names is not None else NameIndex(Path(os.devnull))  # a build or status passes the store's
    by_key = {f.key: f for f in files}
    only_tracks = {k for d in documents for k, _ in d.tracks} - {k for d in documents for k in d.audio}  # no outputs of their own
    groups = sorted(recordings([f for f in files if f.key not in only_tracks], documents), key=lambda g: best_source(g).key)
    using: dict[str, list[Document]] = {}
    for document in documents:
        for key in document.audio:
            using.setdefault(key, []).append(document)
    wanted = []
    for group in groups:
        chosen = best_source(group)
        users = list({d.path: d for f in group for d in using.get(f.key, ())}.values())
        preferred = [n for n in (previous_name(d.managed) for d in users) if n]
        if len(users) == 1 and len(users[0].recordings) == 1:
            preferred.append(users[0].name)
        preferred.append(slugify(chosen.path.stem))
        wanted.append((chosen.key, [f.key for f in group], list(dict.fromkeys(preferred))))
    present = {f.key for f in files} | {key for d in documents for key in d.audio} | only_tracks
    slugs = assign(wanted, index, present)
    plans = []
    for group in groups:
        chosen = best_source(group)
        users = list({d.path: d for f in group for d in using.get(f.key, ())}.values())
        terms = list(settings.glossary)
        for document in users:
            terms += [t for t in document.glossary if t not in terms]
        glossary = Glossary.from_config(terms)
        encodings = tuple(group) if len(group) > 1 else ()
        speakers = spec_for(settings.speakers, [d.speakers for d in users])
        tracks = next((tuple((by_key[k], n) for k, n in d.tracks if k in by_key) for d in users if d.tracks), ())
        if tracks:  # one voice per track: nothing to diarize
            speakers = SpeakerSpec("off", speakers.names)
        # A post's language overrides the site's; an English-only model hears English whatever a post says.
        language = None if settings.english_only else next((d.language for d in users if d.language), None)
        translate = None if settings.english_only else next((d.translate for d in users if d.translate is not None), None)
        plans.append(
            RenderPlan(
                chosen, slugs[chosen.key], tuple(d.path for d in users), tuple(terms), prompt_text(glossary), encodings, speakers, language, tracks,
                translate,
            )
        )
    return plans


def site_url(settings: Settings, rel: str) -> str:
    """The URL a page links for a site file (percent-encoded), or a remote URL as the post has it."""
    if "://" in rel:
        return rel
    return quote(f"{settings.baseurl}/{PurePosixPath(rel).as_posix().lstrip('/')}", safe="/~!$&'()*+,;=:@")


def output_paths(settings: Settings, slug: str, *, translate: bool | None = None) -> dict[str, str]:
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
    if settings.translate if translate is None else translate:  # the English caption track beside the original
        out["translation"] = f"{settings.captions_dir.rstrip('/')}/{slug}.en.vtt"
    return out


def speaking(settings: Settings, plan: RenderPlan, transcript: Transcript, turns: TurnsEntry | None) -> tuple[Transcript, dict[str, str]]:
    """The transcript with each segment's speaker, and the speakers' names (empty: one voice, no labels).

    Names: the posts' own (in the order the voices first really speak: turns.by_first_turn), else "Speaker 1", "Speaker 2";
    the corrections file's ``speakers:`` renames them last.
    """
    from .glossary import load_speaker_renames

    renames_file = settings.site / settings.corrections_dir / f"{plan.slug}.yml"
    if plan.tracks:  # merged from one file per voice: labelled already (tracks.merge_tracks)
        from .tracks import track_names

        renames = load_speaker_renames(renames_file)
        names = {label: renames.get(name, renames.get(label, name)) for label, name in track_names(plan).items()}
        return transcript, {s.speaker: names[s.speaker] for s in transcript.segments if s.speaker in names}
    if turns is None or not turns.turns:
        return transcript, {}
    from .turns import assign_speakers, by_first_turn, speaker_names

    assigned = assign_speakers(transcript, turns.turns)
    labels = by_first_turn(list(dict.fromkeys(s.speaker for s in assigned.segments if s.speaker is not None)), turns.turns)
    if not labels:
        return assigned, {}
    return assigned, speaker_names(labels, plan.speakers.names_for(len(labels)), load_speaker_renames(renames_file))


def render_context(
    settings: Settings, plan: RenderPlan, entry: CacheEntry, turns: TurnsEntry | None = None, *, translation: Transcript | None = None
) -> RenderContext:
    from .glossary import Glossary, apply, clean_tags, load_corrections
    from .paragraphs import build_paragraphs
    from .writers import RenderContext

    tags = clean_tags(entry.tags)

    corrections = load_corrections(settings.site / settings.corrections_dir / f"{plan.slug}.yml")
    spoken, names = speaking(settings, plan, entry.transcript, turns)
    transcript = apply(spoken, Glossary.from_config(list(plan.glossary)), corrections)
    paths = output_paths(settings, plan.slug, translate=plan.translates(settings))
    captions = {fmt: site_url(settings, rel) for fmt, rel in paths.items() if fmt != "md"}
    title = tags.title or plan.audio.path.stem
    return RenderContext(
        transcript=transcript,
        tags=tags,
        slug=plan.slug,
        title=title,
        audio_url=site_url(settings, plan.audio.key),
        language=transcript.language,
        paragraphs=build_paragraphs(
            transcript, pause=settings.paragraph_pause, breaks=[c.start for c in tags.chapters if c.start > 0]
        ),
        chapters=tags.chapters,
        captions=captions,
        templates_dir=settings.site / settings.templates_dir,
        speaker_names=names,
        translation=translation,
    )


def render_outputs(
    settings: Settings, plan: RenderPlan, entry: CacheEntry, turns: TurnsEntry | None = None, *, translation: Transcript | None = None
) -> dict[str, str]:
    """Site-relative path -> content, for every configured format that applies."""
    return render_files(settings, plan, render_context(settings, plan, entry, turns, translation=translation))


def render_files(settings: Settings, plan: RenderPlan, ctx: RenderContext) -> dict[str, str]:
    """``render_outputs`` from a context already made (the planner also takes its speaker names)."""
    from .writers import WRITERS

    files = {}
    for fmt, rel in output_paths(settings, plan.slug, translate=plan.translates(settings)).items():
        writer = WRITERS[FORMAT_WRITERS[fmt]]
        applies = getattr(writer, "applies", None)
        if applies is not None and not applies(ctx):
            continue
        files[rel] = writer.render(ctx)
    return files


def managed_value(
    settings: Settings, plan: RenderPlan, entry: CacheEntry, *, speaker_names: Mapping[str, str] | None = None, translation: Transcript | None = None
) -> dict[str, Any]:
    """The one front matter key the tool owns, on each post that uses this audio (``speaker_names``: the context's)."""
    from .glossary import clean_tags

    transcript = entry.transcript
    names = speaker_names or {}
    tags = clean_tags(entry.tags)
    paths = output_paths(settings, plan.slug, translate=plan.translates(settings))
    value: dict[str, Any] = {}
    if "md" in paths:
        include = paths["md"]
        value["include"] = include[len("_includes/") :] if include.startswith("_includes/") else include
    value["audio"] = site_url(settings, plan.audio.key)
    if plan.encodings:  # one recording in several encodings: transcribed once, linked under each
        value["encodings"] = [
            {"url": site_url(settings, e.key), "bytes": e.size, "type": MEDIA_TYPES.get(e.kind, "application/octet-stream")}
            for e in plan.encodings
        ]
        value["transcribed_from"] = site_url(settings, plan.audio.key)
    value["bytes"] = plan.audio.size  # for a feed's <enclosure length>
    value["type"] = MEDIA_TYPES.get(plan.audio.kind, "application/octet-stream")
    value["language"] = transcript.language
    value["duration"] = round(transcript.duration, 1)
    value["words"] = transcript.word_count
    value["model"] = transcript.model
    files = {fmt: site_url(settings, rel) for fmt, rel in paths.items() if fmt != "md"}
    if not tags.chapters:
        files.pop("chapters", None)
    if translation is None or translation.is_empty:
        files.pop("translation", None)
    if files:
        value["files"] = files
    if tags.title:
        value["title"] = tags.title
    if tags.artist:
        value["artist"] = tags.artist
    if names:
        value["speakers"] = list(dict.fromkeys(names.values()))
    return value


# Front matter a post's author may set; the tool fills them from tags only when the post has none.
USER_KEYS = ("title", "artist")


def document_value(values: list[dict[str, Any]], user_keys: set[str] | tuple[str, ...]) -> dict[str, Any]:
    """The managed value of a post that uses these recordings (first one leads, the others are ``parts``)."""
    value = {k: v for k, v in values[0].items() if k not in user_keys}
    if len(values) > 1:
        value["parts"] = values[1:]
    return value


def values_for(settings: Settings, document: Document, by_key: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each of the document's recordings' managed values, ``audio`` being the link the document itself uses."""
    out = []
    for recording in document.recordings:
        found = next((by_key[k] for k in recording if k in by_key), None)
        if found is not None:
            value = dict(found)
            chosen = value.get("transcribed_from", value["audio"])
            value["audio"] = site_url(settings, recording[0])
            value["transcribed_from"] = chosen  # say which file was transcribed when it is not the one linked
            if chosen == value["audio"]:
                del value["transcribed_from"]
            for encoding in value.get("encodings", ()):
                if encoding["url"] == value["audio"]:  # the enclosure the document links: its own size and type
                    value["bytes"], value["type"] = encoding["bytes"], encoding["type"]
            out.append(value)
    return out


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
