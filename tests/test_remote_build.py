"""Audio hosted elsewhere, end to end: a site of 1,000 posts linking URLs on a local server.

The first build downloads every URL and transcribes each distinct content once;
the second makes no request and transcribes nothing; a fresh clone with the
committed cache and URL index builds with the network off.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from jekyll_asr.build import build
from jekyll_asr.config import load_settings

from .audioserver import AudioServer
from .sitefactory import FIXTURES, make_site

pytestmark = pytest.mark.slow

POSTS = 1000
CONTENTS = ["cards-001.wav", "cards-003.wav", "goforward.wav"]


def _site(root: Path, base: str) -> Path:
    files = {"_config.yml": "title: Network\nurl: https://network.example.com\n"}
    for n in range(POSTS):
        files[f"_posts/2020-01-01-episode-{n:04d}.md"] = (
            f"---\ntitle: Episode {n}\nenclosure:\n  url: {base}/media/ep{n:04d}.wav\n  length: 1\n---\nShow notes {n}.\n"
        )
    files["about.md"] = "---\ntitle: About\n---\nNo audio here.\n"
    return make_site(root, files)


def _served() -> dict[str, bytes]:
    return {f"/media/ep{n:04d}.wav": (FIXTURES / CONTENTS[n % len(CONTENTS)]).read_bytes() for n in range(POSTS)}


def _snapshot(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and ".jekyll-asr/local" not in p.as_posix()
    }


def test_a_thousand_linked_episodes_then_nothing_then_offline(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    with AudioServer(_served()) as server:
        site = _site(tmp_path / "site", server.url)
        settings = load_settings(site, {"model": "tiny.en", "downloads_dir": str(downloads)})
        first = build(settings, say=lambda m: None)
        assert first.failed == []
        assert len(first.transcribed) == len(CONTENTS)  # identical audio is transcribed once
        assert len(first.transcribed) + len(first.cached) == POSTS
        gets = [r for r in server.requests if r[0] == "GET"]
        assert len({r[1] for r in gets}) == POSTS  # every URL fetched
        assert not any(downloads.rglob("*.wav")) and not [p for p in downloads.glob("??/*") if p.is_file()]  # copies deleted

        post = (site / "_posts/2020-01-01-episode-0007.md").read_text()
        value = yaml.safe_load(post.split("---\n")[1])["transcript"]
        assert value["audio"] == f"{server.url}/media/ep0007.wav"  # the URL the post uses
        assert (site / "_includes" / value["include"]).is_file()
        assert value["words"] > 0 and value["bytes"] == len(_served()["/media/ep0007.wav"])
        assert (site / "about.md").read_text() == "---\ntitle: About\n---\nNo audio here.\n"
        index = (site / ".jekyll-asr/urls.json").read_text()
        assert index.count('"sha256"') == POSTS and index.startswith("{\n")  # text, committable

        before = server.count()
        second = build(settings, say=lambda m: None)
        assert server.count() == before  # no request at all
        assert second.transcribed == [] and not second.model_loaded and second.failed == []
        assert second.outputs == [] and second.documents == []
        committed = _snapshot(site)

    # A fresh clone: the committed cache, URL index and outputs, no machine-local state, no network.
    clone = tmp_path / "clone"
    shutil.copytree(site, clone, ignore=shutil.ignore_patterns("local"))
    offline = build(load_settings(clone, {"model": "tiny.en", "downloads_dir": str(downloads)}), say=lambda m: None)
    assert offline.failed == [] and offline.transcribed == [] and not offline.model_loaded
    assert _snapshot(clone) == committed


def test_unreachable_audio_fails_alone_with_one_line_naming_the_post(tmp_path: Path) -> None:
    with AudioServer({"/ok.mp3": (FIXTURES / "welcome.mp3").read_bytes(), "/page.mp3": b"<!doctype html><html>Moved</html>"}) as server:
        site = make_site(tmp_path / "site", {
            "_config.yml": "title: T\n",
            "_posts/2020-01-01-ok.md": f"---\naudio: {server.url}/ok.mp3\n---\n",
            "_posts/2020-01-02-gone.md": f"---\naudio: {server.url}/gone.mp3\n---\n",
            "_posts/2020-01-03-page.md": f"---\naudio: {server.url}/page.mp3\n---\n",
        })
        report = build(load_settings(site, {"model": "tiny.en", "downloads_dir": str(tmp_path / "dl")}), say=lambda m: None)
    failed = {f.path: f.error for f in report.failed}
    assert set(failed) == {f"{server.url}/gone.mp3", f"{server.url}/page.mp3"}
    assert "404" in failed[f"{server.url}/gone.mp3"] and "2020-01-02-gone.md" in failed[f"{server.url}/gone.mp3"]
    assert "not audio" in failed[f"{server.url}/page.mp3"] or "HTML" in failed[f"{server.url}/page.mp3"]
    assert all("\n" not in e for e in failed.values())
    assert report.transcribed == [f"{server.url}/ok.mp3"] and report.exit_code == 1
    assert "transcript:" in (site / "_posts/2020-01-01-ok.md").read_text()
    assert "transcript:" not in (site / "_posts/2020-01-02-gone.md").read_text()


def test_a_mirror_map_skips_the_network(tmp_path: Path) -> None:
    mirror = make_site(tmp_path / "mirror", {"shows/ep1.mp3": (FIXTURES / "welcome.mp3").read_bytes()})
    site = make_site(tmp_path / "site", {
        "_config.yml": f"title: T\nasr:\n  remote: mirror\n  mirrors:\n    'https://cdn.example.com/audio/': {mirror / 'shows'}\n",
        "_posts/2020-01-01-one.md": "---\nenclosure:\n  url: https://cdn.example.com/audio/ep1.mp3\n---\n",
    })
    report = build(load_settings(site, {"model": "tiny.en", "downloads_dir": str(tmp_path / "dl")}), say=lambda m: None)
    assert report.failed == [] and report.transcribed == ["https://cdn.example.com/audio/ep1.mp3"]
    assert (mirror / "shows/ep1.mp3").is_file()  # a mirror file is never deleted
    assert "audio: https://cdn.example.com/audio/ep1.mp3" in (site / "_posts/2020-01-01-one.md").read_text()


def test_audio_hosted_elsewhere_with_a_local_copy_is_not_downloaded(tmp_path: Path) -> None:
    """jekyll-podcast's layout: `podcast.file` is a bare name, the config names the host, and the
    podcaster's own copy sits in `_episodes/` (which Jekyll does not publish)."""
    site = make_site(tmp_path / "site", {
        "_config.yml": "title: T\npodcast:\n  remote_episode_host: https://objects.example.invalid\n",
        "_episodes/FTE 230, Digby (Dog).mp3": (FIXTURES / "welcome.mp3").read_bytes(),
        "_posts/2020-01-01-fte-230.md": "---\npodcast:\n  file: FTE 230, Digby (Dog).mp3\n---\n",
    })
    report = build(load_settings(site, {"model": "tiny.en", "downloads_dir": str(tmp_path / "dl")}), say=lambda m: None)
    assert report.failed == [] and report.transcribed == ["_episodes/FTE 230, Digby (Dog).mp3"]
    value = yaml.safe_load((site / "_posts/2020-01-01-fte-230.md").read_text().split("---\n")[1])["transcript"]
    assert value["audio"] == "https://objects.example.invalid/FTE%20230%2C%20Digby%20%28Dog%29.mp3"  # what the page plays
    assert value["transcribed_from"].startswith("/_episodes/FTE%20230")
