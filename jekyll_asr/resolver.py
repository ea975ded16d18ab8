"""Where a document's reference leads: a file of the site, a URL, or a problem to report.

A reference is resolved as Jekyll and the theme would: ``{{ site.x }}`` from
``_config.yml``, the baseurl, the site's own ``url:`` (a link to it is a file
of this checkout), bare names in the folders themes keep audio in,
extensionless names (the theme appends the extension), a host the config
names for audio kept elsewhere. Nothing here opens an audio file (an LFS
pointer is recognised by its first bytes, and only tiny files are read).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .config import Settings, read_site_config
from .errors import PathError
from .references import AUDIO_NAME, Reference, candidate_names, has_audio_extension, looks_like_audio, lookup

_LIQUID_PREFIX = re.compile(r"""\{\{-?\s*(?:site\.baseurl|site\.url|'[^']*'\s*\|\s*relative_url|"[^"]*"\s*\|\s*relative_url)\s*-?\}\}""")
_SITE_VAR = re.compile(r"\{\{-?\s*site\.([\w.]+)\s*(?:\|[^}]*)?-?\}\}")
_LFS = b"version https://git-lfs.github.com/spec/"
_LFS_POINTER_MAX = 1024  # a Git LFS pointer file is ~130 bytes; anything this big is real content
# Where themes that upload audio to a host keep the local copies Jekyll does not publish (jekyll-podcast: _episodes/).
LOCAL_COPY_DIRS = ("_episodes", "_audio", "_podcasts", "_podcast", "_media", "_mp3", "_recordings")


@dataclass(frozen=True)
class Target:
    """Where a reference leads: a local file, a remote URL, or a problem to report (all None: not audio)."""

    local: str | None = None  # site-relative POSIX path
    url: str | None = None
    problem: str | None = None
    encodings: tuple[str, ...] = ()  # an extensionless reference: every file the theme may append an extension to
    warning: str | None = None  # usable, but the user should know (a folder Jekyll does not publish)


class Resolver:
    """Resolves a document's references against the site: its folders, config and URL."""

    def __init__(self, settings: Settings, config: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.config = config if config is not None else read_site_config(settings.site)
        self.site = settings.site
        self.site_text = str(settings.site)
        self.root = settings.site.resolve()
        self.root_text = str(self.root)
        self.own_urls = tuple(u for u in _own_url_prefixes(settings) if u)

    def resolve(self, document: Path, ref: Reference) -> Target:
        text = self._expand(ref.raw)
        if text is None or not text or text.startswith(("#", "mailto:", "tel:", "data:", "javascript:")):
            return Target()
        if text.startswith("//"):
            text = "https:" + text
        parts = urlsplit(text)
        if parts.scheme in ("http", "https"):
            return self._resolve_url(document, ref, text)
        if parts.scheme or parts.netloc:
            return Target()
        found = self._resolve_path(document, ref, text, unquote(parts.path))
        if (parts.query or parts.fragment) and found.local is None and found.url is None:
            literal = self._resolve_path(document, ref, text, text)  # a file named `ep #1 ?100%.mp3`, as the post says
            if literal.local is not None or found.problem:
                return literal if literal.local is not None else found
            if AUDIO_NAME.search(text):  # `/audio/ep #2.mp3`: neither a file by that name nor one before the `#`
                return Target(problem=f"{ref.where} names {ref.raw!r}, but there is no such file in the site")
        return found

    def _expand(self, raw: str) -> str | None:
        """The reference with the site's own Liquid variables filled in; None when other Liquid remains."""
        text = _LIQUID_PREFIX.sub("", raw.strip())

        def site_value(m: re.Match[str]) -> str:
            value = lookup(self.config, m.group(1))
            return str(value).rstrip("/") if isinstance(value, (str, int, float)) else ""

        text = _SITE_VAR.sub(site_value, text)
        return None if ("{{" in text or "{%" in text) else text.strip()

    def _resolve_url(self, document: Path, ref: Reference, url: str) -> Target:
        for prefix in self.own_urls:  # the site's own URL: a file in this checkout, when it is here
            if url.startswith(prefix + "/"):
                local = self._resolve_path(document, ref, url[len(prefix) :], unquote(urlsplit(url[len(prefix) :]).path))
                if local.local is not None or (local.problem and "Git LFS" in local.problem):
                    return local  # this checkout's file (or its LFS pointer): never fetched from the live site
        if looks_like_audio(url) or (ref.strong and not _names_a_page(url)):
            return Target(url=url)
        return Target()

    def _resolve_path(self, document: Path, ref: Reference, text: str, path: str) -> Target:
        baseurl = self.settings.baseurl
        if baseurl and (path == baseurl or path.startswith(baseurl + "/")):
            path = path[len(baseurl) :]
        for candidate in self._candidates(document, path):
            names = candidate_names(candidate) if not has_audio_extension(path) else [candidate]
            existing = [n for n in names if os.path.isfile(n) or os.path.islink(n)]
            if existing:
                found = [self._found(document, ref, full) for full in existing]
                first = found[0]
                more = tuple(t.local for t in found[1:] if t.local is not None)
                return Target(first.local, None, first.problem, more, first.warning) if more else first
            if ".." in PurePosixPath(path).parts and not _within(os.path.realpath(candidate), self.root_text):
                raise PathError(f"{document}: audio reference {ref.raw!r} points outside the site; refused")
        hosts = self.settings.config_audio_hosts
        if hosts and "/" not in path and has_audio_extension(path):  # hosted where the site's config says
            hosted = self._resolve_url(document, ref, f"{hosts[0]}/{quote(path)}")
            copies = [os.path.join(self.site_text, folder, path) for folder in LOCAL_COPY_DIRS]
            kept = [self._found(document, ref, c).local for c in copies if os.path.isfile(c)]
            if hosted.url is not None and kept:  # the podcaster's own copy: transcribed without a download
                return Target(None, hosted.url, None, tuple(k for k in kept if k is not None))
            return hosted
        if has_audio_extension(path):
            return Target(problem=f"{ref.where} names {ref.raw!r}, but there is no such file in the site")
        return Target()

    def _candidates(self, document: Path, path: str) -> list[str]:
        """Where a path may be: at the root when absolute; else next to the document, at the root, in audio folders.

        Plain strings, not Path objects: a no-op build resolves every reference of every post.
        """
        site = self.site_text
        if path.startswith("/"):
            inside = os.path.join(site, path.lstrip("/"))
            if os.path.isabs(path) and os.path.exists(path) and not os.path.exists(inside):
                return [path]
            return [inside]
        parent = document.parent.as_posix()
        found = [os.path.join(site, parent, path) if parent != "." else os.path.join(site, path), os.path.join(site, path)]
        if "/" not in path.strip("/") or not os.path.isdir(os.path.dirname(os.path.join(site, path))):
            found += [os.path.join(site, folder, path) for folder in self.settings.all_audio_dirs]
        return list(dict.fromkeys(found))

    def _found(self, document: Path, ref: Reference, full: str) -> Target:
        resolved = os.path.realpath(full)
        if not _within(resolved, self.root_text):
            raise PathError(f"{document}: audio reference {ref.raw!r} resolves outside the site ({resolved}); refused")
        rel = os.path.relpath(resolved, self.root_text).replace(os.sep, "/")
        if _small(resolved) and is_lfs_pointer(Path(resolved)):  # a pointer is ~130 bytes: no need to open audio
            return Target(problem=f"{rel} is a Git LFS pointer, not the audio; run `git lfs pull` (and `lfs: true` in actions/checkout)")
        top = rel.split("/", 1)[0]
        collections = {f"_{c}" for c in self.settings.collections}
        if "/" in rel and ((top.startswith(("_", ".")) and top not in collections) or top in self.settings.jekyll_exclude):
            why = f"{rel} is in {top}/, which Jekyll does not publish: the page's player link will not work"
            return Target(local=rel, warning=why)
        return Target(local=rel)


def _within(resolved: str, root: str) -> bool:
    return resolved == root or resolved.startswith(root.rstrip(os.sep) + os.sep)


def _small(path: str) -> bool:
    try:
        return os.stat(path).st_size < _LFS_POINTER_MAX
    except OSError:
        return False


def _names_a_page(url: str) -> bool:
    """A URL that is a web page or a file of another kind (``/about/``, ``x.html``, ``cover.jpg``), never audio."""
    from .scan import NOT_AUDIO_SUFFIXES

    path = urlsplit(url).path
    return path.endswith("/") or path == "" or PurePosixPath(path).suffix.lower() in NOT_AUDIO_SUFFIXES


def _own_url_prefixes(settings: Settings) -> list[str]:
    """The site's own URL (with and without baseurl, http and https): links to it are local files."""
    if not settings.url:
        return []
    bare = settings.url.split("://", 1)[-1].rstrip("/")
    return [f"{scheme}://{bare}{base}" for base in (settings.baseurl, "") for scheme in ("https", "http")]


def is_lfs_pointer(path: Path) -> bool:
    """A Git LFS pointer file: a checkout without `git lfs pull` has these instead of the audio."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_LFS)) == _LFS
    except OSError:
        return False


def resolve_reference(settings: Settings, document: Path, ref: str) -> Path | None:
    """The site-relative file a reference points at, or None when it is not a local file.

    Raises PathError when the reference resolves outside the site.
    """
    target = Resolver(settings, {}).resolve(document, Reference(ref, "reference"))
    return None if target.local is None else Path(target.local)
