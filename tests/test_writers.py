"""Writers: captions that validate, JSON in the Podcasting 2.0 shape, a safe include."""

from __future__ import annotations

import html
import io
import itertools
import json
import re

import pytest
import srt as srt_lib
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from jekyll_asr.errors import ConfigError
from jekyll_asr.paragraphs import build_paragraphs
from jekyll_asr.transcript import AudioTags, Chapter, Segment, Transcript
from jekyll_asr.writers import WRITERS, RenderContext, chapters_json, markdown, podcast_json, srt, text, vtt
from jekyll_asr.writers.cues import clean, clock, cues

HOSTILE = [
    "Arrows --> inside a cue --> twice.",
    "Bold <b>text</b> & <script>alert(1)</script> here.",
    "Liquid {{ site.title }} and {% include x %} and {% endraw %}{{ page }}.",
    "---",
    "Markdown *stars* _under_ `code` [link](http://x) $$math$$ | pipe.",
    "Control\x00chars\r\nand\tnew\nlines.",
]
LONG = (
    "This is a very long segment that goes on and on, far longer than any caption line could hold, "
    "so it has to be split into several cues whose times are shared out by characters. "
    "Supercalifragilisticexpialidociousandevenlongerwordsthatcannotbreakanywhereatall end."
)
TIME_RE = re.compile(r"^(\d\d):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d\d):([0-5]\d):([0-5]\d)\.(\d{3})$")


def make_transcript(texts, *, start: float = 0.0, step: float = 5.0, language: str = "en") -> Transcript:
    segs = tuple(Segment(start + i * step, start + i * step + step - 0.5, t) for i, t in enumerate(texts))
    return Transcript(segs, language, start + len(texts) * step, "test", "test")


def context(t: Transcript, *, chapters=(), captions=None, templates_dir=None, slug="episode") -> RenderContext:
    return RenderContext(
        transcript=t, tags=AudioTags(title="T", chapters=tuple(chapters)), slug=slug, title="Title",
        audio_url="/assets/episode.mp3", language=t.language, paragraphs=build_paragraphs(t),
        chapters=tuple(chapters), captions=captions or {}, templates_dir=templates_dir,
    )


def ms(h, m, s, milli) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(milli)


def validate_vtt(body: str) -> list[tuple[int, int, list[str]]]:
    """A strict reading of the W3C WebVTT rules this writer must keep."""
    assert body.startswith("WEBVTT\n\n") or body == "WEBVTT\n"
    assert body.endswith("\n") and not body.endswith("\n\n\n")
    blocks = body.rstrip("\n").split("\n\n")[1:]
    parsed, last_start = [], -1
    for block in blocks:
        lines = block.split("\n")
        match = TIME_RE.match(lines[0])
        assert match, f"bad timing line {lines[0]!r}"
        start, end = ms(*match.groups()[:4]), ms(*match.groups()[4:])
        assert end > start >= last_start
        last_start = start
        text_lines = lines[1:]
        assert 1 <= len(text_lines) <= 2
        for line in text_lines:
            assert line.strip() and len(line) <= vtt.MAX_LINE_HARD
            assert "-->" not in line and "<" not in line and ">" not in line
            assert not re.search(r"&(?!amp;|lt;|gt;)", line), line
        parsed.append((start, end, text_lines))
    return parsed


def words(texts) -> str:
    """The characters of ``texts`` without spacing (a word longer than a line is cut)."""
    return "".join(" ".join(texts).split())


def test_registry_lists_every_format_with_unique_extensions():
    assert set(WRITERS) == {"markdown", "vtt", "srt", "podcast_json", "text", "chapters_json", "translation_vtt"}
    extensions = [w.extension for w in WRITERS.values()]
    assert len(set(extensions)) == len(extensions) and all(e.startswith(".") for e in extensions)
    assert WRITERS["vtt"].media_type == "text/vtt"
    assert WRITERS["chapters_json"].media_type == "application/json+chapters"
    for name, writer in WRITERS.items():
        assert writer.name == name and callable(writer.render) and callable(writer.applies)


def test_vtt_is_valid_for_long_hostile_text_past_one_hour():
    t = make_transcript([LONG, *HOSTILE, LONG], start=3590.0, step=12.0)
    body = vtt.render(context(t))
    cues_ = validate_vtt(body)
    assert len(cues_) > len(t.segments)  # long segments were split
    assert cues_[0][0] == 3590_000 and cues_[-1][1] == round(t.segments[-1].end * 1000)
    assert "01:00:00" in body or "01:00:" in body
    caption_text = [html.unescape(" ".join(lines)) for _, _, lines in cues_]
    assert words(caption_text) == words(clean(s.text) for s in t.segments)


def test_vtt_parses_with_webvtt_py():
    t = make_transcript([LONG, *HOSTILE], step=20.0)
    body = vtt.render(context(t))
    parsed = webvtt.from_string(body)
    mine = validate_vtt(body)
    assert len(parsed.captions) == len(mine)
    for caption, (start, end, lines) in zip(parsed.captions, mine, strict=True):
        assert caption.start == clock(start, ".") and caption.end == clock(end, ".")
        assert caption.raw_text.split("\n") == lines


def test_vtt_escapes_markup_and_arrows():
    body = vtt.render(context(make_transcript(HOSTILE[:2])))
    assert "--&gt; inside a cue --&gt; twice." in body
    assert "Bold &lt;b&gt;text&lt;/b&gt; &amp;\n&lt;script&gt;alert(1)&lt;/script&gt; here." in body
    assert body.count("-->") == 2  # the two timing lines only


def test_vtt_of_empty_transcript_is_just_the_header():
    t = Transcript((Segment(0, 1, "  "),), "en", 20.0, "m", "e")
    assert vtt.render(context(t)) == "WEBVTT\n"
    assert srt.render(context(t)) == ""


def test_cues_split_long_segments_by_character_share():
    seg = Segment(10.0, 20.0, " " + " ".join(["abcdefghi"] * 40))  # 399 characters
    out = list(cues([seg]))
    assert len(out) > 2
    assert out[0].start_ms == 10_000 and out[-1].end_ms == 20_000
    for a, b in itertools.pairwise(out):
        assert a.end_ms == b.start_ms
    chars = [len(" ".join(c.lines)) for c in out]
    for cue, n in zip(out, chars, strict=True):
        assert (cue.end_ms - cue.start_ms) == pytest.approx(10_000 * n / sum(chars), abs=300)


def test_cues_prefer_sentence_ends_and_even_lines():
    first = "This first sentence is quite a bit longer now."
    out = list(cues([Segment(0, 6, f" {first} And a second one follows here, then more.")]))
    assert " ".join(out[0].lines) == first and len(out) == 2
    lines = next(iter(cues([Segment(0, 2, " Hello there, my friend. This is a test of the line balance.")]))).lines
    assert lines == ("Hello there, my friend.", "This is a test of the line balance.")
    two = list(cues([Segment(0, 4, " one two three four five six seven eight nine ten eleven twelve thirteen")]))
    assert len(two) == 1 and len(two[0].lines) == 2
    assert abs(len(two[0].lines[0]) - len(two[0].lines[1])) <= 10


def test_cues_never_go_backwards_or_vanish_with_overlapping_segments():
    segs = [Segment(5, 8, " first."), Segment(7, 7, " zero length."), Segment(6, 9, " overlapping.")]
    out = list(cues(segs))
    assert len(out) == 3
    for a, b in itertools.pairwise(out):
        assert b.start_ms >= a.end_ms
    assert all(c.end_ms > c.start_ms for c in out)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 8000, allow_nan=False),
            st.floats(0, 30, allow_nan=False),
            st.text(alphabet=st.sampled_from(list("ab <>&-{}%\n.,é漢")) | st.characters(), max_size=300),
        ),
        max_size=8,
    )
)
def test_vtt_and_srt_stay_valid_for_any_text(items):
    segs = tuple(Segment(s, s + d, t) for s, d, t in sorted(items))
    t = Transcript(segs, "en", 9000.0, "m", "e")
    validate_vtt(vtt.render(context(t)))
    body = srt.render(context(t))
    if body:
        assert all(s.content.strip() for s in srt_lib.parse(body))


def test_srt_round_trips_through_the_srt_package():
    t = make_transcript([LONG, *HOSTILE], start=3500.0, step=30.0)
    body = srt.render(context(t))
    parsed = list(srt_lib.parse(body))
    generated = list(cues(t.segments, max_line=srt.MAX_LINE))
    assert len(parsed) == len(generated)
    for number, (sub, cue) in enumerate(zip(parsed, generated, strict=True), start=1):
        assert sub.index == number
        assert round(sub.start.total_seconds() * 1000) == cue.start_ms
        assert round(sub.end.total_seconds() * 1000) == cue.end_ms
        assert sub.content == "\n".join(srt.neutralise(line) for line in cue.lines)
        assert "-->" not in sub.content and "<" not in sub.content
    assert srt_lib.compose(parsed, reindex=False) == body
    assert "01:00:" in body and "," in body.split("\n")[1]


def test_podcast_json_has_the_podcasting_2_0_shape():
    t = make_transcript(["", *HOSTILE, LONG])
    data = json.loads(podcast_json.render(context(t)))
    assert set(data) == {"version", "segments"} and data["version"] == "1.0.0"
    assert len(data["segments"]) == len(HOSTILE) + 1  # the empty one is left out
    last = -1.0
    for item in data["segments"]:
        assert set(item) == {"startTime", "endTime", "body"}
        assert isinstance(item["startTime"], (int, float)) and isinstance(item["endTime"], (int, float))
        assert item["endTime"] >= item["startTime"] >= last
        assert isinstance(item["body"], str) and item["body"] and "\n" not in item["body"]
        last = item["startTime"]
    assert data["segments"][1]["body"] == "Bold <b>text</b> & <script>alert(1)</script> here."


def test_chapters_json_only_when_chapters_exist():
    t = make_transcript(["Hi."])
    assert not chapters_json.applies(context(t))
    chapters = [Chapter(54.688, "Outro", 64.339), Chapter(0, "Intro", 9.65), Chapter(9.65, "  ")]
    ctx = context(t, chapters=chapters)
    assert chapters_json.applies(ctx)
    data = json.loads(chapters_json.render(ctx))
    assert data == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "Intro", "endTime": 9.65},
            {"startTime": 9.65, "title": "Chapter 2"},
            {"startTime": 54.688, "title": "Outro", "endTime": 64.339},
        ],
    }


def test_text_is_one_block_per_paragraph():
    segs = (Segment(0, 3, " First one."), Segment(3, 5, " Same."), Segment(7, 9, " Second\tone."))
    body = text.render(context(Transcript(segs, "en", 9, "m", "e")))
    assert body == "First one. Same.\n\nSecond one.\n"
    assert text.render(context(Transcript((), "en", 9, "m", "e"))) == ""


# --- the Markdown include -------------------------------------------------------------------


def outside_raw(body: str) -> str:
    """The include as Liquid sees it: text outside the one raw block."""
    assert body.count("{% raw %}") == 1 and body.count("{% endraw %}") == 1
    before, rest = body.split("{% raw %}")
    _, after = rest.split("{% endraw %}")
    return before + after


def test_markdown_include_escapes_html_and_liquid():
    body = markdown.render(context(make_transcript(HOSTILE)))
    assert "<script>" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b&gt;text&lt;/b&gt; &amp;" in body
    # No Liquid anywhere but our raw/endraw pair, so the text cannot close the raw block.
    inner = body.replace("{% raw %}", "", 1).replace("{% endraw %}", "", 1)
    assert "{%" not in inner and "{{" not in inner and "{" not in inner
    assert "&#123;% endraw %&#125;&#123;&#123; page &#125;&#125;" in body
    assert "{%" not in outside_raw(body) and "{{" not in outside_raw(body)
    assert "&#42;stars&#42; &#95;under&#95; &#96;code&#96; &#91;link&#93;" in body
    assert body.rstrip().endswith("{% endraw %}</div>")


def test_markdown_include_is_one_html_block_without_blank_lines():
    body = markdown.render(context(make_transcript([*HOSTILE, LONG]), chapters=[Chapter(10, "Part two")]))
    lines = body.rstrip("\n").split("\n")
    assert lines[0].startswith("<!--") and lines[1].startswith('<div class="asr-transcript"')
    assert all(line.strip() for line in lines), "a blank line would end the HTML block"
    assert not any(line.startswith((" ", "\t")) for line in lines), "indentation would make a code block"
    assert not body.startswith("---")


def test_markdown_include_has_timestamps_paragraphs_and_chapter_headings():
    segs = (Segment(0, 4, " Intro talk."), Segment(12.5, 20, " Part two talk."), Segment(3700.25, 3710, " Late."))
    t = Transcript(segs, "en", 3710, "m", "e")
    body = markdown.render(context(t, chapters=[Chapter(0, "Intro <1>"), Chapter(10, "Main & more")]))
    assert '<h3 class="asr-chapter" id="asr-episode-chapter-1" data-start="0">Intro &lt;1&gt;</h3>' in body
    assert '<h3 class="asr-chapter" id="asr-episode-chapter-2" data-start="10">Main &amp; more</h3>' in body
    assert (
        '<p class="asr-paragraph" data-start="12.5" data-end="20">'
        '<a class="asr-ts" href="#t=12.5" data-start="12.5">[00:12]</a> <span class="asr-text" data-w="0 750 0 750 0 750">Part two talk.</span></p>'
    ) in body  # no word times (an older entry): every word carries its segment's times
    assert '<a class="asr-ts" href="#t=3700.25" data-start="3700.25">[1:01:40]</a> <span class="asr-text" data-w="0 975">Late.</span>' in body
    order = [body.index(s) for s in ("Intro &lt;1&gt;", "Intro talk.", "Main &amp; more", "Part two")]
    assert order == sorted(order)
    assert body.count('class="asr-paragraph"') == 3


def test_markdown_include_links_captions_and_escapes_urls():
    t = make_transcript(["Hi."])
    captions = {"vtt": "/assets/t/ep.vtt", "txt": "/assets/t/ep.txt", "chapters": "/assets/t/ep.chapters.json"}
    ctx = context(t, captions=captions)
    ctx = RenderContext(**{**ctx.__dict__, "audio_url": '/a/{{ x }}" onload="y.mp3'})
    body = markdown.render(ctx)
    assert 'data-vtt="/assets/t/ep.vtt"' in body
    assert '<a href="/assets/t/ep.txt">Text</a> <a href="/assets/t/ep.vtt">WebVTT</a>' in body
    assert "chapters.json" not in body
    assert 'data-audio="/a/&#123;&#123; x &#125;&#125;&quot; onload=&quot;y.mp3"' in body


def test_markdown_include_for_empty_transcript_says_so():
    body = markdown.render(context(Transcript((), "en", 20.0, "m", "e")))
    assert '<p class="asr-empty">No speech was detected in this audio.</p>' in body
    assert "asr-paragraph" not in body


def test_episode_12_include_has_three_headings_and_six_paragraphs():
    from tests.test_paragraphs import EP12_CHAPTERS, EP12_VAD

    segs = tuple(Segment(*s) for s in EP12_VAD)
    body = markdown.render(context(Transcript(segs, "en", 64.3, "m", "e"), chapters=EP12_CHAPTERS))
    assert re.findall(r'<h3 class="asr-chapter"[^>]*>([^<]*)</h3>', body) == ["Intro", "Accessibility", "Outro"]
    starts = [float(s) for s in re.findall(r'<p class="asr-paragraph" data-start="([\d.]+)"', body)]
    assert len(starts) == 6 and starts[1] == pytest.approx(11.66)


def test_site_template_overrides_the_packaged_one(tmp_path):
    (tmp_path / markdown.TEMPLATE).write_text(
        "<section>{% for c, ps in sections %}{% for p in ps %}<p>{{ p.text }}</p>{% endfor %}{% endfor %}</section>\n",
        encoding="utf-8",
    )
    body = markdown.render(context(make_transcript(["{{ evil }} <i>x</i>"]), templates_dir=tmp_path))
    assert body == "<section><p>&#123;&#123; evil &#125;&#125; &lt;i&gt;x&lt;/i&gt;</p></section>\n"
    later = tmp_path / "created-later"
    fallback = markdown.render(context(make_transcript(["Hi."]), templates_dir=later))
    assert 'class="asr-transcript"' in fallback
    later.mkdir()
    (later / markdown.TEMPLATE).write_text("{{ paragraphs | length }} paragraphs, {{ chapters | length }}\n")
    assert markdown.render(context(make_transcript(["Hi.", "Yo."]), templates_dir=later)) == "1 paragraphs, 0\n"


def test_broken_site_template_is_a_config_error_naming_it(tmp_path):
    (tmp_path / markdown.TEMPLATE).write_text("{% for x in %}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"transcript\.md\.j2"):
        markdown.render(context(make_transcript(["Hi."]), templates_dir=tmp_path))


def test_packaged_template_is_found():
    assert any((d / markdown.TEMPLATE).is_file() for d in markdown.template_dirs())


# --- the include inside a real Jekyll build --------------------------------------------------


@pytest.mark.jekyll
@pytest.mark.parametrize("kramdown", ["", "kramdown:\n  parse_block_html: true\n"], ids=["default", "parse_block_html"])
def test_include_renders_in_jekyll_from_markdown_and_html(tmp_path, kramdown):
    import shutil
    import subprocess

    jekyll = shutil.which("jekyll")
    if jekyll is None:
        pytest.skip("Debian's jekyll is not installed")
    segs = tuple(Segment(i * 10.0, i * 10.0 + 8, t) for i, t in enumerate([*HOSTILE, "Plain *end*."]))
    t = Transcript(segs, "en", 80.0, "m", "e")
    site = tmp_path / "site"
    (site / "_includes" / "transcripts").mkdir(parents=True)
    (site / "_includes" / "transcripts" / "ep.md").write_text(
        markdown.render(context(t, chapters=[Chapter(0, "Start {{ x }}"), Chapter(25, "Later")], slug="ep")),
        encoding="utf-8",
    )
    (site / "_config.yml").write_text("title: SITE-TITLE-LEAK\nmarkdown: kramdown\n" + kramdown, encoding="utf-8")
    (site / "_layouts").mkdir()
    (site / "_layouts" / "plain.html").write_text(
        "<html><body>{{ content }}"
        "{% capture t %}{% include transcripts/ep.md %}{% endcapture %}{{ t | markdownify }}</body></html>\n",
        encoding="utf-8",
    )
    post = "---\nlayout: plain\n---\n# Episode\n\n{% include transcripts/ep.md %}\n"
    (site / "post.md").write_text(post, encoding="utf-8")
    subprocess.run(
        [jekyll, "build", "--quiet", "--source", str(site), "--destination", str(site / "_site")],
        check=True, capture_output=True, timeout=120,
    )
    page = (site / "_site" / "post.html").read_text(encoding="utf-8")
    # Twice: once through the Markdown post, once through markdownify in the layout.
    assert page.count('<div class="asr-transcript"') == 2
    assert page.count('class="asr-paragraph"') == 2 * len(segs)
    assert page.count('<h3 class="asr-chapter"') == 4
    assert "<script>" not in page and "<b>" not in page and "<em>" not in page
    assert "SITE-TITLE-LEAK" not in page  # {{ site.title }} in the text was not evaluated
    text_only = html.unescape(re.sub(r"<[^>]+>", "", page))
    for hostile in (
        "Arrows --> inside", "---", "{{ site.title }}", "{% include x %}", "{% endraw %}{{ page }}",
        "<script>alert(1)</script>", "*stars* _under_ `code` [link](http://x) $$math$$", "Start {{ x }}",
    ):
        assert text_only.count(hostile) == 2, hostile


PODCAST_TRANSCRIPT_SCHEMA = {
    "type": "object",
    "required": ["version", "segments"],
    "properties": {
        "version": {"const": "1.0.0"},
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["startTime", "endTime", "body"],
                "additionalProperties": False,
                "properties": {
                    "speaker": {"type": "string"},
                    "startTime": {"type": "number", "minimum": 0},
                    "endTime": {"type": "number", "minimum": 0},
                    "body": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


def test_podcast_json_validates_against_a_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    t = make_transcript([LONG, *HOSTILE], start=4000.0)
    jsonschema.validate(json.loads(podcast_json.render(context(t))), PODCAST_TRANSCRIPT_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "1.0.0", "segments": [{"startTime": 0, "body": ""}]}, PODCAST_TRANSCRIPT_SCHEMA)


# ---- speakers and words -----------------------------------------------------------------

def dialogue(*, with_words: bool = True) -> Transcript:
    """Two voices, then a German answer; word times when ``with_words`` (else an entry from before they were kept)."""
    from jekyll_asr.transcript import Turn, Word
    from jekyll_asr.turns import assign_speakers

    lines = [
        (0.0, "1", " Welcome back to the show, it is good to have you here with us today.", None),
        (5.0, "2", " Thanks, it is a pleasure & an honour <really>.", None),
        (9.0, "1", " Tell us about your work.", None),
        (12.0, "2", " Gerne, ich baue statische Seiten.", "de"),
    ]
    segments, turns = [], []
    for start, who, said, lang in lines:
        words = tuple(Word(start + 0.3 * i, start + 0.3 * i + 0.25, " " + w, 0.4 if w == "statische" else 0.95) for i, w in enumerate(said.split()))
        end = words[-1].end
        segments.append(Segment(start, end, said, words if with_words else (), language=lang))
        turns.append(Turn(start - 0.1, end + 0.1, who))
    t = Transcript(tuple(segments), "en", 20.0, "m", "e")
    return assign_speakers(t, turns)


def speaking(t: Transcript, names=None) -> RenderContext:
    from dataclasses import replace

    return replace(context(t), speaker_names=names if names is not None else {"1": "Alice", "2": "Bob <&> Jr"})


@pytest.mark.parametrize("with_words", [True, False])
def test_vtt_voice_spans_parse_in_webvtt_py(with_words):
    import io

    body = vtt.render(speaking(dialogue(with_words=with_words)))
    captions = webvtt.from_buffer(io.StringIO(body)).captions
    assert captions[0].voice == "Alice"
    assert {c.voice for c in captions} == {"Alice", "Bob &lt;&amp;&gt; Jr"}  # escaped in the annotation
    assert all(c.raw_text.startswith(f"<v {c.voice}>") for c in captions)
    assert "Thanks, it is a pleasure & an honour <really>." in html.unescape(" ".join(c.text.replace("\n", " ") for c in captions))
    voices = [c.voice for c in captions]
    assert sum(a != b for a, b in itertools.pairwise(voices)) == 3  # a cue never spans a turn: one change per turn
    assert "<v " not in vtt.render_transcript(dialogue(), {})  # no names: no voice spans


@pytest.mark.parametrize("with_words", [True, False])
def test_srt_names_the_speaker_at_each_turn_within_32_characters(with_words):
    body = srt.render(speaking(dialogue(with_words=with_words), {"1": "Alice", "2": "Bob"}))
    subs = list(srt_lib.parse(body))
    assert all(len(line) <= srt.MAX_LINE for s in subs for line in s.content.split("\n"))
    assert all(1 <= len(s.content.split("\n")) <= 2 for s in subs)
    starts = [s.content for s in subs if s.content.startswith(("Alice:", "Bob:"))]
    assert [s.split(":")[0] for s in starts] == ["Alice", "Bob", "Alice", "Bob"]  # once per turn, never mid-turn
    assert "‹really›" in body


@pytest.mark.parametrize("with_words", [True, False])
def test_podcast_json_gives_each_segment_its_speaker(with_words):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(podcast_json.render(speaking(dialogue(with_words=with_words))))
    jsonschema.validate(data, PODCAST_TRANSCRIPT_SCHEMA)
    assert [s["speaker"] for s in data["segments"]] == ["Alice", "Bob <&> Jr", "Alice", "Bob <&> Jr"]
    alone = json.loads(podcast_json.render(context(dialogue())))  # no names: no "speaker"
    assert all("speaker" not in s for s in alone["segments"])


def test_text_names_the_speaker_at_each_turn_paragraph():
    body = text.render(speaking(dialogue(), {"1": "Alice", "2": "Bob"}))
    paragraphs = body.strip().split("\n\n")
    assert [p.split(":")[0] for p in paragraphs] == ["Alice", "Bob", "Alice", "Bob"]


@pytest.mark.parametrize("with_words", [True, False])
def test_include_labels_turns_marks_languages_and_carries_word_times(with_words):
    body = markdown.render(speaking(dialogue(with_words=with_words)))
    paragraphs = re.findall(r'<p class="asr-paragraph[^"]*"[^>]*>.*?</p>', body)
    assert len(paragraphs) == 4
    assert [re.search(r'<span class="asr-speaker">(.*?)</span>', p).group(1) for p in paragraphs] == [
        "Alice", "Bob &lt;&amp;&gt; Jr", "Alice", "Bob &lt;&amp;&gt; Jr"
    ]
    assert all('class="asr-paragraph asr-turn"' in p for p in paragraphs)
    assert ' lang="de"' in paragraphs[3] and "lang=" not in "".join(paragraphs[:3])
    for p in paragraphs:
        shown = html.unescape(re.sub(r"<[^>]+>", "", re.search(r'<span class="asr-text"[^>]*>(.*?)</span>', p).group(1)))
        numbers = re.search(r'data-w="([\d ]+)"', p).group(1).split()
        assert len(numbers) == 2 * len(shown.split(" "))  # two numbers per word the page shows
    first = [int(n) for n in re.search(r'data-w="([\d ]+)"', paragraphs[0]).group(1).split()]
    if with_words:
        assert first[:4] == [0, 25, 30, 25]  # word 2 starts 0.30 s after word 1, each lasts 0.25 s
    else:
        assert first[1::2] == [first[1]] * (len(first) // 2) and first[2::2] == [0] * (len(first) // 2 - 1)  # the whole segment


def test_one_voice_shows_no_label_anywhere():
    t = make_transcript(["Just me talking.", "Still me."])
    ctx = context(t)
    assert "asr-speaker" not in markdown.render(ctx) and "<v " not in vtt.render(ctx)
    assert "speaker" not in podcast_json.render(ctx) and ":" not in text.render(ctx)


def test_translation_track_is_written_only_for_a_translation_with_words():
    from jekyll_asr.transcript import AudioTags, Segment, Transcript
    from jekyll_asr.writers import RenderContext, translation_vtt

    original = Transcript((Segment(0.0, 2.0, "Guten Morgen zusammen."),), "de", 2.0, "base", "faster-whisper")
    english = Transcript((Segment(0.0, 2.0, "Good morning, everyone."),), "en", 2.0, "base", "faster-whisper")
    ctx = RenderContext(original, AudioTags(), "ep", "Ep", "/a.mp3", "de", [], [], {}, None)
    assert not translation_vtt.applies(ctx)
    with_track = RenderContext(original, AudioTags(), "ep", "Ep", "/a.mp3", "de", [], [], {}, None, translation=english)
    assert translation_vtt.applies(with_track)
    cues = webvtt.from_buffer(io.StringIO(translation_vtt.render(with_track)))
    assert [c.text for c in cues] == ["Good morning, everyone."]
