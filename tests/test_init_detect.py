"""``jekyll-asr init`` reads the site first: its own audio keys and folders, the podcast's language
and its feeds, and writes into the ``asr:`` block only what the defaults would get wrong."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jekyll_asr.audio import sniff
from jekyll_asr.config import load_settings
from jekyll_asr.init import init_site, site_templates
from jekyll_asr.site import scan_documents
from tests.real_sites import SPECS, SiteSpec
from tests.sitefactory import Fixture, make_site
from tests.test_jekyll import jekyll_build, need

BLOCK_HEAD = """
# jekyll-asr: transcripts and captions for the site's audio (added by `jekyll-asr init`).
# Every option has a default; `jekyll-asr build --help` lists them.
asr:
  # The default model is multilingual and best on a GPU; on a CPU `base` (any language) or
  # `tiny.en` (English only) is much faster, and both are bundled (no download).
  model: openai/whisper-large-v3-turbo  # a Hugging Face id, a local folder, or tiny.en / base
"""
FORMATS = "  formats: [md, vtt, srt, json, txt, chapters]\n"
POST = "---\nlayout: post\ntitle: {title}\n{front}---\nShow notes.\n"
EPISODE = {"_posts/2024-01-01-one.md": POST.format(title="One", front="audio: /media/one.mp3\n"), "media/one.mp3": Fixture("welcome.mp3")}


def appended(site: Path, before: str) -> str:
    text = (site / "_config.yml").read_text(encoding="utf-8")
    assert text.startswith(before)
    return text[len(before) :]


def linked_audio(site: Path) -> dict[str, tuple[str, ...]]:
    """What a build would link: each document's audio, with the settings now in _config.yml."""
    settings = load_settings(site)
    documents, _ = scan_documents(settings, lambda rel: sniff(settings.site / rel) is not None)
    return {d.path.as_posix(): d.audio for d in documents}


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# ---- the language the podcast speaks -------------------------------------------------------------


def test_podcast_file_and_en_au_need_only_the_language(tmp_path: Path) -> None:
    """nathan-bottomley/jekyll-podcast: `podcast: {file:}` in assets/episodes, `podcast: {language: en-AU}`."""
    config = 'title: FTE\nurl: "https://fte.example.com"\npodcast:\n  title: FTE\n  language: en-AU\n'
    site = make_site(tmp_path, {
        "_config.yml": config,
        "_posts/2021-08-01-ginger.md": POST.format(title="Ginger", front="podcast:\n  episode: 217\n  file: >-\n    FTE 217, Ginger (Day).mp3\n"),
        "assets/episodes/FTE 217, Ginger (Day).mp3": Fixture("welcome.mp3"),
    })  # fmt: skip
    result = init_site(site)
    assert appended(site, config) == (
        BLOCK_HEAD
        + "  language: en  # from podcast.language: en-AU; a Whisper language code, or auto to detect it per speech window\n"
        + FORMATS
    )  # no audio_keys, audio_dirs or include: the defaults find this site's audio
    settings = load_settings(site)
    assert (settings.language, settings.audio_keys, settings.audio_dirs, settings.include) == ("en", (), (), ("**",))
    assert result.detected == ("language: en (from podcast.language: en-AU)",)
    assert linked_audio(site) == {"_posts/2021-08-01-ginger.md": ("assets/episodes/FTE 217, Ginger (Day).mp3",)}
    assert not result.warnings


@pytest.mark.parametrize(
    ("config", "language", "source"),
    [
        ("lang: it\npodcast_lang: it\n", "it", "podcast_lang: it"),  # PandaSekh/Jekyll-Podcaster
        ("lang: en\npodcast_lang: it\n", "it", "podcast_lang: it"),  # the UI's lang is not the audio's
        ("podcast:\n  lang: en_US\n", "en", "podcast.lang: en_US"),  # jinyuzu99/jekyll-podcast
        ("language: de\nlang: en\n", "de", "language: de"),  # jekyll-octopod's top-level language
        ("itunes:\n  language: pt-BR\n", "pt", "itunes.language: pt-BR"),
        ("podcast_language: Korean\n", "ko", "podcast_language: Korean"),
    ],
)
def test_the_podcasts_declared_language_is_written(tmp_path: Path, config: str, language: str, source: str) -> None:
    site = make_site(tmp_path, {"_config.yml": "title: x\nurl: https://x.example\n" + config})
    result = init_site(site)
    assert f"  language: {language}  # from {source}; a Whisper language code" in appended(site, "title: x\nurl: https://x.example\n" + config)
    assert load_settings(site).language == language
    assert result.detected[0] == f"language: {language} (from {source})"


def test_a_korean_show_with_only_a_ui_lang_is_detected_per_file(tmp_path: Path) -> None:
    """44bits/stdout.fm has no language key at all; on an English theme it would have `lang: en`."""
    for name, ui, note in (("none", "", ""), ("ui", "lang: en\n", " (lang: en is the language of the site's pages, not necessarily its audio's)")):
        config = f"title: 스탠다드아웃\nurl: https://stdout.example\n{ui}"
        site = make_site(tmp_path / name, {"_config.yml": config})
        init_site(site)
        language = f"  language: auto  # no podcast language declared: detected per file{note}; or a code such as en\n"
        assert appended(site, config) == BLOCK_HEAD + language + FORMATS
        assert load_settings(site).language is None


def test_a_feeds_literal_language_counts_when_the_config_has_none(tmp_path: Path) -> None:
    feed = (
        '---\nlayout: null\n---\n<rss version="2.0"><channel><language>en-GB</language>\n'
        '{% for ep in site.posts %}<item><enclosure url="{{ ep.mp3 }}"/></item>{% endfor %}\n</channel></rss>\n'
    )
    site = make_site(tmp_path, {"_config.yml": "title: x\nlang: fr\n", "podcast.xml": feed})
    result = init_site(site, model="tiny.en")
    assert load_settings(site).language == "en"
    assert result.detected[0] == "language: en (from <language>en-GB</language> in podcast.xml)"


# ---- audio keys and folders the defaults miss -----------------------------------------------------


def test_a_custom_audio_key_is_added_and_then_links_the_audio(tmp_path: Path) -> None:
    config = "title: Sermons\nurl: https://church.example\nlanguage: en\n"
    site = make_site(tmp_path, {
        "_config.yml": config,
        "_posts/2024-03-03-grace.md": POST.format(title="Grace", front="sermon_audio: /sermons/grace.mp3\ncover: /images/grace.jpg\n"),
        # an id that happens to be the name of a file but for its extension is no audio key
        "_posts/2024-03-10-hope.md": POST.format(title="Hope", front="episode_id: hope\naudio: /media/hope.mp3\n"),
        "_posts/2024-03-17-notes.md": POST.format(title="Notes", front="summary: no audio here\n"),
        "sermons/grace.mp3": Fixture("welcome.mp3"),
        "media/hope.mp3": Fixture("welcome.mp3"),
        "images/grace.jpg": b"\xff\xd8\xff\xe0 not audio",
    })  # fmt: skip
    assert "_posts/2024-03-03-grace.md" not in linked_audio(site)  # the defaults miss it
    result = init_site(site)
    assert appended(site, config) == (
        BLOCK_HEAD
        + "  language: en  # from language: en; a Whisper language code, or auto to detect it per speech window\n"
        + "  audio_keys: [sermon_audio]  # front matter keys naming audio on this site, besides the built-in ones\n"
        + FORMATS
    )
    assert load_settings(site).audio_keys == ("sermon_audio",)
    assert linked_audio(site) == {"_posts/2024-03-03-grace.md": ("sermons/grace.mp3",), "_posts/2024-03-10-hope.md": ("media/hope.mp3",)}
    assert "audio_keys: sermon_audio (front matter keys naming audio that the built-in keys miss)" in result.detected


def test_a_folder_of_bare_file_names_is_added_as_an_audio_dir(tmp_path: Path) -> None:
    config = "title: Show\nurl: https://show.example\npodcast_lang: en\n"
    site = make_site(tmp_path, {
        "_config.yml": config,
        "_posts/2024-01-01-one.md": POST.format(title="One", front="file: ep1.mp3\n"),
        "_posts/2024-01-08-two.md": POST.format(title="Two", front="mp3: ep2.mp3\n"),
        "_posts/2024-01-15-three.md": POST.format(title="Three", front="file: hidden.mp3\n"),
        "recordings/ep1.mp3": Fixture("welcome.mp3"),
        "recordings/2024/ep2.mp3": Fixture("welcome.mp3"),
        "_private/hidden.mp3": Fixture("welcome.mp3"),  # Jekyll does not publish it: not a folder to add
    })  # fmt: skip
    init_site(site)
    assert appended(site, config) == (
        BLOCK_HEAD
        + "  language: en  # from podcast_lang: en; a Whisper language code, or auto to detect it per speech window\n"
        + "  audio_dirs: [recordings, recordings/2024]  # where its bare file names (file: ep1.mp3) are, besides the usual folders\n"
        + FORMATS
    )
    assert load_settings(site).audio_dirs == ("recordings", "recordings/2024")
    assert linked_audio(site) == {"_posts/2024-01-01-one.md": ("recordings/ep1.mp3",), "_posts/2024-01-08-two.md": ("recordings/2024/ep2.mp3",)}


# ---- the site's own feeds -------------------------------------------------------------------------

PODCAST_XML = """---
layout: null
permalink: /feed/podcast.xml
---
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>{{ site.title }}</title>
{% for episode in site.posts %}<item><title>{{ episode.title | xml_escape }}</title>
<enclosure url="{{ site.url }}/assets/episodes/{{ episode.podcast.file | uri_escape }}" type="audio/mpeg"/></item>{% endfor %}
</channel></rss>
"""


def test_a_podcast_feed_and_jekyll_feed_are_left_alone_and_the_summary_says_where_the_tags_go(tmp_path: Path) -> None:
    config = "title: x\nurl: https://x.example\nplugins:\n  - jekyll-feed\n"
    site = make_site(tmp_path, {"_config.yml": config, "podcast.xml": PODCAST_XML, **EPISODE})
    result = init_site(site)
    assert (site / "podcast.xml").read_text(encoding="utf-8") == PODCAST_XML
    assert not (site / "feed.xml").exists()
    assert ("feed.xml", "the site has its own feed (podcast.xml); --feed adds jekyll-asr's podcast feed.xml anyway") in result.skipped
    line = line_of(PODCAST_XML, "<enclosure")
    assert result.notes == (
        "podcast feed podcast.xml: put {% include asr/podcast-tags.xml transcript=episode.transcript %} inside its item loop, "
        f"next to the <enclosure> at podcast.xml:{line}",
        f'  and add xmlns:podcast="https://podcastindex.org/namespace/1.0" to its <rss> element at podcast.xml:{line_of(PODCAST_XML, "<rss")}',
        "jekyll-feed builds feed.xml (an Atom feed with no hook for podcast tags); left as it is",
    )
    assert all(n in result.summary() for n in result.notes)


def test_a_site_with_its_own_podcast_feed_gets_no_second_one_unless_asked(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"_config.yml": "title: x\nurl: https://x.example\n", "podcast.xml": PODCAST_XML})
    init_site(site)
    assert not (site / "feed.xml").exists()
    asked = init_site(site, feed=True)
    assert "feed.xml" in asked.written and (site / "podcast.xml").read_text(encoding="utf-8") == PODCAST_XML


def test_feeds_are_followed_into_their_layout_and_includes(tmp_path: Path) -> None:
    """jekyll-octopod keeps the item in `_layouts/feed.xml`; andybalaam's feeds include `podcast.xml`."""
    layout = (
        '---\nlayout: null\n---\n<rss version="2.0">\n'
        '{% for post in site.posts %}<item>\n  <enclosure url="{{ post.audio[page.format] }}"/>\n</item>{% endfor %}\n</rss>\n'
    )
    include = (
        '<rss xmlns:podcast="https://podcastindex.org/namespace/1.0">\n'
        '{% for ep in site.categories.podcast %}\n<item>\n<enclosure url="{{ ep.podcast_link }}.{{ include.ext }}"/>\n</item>{% endfor %}</rss>\n'
    )
    site = make_site(tmp_path, {
        "_config.yml": "title: x\nurl: https://x.example\n",
        "_layouts/feed.xml": layout,
        "episodes.mp3.rss": "---\nlayout: feed\nformat: mp3\n---\n",
        "episodes.ogg.rss": "---\nlayout: feed\nformat: ogg\n---\n",
        "_includes/podcast.xml": include,
        "podcast-mp3.xml": '---\nlayout: null\n---\n{% include podcast.xml ext="mp3" %}\n',
        "podcast-ogg.xml": '---\nlayout: null\n---\n{% include podcast.xml ext="ogg" %}\n',
        "tagged.xml": (
            '---\n---\n<rss>{% for post in site.posts %}<enclosure url="x"/>'
            "{% include asr/podcast-tags.xml transcript=post.transcript %}{% endfor %}</rss>\n"
        ),
        "static.rss": "<rss><channel><item><enclosure url=\"https://x.example/a.mp3\"/></item></channel></rss>\n",
        "blog.xml": (
            "---\nlayout: null\n---\n"
            "<rss><channel>{% for post in site.posts %}<item><title>{{ post.title }}</title></item>{% endfor %}</channel></rss>\n"
        ),
        "sitemap.xml": "---\nlayout: null\n---\n<urlset></urlset>\n",
        **EPISODE,
    })  # fmt: skip
    notes = init_site(site).notes
    assert notes == (
        "podcast feed episodes.mp3.rss, episodes.ogg.rss: put {% include asr/podcast-tags.xml transcript=post.transcript %} "
        "inside its item loop, next to the <enclosure> at _layouts/feed.xml:6",
        '  and add xmlns:podcast="https://podcastindex.org/namespace/1.0" to its <rss> element at _layouts/feed.xml:4',
        "podcast feed podcast-mp3.xml, podcast-ogg.xml: put {% include asr/podcast-tags.xml transcript=ep.transcript %} "
        "inside its item loop, next to the <enclosure> at _includes/podcast.xml:4",
        "feed blog.xml: no <enclosure> or itunes: tags (not a podcast feed); left as it is",
        "feed static.rss: no front matter, so Jekyll copies it as it is and runs no Liquid; the transcript tags cannot go there",
        "feed tagged.xml: already includes asr/podcast-tags.xml",
    )
    assert not (site / "feed.xml").exists()


@pytest.mark.parametrize("url", [None, "", '""', "   "])
def test_a_missing_or_empty_url_is_warned_about(tmp_path: Path, url: str | None) -> None:
    config = "title: x\n" + ("" if url is None else f"url: {url}\n")
    result = init_site(make_site(tmp_path, {"_config.yml": config}))
    assert result.warnings == ("_config.yml has no url: feeds then carry relative URLs podcast apps cannot fetch; set url: https://your.domain",)
    assert "warning: _config.yml has no url:" in result.summary()


# ---- sites modelled on real podcast sites (tests/real_sites.py) -----------------------------------

LANGUAGES = {
    "octopod": "en", "octopod-download-url": "de", "jekyll-podcast": "en", "podcaster": "en", "podcast-feed": "en",
    "whaddya-know-joe": "en", "example-pod": "en", "ollie": None, "stdout": None, "podlets": None,
    "jekyll-podcast-layout": "en",
}  # fmt: skip


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_real_sites_need_only_their_language_and_keep_every_file(tmp_path: Path, spec: SiteSpec) -> None:
    files = {k: v if isinstance(v, Fixture) else v.replace("{REMOTE}", "http://127.0.0.1:9") for k, v in spec.files.items()}
    site = make_site(tmp_path, files)
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    result = init_site(site)
    for rel, data in before.items():
        if rel != "_config.yml":
            assert (site / rel).read_bytes() == data, f"{rel} changed"
    assert (site / "_config.yml").read_bytes().startswith(before["_config.yml"])
    settings = load_settings(site)
    assert (settings.audio_keys, settings.audio_dirs) == ((), ()), "the built-in keys and folders cover these sites"
    if spec.name in LANGUAGES:
        assert settings.language == LANGUAGES[spec.name]
    feeds = [rel for rel in before if rel.endswith((".xml", ".rss")) and not rel.startswith("_")]
    assert "feed.xml" not in result.written  # every one of these sites has a feed or jekyll-feed
    for feed in feeds:
        assert feed in "\n".join(result.notes), f"{feed} not named in the summary"


# ---- the shipped includes in a real `jekyll build` -------------------------------------------------

LAYOUT = """<!DOCTYPE html>
<html><body>
{% include asr/audio-player.html %}
<main>{{ content }}</main>
{% include asr/transcript.html %}
<div class="snippet">{% if page.transcript.include %}{% include {{ page.transcript.include }} %}{% endif %}</div>
</body></html>
"""
TRANSCRIPT = """---
layout: post
title: Two halves
transcript:
  include: transcripts/two-halves.md
  audio: /show/audio/two%20halves.mp3
  encodings:
  - {url: /show/audio/two%20halves.ogg, bytes: 11, type: audio/ogg}
  - {url: /show/audio/two%20halves.mp3, bytes: 22, type: audio/mpeg}
  transcribed_from: /show/audio/two%20halves.ogg
  bytes: 22
  type: audio/mpeg
  language: en
  duration: 64.3
  words: 143
  model: tiny.en
  files:
    vtt: /show/assets/transcripts/two-halves.vtt
    json: /show/assets/transcripts/two-halves.json
    chapters: /show/assets/transcripts/two-halves.chapters.json
  parts:
  - include: transcripts/second-half.md
    audio: https://cdn.example.com/second%20half.mp3
    bytes: 33
    type: audio/mpeg
    language: en
    duration: 9.0
    words: 20
    title: Second half
    files: {vtt: /show/assets/transcripts/second-half.vtt}
---
Recorded in two sittings.
"""


@pytest.mark.jekyll
def test_shipped_includes_build_with_encodings_parts_and_pages_without_a_transcript(tmp_path: Path) -> None:
    need("jekyll")
    site = make_site(tmp_path / "site", {
        "_config.yml": 'title: Show\nurl: "https://show.example/"\nbaseurl: /show\nlang: en\n',
        "_layouts/post.html": LAYOUT,
        "_posts/2024-01-01-two-halves.md": TRANSCRIPT,
        "_posts/2024-01-08-no-audio.md": "---\nlayout: post\ntitle: No audio\n---\nJust words.\n",
        "_includes/transcripts/two-halves.md": '<div class="asr-transcript">FIRST HALF WORDS</div>\n',
        "_includes/transcripts/second-half.md": '<div class="asr-transcript">SECOND HALF WORDS</div>\n',
    })  # fmt: skip
    init_site(site, language="en")
    assert (site / "feed.xml").read_bytes() == (site_templates() / "feed.xml").read_bytes()
    done = jekyll_build(site)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warn" not in (done.stdout + done.stderr).lower()
    page = (site / "_site/2024/01/01/two-halves.html").read_text(encoding="utf-8")
    assert '<source src="/show/audio/two%20halves.mp3" type="audio/mpeg">' in page
    assert '<source src="/show/audio/two%20halves.ogg" type="audio/ogg">' in page
    assert page.index("halves.mp3") < page.index("halves.ogg")  # the file the post links plays first
    assert 'src="https://cdn.example.com/second%20half.mp3"' in page  # the second part's own player
    assert page.count('<figure class="asr-player">') == 2 and page.count('<track kind="captions"') == 2
    assert page.count("FIRST HALF WORDS") == 2 and page.count("SECOND HALF WORDS") == 1  # the transcript include + the README snippet
    assert '<h3 class="asr-part">Second half</h3>' in page
    plain = (site / "_site/2024/01/08/no-audio.html").read_text(encoding="utf-8")
    assert "Just words." in plain and "asr-" not in plain and '<div class="snippet"></div>' in plain

    feed = (site / "_site/feed.xml").read_text(encoding="utf-8")
    item = ET.fromstring(feed).find("channel/item")
    assert item is not None and item.find("enclosure").get("url") == "https://show.example/show/audio/two%20halves.mp3"
    tags = {t.get("type"): t.get("url") for t in item if t.tag.endswith("}transcript") or t.tag.endswith("}chapters")}
    assert tags == {
        "text/vtt": "https://show.example/show/assets/transcripts/two-halves.vtt",
        "application/json": "https://show.example/show/assets/transcripts/two-halves.json",
        "application/json+chapters": "https://show.example/show/assets/transcripts/two-halves.chapters.json",
    }
    assert not re.search(r"[^:]//", feed.replace("http://www.", "").replace("https://podcastindex.org", ""))  # no // from url's slash


@pytest.mark.jekyll
def test_the_bare_include_snippet_breaks_pages_without_a_transcript_and_the_guarded_one_does_not(tmp_path: Path) -> None:
    need("jekyll")
    files = {
        "_config.yml": "title: x\n",
        "_posts/2024-01-08-no-audio.md": "---\nlayout: post\ntitle: No audio\n---\nJust words.\n",
        "_posts/2024-01-01-one.md": "---\nlayout: post\ntitle: One\ntranscript:\n  include: transcripts/one.md\n---\nHi.\n",
        "_includes/transcripts/one.md": "ONE WORDS\n",
    }
    bare = make_site(tmp_path / "bare", {**files, "_layouts/post.html": "{{ content }}{% include {{ page.transcript.include }} %}\n"})
    assert jekyll_build(bare).returncode != 0
    guarded = "{{ content }}{% if page.transcript.include %}{% include {{ page.transcript.include }} %}{% endif %}\n"
    safe = make_site(tmp_path / "safe", {**files, "_layouts/post.html": guarded})
    done = jekyll_build(safe)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ONE WORDS" in (safe / "_site/2024/01/01/one.html").read_text(encoding="utf-8")
    shutil.rmtree(bare / "_site", ignore_errors=True)


def test_a_site_whose_posts_use_transcript_gets_another_key_and_keeps_their_values(tmp_path: Path) -> None:
    """Protection: detect.free_front_matter_key. Without it init leaves the default ``transcript``
    on a site whose posts already hold their own transcript links there: every such post is then
    kept (rightly) with a warning, ``check`` fails, and the new user's first build links nothing."""
    from .integrity import cli

    config = "title: Show\nurl: https://show.example\nlanguage: en\n"
    own = "transcript: /transcripts/ep1.txt\n"
    site = make_site(tmp_path, {
        "_config.yml": config,
        "_posts/2024-03-03-one.md": POST.format(title="One", front="audio: /media/one.mp3\n" + own),
        "media/one.mp3": Fixture("welcome.mp3"),
    })  # fmt: skip
    result = init_site(site)
    block = appended(site, config)
    assert "  front_matter_key: asr_transcript  #" in block
    assert any(line.startswith("front_matter_key: asr_transcript (_posts/2024-03-03-one.md uses transcript:") for line in result.detected)
    done = cli(site, "--model", "tiny.en", timeout=300)
    assert done.returncode == 0, done.stderr
    text = (site / "_posts/2024-03-03-one.md").read_text(encoding="utf-8")
    assert own in text and "asr_transcript:" in text


def test_a_site_built_before_keeps_the_default_key(tmp_path: Path) -> None:
    """The tool's own ``transcript:`` values do not count as the site's (init on a built site)."""
    from jekyll_asr.detect import free_front_matter_key

    mine = {"audio": "/a.mp3", "language": "en", "duration": 1.0, "words": 2, "model": "tiny.en"}
    assert free_front_matter_key([(Path("_posts/a.md"), {"transcript": mine})]) == (None, "")
    assert free_front_matter_key([(Path("_posts/a.md"), {"transcript": "mine"}), (Path("b.md"), {"asr_transcript": "x"})]) == ("jekyll_asr", "_posts/a.md")
