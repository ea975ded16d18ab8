"""A site's own feeds, under whatever name it gives them, and where the transcript tags go in each.

``init`` never replaces a site's feed: it says which line of which file the
``{% include asr/podcast-tags.xml %}`` belongs next to (the ``<enclosure>`` inside
the item loop), following the feed's layout and includes, since many themes keep
the item template there (``episodes.mp3.rss`` with ``layout: feed``,
``podcast-mp3.xml`` that includes ``podcast.xml``). The include takes the item loop's
variable (the loop still open at the ``<enclosure>``, preferably the one it uses). A feed
whose layout is the theme gem's, and a plugin that makes the feed (jekyll-podcast), get
a line of their own; jekyll-feed counts only when Jekyll loads it.
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
_MAX_TEMPLATES = 20  # layouts and includes followed from one feed, a guard against include cycles
_NAMED = 3  # templates named in advice before "and N more"
_INCLUDE = re.compile(r"\{%-?\s*include\s+([^\s%{}]+)")
_FOR = re.compile(r"\{%-?\s*for\s+([A-Za-z_]\w*)\s+in\b")
_LOOP_TAG = re.compile(r"\{%-?\s*(?:for\s+([A-Za-z_]\w*)\s+in\s+([A-Za-z_]\w*)?|(endfor)\b)")
_USED_VAR = re.compile(r"\{[{%]-?\s*(?:(?:if|unless|elsif)\s+)?([A-Za-z_]\w*)\s*[.\[]")
_ENCLOSURE = re.compile(r"<enclosure\b", re.IGNORECASE)
_FEED_NAME = re.compile(r"feed|rss|atom|podcast|itunes|episodes", re.IGNORECASE)
_NO_LAYOUT = {"", "none", "null", "nil"}
_GEM = re.compile(r"""gem\s*\(?\s*["']([^"']+)["'](.*)""")
_GEMFILE_COMMENT = re.compile(r"""#(?=[^"']*$).*""")  # a comment: a # with no quote after it
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
    theme_layout: str | None = None  # its layout, which is not in the site: the theme gem's (the items are there)

    def include_line(self) -> str:
        return "{% include asr/podcast-tags.xml transcript=" + self.loop_var + ".transcript %}"


def uses_jekyll_feed(site: Path, config: dict[str, Any]) -> bool:
    """Whether Jekyll loads jekyll-feed: ``plugins:``/``gems:`` lists it, or the Gemfile's ``:jekyll_plugins`` group has it.

    A bare ``gem 'jekyll-feed'`` elsewhere in the Gemfile is installed but never loaded.
    """
    return "jekyll-feed" in loaded_plugins(site, config)


def feed_plugins(site: Path, config: dict[str, Any]) -> list[str]:
    """Plugins that generate the site's feed themselves (jekyll-podcast's /feed/podcast): a name with podcast or feed in it."""
    return [n for n in loaded_plugins(site, config) if n != "jekyll-feed" and ("podcast" in n.lower() or "feed" in n.lower())]


def loaded_plugins(site: Path, config: dict[str, Any]) -> list[str]:
    """The plugins Jekyll loads: those ``plugins:`` (or the older ``gems:``) lists, then the Gemfile's ``:jekyll_plugins`` gems."""
    names: dict[str, None] = {}
    for key in ("plugins", "gems"):
        listed = config.get(key)
        if isinstance(listed, list):
            names.update((str(n).strip(), None) for n in listed if isinstance(n, str) and n.strip())
    names.update((n, None) for n in gemfile_plugins(_read(site / "Gemfile") or ""))
    return list(names)


def gemfile_plugins(text: str) -> list[str]:
    """Gems in ``group :jekyll_plugins do … end`` or declared with ``group: :jekyll_plugins`` (Jekyll requires those)."""
    found: list[str] = []
    blocks: list[bool] = []  # the open `do … end` blocks: True for a :jekyll_plugins group
    for raw in text.splitlines():
        line = _GEMFILE_COMMENT.sub("", raw).strip()
        if line.startswith("#"):
            continue
        if re.fullmatch(r"end\b.*", line):
            if blocks:
                blocks.pop()
            continue
        gem = _GEM.match(line)
        if gem and (any(blocks) or re.search(r"\bgroups?\b.*\bjekyll_plugins\b", gem.group(2))):
            found.append(gem.group(1))
        if re.search(r"\bdo\s*(\|[^|]*\|)?$", line) or re.match(r"(if|unless|case|begin|while|until)\b", line):
            blocks.append(bool(re.match(r"group\b.*\bjekyll_plugins\b", line)))
    return found


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
    fm = _front_matter(text)
    sources = [(rel, text)] + (_related(site, fm.data, text, config) if fm is not None else [])
    podcast = any("<enclosure" in t.lower() or "itunes:" in t for _, t in sources)
    theme = None if podcast or fm is None or not _feed_named(rel) else _theme_layout(site, fm.data, config)
    is_feed = rel in KNOWN_FEEDS or podcast or theme is not None or any(re.search(r"<(rss|feed)\b", t) for _, t in sources)
    if not is_feed or (fm is None and rel not in KNOWN_FEEDS and not podcast):
        return None
    found = _find(sources, _ENCLOSURE)
    return Feed(
        path=rel,
        rendered=fm is not None,
        podcast=podcast,
        enclosure=found[0] if found else None,
        loop_var=_loop_var(sources, *found) if found else "post",
        has_tags=any("asr/podcast-tags" in t for _, t in sources),
        rss_without_namespace=_rss_without_namespace(sources),
        language=_language(sources, config),
        theme_layout=theme,
    )


def _front_matter(text: str) -> frontmatter.FrontMatter | None:
    try:
        fm, _ = frontmatter.split(text)
    except FrontMatterError:
        return None
    return fm if fm is not None and isinstance(fm.data, dict) else None


def _feed_named(rel: str) -> bool:
    """A ``.rss`` file, or an ``.xml`` one named like a feed (``episodes.m4a.rss``, ``podcast-ogg.xml``, ``atom.xml``)."""
    name = rel.rsplit("/", 1)[-1]
    return name.lower().endswith(".rss") or rel in KNOWN_FEEDS or bool(_FEED_NAME.search(name))


def _theme_layout(site: Path, data: dict[str, Any], config: dict[str, Any]) -> str | None:
    """The page's layout when the site has no such layout: it comes from the theme gem (Octopod's ``layout: feed``)."""
    layout = data.get("layout")
    if not isinstance(layout, str) or layout.strip().lower() in _NO_LAYOUT:
        return None
    return None if _layout_file(site, layout.strip(), config) else layout.strip()


def _layout_file(site: Path, layout: str, config: dict[str, Any]) -> str | None:
    """The site-relative file Jekyll uses for ``layout:`` (any extension), or None when the site has none."""
    layouts_dir = str(config.get("layouts_dir") or "_layouts").strip("/")
    for ext in (".xml", ".rss", ".html", ""):
        if (site / layouts_dir / f"{layout}{ext}").is_file():
            return f"{layouts_dir}/{layout}{ext}"
    folder = site / layouts_dir / layout
    others = sorted(folder.parent.glob(f"{folder.name}.*")) if folder.parent.is_dir() else []
    return next((f"{layouts_dir}/{layout}{p.suffix}" for p in others if p.is_file() and p.stem == folder.name), None)


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _related(site: Path, data: dict[str, Any], text: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    """The feed's layouts (their layouts too) and the files it and they include, as (path, text)."""
    includes_dir = str(config.get("includes_dir") or "_includes").strip("/")
    found: list[tuple[str, str]] = []
    pending: list[tuple[dict[str, Any], str]] = [(data, text)]
    seen: set[str] = set()
    while pending and len(seen) < _MAX_TEMPLATES:
        data, text = pending.pop(0)
        layout = data.get("layout") if isinstance(data, dict) else None
        picked = _layout_file(site, layout, config) if isinstance(layout, str) and layout else None
        names = [picked] if picked else []
        names += [f"{includes_dir}/{m.group(1)}" for m in _INCLUDE.finditer(text) if not m.group(1).startswith("asr/")]
        for name in names:
            if name in seen or not (site / name).is_file():
                continue
            seen.add(name)
            related = _read(site / name) or ""
            found.append((name, related))
            fm = _front_matter(related)
            pending.append((fm.data if fm is not None else {}, related))
    return found


def _find(sources: list[tuple[str, str]], pattern: re.Pattern[str]) -> tuple[Spot, int] | None:
    """The first match: where (file and line), and its offset in that file."""
    for path, text in sources:
        m = pattern.search(text)
        if m:
            return Spot(path, text.count("\n", 0, m.start()) + 1), m.start()
    return None


def _loop_var(sources: list[tuple[str, str]], enclosure: Spot, offset: int) -> str:
    """The item loop's variable: the loop variable the <enclosure> itself uses, else the innermost loop still open there.

    Loops closed before it (``{% for contributor in post.contributors %}…{% endfor %}``) do not count, nor loops
    over an item's own data (``{% for file in post.audio %}``: the transcript is the post's). When the <enclosure>
    is in an include, the loops open where the feed includes it count.
    """
    text = dict(sources)[enclosure.file]
    open_loops = _open_loops(text, offset) or _open_at_include(sources, enclosure.file)
    used = _USED_VAR.findall(_tag_at(text, offset))
    for var in reversed(open_loops):
        if var in used:
            return var
    if open_loops:
        return open_loops[-1]
    anywhere = {v for _, t in sources for v in _FOR.findall(t)}
    return next((v for v in used if v in anywhere), "post")


def _open_loops(text: str, end: int) -> list[str]:
    """The variables of the item loops open at ``end``, outermost first: not loops over an open loop's variable, nor ranges."""
    stack: list[tuple[str, bool]] = []  # (variable, loops over an outer loop variable's data or a range)
    for m in _LOOP_TAG.finditer(text, 0, end):
        if m.group(1):
            stack.append((m.group(1), m.group(2) is None or m.group(2) in {v for v, _ in stack}))
        elif stack:
            stack.pop()
    return [var for var, inner in stack if not inner]


def _open_at_include(sources: list[tuple[str, str]], included: str) -> list[str]:
    """The loops open where another file of the feed includes ``included`` (an include holding the item)."""
    for path, text in sources:
        if path == included:
            continue
        for m in _INCLUDE.finditer(text):
            if included.endswith("/" + m.group(1)):
                return _open_loops(text, m.start())
    return []


def _tag_at(text: str, start: int) -> str:
    """The element that starts at ``start``, up to its ``>`` (Liquid tags inside it skipped over)."""
    i = start
    while i < min(len(text), start + 4000):
        if text.startswith(("{{", "{%"), i):
            close = text.find("}}" if text[i + 1] == "{" else "%}", i + 2)
            if close < 0:
                break
            i = close + 2
        elif text[i] == ">":
            return text[start : i + 1]
        else:
            i += 1
    return text[start:i]


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


def feed_notes(feeds: list[Feed], *, jekyll_feed: bool, plugins: list[str] | tuple[str, ...] = (), short: bool = False) -> list[str]:
    """One line per place the user has to act on (feeds sharing a layout or include share a line).

    ``plugins``: plugins that make the site's feed (``feed_plugins``). ``short``: one line for all of them
    (no document links audio yet, so there is nothing to put in a feed).
    """
    if short:
        return _short_notes(feeds, plugins)
    lines: list[str] = []
    groups: dict[tuple[Any, ...], list[Feed]] = {}
    for feed in feeds:
        key = (feed.rendered, feed.podcast, feed.has_tags, feed.enclosure, feed.loop_var, feed.rss_without_namespace)
        groups.setdefault(("theme", feed.theme_layout) if feed.theme_layout else key if feed.enclosure else (feed.path,), []).append(feed)
    for group in groups.values():
        lines += _advice(group[0], ", ".join(f.path for f in group))
    lines += [plugin_note(plugins)] if plugins else []
    if jekyll_feed and not any(f.path == "feed.xml" for f in feeds):
        lines.append("jekyll-feed builds feed.xml (an Atom feed with no hook for podcast tags); left as it is")
    return lines


def plugin_note(plugins: list[str] | tuple[str, ...]) -> str:
    names = " and ".join(plugins)
    if len(plugins) == 1:
        return f"the {names} plugin makes this site's feed: add the tags to its template, or pass --feed"
    return f"the {names} plugins make this site's feeds: add the tags to their templates, or pass --feed"


def _short_notes(feeds: list[Feed], plugins: list[str] | tuple[str, ...]) -> list[str]:
    """All the feed advice in one line, for a site whose documents link no audio yet."""
    todo = [f.path for f in feeds if f.rendered and not f.has_tags and (f.podcast or f.theme_layout)]
    todo += [f"the {p} plugin's template" for p in plugins]
    if not todo:
        return []
    names = ", ".join(todo[:_NAMED]) + (f" and {len(todo) - _NAMED} more" if len(todo) > _NAMED else "")
    return [f"the transcript tags go in {names} once documents link audio: run `jekyll-asr init` again then to see where"]


def _advice(feed: Feed, names: str) -> list[str]:
    if not feed.rendered:
        return [f"feed {names}: no front matter, so Jekyll copies it as it is and runs no Liquid; the transcript tags cannot go there"]
    if feed.has_tags:
        return [f"feed {names}: already includes asr/podcast-tags.xml"]
    if feed.theme_layout:
        return [f"feed {names}: its layout `{feed.theme_layout}` comes from the theme (a gem): put the tags in that layout (copy it into _layouts/ first)"]
    if not feed.podcast:
        return [f"feed {names}: no <enclosure> or itunes: tags (not a podcast feed); left as it is"]
    where = f"next to the <enclosure> at {feed.enclosure}" if feed.enclosure else "(no <enclosure> found)"
    lines = [f"podcast feed {names}: put {feed.include_line()} inside its item loop, {where}"]
    if feed.rss_without_namespace is not None:
        lines.append(f"  and add {PODCAST_NAMESPACE} to its <rss> element at {feed.rss_without_namespace}")
    return lines
