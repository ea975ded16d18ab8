"""A site's own feeds, under whatever name it gives them, and where the transcript tags go in each.

``init`` never replaces a site's feed: it says which line of which file the
``{% include asr/podcast-tags.xml %}`` belongs next to (the ``<enclosure>`` inside
the item loop), following the feed's layout and includes, since many themes keep
the item template there (``episodes.mp3.rss`` with ``layout: feed``,
``podcast-mp3.xml`` that includes ``podcast.xml``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import frontmatter
from .errors import FrontMatterError
from .references import lookup

# Names podcast sites and themes give their feeds (any other .xml/.rss file with front
# matter counts too when it has <enclosure> or itunes: tags).
KNOWN_FEEDS = (
    "feed.xml", "podcast.xml", "podcast.rss", "podcast-mp3.xml", "podcast-ogg.xml", "episodes.rss",
    "episodes.mp3.rss", "itunes.xml", "rss.xml", "feed.rss", "feed/podcast/index.xml", "feed/podcast.xml",
)  # fmt: skip
FEED_SUFFIXES = (".xml", ".rss")
PODCAST_NAMESPACE = 'xmlns:podcast="https://podcastindex.org/namespace/1.0"'
_SKIPPED = {"_site", "vendor", "node_modules"}
_MAX_BYTES = 1_000_000
_INCLUDE = re.compile(r"\{%-?\s*include\s+([^\s%{}]+)")
_FOR = re.compile(r"\{%-?\s*for\s+([A-Za-z_]\w*)\s+in\b")
_LANGUAGE = re.compile(r"<language>\s*(.*?)\s*</language>|\bxml:lang\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE | re.DOTALL)
_SITE_VAR = re.compile(r"^\{\{-?\s*site\.([\w.]+)\s*-?\}\}$")


@dataclass(frozen=True)
class Spot:
    """A line of a file: where something is, or goes."""

    file: str  # site-relative POSIX path
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Feed:
    """One feed file of the site and what ``init`` tells the user about it."""

    path: str  # site-relative POSIX path
    rendered: bool  # has front matter: Jekyll runs its Liquid
    podcast: bool  # an <enclosure> or itunes: tags (in it, its layout or its includes)
    enclosure: Spot | None = None  # the first <enclosure: the include goes next to it
    loop_var: str = "post"  # the item loop's variable: the include takes `transcript=<var>.transcript`
    has_tags: bool = False  # already includes asr/podcast-tags.xml
    rss_without_namespace: Spot | None = None  # the <rss> element that lacks xmlns:podcast
    language: tuple[str, str] | None = None  # (value, where) of its <language>, site variables filled in

    def include_line(self) -> str:
        return "{% include asr/podcast-tags.xml transcript=" + self.loop_var + ".transcript %}"


def uses_jekyll_feed(site: Path, config: dict[str, Any]) -> bool:
    """Whether the site builds its feed with jekyll-feed (its config or Gemfile names it)."""
    for key in ("plugins", "gems"):
        names = config.get(key)
        if isinstance(names, list) and "jekyll-feed" in names:
            return True
    try:
        return "jekyll-feed" in (site / "Gemfile").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def find_feeds(site: Path, config: dict[str, Any]) -> list[Feed]:
    """The site's own feed files, known names first, then every other feed, by path."""
    excluded = {str(x).strip("/") for x in config.get("exclude") or () if isinstance(x, str)}
    destination = str(config.get("destination") or "_site").strip("/")
    feeds: list[Feed] = []
    for dirpath, dirnames, filenames in os.walk(site):
        rel_dir = Path(dirpath).relative_to(site).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith((".", "_")) and d not in _SKIPPED and prefix + d not in excluded | {destination}
        )  # fmt: skip
        for name in sorted(filenames):
            rel = prefix + name
            if name.lower().endswith(FEED_SUFFIXES) and not name.startswith((".", "_")) and rel not in excluded:
                feed = read_feed(site, rel, config)
                if feed is not None:
                    feeds.append(feed)
    return sorted(feeds, key=lambda f: (f.path not in KNOWN_FEEDS, f.path))


def read_feed(site: Path, rel: str, config: dict[str, Any]) -> Feed | None:
    """The feed at ``rel`` (None when the file is not a feed)."""
    text = _read(site / rel)
    if text is None:
        return None
    try:
        fm, _ = frontmatter.split(text)
    except FrontMatterError:
        fm = None
    sources = [(rel, text)] + (_related(site, fm.data, text, config) if fm is not None else [])
    podcast = any("<enclosure" in t.lower() or "itunes:" in t for _, t in sources)
    is_feed = rel in KNOWN_FEEDS or podcast or any(re.search(r"<(rss|feed)\b", t) for _, t in sources)
    if not is_feed or (fm is None and rel not in KNOWN_FEEDS and not podcast):
        return None
    enclosure = _first(sources, re.compile(r"<enclosure\b", re.IGNORECASE))
    loop_var = _loop_var(sources, enclosure)
    return Feed(
        path=rel,
        rendered=fm is not None,
        podcast=podcast,
        enclosure=enclosure,
        loop_var=loop_var,
        has_tags=any("asr/podcast-tags" in t for _, t in sources),
        rss_without_namespace=_rss_without_namespace(sources),
        language=_language(sources, config),
    )


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _related(site: Path, data: dict[str, Any], text: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    """The feed's layouts (their layouts too) and the files it and they include, as (path, text)."""
    layouts_dir = str(config.get("layouts_dir") or "_layouts").strip("/")
    includes_dir = str(config.get("includes_dir") or "_includes").strip("/")
    found: list[tuple[str, str]] = []
    pending: list[tuple[dict[str, Any], str]] = [(data, text)]
    seen: set[str] = set()
    while pending and len(seen) < 20:
        data, text = pending.pop(0)
        layout = data.get("layout") if isinstance(data, dict) else None
        layouts = [f"{layouts_dir}/{layout}{ext}" for ext in (".xml", ".rss", ".html", "")] if isinstance(layout, str) and layout else []
        names = [n for n in layouts if (site / n).is_file()][:1]  # the layout Jekyll picks
        names += [f"{includes_dir}/{m.group(1)}" for m in _INCLUDE.finditer(text) if not m.group(1).startswith("asr/")]
        for name in names:
            if name in seen or not (site / name).is_file():
                continue
            seen.add(name)
            related = _read(site / name) or ""
            found.append((name, related))
            try:
                fm, _ = frontmatter.split(related)
            except FrontMatterError:
                fm = None
            pending.append((fm.data if fm is not None else {}, related))
    return found


def _first(sources: list[tuple[str, str]], pattern: re.Pattern[str]) -> Spot | None:
    for path, text in sources:
        m = pattern.search(text)
        if m:
            return Spot(path, text.count("\n", 0, m.start()) + 1)
    return None


def _loop_var(sources: list[tuple[str, str]], enclosure: Spot | None) -> str:
    """The variable of the last ``{% for X in ... %}`` before the <enclosure> (in its file, else the feed)."""
    if enclosure is None:
        return "post"
    texts = dict(sources)
    text = texts[enclosure.file]
    before = "\n".join(text.split("\n")[: enclosure.line])
    loops = _FOR.findall(before) or _FOR.findall(sources[0][1])
    return loops[-1] if loops else "post"


def _rss_without_namespace(sources: list[tuple[str, str]]) -> Spot | None:
    for path, text in sources:
        m = re.search(r"<rss\b[^>]*>", text)
        if m:
            return None if "xmlns:podcast" in m.group(0) else Spot(path, text.count("\n", 0, m.start()) + 1)
    return None


def _language(sources: list[tuple[str, str]], config: dict[str, Any]) -> tuple[str, str] | None:
    """The feed's ``<language>`` (or ``xml:lang``): a literal, or a ``{{ site.x }}`` read from the config."""
    for path, text in sources:
        for m in _LANGUAGE.finditer(text):
            value = (m.group(1) or m.group(2) or "").strip()
            var = _SITE_VAR.match(value)
            if var:
                found = lookup(config, var.group(1))
                value, where = (found, f"site.{var.group(1)}: {found} (the <language> of {path})") if isinstance(found, str) else ("", "")
            else:
                where = f"<language>{value}</language> in {path}"
            if value and "{" not in value:
                return value, where
    return None


def feed_notes(feeds: list[Feed], *, jekyll_feed: bool) -> list[str]:
    """One line per place the user has to act on (feeds sharing a layout or include share a line)."""
    lines: list[str] = []
    groups: dict[tuple[Any, ...], list[Feed]] = {}
    for feed in feeds:
        key = (feed.rendered, feed.podcast, feed.has_tags, feed.enclosure, feed.loop_var, feed.rss_without_namespace)
        groups.setdefault(key if feed.enclosure else (feed.path,), []).append(feed)
    for group in groups.values():
        lines += _advice(group[0], ", ".join(f.path for f in group))
    if jekyll_feed and not any(f.path == "feed.xml" for f in feeds):
        lines.append("jekyll-feed builds feed.xml (an Atom feed with no hook for podcast tags); left as it is")
    return lines


def _advice(feed: Feed, names: str) -> list[str]:
    if not feed.rendered:
        return [f"feed {names}: no front matter, so Jekyll copies it as it is and runs no Liquid; the transcript tags cannot go there"]
    if feed.has_tags:
        return [f"feed {names}: already includes asr/podcast-tags.xml"]
    if not feed.podcast:
        return [f"feed {names}: no <enclosure> or itunes: tags (not a podcast feed); left as it is"]
    where = f"next to the <enclosure> at {feed.enclosure}" if feed.enclosure else "(no <enclosure> found)"
    lines = [f"podcast feed {names}: put {feed.include_line()} inside its item loop, {where}"]
    if feed.rss_without_namespace is not None:
        lines.append(f"  and add {PODCAST_NAMESPACE} to its <rss> element at {feed.rss_without_namespace}")
    return lines
