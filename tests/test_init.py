"""``jekyll-asr init``: appends the asr: block as text and copies the site files, once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jekyll_asr.cli import main
from jekyll_asr.config import load_settings
from jekyll_asr.errors import ConfigError, UsageError
from jekyll_asr.init import init_site, shipped_files, site_templates
from tests.sitefactory import make_site

USER_CONFIG = """# My podcast -- comments and key order must survive.
title: "Side Project FM"   # shown in the header
lang: de-DE
baseurl: /podcast
exclude: [drafts]          # keep drafts out
"""
CORE = {"_includes/asr/audio-player.html", "_includes/asr/transcript.html", "_includes/asr/podcast-tags.xml", "_includes/asr/assets.html", "assets/js/jekyll-asr.js", "assets/css/jekyll-asr.css"}


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
    assert CORE <= set(snapshot(site))
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
    with pytest.raises(UsageError, match="no _config.yml"):
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
