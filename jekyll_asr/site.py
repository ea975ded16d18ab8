"""The Jekyll documents of a site and the audio each one references.

A document is a post, draft, page or collection document: a file Jekyll
renders because it starts with front matter. Audio is referenced from front
matter (``audio:`` and the keys podcast themes use) or from the body
(``<audio src>``, ``<source src>``, Markdown links, ``{% include %}`` params).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from . import frontmatter
from .config import Settings
from .errors import FrontMatterError, PathError

DOCUMENT_SUFFIXES = {".md", ".markdown", ".mkd", ".mkdn", ".html", ".htm", ".textile"}
# Underscore folders that hold documents; every other `_x` folder is Jekyll's own.
DOCUMENT_FOLDERS = {"_posts", "_drafts"}
SKIPPED_FOLDERS = {"_site", "vendor", "node_modules", "_includes", "_layouts", "_sass", "_data", "_plugins"}

_ATTR_SRC = re.compile(r"""<(?:audio|source)\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_MD_LINK = re.compile(r"""!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^)]*["'])?\s*\)""")
_MD_REFDEF = re.compile(r"""^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$""", re.MULTILINE)
_INCLUDE = re.compile(r"""\{%-?\s*include\s+(.*?)-?%\}""", re.DOTALL)
_QUOTED = re.compile(r"""(["'])(.*?)\1""")
_LIQUID_PREFIX = re.compile(r"""\{\{\s*(?:site\.baseurl|site\.url|'[^']*'\s*\|\s*relative_url|"[^"]*"\s*\|\s*relative_url)\s*\}\}""")
_RELATIVE_URL = re.compile(r"""\{\{\s*(["'])(.*?)\1\s*\|\s*(?:relative_url|absolute_url)\s*\}\}""")


@dataclass(frozen=True)
class Document:
    """A file Jekyll renders, and the site-relative audio paths it uses."""

    path: Path  # relative to the site
    audio: tuple[Path, ...]  # site-relative, resolved, existing files
    glossary: tuple[Any, ...] = ()  # the post's own `glossary:` terms
    managed: Any = None  # the current value of the tool's front matter key
    user_keys: tuple[str, ...] = ()  # which of title/artist the author set


@dataclass(frozen=True)
class Problem:
    """A document or reference the tool refuses, with a reason to show."""

    path: Path
    message: str


def iter_document_files(settings: Settings) -> Iterator[Path]:
    """Site-relative paths of files that may be Jekyll documents."""
    site = settings.site
    folders = DOCUMENT_FOLDERS | {f"_{name}" for name in settings.collections}
    excluded = set(settings.jekyll_exclude)
    for dirpath, dirnames, filenames in os.walk(site):
        rel_dir = Path(dirpath).relative_to(site)
        keep = []
        for name in dirnames:
            if name.startswith(".") or name in SKIPPED_FOLDERS:
                continue
            if name.startswith("_") and rel_dir == Path(".") and name not in folders:
                continue
            if str(rel_dir / name) in excluded or name in excluded:
                continue
            keep.append(name)
        dirnames[:] = sorted(keep)
        for name in sorted(filenames):
            if Path(name).suffix.lower() in DOCUMENT_SUFFIXES and not name.startswith((".", "_", "#", "~")):
                yield rel_dir / name


def references_in_body(body: str) -> list[str]:
    """Every URL-ish string in the body that might name an audio file."""
    found: list[str] = []
    body = _RELATIVE_URL.sub(lambda m: m.group(2), body)
    found += [m.group(2) for m in _ATTR_SRC.finditer(body)]
    found += [m.group(1) for m in _MD_LINK.finditer(body)]
    found += [m.group(1) for m in _MD_REFDEF.finditer(body)]
    for include in _INCLUDE.finditer(body):
        found += [m.group(2) for m in _QUOTED.finditer(include.group(1))]
    return found


def references_in_front_matter(data: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    found: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for sub in ("url", "src", "file", "path", "href"):
                if isinstance(value.get(sub), str):
                    found.append(value[sub])
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for key in keys:
        if key in data:
            collect(data[key])
    return found


def resolve_reference(settings: Settings, document: Path, ref: str) -> Path | None:
    """The site-relative file a reference points at, or None when it is not a local file.

    Raises PathError when the reference resolves outside the site (``../..``,
    an absolute path elsewhere, a symlink pointing out).
    """
    ref = _LIQUID_PREFIX.sub("", ref.strip())
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith(("#", "mailto:")) or "{{" in ref or "{%" in ref:
        return None
    path = unquote(parts.path)
    if not path:
        return None
    site = settings.site
    if settings.baseurl and path.startswith(settings.baseurl + "/"):
        path = path[len(settings.baseurl) :]
    if path.startswith("/"):
        candidates = [site / path.lstrip("/")]
        if Path(path).is_absolute() and Path(path).exists() and not (site / path.lstrip("/")).exists():
            candidates = [Path(path)]
    else:
        candidates = [site / document.parent / path, site / path]
    for candidate in candidates:
        if candidate.is_file() or candidate.is_symlink():
            resolved = candidate.resolve()
            site_resolved = site.resolve()
            if resolved != site_resolved and site_resolved not in resolved.parents:
                raise PathError(f"{document}: audio reference {ref!r} resolves outside the site ({resolved}); refused")
            return resolved.relative_to(site_resolved)
        if ".." in Path(path).parts:
            resolved = candidate.resolve()
            if site.resolve() not in resolved.parents:
                raise PathError(f"{document}: audio reference {ref!r} points outside the site; refused")
    return None


def read_document(settings: Settings, rel: Path) -> dict[str, Any] | None:
    """What a build needs from one file: raw references, glossary, managed value (JSON-able).

    None when the file is not a Jekyll document; ``{"error": ...}`` when its
    front matter is broken and it seems to use audio.
    """
    try:
        text = (settings.site / rel).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {"error": f"cannot read: {exc}"}
    if not text.lstrip("\ufeff").startswith("---"):
        return None
    try:
        fm, body = frontmatter.split(text)
    except FrontMatterError as exc:
        return {"error": f"{rel}: {exc}"} if _mentions_audio(text) else None
    if fm is None:
        return None
    refs = references_in_front_matter(fm.data, settings.audio_keys) + references_in_body(body)
    if not refs:
        return {"refs": []}
    glossary = fm.data.get("glossary")
    return {
        "refs": refs,
        "glossary": glossary if isinstance(glossary, list) else [],
        "managed": fm.data.get(settings.front_matter_key),
        "user_keys": [k for k in ("title", "artist") if k in fm.data],
    }


def scan_documents(settings: Settings, is_audio, memo: dict[str, Any] | None = None) -> tuple[list[Document], list[Problem]]:
    """Documents that reference audio (``is_audio(site_relative_path) -> bool``), and problems found.

    ``memo`` (path -> [size, mtime_ns, read_document result]) lets an unchanged
    file skip reading and YAML parsing; it is updated in place.
    """
    documents: list[Document] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for rel in iter_document_files(settings):
        key = rel.as_posix()
        seen.add(key)
        info = None
        if memo is not None:
            try:
                st = (settings.site / rel).stat()
            except OSError:
                continue
            stamp = [st.st_size, st.st_mtime_ns]
            cached = memo.get(key)
            if cached is not None and cached[:2] == stamp:
                info = cached[2]
            else:
                memo[key] = stamp + [_jsonable(read_document(settings, rel))]
                info = memo[key][2]
        else:
            info = read_document(settings, rel)
        if info is None:
            continue
        if "error" in info:
            problems.append(Problem(rel, info["error"]))
            continue
        audio: list[Path] = []
        for ref in info["refs"]:
            try:
                target = resolve_reference(settings, rel, ref)
            except PathError as exc:
                problems.append(Problem(rel, str(exc)))
                continue
            if target is not None and target not in audio and is_audio(target):
                audio.append(target)
        if audio:
            documents.append(
                Document(rel, tuple(audio), tuple(info.get("glossary") or ()), info.get("managed"), tuple(info.get("user_keys") or ()))
            )
    if memo is not None:
        for gone in [k for k in memo if k not in seen]:
            del memo[gone]
    return documents, problems


def _jsonable(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Front matter values as JSON keeps them (dates become strings), so the memo round-trips."""
    import json

    return None if info is None else json.loads(json.dumps(info, default=str))


def _mentions_audio(text: str) -> bool:
    return bool(re.search(r"\.(mp3|m4a|wav|ogg|opus|flac|aac|webm)\b", text, re.IGNORECASE))
