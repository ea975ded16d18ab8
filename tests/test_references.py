"""How documents point at audio: every shape the real sites use, resolved with the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.references import Reference, looks_like_audio, references_in_front_matter, theme_patterns
from jekyll_asr.site import scan_site_documents

from .sitefactory import Fixture, make_site


def _is_audio(site: Path):
    from jekyll_asr.audio import sniff

    return lambda rel: sniff(site / rel) is not None


def _linked(site: Path, overrides: dict | None = None) -> tuple[dict[str, list[list[str]]], list[str]]:
    settings = load_settings(site, overrides)
    scan = scan_site_documents(settings, _is_audio(site))
    docs = {d.path.as_posix(): [list(r) for r in d.recordings] for d in scan.documents}
    return docs, [f"{p.path}: {p.message}" for p in scan.problems]


@pytest.mark.parametrize(
    "front_matter, expected",
    [
        ({"podcast_link": "https://cdn.example.com/e1.mp3"}, ["https://cdn.example.com/e1.mp3"]),
        ({"enclosure": {"url": "https://s3.example.com/e1.m4a", "length": 1, "type": "audio/mp4"}}, ["https://s3.example.com/e1.m4a"]),
        ({"enclosure": "https://s3.example.com/e1.m4a"}, ["https://s3.example.com/e1.m4a"]),
        ({"podcast": {"file": "FTE 217, Day (of) the Moon.mp3", "episode": 217}}, ["FTE 217, Day (of) the Moon.mp3"]),
        ({"audio_files": [{"file_name": "a.mp3", "file_path": "/media/"}]}, ["/media/a.mp3", "a.mp3", "/media/"]),
        ({"audio": {"mp3": "x.mp3", "m4a": "x.m4a", "ogg": "x.ogg"}}, ["x.mp3", "x.m4a", "x.ogg"]),
        ({"media": "generic-2.mp3", "file": "https://x.org/y.mp3", "link": "https://example.com/about"}, ["generic-2.mp3", "https://x.org/y.mp3", "https://example.com/about"]),
        ({"title": "no audio", "tags": ["audio"]}, []),
    ],
)
def test_every_shape_of_front_matter_is_read(front_matter: dict, expected: list[str]) -> None:
    settings = load_settings(Path(__file__).parent / "fixtures")  # no _config.yml there: the defaults
    refs = references_in_front_matter(front_matter, settings.all_audio_keys)
    assert [r.raw for r in refs] == expected


def test_format_keyed_mapping_is_one_recording_in_several_encodings() -> None:
    refs = references_in_front_matter({"audio": {"mp3": "x.mp3", "ogg": "x.ogg"}}, ("audio",))
    assert len({r.group for r in refs}) == 1 and refs[0].group != 0 and all(r.strong for r in refs)


def test_a_generic_key_is_audio_only_when_it_says_so() -> None:
    assert looks_like_audio("https://dl.dropboxusercontent.com/u/1/Show%20Ep%202.mp3")
    assert looks_like_audio("https://traffic.libsyn.com/show/WKJ010")  # a podcast host
    assert not looks_like_audio("https://example.com/about/")


def test_real_site_conventions_link_with_no_configuration(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "_config.yml": "title: Show\nurl: https://show.example.com/\npodcast:\n  audio_folder: recordings\n",
        # bare names in the theme's folder, in several encodings
        "episodes/episode0.mp3": Fixture("welcome.mp3"),
        "episodes/episode0.ogg": Fixture("welcome.ogg"),
        "_posts/2016-03-22-episode0.md": "---\naudio:\n  mp3: episode0.mp3\n  ogg: episode0.ogg\n---\n",
        # a bare name under `media:` in podcasts/
        "podcasts/generic-2.mp3": Fixture("welcome.mp3"),
        "_posts/2015-02-24-filler.md": "---\nmedia: generic-2.mp3\nlength: 342312\n---\n",
        # extensionless: the theme appends .mp3 / .ogg
        "audio/free-software-song.mp3": Fixture("welcome.mp3"),
        "audio/free-software-song.ogg": Fixture("welcome.ogg"),
        "_posts/2017-02-10-second.md": "---\npodcast_link: /audio/free-software-song\n---\n",
        # a folder the site's own config names
        "recordings/ep9.wav": Fixture("goforward.wav"),
        "_posts/2020-01-01-nine.md": "---\npodcast:\n  file: ep9.wav\n---\n",
        # the site's own URL is a local file
        "_posts/2020-01-02-own.md": "---\nlink: https://show.example.com/episodes/episode0.mp3\n---\n",
        # remote audio, and a link that is not audio
        "_posts/2020-01-03-remote.md": "---\nlink: https://cdn.example.com/s/Ep%202.mp3\n---\n[about](https://example.com/about)\n",
        "_posts/2020-01-04-page-link.md": "---\nlink: https://example.com/an-article\n---\n",
    })
    docs, problems = _linked(tmp_path)
    assert docs == {
        "_posts/2016-03-22-episode0.md": [["episodes/episode0.mp3", "episodes/episode0.ogg"]],
        "_posts/2015-02-24-filler.md": [["podcasts/generic-2.mp3"]],
        "_posts/2017-02-10-second.md": [["audio/free-software-song.mp3", "audio/free-software-song.ogg"]],
        "_posts/2020-01-01-nine.md": [["recordings/ep9.wav"]],
        "_posts/2020-01-02-own.md": [["episodes/episode0.mp3"]],
        "_posts/2020-01-03-remote.md": [["https://cdn.example.com/s/Ep%202.mp3"]],
    }
    assert problems == []


def test_the_theme_layout_makes_page_variables_references(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "_includes/player.html": '<audio controls><source src="/assets/audio/{{page.filename}}.mp3" type="audio/mp3" /></audio>\n',
        "_layouts/post.html": "{% include player.html %}\n{{ content }}\n",
        "assets/audio/ep2.mp3": Fixture("welcome.mp3"),
        "_posts/2020-05-26-hello.md": "---\nlayout: post\nfilename: ep2\n---\n",
    })
    patterns = theme_patterns(tmp_path, {})
    assert [(p.var, p.prefix, p.suffix) for p in patterns] == [("filename", "/assets/audio/", ".mp3")]
    docs, problems = _linked(tmp_path)
    assert docs == {"_posts/2020-05-26-hello.md": [["assets/audio/ep2.mp3"]]} and problems == []


def test_what_cannot_be_used_is_named(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "_posts/2020-01-01-typo.md": "---\naudio: /assets/audio/epsiode-1.mp3\n---\n",
        "assets/audio/big.mp3": "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
        "_posts/2020-01-02-lfs.md": "---\naudio: /assets/audio/big.mp3\n---\n",
    })
    docs, problems = _linked(tmp_path)
    assert docs == {}
    assert any("typo.md" in p and "epsiode-1.mp3" in p and "no such file" in p for p in problems)
    assert any("lfs.md" in p and "git lfs pull" in p for p in problems)


def test_audio_keys_add_to_the_defaults_or_replace_them(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "assets/a.mp3": Fixture("welcome.mp3"),
        "_posts/2020-01-01-a.md": "---\nsermon_recording: /assets/a.mp3\n---\n",
        "_posts/2020-01-02-b.md": "---\naudio: /assets/a.mp3\n---\n",
    })
    assert set(_linked(tmp_path)[0]) == {"_posts/2020-01-02-b.md"}
    assert set(_linked(tmp_path, {"audio_keys": ["sermon_recording"]})[0]) == {"_posts/2020-01-01-a.md", "_posts/2020-01-02-b.md"}
    only = _linked(tmp_path, {"audio_keys": ["sermon_recording"], "replace_audio_keys": True})[0]
    assert set(only) == {"_posts/2020-01-01-a.md"}


def test_references_keep_their_origin() -> None:
    (ref,) = references_in_front_matter({"podcast": {"file": "x.mp3"}}, ("podcast",))
    assert ref == Reference("x.mp3", "podcast.file", False, 0)


def test_bare_names_the_site_hosts_elsewhere_become_urls(tmp_path: Path) -> None:
    """Octopod's `download_url`: the same bare name is a file elsewhere when no local folder has it."""
    make_site(tmp_path, {
        "_config.yml": "title: T\ndownload_url: https://hosting.example.net/episodes/\n",
        "episodes/local.mp3": Fixture("welcome.mp3"),
        "_posts/2016-03-22-a.md": "---\naudio:\n  mp3: local.mp3\n---\n",
        "_posts/2016-03-23-b.md": "---\naudio:\n  mp3: Episode 1.mp3\n  ogg: Episode 1.ogg\n---\n",
    })
    docs, problems = _linked(tmp_path)
    assert docs == {
        "_posts/2016-03-22-a.md": [["episodes/local.mp3"]],
        "_posts/2016-03-23-b.md": [["https://hosting.example.net/episodes/Episode%201.mp3", "https://hosting.example.net/episodes/Episode%201.ogg"]],
    }
    assert problems == []


def test_show_notes_links_are_not_a_second_recording(tmp_path: Path) -> None:
    """A real episode linked a conference talk's .webm in its notes; another site's writeup had a
    `<video><source src=poc.mp4>`: neither is the episode's audio."""
    make_site(tmp_path, {
        "_config.yml": "title: T\ncollections:\n  episodes: {output: true}\n",
        "assets/ep2.mp3": Fixture("welcome.mp3"),
        "assets/ep1.mp3": Fixture("welcome.mp3"),
        "assets/poc.mp4": Fixture("welcome.m4a"),
        "_episodes/ep2.md": "---\nfile: https://cdn.example.com/ep2.mp3\n---\n"
                            "- [the talk](https://ftp.example.org/fosdem/talk.webm)\n- [last week](/assets/ep1.mp3)\n",
        "_posts/2020-01-01-writeup.md": "---\ntitle: W\n---\n<video controls><source src=\"/assets/poc.mp4\" type=\"video/mp4\"></video>\n",
        "_posts/2020-01-02-notes-only.md": "---\ntitle: N\n---\nListen: [episode 1](/assets/ep1.mp3)\n",
    })
    docs, problems = _linked(tmp_path)
    assert docs == {
        "_episodes/ep2.md": [["https://cdn.example.com/ep2.mp3"]],
        "_posts/2020-01-02-notes-only.md": [["assets/ep1.mp3"]],  # with nothing else named, a link to audio is the audio
    }
    assert problems == []


def test_a_key_only_the_sites_own_feed_uses_is_read(tmp_path: Path) -> None:
    """A real template names the audio `audioFile:`, used only in its feeds' <enclosure>."""
    make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "podcast.xml": "---\nlayout: null\n---\n<rss><channel>{% for post in site.posts %}<item>\n"
                       "<enclosure url=\"{{ post.audioFile }}\" length=\"{{ post.fileSize }}\" type=\"audio/mpeg\"/>\n"
                       "</item>{% endfor %}</channel></rss>\n",
        "_posts/2020-01-01-a.md": "---\naudioFile: https://media.example.com/a.mp3\nfileSize: 123\n---\n",
    })
    docs, problems = _linked(tmp_path)
    assert docs == {"_posts/2020-01-01-a.md": [["https://media.example.com/a.mp3"]]} and problems == []


def test_names_with_hash_question_mark_and_percent_are_files_not_url_parts(tmp_path: Path) -> None:
    """Protection: resolver.Resolver.resolve tries the reference as a literal file name when
    splitting it as a URL (``#`` fragment, ``?`` query) names no file. Without it a post whose
    front matter says ``audio: "/assets/audio/ep #1 ?100%.mp3"`` (the file's real name) is
    silently skipped: no transcript, no warning, no player link."""
    name = "ep #1 ?100%.mp3"
    make_site(tmp_path, {
        "_config.yml": "title: T\n",
        f"assets/audio/{name}": Fixture("welcome.mp3"),
        "assets/audio/plain.mp3": Fixture("welcome.mp3"),
        "_posts/2020-01-01-raw.md": f'---\naudio: "/assets/audio/{name}"\n---\n',
        "_posts/2020-01-02-bare.md": f'---\naudio: "{name}"\n---\n',
        "_posts/2020-01-03-encoded.md": "---\naudio: /assets/audio/ep%20%231%20%3F100%25.mp3\n---\n",
        "_posts/2020-01-04-html.md": '---\ntitle: H\n---\n<audio src="/assets/audio/ep%20%231%20%3F100%25.mp3"></audio>\n',
        "_posts/2020-01-05-query.md": "---\naudio: /assets/audio/plain.mp3?v=2#t=10\n---\n",  # a real query and fragment
        "_posts/2020-01-06-missing.md": '---\naudio: "/assets/audio/ep #2.mp3"\n---\n',
    })
    docs, problems = _linked(tmp_path)
    assert docs == {
        "_posts/2020-01-01-raw.md": [[f"assets/audio/{name}"]],
        "_posts/2020-01-02-bare.md": [[f"assets/audio/{name}"]],
        "_posts/2020-01-03-encoded.md": [[f"assets/audio/{name}"]],
        "_posts/2020-01-04-html.md": [[f"assets/audio/{name}"]],
        "_posts/2020-01-05-query.md": [["assets/audio/plain.mp3"]],
    }
    assert len(problems) == 1 and "missing.md" in problems[0] and "ep #2.mp3" in problems[0] and "no such file" in problems[0]
