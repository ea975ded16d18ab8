"""The transcript include (``_includes/transcripts/<slug>.md``), rendered with Jinja2.

Template lookup: ``<site>/_asr_templates/transcript.md.j2`` first (the folder is
``RenderContext.templates_dir``; Jekyll skips folders starting with ``_``, so it
is never published), then the template shipped with the package.

The include is HTML inside a Markdown file: one block, no blank lines, so
kramdown (and CommonMark) pass it through unchanged whether the post says
``{% include transcripts/<slug>.md %}`` or an HTML layout pipes it through
``markdownify``. Transcript text, titles and URLs are untrusted: every value a
template prints is HTML-escaped, ``{`` and ``}`` become ``&#123;``/``&#125;`` so
no Liquid tag or output can form (not even ``{% endraw %}``), and Markdown
punctuation becomes entities so a site with ``parse_block_html`` cannot turn
text into emphasis or links. The body is wrapped in ``{% raw %}`` as well.

An override template sees: ``slug``, ``title``, ``language``, ``audio_url``,
``captions`` (format -> URL), ``downloads`` ([(label, url)]), ``sections``
([(heading or None, [Paragraph])], heading = {number, start, title}),
``paragraphs``, ``chapters``, ``empty``, ``tags``, ``transcript``,
``raw_open``/``raw_close``, ``speakers`` (label -> name; empty for one voice);
functions ``speaker_of(p)`` (the name at a turn's first paragraph, else None)
and ``word_times(p)`` (the paragraph's word times for the page's highlighting, or
""); filters ``seconds`` (12.5) and ``timestamp`` (00:12).

Word times travel as one attribute per paragraph, not a span per word: ``data-w``
holds two whole numbers of centiseconds per word of the printed text (start after
the previous word's start, duration), and jekyll-asr.js wraps the words in spans
when the page loads. A word without its own time (an older entry) gets its
segment's times, so the whole segment lights up. Measured on a 61-minute
episode (episode-12's real tiny.en word times repeated, 6,840 words): 43.5 KB
of ``data-w`` (6.4 bytes a word) beside 47 KB of text in a 148 KB include,
where a ``<span class data-start data-end>`` per word would add 583 KB.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..errors import ConfigError
from ..paragraphs import Paragraph, format_timestamp, place_chapters, turn_names
from .words import timed_words

if TYPE_CHECKING:
    import jinja2

    from . import RenderContext

name = "markdown"
extension = ".md"
media_type = "text/markdown"
TEMPLATE = "transcript.md.j2"
SITE_TEMPLATES_DIR = "_asr_templates"

# Characters that Liquid or kramdown would act on, as numeric entities.
_ENTITIES = {c: f"&#{ord(c)};" for c in "{}*_`[]\\$~|"}
_LIQUID_RAW_OPEN = Markup("{% raw %}")
_LIQUID_RAW_CLOSE = Markup("{% endraw %}")
_DOWNLOADS = (("txt", "Text"), ("vtt", "WebVTT"), ("srt", "SubRip"), ("json", "JSON"))


def escape(value: Any) -> Markup:
    """``value`` as text that HTML, Liquid and Markdown all show literally."""
    if isinstance(value, Markup):
        return value
    text = html.escape(" ".join(str(value).split()), quote=True)
    text = "".join(_ENTITIES.get(c, c) for c in text)
    return Markup(text.replace("--", "&#45;&#45;"))  # kramdown's typography would make dashes


def template_dirs() -> list[Path]:
    """Where the packaged templates live: the repository's ``templates/`` folder beside this
    package when it runs from a checkout (so a checkout renders its own templates, even with
    another checkout installed in editable mode), then the ``jekyll_asr.templates`` package
    data (pyproject maps the repository's ``templates/`` there)."""
    dirs = []
    repo = Path(__file__).resolve().parents[2] / "templates"
    if (repo / TEMPLATE).is_file():
        dirs.append(repo)
    try:
        packaged = resources.files("jekyll_asr.templates")
        if packaged.is_dir() and Path(str(packaged)).resolve() not in dirs:
            dirs.append(Path(str(packaged)).resolve())
    except (ModuleNotFoundError, TypeError, NotADirectoryError):
        pass
    return dirs


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@lru_cache(maxsize=8)
def _environment(site_dir: Path | None) -> jinja2.Environment:
    """One environment per override folder (None: the packaged templates only)."""
    import jinja2  # imported when something renders, not on a no-op build

    searchpath = ([site_dir] if site_dir is not None else []) + template_dirs()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(searchpath),
        autoescape=True,
        finalize=escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["seconds"] = _seconds
    env.filters["timestamp"] = format_timestamp
    return env


def applies(ctx: RenderContext) -> bool:
    return True


def render(ctx: RenderContext) -> str:
    site_dir = Path(ctx.templates_dir).resolve() if ctx.templates_dir is not None else None
    if site_dir is not None and not (site_dir / TEMPLATE).is_file():
        site_dir = None  # checked per render: an override may appear or go while a process runs
    import jinja2

    try:
        template = _environment(site_dir).get_template(TEMPLATE)
        return template.render(**_variables(ctx))
    except jinja2.TemplateError as exc:
        where = site_dir / TEMPLATE if site_dir is not None else TEMPLATE
        raise ConfigError(f"transcript template {where}: {exc}") from exc


def word_times(paragraph: Paragraph, language: str) -> str:
    """``data-w`` for a paragraph: per printed word, start after the previous start and duration,
    in centiseconds; "" when its words cannot be lined up with its text (scripts without spaces)."""
    from ..paragraphs import join_texts

    if join_texts(["a", "b"], language) == "ab":  # unspaced: the page cannot find the words
        return ""
    times: list[tuple[float, float]] = []
    for seg in paragraph.segments:
        words = timed_words(seg)
        times += [(w.start, w.end) for w in words] if words else [(seg.start, seg.end)] * len(seg.text.split())
    if len(times) != len(paragraph.text.split()):
        return ""
    out, previous = [], round(paragraph.start * 100)
    for start, end in times:
        a = max(round(start * 100), previous)
        out += [str(a - previous), str(max(0, round(end * 100) - a))]
        previous = a
    return " ".join(out)


def _variables(ctx: RenderContext) -> dict[str, Any]:
    ordered = sorted(ctx.chapters, key=lambda c: c.start)
    numbers = {id(c): i for i, c in enumerate(ordered, start=1)}
    sections = []
    for chapter, paragraphs in place_chapters(ctx.paragraphs, ordered):
        heading = None
        if chapter is not None:
            number = numbers[id(chapter)]
            title = " ".join(chapter.title.split()) or f"Chapter {number}"
            heading = {"number": number, "start": chapter.start, "title": title}
        sections.append((heading, paragraphs))
    downloads = [(label, ctx.captions[fmt]) for fmt, label in _DOWNLOADS if ctx.captions.get(fmt)]
    labels = {id(p): name for p, name in zip(ctx.paragraphs, turn_names(ctx.paragraphs, ctx.speaker_names), strict=True) if name}
    return {
        "slug": ctx.slug,
        "title": ctx.title,
        "language": ctx.language,
        "audio_url": ctx.audio_url,
        "captions": dict(ctx.captions),
        "downloads": downloads,
        "sections": sections,
        "empty": not any(p.text.strip() for p in ctx.paragraphs),
        "paragraphs": list(ctx.paragraphs),
        "chapters": ordered,
        "tags": ctx.tags,
        "transcript": ctx.transcript,
        "speakers": dict(ctx.speaker_names),
        "speaker_of": lambda p: labels.get(id(p)),
        "word_times": lambda p: word_times(p, ctx.language),
        "raw_open": _LIQUID_RAW_OPEN,
        "raw_close": _LIQUID_RAW_CLOSE,
    }
