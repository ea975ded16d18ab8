"""``jekyll-asr init``: appends the asr: block as text and copies the site files, once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jekyll_asr.cli import main
from jekyll_asr.config import load_settings
from jekyll_asr.errors import ConfigError, UsageError
from jekyll_asr.feeds import gemfile_plugins, read_feed
from jekyll_asr.init import init_site, shipped_files, site_templates
from tests.sitefactory import Fixture, make_site

USER_CONFIG = """# My podcast -- comments and key order must survive.
title: "Side Project FM"   # shown in the header
lang: de-DE
baseurl: /podcast
exclude: [drafts]          # keep drafts out
"""
CORE = {
    "_includes/asr/audio-player.html", "_includes/asr/transcript.html", "_includes/asr/podcast-tags.xml", "_includes/asr/assets.html",
    "assets/js/jekyll-asr.js", "assets/css/jekyll-asr.css",
}  # fmt: skip


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_appends_block_keeps_config_bytes_and_a_second_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path, {"_config.yml": USER_CONFIG})
    assert main(["init", str(site)]) == 0
    config = (site / "_config.yml").read_text(encoding="utf-8")
    assert config.startswith(USER_CONFIG)  # every byte, comment and key order kept
    assert config.count("\nasr:\n") == 1
    assert "include:" not in config  # the default, the whole published source, is what a site wants
    settings = load_settings(site)  # the block is valid for config.py
    assert settings.language is None  # `lang: de-DE` is the pages' language, not necessarily the audio's
    assert "language: auto  # no podcast language declared: detected per file (lang: de-DE is" in config
    assert settings.include == ("**",)
    assert settings.baseurl == "/podcast"
    assert set(snapshot(site)) >= CORE
    assert (site / "feed.xml").is_file()  # no jekyll-feed: the podcast feed is installed
    assert not (site / "_plugins").exists()  # the plugin is opt-in
    out = capsys.readouterr().out
    assert "Next:" in out
    assert "warning: _config.yml has no url: feeds then carry relative URLs podcast apps cannot fetch" in out

    before = snapshot(site)
    result = init_site(site)
    assert not result.changed and not result.written and not result.config_appended
    assert set(result.unchanged) == CORE | {"feed.xml"}
    assert snapshot(site) == before


def test_copies_are_the_shipped_files(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"_config.yml": "title: x\n"})
    init_site(site, plugin=True)
    for rel in shipped_files():
        assert (site / rel).read_bytes() == (site_templates() / rel).read_bytes()
    assert (site / "_plugins" / "jekyll_asr.rb").is_file()


def test_never_overwrites_the_sites_own_files_unless_forced(tmp_path: Path) -> None:
    mine = "<p>my own player</p>\n"
    site = make_site(tmp_path, {"_config.yml": "title: x\n", "_includes/asr/audio-player.html": mine, "feed.xml": "my feed\n"})
    result = init_site(site)
    assert set(result.kept) == {"_includes/asr/audio-player.html"}
    assert ("feed.xml", "the site has its own feed (feed.xml); --feed adds jekyll-asr's podcast feed.xml anyway") in result.skipped
    assert (site / "_includes/asr/audio-player.html").read_text() == mine
    assert (site / "feed.xml").read_text() == "my feed\n"
    forced = init_site(site, force=True)
    assert "_includes/asr/audio-player.html" in forced.written
    assert (site / "_includes/asr/audio-player.html").read_bytes() == (site_templates() / "_includes/asr/audio-player.html").read_bytes()
    assert (site / "feed.xml").read_text() == "my feed\n"  # --force alone never replaces a feed
    asked = init_site(site, feed=True, force=True)  # both: the user asked for ours in its place
    assert asked.written == ("feed.xml",)
    assert (site / "feed.xml").read_bytes() == (site_templates() / "feed.xml").read_bytes()


def test_existing_asr_block_is_left_alone(tmp_path: Path) -> None:
    config = "title: x\nasr:\n  model: base   # mine\n"
    site = make_site(tmp_path, {"_config.yml": config})
    result = init_site(site, model="tiny.en")
    assert not result.config_appended
    assert (site / "_config.yml").read_text() == config


def test_jekyll_feed_sites_keep_their_feed_unless_asked(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"_config.yml": "title: x\nplugins:\n  - jekyll-feed\n"})
    result = init_site(site)
    assert not (site / "feed.xml").exists()
    assert [p for p, _ in result.skipped] == ["_plugins/jekyll_asr.rb", "feed.xml"]
    init_site(site, feed=True)
    assert "podcast:transcript" in (site / "feed.xml").read_text(encoding="utf-8")


def test_no_trailing_newline_crlf_and_jekyll_dirs(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"_config.yml": b"title: x\r\nincludes_dir: _parts\r\nurl: https://example.org"})
    init_site(site, model="tiny.en", language="en")
    raw = (site / "_config.yml").read_bytes()
    assert raw.startswith(b"title: x\r\nincludes_dir: _parts\r\nurl: https://example.org\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # the file's own line ends
    data = yaml.safe_load(raw)
    assert data["url"] == "https://example.org" and data["asr"]["model"] == "tiny.en" and data["asr"]["language"] == "en"
    assert (site / "_parts" / "asr" / "transcript.html").is_file()  # Jekyll's includes_dir
    assert not (site / "_includes").exists()


def test_refuses_configs_it_cannot_append_to(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no _config\.yml"):
        init_site(make_site(tmp_path / "a", {"index.md": "hi\n"}))
    ended = "title: x\n...\n"  # an explicit YAML document end: an appended block would not be read
    site = make_site(tmp_path / "b", {"_config.yml": ended})
    with pytest.raises(ConfigError, match="by hand"):
        init_site(site)
    assert (site / "_config.yml").read_text() == ended
    with pytest.raises(UsageError, match="does not exist"):
        init_site(tmp_path / "missing")


def test_example_site_is_what_init_installs(tmp_path: Path) -> None:
    """example_site carries the shipped files unchanged: they cannot drift apart."""
    example = Path(__file__).resolve().parents[1] / "example_site"
    for rel in shipped_files():
        if rel.parts[0] != "_plugins":
            assert (example / rel).read_bytes() == (site_templates() / rel).read_bytes(), rel
    load_settings(example)


# ---- the trial on real sites: loop variables, theme layouts, plugins, sites without audio, --dry-run ----

EPISODE = {"_posts/2024-01-01-one.md": "---\ntitle: One\naudio: /media/one.mp3\n---\nNotes.\n", "media/one.mp3": Fixture("welcome.mp3")}
RSS = '---\nlayout: null\n---\n<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>\n{items}\n</channel></rss>\n'
CONTRIBUTORS = """{%- for post in site.posts %}<item>
  {%- assign contributors = post.contributors | sort: 'name' %}
  {%- for contributor in contributors %}<atom:contributor>{{ contributor.name }}</atom:contributor>{%- endfor %}
  <enclosure url="{{ post.enclosure.url }}" type="audio/mpeg" length="{{ post.enclosure.length }}" />
</item>{%- endfor %}"""
TAGS = """{% for ep in site.categories.podcast %}<item>
  {% for category in ep.tags %}<category>{{ category }}</category>{% endfor %}
  <enclosure url="{{ ep.podcast_link }}" length="{{ ep.podcast_length }}" type="audio/mpeg"/>
</item>{% endfor %}"""
PER_FILE = """{% for post in site.posts %}<item>{% for file in post.audio %}
  <enclosure url="{{ site.url }}/episodes/{{ file.last }}" length="{{ post.filesize[file.first] }}"/>
{% endfor %}</item>{% endfor %}"""
OTHER_LOOP_OPEN = """{% for post in site.posts %}<item>{% for tag in site.tags %}
  <enclosure url="{{ post.mp3 | prepend: site.url }}"/>
{% endfor %}</item>{% endfor %}"""


@pytest.mark.parametrize(
    ("items", "var"),
    [(CONTRIBUTORS, "post"), (TAGS, "ep"), (PER_FILE, "post"), (OTHER_LOOP_OPEN, "post")],
    ids=["closed-inner-loop", "closed-tags-loop", "loop-over-the-items-files", "open-loop-the-enclosure-does-not-use"],
)
def test_the_include_takes_the_item_loops_variable(tmp_path: Path, items: str, var: str) -> None:
    """stdout.fm closes a contributors loop before the <enclosure>; joebuhlig's feed a tags loop."""
    site = make_site(tmp_path, {"_config.yml": "title: x\nurl: https://x.example\n", "feed.xml": RSS.format(items=items), **EPISODE})
    feed = read_feed(site, "feed.xml", {})
    assert feed is not None and feed.loop_var == var
    assert f"transcript={var}.transcript %}} inside its item loop" in init_site(site).notes[0]


def test_feeds_whose_layout_is_the_themes_are_named_with_where_the_tags_go(tmp_path: Path) -> None:
    """jekyll-octopod: `episodes.{mp3,m4a,ogg}.rss` hold only front matter; `layout: feed` is in the theme gem."""
    config = "title: Octopod\nurl: https://x.example\ntheme: jekyll-octopod-bulma\nplugins:\n  - jekyll-octopod\n"
    site = make_site(tmp_path, {
        "_config.yml": config,
        **{f"episodes.{fmt}.rss": f"---\nlayout: feed\nformat: {fmt}\n---\n" for fmt in ("mp3", "m4a", "ogg")},
        "sitemap.xml": "---\nlayout: sitemap\n---\n",  # not named like a feed
        **EPISODE,
    })  # fmt: skip
    result = init_site(site)
    names = "episodes.mp3.rss, episodes.m4a.rss, episodes.ogg.rss"
    assert result.notes == (f"feed {names}: its layout `feed` comes from the theme (a gem): put the tags in that layout (copy it into _layouts/ first)",)
    assert ("feed.xml", f"the site has its own feed ({names}); --feed adds jekyll-asr's podcast feed.xml anyway") in result.skipped
    layout = (
        '<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">\n'
        '{% for post in site.posts %}<item>\n<enclosure url="{{ post.audio[page.format] }}"/>\n</item>{% endfor %}</rss>\n'
    )
    make_site(site, {"_layouts/feed.xml": layout})  # copied from the gem: now the line is known
    line = "{% include asr/podcast-tags.xml transcript=post.transcript %}"
    assert init_site(site).notes == (f"podcast feed {names}: put {line} inside its item loop, next to the <enclosure> at _layouts/feed.xml:3",)


@pytest.mark.parametrize(
    ("gemfile", "plugins"),
    [
        ("source 'https://rubygems.org'\ngem 'jekyll'\ngem 'jekyll-feed'\ngem 'jekyll-seo-tag'\n", []),  # PandaSekh/Jekyll-Podcaster
        ('group :jekyll_plugins do\n  gem "jekyll-feed", "~> 0.12"\n  gem "jekyll-timeago"\nend\ngem "minima"\n', ["jekyll-feed", "jekyll-timeago"]),
        ('gem "jekyll-feed", group: :jekyll_plugins\ngem "jekyll-sitemap", :group => :jekyll_plugins # sitemap\n', ["jekyll-feed", "jekyll-sitemap"]),
        ('group :jekyll_plugins do\n  platforms :ruby do\n    gem "a"\n  end\n  gem "b"\nend\ngem "c"\n', ["a", "b"]),
        ('# gem "jekyll-feed", group: :jekyll_plugins\ngroup :test do\n  gem "jekyll-feed"\nend\n', []),
    ],
)
def test_only_gems_jekyll_loads_count_as_plugins(gemfile: str, plugins: list[str]) -> None:
    assert gemfile_plugins(gemfile) == plugins


def test_a_jekyll_feed_gem_outside_the_plugins_group_is_not_jekyll_feed(tmp_path: Path) -> None:
    """Jekyll-Podcaster: `gem 'jekyll-feed'` at the Gemfile's top level, `plugins:` without it: the site has no feed."""
    gemfile = "source 'https://rubygems.org'\ngemspec\ngem 'jekyll'\ngem 'jekyll-feed'\ngem 'jekyll-sitemap'\n"
    config = "title: x\nurl: https://x.example\nplugins: [jekyll-paginate, jekyll-seo-tag, jekyll-sitemap]\n"
    site = make_site(tmp_path / "top", {"_config.yml": config, "Gemfile": gemfile, **EPISODE})
    result = init_site(site)
    assert "feed.xml" in result.written and not any("jekyll-feed" in n for n in result.notes)
    grouped = gemfile.replace("gem 'jekyll-feed'\n", "group :jekyll_plugins do\n  gem 'jekyll-feed'\nend\n")
    site = make_site(tmp_path / "group", {"_config.yml": config, "Gemfile": grouped, **EPISODE})
    result = init_site(site)
    assert not (site / "feed.xml").exists()
    assert ("feed.xml", "the site uses jekyll-feed; --feed installs a podcast feed.xml that takes its place") in result.skipped


def test_a_plugin_that_makes_the_feed_gets_no_second_one(tmp_path: Path) -> None:
    """nathan-bottomley/jekyll-podcast generates /feed/podcast: no feed.xml of ours beside it unless asked."""
    config = "title: FTE\nurl: https://fte.example\nplugins: [jekyll-podcast]\npodcast:\n  language: en-AU\n"
    site = make_site(tmp_path, {"_config.yml": config, **EPISODE})
    result = init_site(site)
    assert not (site / "feed.xml").exists()
    assert ("feed.xml", "the jekyll-podcast plugin makes this site's feed; --feed adds jekyll-asr's podcast feed.xml anyway") in result.skipped
    assert result.notes == ("the jekyll-podcast plugin makes this site's feed: add the tags to its template, or pass --feed",)
    assert "feed.xml" in init_site(site, feed=True).written


def test_a_site_whose_documents_link_no_audio_is_told_so_first(tmp_path: Path) -> None:
    """MorseCodePodcast: six feeds build archive.org URLs from `today:`; no post links audio itself."""
    item = '{% for post in site.posts %}<item><enclosure url="https://archive.org/download/{{ post.today }}.{wpm}.mp3"/></item>{% endfor %}'
    feeds = {f"rss/{wpm:02d}WPM.xml": RSS.format(items=item.replace("{wpm}", str(wpm))) for wpm in (5, 10, 15, 20, 25, 30)}
    post = '---\ntitle: "2021-03-12"\ntoday: "2021-03-12"\nfile:\nfile_itunes:\nlength: "11444"\n---\nA quote.\n'
    site = make_site(tmp_path, {"_config.yml": "title: Morse\nurl: https://m.example\nplugins:\n  - jekyll-feed\n", "_posts/2021-03-12-Post.md": post, **feeds})
    assert init_site(site).notes == (
        "no document links audio yet: see README 'Sites you already have'",
        "the transcript tags go in rss/05WPM.xml, rss/10WPM.xml, rss/15WPM.xml and 3 more once documents link audio: "
        "run `jekyll-asr init` again then to see where",
    )
    make_site(site, EPISODE)
    notes = init_site(site).notes
    assert len(notes) == 13 and notes[0].startswith("podcast feed rss/05WPM.xml: put") and "no document" not in "\n".join(notes)


def test_dry_run_changes_nothing_and_says_what_a_run_would_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = "title: Sermons\nurl: https://church.example\nlanguage: en\n"
    site = make_site(tmp_path, {  # an audio key init detects: the dry run counts it without writing it
        "_config.yml": config,
        "_posts/2024-03-03-grace.md": "---\ntitle: Grace\nsermon_audio: /sermons/grace.mp3\n---\nNotes.\n",
        "sermons/grace.mp3": Fixture("welcome.mp3"),
    })  # fmt: skip
    before = snapshot(site)
    dry = init_site(site, dry_run=True)
    assert snapshot(site) == before
    assert dry.dry_run and dry.config_appended and not dry.changed and set(dry.written) == CORE | {"feed.xml"}
    assert "audio_keys: [sermon_audio]" in dry.block and not any("no document" in n for n in dry.notes)
    assert main(["init", "--dry-run", str(site)]) == 0
    out = capsys.readouterr().out
    assert snapshot(site) == before
    assert out.startswith("dry run: nothing was changed\nwould append to _config.yml:\n# jekyll-asr:")
    assert "\nasr:\n" in out and "\n  audio_keys: [sermon_audio]" in out and "would write feed.xml" in out and "Next:" not in out
    done = init_site(site)
    assert (site / "_config.yml").read_text(encoding="utf-8") == config + dry.block
    assert done.written == dry.written and done.notes == dry.notes
    again = init_site(site, dry_run=True)
    assert "already has an asr: block; would leave it as it is" in again.summary() and not again.written
