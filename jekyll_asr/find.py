"""Find: the audio a site uses, and the documents using it, without opening anything unchanged.

The first stage of a build (and of ``status``/``check``/``gc``): local audio by
the include globs and the documents' references (sniffed by content, hashed
through the stat index), remote audio by the URL index (no network), and every
problem a user should hear about (a file that is not audio, a missing file, an
LFS pointer, a symlink out of the site).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .config import Settings
from .errors import without_names
from .fsutil import atomic_write
from .references import AUDIO_NAME  # a name that promises audio: not audio by content is reported, not skipped
from .scan import AudioFile, candidate_files, classify
from .site import Document, is_lfs_pointer, scan_site_documents
from .sources import known_sources, open_index
from .statindex import StatIndex


@dataclass
class SiteAudio:
    """What a scan found: audio files, the documents using them, and problems.

    ``files`` holds local files and remote URLs whose content the URL index
    knows; ``pending`` the linked URLs never fetched (a build fetches them, a
    status reports them); ``skipped`` the linked URLs left alone on purpose (``asr.remote: off``),
    with why: not failures, and their transcripts stay in use; ``urls`` every linked URL and the
    documents linking it.
    """

    files: list[AudioFile]
    documents: list[Document]
    problems: list[tuple[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    urls: dict[str, list[Path]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    managed: dict[str, Any] = field(default_factory=dict)  # document -> its managed value (what its pages name)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (URL, why it is not fetched)


def scan_site(settings: Settings, index: StatIndex, memo: dict[str, Any] | None = None, urls: Any = None) -> SiteAudio:
    """Every audio file the include globs select or a document references, and the URLs documents link.

    ``urls`` (a UrlIndex) says which URLs' content is known: those need no network.
    """
    files: dict[str, AudioFile] = {}
    refused: dict[str, str] = {}  # site-relative path -> why it is not used
    outside = _OutsideSite(settings.site)
    walk_warnings: list[str] = []  # an unreadable folder, a looping link, a name with a control character
    for rel in candidate_files(settings, walk_warnings):
        escape = outside.why(rel)
        if escape is not None:  # a symlink to a file elsewhere: never read it into the site's outputs
            if AUDIO_NAME.search(rel):
                refused[rel] = escape
            continue
        found = classify(settings, rel, index)
        if found is not None:
            files[rel] = found
        elif AUDIO_NAME.search(rel):
            refused[rel] = _not_audio(settings.site / rel)

    def is_audio(rel: Path) -> bool:
        key = rel.as_posix()
        if key in files:
            return True
        found = classify(settings, key, index)
        if found is not None:
            files[key] = found
            return True
        if AUDIO_NAME.search(key) and key not in refused:
            refused[key] = _not_audio(settings.site / key)
        return False

    scan = scan_site_documents(settings, is_audio, memo)
    index.forget_missing({r for r in index.entries if r in files or (settings.site / r).exists()})
    ordered = [files[k] for k in sorted(files)]
    found_problems = [(str(p.path), without_names(p.message, p.path)) for p in scan.problems]
    # A URL whose recording has a local encoding is never fetched: the local file is transcribed.
    local_backed = {k for d in scan.documents for rec in d.recordings if any("://" not in k for k in rec) for k in rec}
    linked = [url for url in scan.urls if url not in local_backed]
    remote = known_sources(settings, urls if urls is not None else open_index(settings), linked)
    warnings = walk_warnings + [f"{w.path.as_posix()}: {w.message}" for w in scan.warnings]
    if not settings.url and scan.documents and _feeds_carry_transcripts(settings.site):
        warnings.append("_config.yml has no url:, so feeds carry relative transcript URLs that podcast apps cannot fetch")
    named = {m.split(" is a Git LFS pointer", 1)[0] for _, m in found_problems if " is a Git LFS pointer" in m}
    refused = {rel: why for rel, why in refused.items() if rel not in named}  # said once, with the post that uses it
    problems = found_problems + sorted(refused.items()) + moved_away(settings, scan.managed, scan.documents, found_problems)
    return SiteAudio(ordered + remote.known, scan.documents, problems, remote.pending, scan.urls, warnings, scan.managed, remote.skipped)


def moved_away(settings: Settings, managed: dict[str, Any], documents: list[Document], problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Documents still showing the transcript of site audio that is gone, which no build will update:
    none of their links finds audio (an extensionless one finds nothing, silently) and nothing else
    was reported for them. A moved file must not pass ``check`` while its page shows a stale transcript."""
    using = {d.path.as_posix() for d in documents} | {path for path, _ in problems}
    found = []
    for document, value in sorted(managed.items()):
        if document in using or not isinstance(value, dict):
            continue
        parts = value.get("parts")
        values = [value, *(p for p in parts if isinstance(p, dict))] if isinstance(parts, list) else [value]
        for audio in (v.get("audio") for v in values):
            if not isinstance(audio, str) or "://" in audio or not audio.startswith("/"):
                continue
            path = audio[len(settings.baseurl) :] if settings.baseurl and audio.startswith(settings.baseurl + "/") else audio
            if not (settings.site / unquote(path).lstrip("/")).is_file():
                key = settings.front_matter_key
                found.append((document, f"its {key!r} front matter is the transcript of {audio}, which is no longer in the site; "
                                        f"link the audio where it is now, or remove the {key!r} key"))
                break
    return found


def _feeds_carry_transcripts(site: Path) -> bool:
    """Whether a feed of the site (at its root or under feed/) uses the podcast transcript tags."""
    for pattern in ("*.xml", "*.rss", "feed/**/*.xml"):
        for path in site.glob(pattern):
            try:
                if "asr/podcast-tags" in path.read_text(encoding="utf-8", errors="replace"):
                    return True
            except OSError:
                continue
    return False


class _OutsideSite:
    """Which scanned files resolve outside the site (a symlink to a file or folder elsewhere).

    One realpath per folder, not per file: the walk does not follow symlinked folders, so
    inside a folder only a file that is itself a symlink can lead elsewhere.
    """

    def __init__(self, site: Path) -> None:
        self.site, self.root = site, site.resolve()
        self._folders: dict[str, bool] = {}

    def why(self, rel: str) -> str | None:
        """The reason ``rel`` is refused, or None when it lies inside the site."""
        folder = rel.rpartition("/")[0]
        if folder not in self._folders:
            self._folders[folder] = self._outside((self.site / folder).resolve())
        path = self.site / rel
        if not self._folders[folder] and not path.is_symlink():
            return None
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
            return f"cannot follow this symlink ({exc}); refused"
        return f"symlink to {resolved}, outside the site; refused" if self._outside(resolved) else None

    def _outside(self, resolved: Path) -> bool:
        return resolved != self.root and self.root not in resolved.parents


def _not_audio(path: Path) -> str:
    """Why a file named like audio is not transcribed: its content is not audio."""
    from .sniff import _describe

    try:
        if path.stat().st_size == 0:
            return "empty file (0 bytes); not transcribed"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if is_lfs_pointer(path):
        return "a Git LFS pointer, not the audio; run `git lfs pull` (in CI: actions/checkout with `lfs: true`)"
    return f"not audio ({_describe(path)}); not transcribed"


class DocumentMemo:
    """What each document said when last read, keyed by its (size, mtime_ns); machine-local."""

    VERSION = 1

    def __init__(self, path: Path, documents: dict[str, Any] | None = None) -> None:
        self.path = path
        self.documents: dict[str, Any] = documents if documents is not None else {}
        self._saved = json.dumps(self.documents, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> DocumentMemo:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") == cls.VERSION and isinstance(raw.get("documents"), dict):
                return cls(path, raw["documents"])
        except (OSError, ValueError, AttributeError):
            pass
        return cls(path)

    def save(self) -> None:
        if json.dumps(self.documents, sort_keys=True) != self._saved:
            atomic_write(self.path, json.dumps({"version": self.VERSION, "documents": self.documents}, separators=(",", ":")))
