"""How a document points at its audio, as real podcast sites and themes do it.

A document names audio in its front matter (``audio:``, ``podcast: {file:}``,
``enclosure: {url:}``, ``audio: {mp3:, ogg:}``, lists of mappings…), in its body
(``<audio src>``, ``<source src>``, links, include parameters), or through its
theme: a layout that writes ``src="/assets/audio/{{ page.filename }}.mp3"`` makes
``filename: ep2`` a reference to ``assets/audio/ep2.mp3``. This module only reads
text: which strings may name audio and how sure we are. ``site.py`` resolves them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .scan import NOT_AUDIO_SUFFIXES

# Extensions that promise audio (a file is still recognised by its content, never by this).
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".m4b", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".webm", ".weba", ".aif", ".aiff", ".mp4a")
AUDIO_NAME = re.compile(r"\.(mp3|m4a|m4b|aac|ogg|oga|opus|flac|wav|wave|webm|weba|aif|aiff|mp4a)$", re.IGNORECASE)
# Keys whose value is audio whatever it looks like (an extensionless URL is fetched and sniffed).
_STRONG_KEY = re.compile(r"^(audio|podcast_(file|url|audio|mp3)|enclosure|mp3|m4a|ogg|opus|episode_(file|audio)|filename)(_|$)", re.I)
# Sub-keys of a mapping that name the file (``enclosure: {url:}``, ``podcast: {file:}``, ``{file_name:, file_path:}``).
_FILE_SUBKEYS = ("url", "src", "file", "path", "href", "link", "file_url", "file_name", "filename", "file_path", "name", "audio", "mp3")
_FORMAT_KEYS = {"mp3", "m4a", "m4b", "aac", "ogg", "oga", "opus", "flac", "wav", "webm", "mp4", "mpeg"}
# Hosts that serve audio from URLs with no audio extension.
_AUDIO_HOSTS = re.compile(
    r"^https?://([^/]*\.)?(anchor\.fm/s/.*/podcast/play|traffic\.libsyn\.com|media\.blubrry\.com|dts\.podtrac\.com|"
    r"chtbl\.com/track|pdst\.fm|feeds\.soundcloud\.com/stream|api\.soundcloud\.com/tracks|archive\.org/download|"
    r"[^/]*\.buzzsprout\.com|audio\.transistor\.fm|op3\.dev|media\.transistor\.fm|[^/]*\.podbean\.com/mf|"
    r"d3ctxlq1ktw2nl\.cloudfront\.net|cdn\.simplecast\.com/audio|[^/]*megaphone\.fm)",
    re.IGNORECASE,
)

_ATTR_SRC = re.compile(r"""<(audio|source|a|enclosure)\b[^>]*?\b(src|href|url)\s*=\s*(["'])(.*?)\3""", re.IGNORECASE | re.DOTALL)
_MD_LINK = re.compile(r"""!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^)]*["'])?\s*\)""")
_MD_REFDEF = re.compile(r"""^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$""", re.MULTILINE)
_BARE_URL = re.compile(r"""(?<![("'=<])\bhttps?://[^\s<>"')\]]+""")
_INCLUDE = re.compile(r"""\{%-?\s*include\s+(.*?)-?%\}""", re.DOTALL)
_QUOTED = re.compile(r"""(["'])(.*?)\1""")
_RELATIVE_URL = re.compile(r"""\{\{\s*(["'])(.*?)\1\s*\|\s*(?:relative_url|absolute_url)\s*\}\}""")
_LIQUID_OUT = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
# In a layout or include: an attribute or tag whose value is built from a page variable.
_TEMPLATE_ATTR = re.compile(r"""\b(src|href|url|content)\s*=\s*(["'])([^"'<>]*?\{\{[^"'<>]*?\}\}[^"'<>]*?)\2""", re.IGNORECASE)
_PAGE_VAR = re.compile(r"^(?:page|post|ep|episode|item|include)\.([A-Za-z_][\w.-]*)$")


@dataclass(frozen=True)
class Reference:
    """A string in a document that may name audio.

    ``strong``: it came from an audio element or key, so it is audio even with no
    extension (a URL is fetched and sniffed). ``group``: references with the same
    group are encodings of one recording (``audio: {mp3:, ogg:}``); 0 alone.
    """

    raw: str
    where: str
    strong: bool = False
    group: int = 0
    fallback: bool = False  # a link in the body: used only when nothing else names the document's audio


def looks_like_audio(ref: str) -> bool:
    """Whether a path or URL says it is audio: its extension, or a host that serves audio."""
    path = ref.split("?", 1)[0].split("#", 1)[0]
    return bool(AUDIO_NAME.search(path)) or bool(_AUDIO_HOSTS.match(ref))


def has_audio_extension(ref: str) -> bool:
    return bool(AUDIO_NAME.search(ref.split("?", 1)[0].split("#", 1)[0]))


class _Groups:
    """Numbers for groups of encodings, unique within one document."""

    def __init__(self) -> None:
        self.last = 0

    def new(self) -> int:
        self.last += 1
        return self.last


def references_in_front_matter(data: dict[str, Any], keys: tuple[str, ...]) -> list[Reference]:
    """Every string under an audio key, whatever the shape: string, mapping, list, format mapping."""
    found: list[Reference] = []
    groups = _Groups()
    for key in keys:
        if key in data:
            found += _collect(data[key], key, bool(_STRONG_KEY.match(key)), groups)
    return found


def _collect(value: Any, where: str, strong: bool, groups: _Groups, group: int = 0) -> list[Reference]:
    if isinstance(value, str):
        text = value.strip()
        return [Reference(text, where, strong, group)] if text and "\n" not in text else []
    if isinstance(value, list):
        return [r for i, item in enumerate(value) for r in _collect(item, f"{where}[{i}]", strong, groups, group)]
    if not isinstance(value, dict):
        return []
    if value and all(str(k).lower() in _FORMAT_KEYS for k in value):  # audio: {mp3: x.mp3, ogg: x.ogg}
        shared = groups.new()
        return [r for k, v in value.items() for r in _collect(v, f"{where}.{k}", True, groups, shared)]
    found: list[Reference] = []
    folder = next((v for k, v in value.items() if str(k).lower() in ("file_path", "path", "dir", "folder") and isinstance(v, str)), None)
    for sub, item in value.items():
        name = str(sub).lower()
        if name not in _FILE_SUBKEYS and not _STRONG_KEY.match(name):
            continue
        if isinstance(item, str) and folder and name in ("file_name", "filename", "name") and "/" not in item:
            found.append(Reference(f"{folder.rstrip('/')}/{item.strip()}", f"{where}.{sub}", True, group))
        found += _collect(item, f"{where}.{sub}", strong or bool(_STRONG_KEY.match(name)), groups, group)
    return found


def references_in_body(body: str) -> list[Reference]:
    """Every URL-ish string in the body that may name audio (audio elements count as sure)."""
    found: list[Reference] = []
    body = _RELATIVE_URL.sub(lambda m: m.group(2), body)
    for m in _ATTR_SRC.finditer(body):
        tag = m.group(1).lower()
        if tag == "source" and _inside_video(body, m.start()):
            continue  # a video's source is not the episode's audio
        sure = tag in ("audio", "source", "enclosure")
        found.append(Reference(m.group(4).strip(), f"<{tag} {m.group(2).lower()}>", sure, fallback=not sure))
    found += [Reference(m.group(1), "link", fallback=True) for m in _MD_LINK.finditer(body)]
    found += [Reference(m.group(1), "link", fallback=True) for m in _MD_REFDEF.finditer(body)]
    bare = (m.group(0).rstrip(".,;:") for m in _BARE_URL.finditer(body))
    found += [Reference(url, "link", fallback=True) for url in bare if looks_like_audio(url)]
    for include in _INCLUDE.finditer(body):
        found += [Reference(m.group(2), "{% include %}", fallback=True) for m in _QUOTED.finditer(include.group(1))]
    return found


def _inside_video(body: str, at: int) -> bool:
    """Whether the ``<source>`` at ``at`` belongs to a ``<video>`` (the nearest opened media element)."""
    before = body[:at].lower()
    video, audio = before.rfind("<video"), before.rfind("<audio")
    return video > audio and before.rfind("</video") < video


# ---------------------------------------------------------------- references made by the theme


@dataclass(frozen=True)
class Pattern:
    """A layout's way of turning a page variable into an audio URL: ``prefix{{ page.var }}suffix``."""

    var: str  # dotted path in the front matter, e.g. "filename" or "audio.mp3"
    prefix: str  # Liquid before the variable, site variables already substituted
    suffix: str
    source: str  # the layout or include it was read from


_TEMPLATE_SUFFIXES = (".html", ".xml", ".liquid", ".htm", ".rss", ".atom")


def theme_patterns(site: Any, config: dict[str, Any], folders: tuple[str, ...] = ("_layouts", "_includes", "feed")) -> list[Pattern]:
    """Audio URL patterns in the site's layouts, includes and feeds (``src="/podcasts/{{ page.media }}"``,
    ``<enclosure url="{{ post.audioFile }}">``): the theme says which page variable names the audio."""
    patterns: list[Pattern] = []
    for path in _template_files(site, folders):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(200_000)
        except OSError:
            continue
        rel = os.path.relpath(path, site).replace(os.sep, "/")
        patterns += _patterns_in(text, config, rel)
    unique = {(p.var, p.prefix, p.suffix): p for p in patterns}
    return list(unique.values())


def _template_files(site: Any, folders: tuple[str, ...]) -> Iterator[str]:
    """Layouts and includes, feed folders, and feed files at the site's root (``podcast.xml``, ``episodes.rss``)."""
    for folder in folders:
        root = os.path.join(site, folder)
        for dirpath, _dirs, files in os.walk(root):
            yield from (os.path.join(dirpath, n) for n in sorted(files) if n.endswith(_TEMPLATE_SUFFIXES))
    try:
        top = sorted(os.listdir(site))
    except OSError:
        return
    yield from (os.path.join(site, n) for n in top if n.endswith((".xml", ".rss", ".atom")) and os.path.isfile(os.path.join(site, n)))


def _patterns_in(text: str, config: dict[str, Any], source: str) -> list[Pattern]:
    found = []
    for m in _TEMPLATE_ATTR.finditer(text):
        attr, template = m.group(1).lower(), m.group(3)
        outputs = list(_LIQUID_OUT.finditer(template))
        page_vars = [(o, v) for o in outputs if (v := _page_var(o.group(1))) is not None]
        if len(page_vars) != 1:
            continue
        out, var = page_vars[0]
        prefix = _substitute_site(template[: out.start()], config)
        suffix = _substitute_site(template[out.end() :], config)
        if prefix is None or suffix is None:
            continue
        tag_start = text.rfind("<", 0, m.start())
        tag = text[tag_start : tag_start + 12].lower()
        audio_tag = tag.startswith(("<audio", "<source", "<enclosure"))
        if audio_tag or has_audio_extension(suffix) or (attr == "url" and "enclosure" in tag):
            found.append(Pattern(var, prefix, suffix, source))
    return found


def _page_var(expression: str) -> str | None:
    """``page.media | relative_url`` -> ``media``; None when it is not a plain page variable."""
    head = expression.split("|", 1)[0].strip()
    m = _PAGE_VAR.match(head)
    return m.group(1) if m else None


def _substitute_site(text: str, config: dict[str, Any]) -> str | None:
    """``{{ site.url }}/episodes/`` with the config's values; None when other Liquid remains."""

    def value(m: re.Match[str]) -> str:
        head = m.group(1).split("|", 1)[0].strip()
        if head in ("site.url", "site.baseurl"):
            return ""  # the theme's own site: what follows is a path of this site
        if head.startswith("site."):
            found = lookup(config, head[len("site.") :])
            if isinstance(found, (str, int, float)):
                return str(found)
            if found is None:
                return ""
        raise KeyError(head)

    try:
        return _LIQUID_OUT.sub(value, text)
    except KeyError:
        return None


def lookup(data: Any, dotted: str) -> Any:
    """``data['a']['b']`` for ``a.b``; None when any part is missing."""
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def references_from_theme(data: dict[str, Any], patterns: list[Pattern]) -> Iterator[Reference]:
    """The references a document's front matter makes through the theme's patterns."""
    groups: dict[str, int] = {}
    for pattern in patterns:
        value = lookup(data, pattern.var)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            continue
        text = str(value).strip()
        if not text or "\n" in text:
            continue
        # already a URL or a site path: the prefix is the site's own
        ref = text + pattern.suffix if "://" in text or text.startswith("/") else pattern.prefix + text + pattern.suffix
        group = groups.setdefault(pattern.var, len(groups) + 1000)  # the same variable with .mp3 and .ogg: encodings
        yield Reference(ref, f"{pattern.source} ({{{{ page.{pattern.var} }}}})", True, group)


def candidate_names(path: str) -> list[str]:
    """An extensionless reference's possible files: the theme appends the extension."""
    if has_audio_extension(path) or PurePosixPath(path).suffix.lower() in NOT_AUDIO_SUFFIXES:
        return [path]
    return [path] + [path + ext for ext in AUDIO_EXTENSIONS]
