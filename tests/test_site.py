import os
from pathlib import Path

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.errors import PathError
from jekyll_asr.site import references_in_body, resolve_reference, scan_documents

from .sitefactory import Fixture, make_site


def _is_audio(site: Path):
    from jekyll_asr.audio import sniff

    return lambda rel: sniff(site / rel) is not None


def test_body_references() -> None:
    body = """
<audio controls src="/a/one.mp3"></audio>
<audio controls><source src='{{ "/a/two.ogg" | relative_url }}' type="audio/ogg"></audio>
Listen [here](/a/three.m4a "Episode") or ![](four.wav).
[ref]: /a/five.flac
{% include player.html file="/a/six.mp3" title='x' %}
"""
    refs = [r.raw for r in references_in_body(body)]
    for name in ("/a/one.mp3", "/a/two.ogg", "/a/three.m4a", "four.wav", "/a/five.flac", "/a/six.mp3"):
        assert name in refs


def test_documents_and_their_audio(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "_config.yml": "baseurl: /blog\ncollections:\n  episodes: {output: true}\n",
        "assets/ep1.mp3": Fixture("welcome.mp3"),
        "assets/ep2.wav": Fixture("goforward.wav"),
        "assets/notes.mp3": Fixture("not-audio.mp3"),
        "_posts/2026-01-01-a.md": "---\ntitle: A\naudio: /blog/assets/ep1.mp3\n---\nhi\n",
        "_posts/2026-01-02-b.md": "---\ntitle: B\n---\n<audio src=\"{{ site.baseurl }}/assets/ep2.wav\"></audio> [notes](/assets/notes.mp3)\n",
        "_episodes/c.md": "---\npodcast_file: {url: /assets/ep1.mp3}\n---\n",
        "about.md": "---\ntitle: About\n---\nno audio\n",
        "_drafts/d.md": "---\n---\n[x](../assets/ep2.wav)\n",
        "_includes/player.html": "<audio src='/assets/ep1.mp3'>",
        "plain.md": "no front matter [x](/assets/ep1.mp3)\n",
    })
    settings = load_settings(tmp_path)
    docs, problems = scan_documents(settings, _is_audio(tmp_path))
    found = {d.path.as_posix(): list(d.audio) for d in docs}
    assert found == {
        "_posts/2026-01-01-a.md": ["assets/ep1.mp3"],
        "_posts/2026-01-02-b.md": ["assets/ep2.wav"],
        "_episodes/c.md": ["assets/ep1.mp3"],
        "_drafts/d.md": ["assets/ep2.wav"],
    }
    assert problems == []


def test_references_outside_the_site_are_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    make_site(tmp_path, {"secret.mp3": Fixture("welcome.mp3"), "site/_config.yml": "", "site/assets/x.txt": "x"})
    os.symlink(tmp_path / "secret.mp3", site / "assets" / "link.mp3")
    settings = load_settings(site)
    with pytest.raises(PathError, match="outside the site"):
        resolve_reference(settings, Path("_posts/a.md"), "../../secret.mp3")
    with pytest.raises(PathError, match="outside the site"):
        resolve_reference(settings, Path("_posts/a.md"), "/assets/link.mp3")
    with pytest.raises(PathError, match="outside the site"):
        resolve_reference(settings, Path("_posts/a.md"), str(tmp_path / "secret.mp3"))
    assert resolve_reference(settings, Path("a.md"), "https://cdn.example.com/x.mp3") is None
