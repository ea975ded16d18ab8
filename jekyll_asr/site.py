"""The Jekyll documents of a site and the audio each one references.

A document is a post, draft, page or collection document: a file Jekyll
renders because it starts with front matter. What it references is read by
``references.py`` (front matter keys and shapes, the body, the theme's layouts);
here each reference is resolved to a file of the site, a remote URL, or a
problem the user is told about (a typo, a Git LFS pointer, a folder Jekyll does
not publish).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import frontmatter
from .config import OPTIONS, Settings, read_site_config
from .errors import ConfigError, FrontMatterError, FrontMatterTooLarge, PathError
from .fsutil import inside
from .glossary import Glossary
from .names import document_slug
from .postinfo import post_language, tracks_in
from .references import Pattern, Reference, has_audio_extension, references_from_theme, references_in_body, references_in_front_matter, theme_patterns
from .resolver import Resolver, Target, is_lfs_pointer, resolve_reference
from .speakerspec import from_front_matter

__all__ = ["Document", "Problem", "Resolver", "Target", "document_file", "is_lfs_pointer", "resolve_reference", "scan_site_documents", "tool_value"]
MEMO_FORMAT = 5  # what read_document keeps for a document; a change re-reads every document

DOCUMENT_SUFFIXES = {".md", ".markdown", ".mkd", ".mkdn", ".html", ".htm", ".textile"}
# Underscore folders that hold documents; every other `_x` folder is Jekyll's own.
DOCUMENT_FOLDERS = {"_posts", "_drafts"}
SKIPPED_FOLDERS = {"_site", "vendor", "node_modules", "_includes", "_layouts", "_sass", "_data", "_plugins"}

@dataclass(frozen=True)
class Document:
    """A file Jekyll renders, and the audio it uses.

    ``recordings``: each recording the document uses, as the keys of its
    encodings (a site-relative POSIX path, or the URL the document links).
    """

    path: Path  # relative to the site
    recordings: tuple[tuple[str, ...], ...]
    glossary: tuple[Any, ...] = ()  # the post's own `glossary:` terms
    managed: Any = None  # the current value of the tool's front matter key
    user_keys: tuple[str, ...] = ()  # which of title/artist the author set
    name: str = ""  # the document's own name (its slug), for naming its transcript
    speakers: dict[str, Any] | None = None  # what its front matter says about speakers (speakerspec.from_front_matter)
    language: str | None = None  # its own `language:`/`lang:`, overriding the site's
    tracks: tuple[tuple[str, str | None], ...] = ()  # one file per voice (key, speaker name): the words come from these
    translate: bool | None = None  # its own `translate:` (an English caption track), overriding the site's

    @property
    def audio(self) -> tuple[str, ...]:
        """Every audio key the document uses, in its order."""
        return tuple(key for recording in self.recordings for key in recording)


@dataclass(frozen=True)
class Problem:
    """A document or reference the tool refuses, with a reason to show."""

    path: Path
    message: str


def iter_document_files(settings: Settings, problems: list[Problem] | None = None) -> Iterator[Path]:
    """Site-relative paths of files that may be Jekyll documents.

    A folder that cannot be read is a Problem (its posts may use audio that would look unused).
    """
    site = settings.site

    def unreadable(exc: OSError) -> None:
        if problems is not None and exc.filename is not None:
            rel = Path(os.path.relpath(exc.filename, site))
            problems.append(Problem(rel, f"cannot read this folder ({exc.strerror or exc}); its documents were skipped"))

    folders = DOCUMENT_FOLDERS | {f"_{name}" for name in settings.collections}
    excluded = set(settings.jekyll_exclude)
    destination = settings.destination.strip("/")
    for dirpath, dirnames, filenames in os.walk(site, onerror=unreadable):
        rel_dir = Path(dirpath).relative_to(site)
        keep = []
        for name in dirnames:
            if name.startswith(".") or name in SKIPPED_FOLDERS or (rel_dir / name).as_posix() == destination:
                continue
            if name.startswith("_") and rel_dir == Path(".") and name not in folders:
                continue
            if str(rel_dir / name) in excluded or name in excluded:
                continue
            keep.append(name)
        dirnames[:] = sorted(keep)
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() in DOCUMENT_SUFFIXES and not name.startswith((".", "_", "#", "~")):
                yield rel_dir / name


def references_in(settings: Settings, data: dict[str, Any], body: str, patterns: list[Pattern]) -> list[Reference]:
    """Everything in a document that may name audio: front matter keys, theme patterns, body."""
    refs = references_in_front_matter(data, settings.all_audio_keys)
    refs += list(references_from_theme(data, patterns))
    refs += references_in_body(body)
    return refs


def read_document(settings: Settings, rel: Path, patterns: list[Pattern] | None = None) -> dict[str, Any] | None:
    """What a build needs from one file: references, glossary, managed value (JSON-able).

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
    except FrontMatterError as exc:  # broken YAML fails Jekyll too: named only where audio may be lost
        return {"error": f"{rel}: {exc}"} if isinstance(exc, FrontMatterTooLarge) or _mentions_audio(text) else None
    if fm is None:
        return None
    refs = references_in(settings, fm.data, body, patterns or [])
    tracks = tracks_in(fm.data)
    if not refs and not tracks:
        managed = fm.data.get(settings.front_matter_key)
        return {"refs": [], "managed": managed} if managed is not None else {"refs": []}
    glossary = fm.data.get("glossary")
    try:
        Glossary.from_config(glossary if isinstance(glossary, list) else [])
    except ConfigError as exc:  # this post fails alone, named, instead of stopping the build
        return {"error": f"{rel}: its glossary: {exc}"}
    speakers = from_front_matter(fm.data)
    return {
        "refs": [[r.raw, r.where, r.strong, r.group, r.fallback] for r in refs],
        "glossary": glossary if isinstance(glossary, list) else [],
        "managed": fm.data.get(settings.front_matter_key),
        "user_keys": [k for k in ("title", "artist") if k in fm.data],
        "slug": fm.data.get("slug") if isinstance(fm.data.get("slug"), str) else None,
        "speakers": speakers,
        "language": post_language(fm.data),
        "tracks": tracks,
        "translate": fm.data["translate"] if isinstance(fm.data.get("translate"), bool) else None,
    }


def _english_only_warning(settings: Settings, rel: Path, info: dict[str, Any], scan: Scan) -> None:
    """A post asking for another language (or a translation) under an English-only model: not silently ignored."""
    if not settings.english_only:
        return
    fix = "set asr.model to a multilingual model (base, or openai/whisper-large-v3-turbo)"
    language = info.get("language")
    if language not in (None, "en"):
        message = f"its language is {language!r}, but model {settings.model!r} transcribes English only: it is transcribed as English; {fix}"
        scan.warnings.append(Problem(rel, message))
    if info.get("translate"):
        scan.warnings.append(Problem(rel, f"translate: true, but model {settings.model!r} knows English only and cannot translate; {fix}"))


def _resolve_tracks(
    resolver: Resolver, rel: Path, tracks: list[list[str | None]], is_audio: Callable[[Path], bool], scan: Scan
) -> tuple[tuple[str, str | None], ...]:
    """Each track's key (a site file or a URL) and speaker name; a track that does not resolve is a problem."""
    out: list[tuple[str, str | None]] = []
    for number, (raw, name) in enumerate(tracks, 1):
        assert raw is not None
        try:
            target = resolver.resolve(rel, Reference(raw, f"tracks[{number}]", True))
        except PathError as exc:
            scan.problems.append(Problem(rel, str(exc)))
            continue
        key = target.local if target.local is not None else target.url
        if target.problem is not None or key is None or ("://" not in key and not is_audio(Path(key))):
            scan.problems.append(Problem(rel, target.problem or f"tracks[{number}] names {raw!r}, which is not audio in the site"))
            continue
        if key not in (k for k, _ in out):
            out.append((key, name))
    return tuple(out)


def memo_fingerprint(settings: Settings, patterns: list[Pattern]) -> str:
    """Everything a document's reading depends on besides its bytes: a change re-reads every document."""
    data = [MEMO_FORMAT, settings.all_audio_keys, settings.front_matter_key, [(p.var, p.prefix, p.suffix) for p in patterns]]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


@dataclass
class Scan:
    """Documents that use audio, the remote URLs they link, and problems found."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    urls: dict[str, list[Path]] = field(default_factory=dict)  # URL -> documents linking it
    warnings: list[Problem] = field(default_factory=list)
    managed: dict[str, Any] = field(default_factory=dict)  # every document's managed value, audio found or not


def scan_documents(settings: Settings, is_audio: Callable[[Path], bool], memo: dict[str, Any] | None = None) -> tuple[list[Document], list[Problem]]:
    """Documents that reference local audio (``is_audio(site_relative_path) -> bool``), and problems found."""
    scan = scan_site_documents(settings, is_audio, memo)
    return scan.documents, scan.problems


def scan_site_documents(settings: Settings, is_audio: Callable[[Path], bool], memo: dict[str, Any] | None = None) -> Scan:
    """Every document's audio: local files (kept when ``is_audio``), URLs, and problems.

    ``memo`` (path -> [size, mtime_ns, read_document result], plus a ``""`` entry
    holding the fingerprint of what reading depends on) lets an unchanged file
    skip reading and YAML parsing; it is updated in place.
    """
    config = read_site_config(settings.site)
    patterns = theme_patterns(settings.site, config)
    resolver = Resolver(settings, config)
    if memo is not None and memo.get("") != memo_fingerprint(settings, patterns):
        memo.clear()  # an option or a layout changed what a document's front matter means
        memo[""] = memo_fingerprint(settings, patterns)
    scan = Scan()
    seen: set[str] = {""}
    for rel in iter_document_files(settings, scan.problems):
        seen.add(rel.as_posix())
        info = _document_info(settings, rel, patterns, memo)
        if info is None:
            continue
        if "error" in info:
            scan.problems.append(Problem(rel, info["error"]))
            continue
        if info.get("managed") is not None:
            scan.managed[rel.as_posix()] = info["managed"]
        _english_only_warning(settings, rel, info, scan)
        refs = [Reference(r[0], r[1], bool(r[2]), int(r[3]), bool(r[4])) for r in info["refs"]]
        tracks = _resolve_tracks(resolver, rel, info.get("tracks") or [], is_audio, scan)
        recordings = _resolve_all(resolver, rel, refs, is_audio, scan) if refs else ()
        if tracks and not recordings:  # tracks alone: the first one is what the post links
            recordings = ((tracks[0][0],),)
        if recordings:
            name = document_slug(PurePosixPath(rel.as_posix()), info.get("slug"))
            doc = Document(
                rel, recordings, tuple(info.get("glossary") or ()), info.get("managed"), tuple(info.get("user_keys") or ()), name,
                info.get("speakers"), info.get("language"), tracks, info.get("translate"),
            )
            scan.documents.append(doc)
            for key in (*doc.audio, *(k for k, _ in tracks)):
                if "://" in key:
                    scan.urls.setdefault(key, []).append(rel)
    if memo is not None:
        for gone in [k for k in memo if k not in seen]:
            del memo[gone]
    _refuse_a_key_in_use(settings, scan.managed)
    return scan


# Every key a version of the tool has written under its front matter key (render.managed_value,
# render.document_value's parts). A mapping of only these, with those always written, is the tool's.
TOOL_KEYS = frozenset(
    "include audio encodings transcribed_from bytes type language duration words model files title artist parts speakers".split()
)
ALWAYS_WRITTEN = frozenset({"audio", "language", "duration", "words", "model"})


def tool_value(value: Any, *, part: bool = False) -> bool:
    """Whether a managed key's value has the shape the tool writes (else the author wrote it).

    Read from the value itself, not from machine-local state, so a fresh clone, a CI
    ``check`` and the author's build agree; a hand-written value with exactly this
    shape is taken for the tool's.
    """
    if not isinstance(value, dict) or not ALWAYS_WRITTEN <= value.keys() <= TOOL_KEYS - ({"parts"} if part else set()):
        return False
    parts = value.get("parts", [])
    return isinstance(parts, list) and all(tool_value(p, part=True) for p in parts)


def user_value_problem(settings: Settings) -> str:
    """The one line for a post whose managed key holds the author's own value (kept as it is)."""
    key = settings.front_matter_key
    return (
        f"its {key!r} front matter holds a value jekyll-asr did not write, so it was kept; to let jekyll-asr "
        f"set it, remove that value, or set asr.front_matter_key to another key"
    )


def _refuse_a_key_in_use(settings: Settings, managed: dict[str, Any]) -> None:
    """A chosen ``front_matter_key`` the site's documents already use for their own values is a config error.

    The line with the per-post case (plan: warn, keep, ``check`` fails): the default key
    is the tool's documented one, so a post holding its own value there is that post's
    matter; a key the site chose is refused when any document already uses it, since
    the site's layouts read that key with its own meaning.
    """
    key = settings.front_matter_key
    if key == OPTIONS["front_matter_key"].default():
        return
    theirs = sorted(path for path, value in managed.items() if not tool_value(value))
    if theirs:
        more = f" and {len(theirs) - 1} more" if len(theirs) > 1 else ""
        raise ConfigError(
            f"asr.front_matter_key: {key!r} is already used by the site's documents for their own values "
            f"({theirs[0]}{more}); choose another key (default: transcript)"
        )


def document_file(settings: Settings, rel: Path) -> Path:
    """The file a build writes for a document: a symlinked post's target, which must lie in the site."""
    path = settings.site / rel
    try:
        return inside(settings.site, path)
    except PathError:
        raise PathError(f"is a symlink to {path.resolve()}, outside the site; jekyll-asr writes only inside the site") from None


def _document_info(settings: Settings, rel: Path, patterns: list[Pattern], memo: dict[str, Any] | None) -> dict[str, Any] | None:
    if memo is None:
        return read_document(settings, rel, patterns)
    try:
        st = (settings.site / rel).stat()
    except OSError:
        return None
    stamp = [st.st_size, st.st_mtime_ns]
    cached = memo.get(rel.as_posix())
    if cached is not None and cached[:2] == stamp:
        return cached[2]  # type: ignore[no-any-return]
    memo[rel.as_posix()] = [*stamp, _jsonable(read_document(settings, rel, patterns))]
    return memo[rel.as_posix()][2]  # type: ignore[no-any-return]


def _resolve_all(resolver: Resolver, rel: Path, refs: list[Reference], is_audio: Callable[[Path], bool], scan: Scan) -> tuple[tuple[str, ...], ...]:
    """The document's recordings: resolved keys grouped into encodings of one recording.

    Links in the body (show notes pointing at another episode, a talk's video)
    count only when nothing in the front matter, the theme or an audio element
    names the document's audio.
    """
    keys: list[tuple[str, int]] = []
    named = False  # something other than a body link named audio (found or not)
    for ref in sorted(refs, key=lambda r: r.fallback):
        if ref.fallback and named:
            break
        try:
            target = resolver.resolve(rel, ref)
        except PathError as exc:
            scan.problems.append(Problem(rel, str(exc)))
            continue
        named = named or (not ref.fallback and (target.problem, target.local, target.url) != (None, None, None))
        if target.problem is not None:
            if not any(p.path == rel and p.message == target.problem for p in scan.problems):
                scan.problems.append(Problem(rel, target.problem))
            continue
        if target.warning is not None and not any(w.message == target.warning for w in scan.warnings):
            scan.warnings.append(Problem(rel, target.warning))
        group = ref.group or (-len(keys) - 1 if target.encodings else 0)
        for key in (target.local if target.local is not None else target.url, *target.encodings):
            if key is None or any(k == key for k, _ in keys):
                continue
            if "://" not in key and not is_audio(Path(key)):
                continue
            keys.append((key, group))
    return group_encodings(keys)


def group_encodings(keys: list[tuple[str, int]]) -> tuple[tuple[str, ...], ...]:
    """Keys of one recording in several encodings together: a shared group, or the same name but the extension."""
    recordings: list[list[str]] = []
    by_marker: dict[Any, list[str]] = {}
    for key, group in keys:
        markers = [("stem", _stem(key))] + ([("group", group)] if group else [])
        found = next((by_marker[m] for m in markers if m in by_marker), None)
        if found is None:
            found = []
            recordings.append(found)
        found.append(key)
        for m in markers:
            by_marker.setdefault(m, found)
    return tuple(tuple(r) for r in recordings)


def _stem(key: str) -> str:
    path = key.split("?", 1)[0].split("#", 1)[0]
    return path.rsplit(".", 1)[0] if has_audio_extension(path) else path


def _jsonable(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Front matter values as JSON keeps them (dates become strings), so the memo round-trips."""
    return None if info is None else json.loads(json.dumps(info, default=str))


def _mentions_audio(text: str) -> bool:
    return bool(re.search(r"\.(mp3|m4a|wav|ogg|opus|flac|aac|webm)\b", text, re.IGNORECASE))
