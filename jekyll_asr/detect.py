"""What ``init`` reads from a site before it writes an ``asr:`` block: its own conventions.

Only what the defaults would miss is reported: front matter keys that name audio
but are not among the built-in keys, folders where documents' bare file names live
that are not among the usual folders, and the language the podcast says it speaks
(``podcast_lang``, ``podcast: {language}``, a top-level ``language:``, ``itunes:
{language}``, the feed's ``<language>``; never the UI's ``lang:``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from . import frontmatter
from .config import RESERVED_KEYS, Settings, jekyll_settings, load_settings
from .errors import ConfigError, FrontMatterError, PathError
from .languages import normalise_language
from .references import (
    Reference,
    has_audio_extension,
    looks_like_audio,
    lookup,
    references_in_front_matter,
    theme_patterns,
)
from .site import SKIPPED_FOLDERS, Resolver, iter_document_files, scan_site_documents, tool_value
from .sniff import sniff

# Where sites declare the language their podcast speaks, most specific first. `lang:`
# and `locale:` are left out on purpose: they are the language of the site's interface
# (a Korean show on an English theme has `lang: en`).
LANGUAGE_KEYS = (
    "podcast_lang", "podcast_language", "podcast_locale", "itunes_language",
    "podcast.language", "podcast.lang", "podcast.locale", "itunes.language", "itunes.lang",
    "feed.language", "rss.language", "channel.language", "show.language", "language",
)  # fmt: skip
UI_LANGUAGE_KEYS = ("lang", "locale")
MAX_DOCUMENTS = 5000  # enough to learn a site's conventions; a huge archive is not read whole


@dataclass(frozen=True)
class Conventions:
    """What the site does that the defaults do not cover (empty: the defaults do)."""

    audio_keys: tuple[str, ...] = ()  # front matter keys naming audio, besides the built-in ones
    audio_dirs: tuple[str, ...] = ()  # folders bare file names are found in, besides the usual ones
    language: str | None = None  # a Whisper code, from what the podcast declares
    language_from: str = ""  # where it was declared, e.g. "podcast.language: en-AU"
    ui_language: str = ""  # the site's `lang:` when no podcast language was found, e.g. "lang: de-DE"
    front_matter_key: str | None = None  # when the documents use `transcript:` for values of their own
    key_in_use_by: str = ""  # the first document that does, for the summary


def detect_conventions(site: Path, config: dict[str, Any], feed_languages: Iterable[tuple[str, str]] = ()) -> Conventions:
    """The site's audio keys, audio folders and podcast language (``feed_languages``: (value, where) from its feeds)."""
    root = site.resolve()
    settings = Settings(site=root, **jekyll_settings(root, config))
    resolver = Resolver(settings, config)
    documents = list(_documents(settings))
    theme_vars = {p.var.split(".")[0] for p in theme_patterns(root, config)}
    keys = audio_keys(settings, resolver, documents, theme_vars)
    dirs = audio_dirs(settings, resolver, documents, keys)
    language, language_from = podcast_language(config, feed_languages)
    ui = next((f"{k}: {config[k]}" for k in UI_LANGUAGE_KEYS if isinstance(config.get(k), str) and config[k].strip()), "")
    key, user = free_front_matter_key(documents)
    return Conventions(keys, dirs, language, language_from, "" if language else ui, key, user)


FRONT_MATTER_KEYS = ("transcript", "asr_transcript", "jekyll_asr")  # the default first, then the fallbacks init offers


def free_front_matter_key(documents: list[tuple[Path, dict[str, Any]]]) -> tuple[str | None, str]:
    """None when the default key is free; else the first fallback no document uses, and who uses the default.

    A value the tool wrote (``site.tool_value``) does not count: init on a site already built keeps the key.
    """
    users: dict[str, str] = {}
    for rel, data in documents:
        for key in FRONT_MATTER_KEYS:
            if key in data and not tool_value(data[key]) and key not in users:
                users[key] = rel.as_posix()
    if FRONT_MATTER_KEYS[0] not in users:
        return None, ""
    free = next((k for k in FRONT_MATTER_KEYS[1:] if k not in users), None)
    return free, users[FRONT_MATTER_KEYS[0]]


def _documents(settings: Settings) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(site-relative path, front matter) of each document whose front matter parses."""
    for count, rel in enumerate(iter_document_files(settings)):
        if count >= MAX_DOCUMENTS:
            return
        try:
            text = (settings.site / rel).read_bytes().decode("utf-8")
            fm, _ = frontmatter.split(text) if text.lstrip("\ufeff").startswith("---") else (None, "")
        except (OSError, UnicodeDecodeError, FrontMatterError):
            continue
        if fm is not None and isinstance(fm.data, dict):
            yield rel, fm.data


def audio_keys(settings: Settings, resolver: Resolver, documents: list[tuple[Path, dict[str, Any]]], theme_vars: set[str]) -> tuple[str, ...]:
    """Top-level keys whose values name audio and that neither the built-in keys nor a layout read."""
    known = set(settings.all_audio_keys) | {settings.front_matter_key} | RESERVED_KEYS | theme_vars
    found: dict[str, None] = {}
    for rel, data in documents:
        for key in data:
            if not isinstance(key, str) or key in known or key in found:
                continue
            if any(_names_audio(resolver, rel, ref) for ref in references_in_front_matter(data, (key,))):
                found[key] = None
    return tuple(found)


def _names_audio(resolver: Resolver, document: Path, ref: Reference) -> bool:
    """A URL that says it is audio, or a file of the site named exactly so whose name or content is audio.

    An extensionless value that only matches ``name.mp3`` (``episode_id: 001-cloud-native``
    beside ``media/001-cloud-native.mp3``) does not count: a layout that appends the
    extension is read from the theme, and anything else is a coincidence of names.
    """
    if "://" in ref.raw or ref.raw.startswith("//"):
        return looks_like_audio(ref.raw)
    local = _local_file(resolver, document, ref)
    named = PurePosixPath(unquote(ref.raw.split("?", 1)[0].split("#", 1)[0])).name
    if local is not None and PurePosixPath(local).name == named:
        return _is_audio(resolver.site / local)
    try:  # a bare name the site's config says is hosted elsewhere (Octopod's download_url)
        return local is None and resolver.resolve(document, ref).url is not None and has_audio_extension(ref.raw)
    except PathError:
        return False


def _local_file(resolver: Resolver, document: Path, ref: Reference) -> str | None:
    """The site file a reference leads to (through the site's own URL too); None when none, or it is unusable."""
    try:
        target = resolver.resolve(document, ref)
        if target.local is None and target.url is not None:
            target = resolver.resolve(document, Reference(target.url, ref.where, ref.strong, ref.group))
    except PathError:
        return None
    return target.local


def _found_in_site(resolver: Resolver, document: Path, ref: Reference) -> bool:
    """Whether the reference already leads to a file (a Git LFS pointer counts: it is the file, not yet pulled)."""
    try:
        target = resolver.resolve(document, ref)
    except PathError:
        return True
    if target.local is not None or (target.problem is not None and "no such file" not in target.problem):
        return True
    return _local_file(resolver, document, ref) is not None


def audio_dirs(settings: Settings, resolver: Resolver, documents: list[tuple[Path, dict[str, Any]]], keys: tuple[str, ...]) -> tuple[str, ...]:
    """Folders holding the files that documents name by bare name and the usual folders do not have."""
    index: dict[str, list[str]] | None = None
    found: dict[str, None] = {}
    for rel, data in documents:
        for ref in references_in_front_matter(data, settings.all_audio_keys + keys):
            raw = ref.raw.strip()
            if not raw or "/" in raw or "\\" in raw or "{" in raw or ":" in raw:
                continue
            if _found_in_site(resolver, rel, ref):
                continue
            if index is None:
                index = _files_by_name(settings)
            name = unquote(raw)
            folder = next((f for f in index.get(name, ()) if _is_audio(settings.site / f / name)), None)
            if folder is not None and folder not in settings.all_audio_dirs:
                found[folder] = None
    return tuple(found)


def _files_by_name(settings: Settings) -> dict[str, list[str]]:
    """File name -> the published folders (not the root) holding a file of that name, shallowest first."""
    site = settings.site
    destination = settings.destination.strip("/")
    excluded = set(settings.jekyll_exclude)
    by_name: dict[str, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(site):
        rel_dir = Path(dirpath).relative_to(site).as_posix()
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith((".", "_")) and d not in SKIPPED_FOLDERS and d not in excluded
            and (f"{rel_dir}/{d}" if rel_dir != "." else d) not in ({destination} | excluded)
        )  # fmt: skip
        if rel_dir != ".":  # a bare name at the root is found without help
            for name in filenames:
                by_name.setdefault(name, []).append(rel_dir)
    for folders in by_name.values():
        folders.sort(key=lambda f: (f.count("/"), f))
    return by_name


def _is_audio(path: Path) -> bool:
    return has_audio_extension(path.name) or sniff(path) is not None


def links_audio(site: Path, conventions: Conventions | None = None) -> bool | None:
    """Whether any document links audio, as a build would see it (files sniffed, the detected keys and folders
    counted: ``conventions``); a document whose audio is missing or an LFS pointer counts. None: the config does not load."""
    found = conventions or Conventions()
    overrides = {"audio_keys": list(found.audio_keys) or None, "audio_dirs": list(found.audio_dirs) or None}
    try:
        settings = load_settings(site, overrides)
    except ConfigError:
        return None
    scan = scan_site_documents(settings, lambda rel: sniff(settings.site / rel) is not None)
    return bool(scan.documents or scan.problems)


def podcast_language(config: dict[str, Any], feed_languages: Iterable[tuple[str, str]] = ()) -> tuple[str | None, str]:
    """(Whisper code, where it was declared) from the podcast's own language settings; (None, "") when none.

    ``feed_languages``: (value, description) pairs read from the site's feeds, used when the config has none.
    """
    declared = [(lookup(config, key), f"{key}: {lookup(config, key)}") for key in LANGUAGE_KEYS]
    for value, where in [*declared, *feed_languages]:
        if isinstance(value, str) and value.strip():
            try:
                return normalise_language(value), where.strip()
            except ValueError:
                continue
    return None, ""
