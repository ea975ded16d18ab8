import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.errors import PathError
from jekyll_asr.site import references_in_body, resolve_reference, scan_documents, tool_value

from .integrity import cli, report
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


# ---------------------------------------------------------------- the author's posts during a build

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n"


def seed(site: Path, rel: str = "assets/audio/a.wav", text: str = "five five", tags: Any = None) -> None:
    """Store a cache entry under exactly the key a build computes for ``rel``, so no model runs."""
    from jekyll_asr.build import scan_site, word_settings
    from jekyll_asr.cache import TranscriptCache, settings_key
    from jekyll_asr.engines import resolve_engine
    from jekyll_asr.render import plan_outputs
    from jekyll_asr.statindex import StatIndex
    from jekyll_asr.transcript import AudioTags, Segment, Transcript

    settings = load_settings(site)
    site_audio = scan_site(settings, StatIndex(site / ".jekyll-asr/local/seed-index.json"))
    (plan,) = [p for p in plan_outputs(settings, site_audio.files, site_audio.documents) if p.key == rel]
    engine, _ = resolve_engine(settings.engine, settings.device)
    words = word_settings(settings, engine, plan.prompt)
    transcript = Transcript((Segment(0.0, 1.0, text),), "en", 1.0, "tiny.en", "faster-whisper")
    TranscriptCache(settings.cache_path).put(plan.audio.sha256, settings_key(words), words, transcript, tags or AudioTags())


def seeded_site(root: Path, files: dict[str, str | bytes | Fixture], text: str = "five five") -> Path:
    """A site whose one recording (assets/audio/a.wav) is already transcribed as ``text``."""
    site = make_site(root, {"_config.yml": CONFIG, "assets/audio/a.wav": Fixture("cards-004.wav"), **files})
    seed(site, text=text)
    return site


def quiet_build(site: Path, **kwargs: Any) -> Any:
    from jekyll_asr.build import build

    return build(load_settings(site), say=lambda m: None, **kwargs)


AUDIO = "audio: /assets/audio/a.wav\n"


def test_hand_written_value_under_the_managed_key_is_kept_and_named(tmp_path: Path) -> None:
    """Protection: plan.plan_documents sets the managed key only over a value the tool wrote
    (site.tool_value: the shape it writes). Without it an author's own `transcript:` (a
    hand-made transcript, a mapping of notes) is replaced silently by the first build."""
    own_text = "---\ntitle: A\n" + AUDIO + "transcript: |\n  My own words, typed by hand.\n  Second line.\n---\nBody.\n"
    own_notes = "---\ntitle: B\n" + AUDIO + "transcript:\n  notes: recorded live\n  by: me\n---\nBody.\n"
    site = seeded_site(tmp_path, {
        "_posts/2026-01-01-a.md": own_text,
        "_posts/2026-01-02-b.md": own_notes,
        "_posts/2026-01-03-c.md": "---\ntitle: C\n" + AUDIO + "---\nBody.\n",
    })
    result = quiet_build(site)
    assert (site / "_posts/2026-01-01-a.md").read_text() == own_text
    assert (site / "_posts/2026-01-02-b.md").read_text() == own_notes
    assert result.failed == [] and result.documents == ["_posts/2026-01-03-c.md"]  # the others are still done
    for name in ("2026-01-01-a.md", "2026-01-02-b.md"):
        (line,) = [w for w in result.warnings if name in w]  # one line naming the post
        assert "\n" not in line and "front_matter_key" in line and "remove" in line, line
    out = cli(site, command="check")
    assert out.returncode == 1
    assert "2026-01-01-a.md" in out.stderr and "2026-01-02-b.md" in out.stderr and "2026-01-03-c.md" not in out.stderr


def test_a_value_shaped_as_the_tool_writes_it_is_the_tools_on_a_fresh_clone(tmp_path: Path) -> None:
    """Protection: ownership is read from the value itself, not from machine-local state. Without it
    a fresh clone (no .jekyll-asr/local) would take every post's transcript key for the author's and
    stop updating them, or `check` in CI would disagree with the author's build."""
    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\nBody.\n"})
    assert quiet_build(site).documents == ["_posts/2026-01-01-a.md"]
    post = site / "_posts/2026-01-01-a.md"
    post.write_text(post.read_text().replace("words: 2", "words: 7"))  # as an older build left it
    shutil.rmtree(site / ".jekyll-asr/local")
    result = quiet_build(site)
    assert result.warnings == [] and result.documents == ["_posts/2026-01-01-a.md"]
    assert "words: 2" in post.read_text()


@pytest.mark.parametrize(("value", "owned"), [
    ({"include": "transcripts/a.md", "audio": "/a.wav", "language": "en", "duration": 1.0, "words": 2, "model": "m"}, True),
    ({"audio": "/a.wav", "bytes": 3, "type": "audio/wav", "language": "en", "duration": 1.0, "words": 2, "model": "m",
      "files": {"vtt": "/a.vtt"}, "title": "T", "parts": [{"audio": "/b.wav", "language": "en", "duration": 1.0, "words": 0, "model": "m"}]}, True),
    ("My own words.\nLine two.\n", False),
    ({"notes": "mine"}, False),
    ({"audio": "/a.wav", "language": "en", "duration": 1.0, "words": 2, "model": "m", "notes": "mine"}, False),
    ({"audio": "/a.wav", "language": "en", "duration": 1.0, "words": 2, "model": "m", "parts": ["my part"]}, False),
    (["a", "b"], False), (False, False), ("", False),
])
def test_tool_value_is_the_shape_the_tool_writes(value: Any, owned: bool) -> None:
    """Protection: site.tool_value tells the tool's value from an author's. Without it a value with a
    note added, or any string, counts as the tool's and is overwritten."""
    assert tool_value(value) is owned


def test_every_value_the_tool_writes_is_the_tools(tmp_path: Path) -> None:
    """Protection: site.TOOL_KEYS lists every key render.managed_value and document_value write. Without
    it a key added there makes the tool take its own value for the author's after one build, and
    stop updating every post."""
    from jekyll_asr.cache import CacheEntry
    from jekyll_asr.render import RenderPlan, document_value, managed_value
    from jekyll_asr.scan import AudioFile
    from jekyll_asr.transcript import AudioTags, Chapter, Segment, Transcript

    settings = load_settings(make_site(tmp_path, {"_config.yml": CONFIG}))
    mp3, ogg = AudioFile(Path("a/x.mp3"), "0" * 64, 3, "mp3"), AudioFile(Path("a/x.ogg"), "1" * 64, 4, "ogg")
    plan = RenderPlan(mp3, "x", (Path("p.md"),), (), None, encodings=(mp3, ogg))
    tags = AudioTags(title="T", artist="A", chapters=(Chapter(0.0, "One"), Chapter(1.0, "Two")))
    transcript = Transcript((Segment(0.0, 1.0, "five"),), "en", 2.0, "tiny.en", "faster-whisper")
    value = managed_value(settings, plan, CacheEntry("0" * 64, "k", {}, transcript, tags, tmp_path / "e.json"))
    assert {"encodings", "transcribed_from", "title", "artist", "files", "include"} <= value.keys()  # every optional key made
    whole = document_value([value, value], ())
    assert tool_value(whole) and tool_value(json.loads(json.dumps(whole)))


def test_symlinked_post_is_edited_through_the_link(tmp_path: Path) -> None:
    """Protection: build writes a symlinked post's target (atomically, in the target's folder) when the
    target lies inside the site. Without it the link is replaced by a regular file: the author's
    shared copy no longer gets the key, and their link is gone."""
    site = seeded_site(tmp_path, {"_shared/a.md": "---\ntitle: A\n" + AUDIO + "---\nBody.\n"})
    (site / "_posts").mkdir()
    os.symlink("../_shared/a.md", site / "_posts/2026-01-01-a.md")
    result = quiet_build(site)
    assert result.failed == [] and result.documents == ["_posts/2026-01-01-a.md"]
    assert os.readlink(site / "_posts/2026-01-01-a.md") == "../_shared/a.md"
    assert "transcript:\n  include: transcripts/" in (site / "_shared/a.md").read_text()
    assert [p.name for p in (site / "_shared").iterdir()] == ["a.md"]  # no temp file left beside it


def test_symlinked_post_outside_the_site_is_refused(tmp_path: Path) -> None:
    """Protection: a post whose link leads outside the site is never written. Without it a build writes
    (or replaces by a regular file) a file anywhere on the machine that a link in the site names."""
    outside = make_site(tmp_path / "outside", {"a.md": "---\ntitle: A\n" + AUDIO + "---\nBody.\n"})
    site = seeded_site(tmp_path / "site", {"_posts/2026-01-02-b.md": "---\ntitle: B\n" + AUDIO + "---\nBody.\n"})
    os.symlink(outside / "a.md", site / "_posts/2026-01-01-a.md")
    before = (outside / "a.md").read_bytes()
    result = quiet_build(site)
    assert (outside / "a.md").read_bytes() == before and (site / "_posts/2026-01-01-a.md").is_symlink()
    (failure,) = result.failed
    assert failure.path == "_posts/2026-01-01-a.md" and "outside the site" in failure.error and "\n" not in failure.error
    assert result.documents == ["_posts/2026-01-02-b.md"]


def test_post_saved_during_the_build_keeps_the_authors_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Protection: build compares a post's bytes with those its new text was made from just before
    replacing it. Without it an edit the author saves while the build runs is overwritten by the
    text the build read earlier."""
    from jekyll_asr import plandocs as plan

    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\nBody.\n"})
    post = site / "_posts/2026-01-01-a.md"
    real = plan.document_update

    def then_the_author_saves(*args: Any, **kwargs: Any) -> tuple[str, str]:
        read = real(*args, **kwargs)  # the build has read the post...
        post.write_text(post.read_text() + "A paragraph saved while the build ran.\n")  # ...then the author saves
        return read

    monkeypatch.setattr(plan, "document_update", then_the_author_saves)
    result = quiet_build(site)
    assert post.read_text().endswith("Body.\nA paragraph saved while the build ran.\n")
    (failure,) = result.failed
    assert failure.path == "_posts/2026-01-01-a.md"
    assert "error: _posts/2026-01-01-a.md: changed while building; not updated, run build again" in result.summary()
    monkeypatch.undo()
    assert quiet_build(site).documents == ["_posts/2026-01-01-a.md"]  # the next build sets it
    assert "A paragraph saved while the build ran." in post.read_text() and "transcript:" in post.read_text()


def test_bad_glossary_in_one_post_fails_that_post_alone(tmp_path: Path) -> None:
    """Protection: site.read_document checks a post's own `glossary:`. Without it one post's bad entry
    stops the whole build with exit 2 and a message that does not say which post."""
    site = seeded_site(tmp_path, {"_posts/2026-01-02-b.md": "---\ntitle: B\n" + AUDIO + "---\nBody.\n"})
    bad = "---\ntitle: A\n" + AUDIO + "glossary:\n  - term: Jekyll\n    heard: 5\n---\nBody.\n"
    (site / "_posts/2026-01-01-a.md").write_text(bad)
    out = cli(site, "--json", timeout=120)
    assert out.returncode == 1, out.stderr
    result = report(out)
    (failure,) = result["failed"]
    assert failure["path"] == "_posts/2026-01-01-a.md" and "glossary" in failure["error"] and "\n" not in failure["error"]
    assert result["documents"] == ["_posts/2026-01-02-b.md"] and result["model_loaded"] is False
    assert (site / "_posts/2026-01-01-a.md").read_text() == bad


def test_an_unreadable_folder_of_posts_is_a_problem_not_a_silence(tmp_path: Path) -> None:
    """Protection: site.iter_document_files reports a folder it cannot list as a Problem. Without
    it (os.walk's default) the posts inside vanish without a word, their audio looks unused, and
    ``gc`` removes transcripts that those posts still show. As root the child drops the capability
    that lets root read anything (see test_scan.without_root_reads)."""
    import subprocess
    import sys

    from .test_scan import without_root_reads

    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\n", "_posts/locked/2026-01-02-b.md": "---\ntitle: B\n---\n"})
    (site / "_posts/locked").chmod(0)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jekyll_asr", "gc", "--dry-run", str(site)],
            capture_output=True, text=True, check=False, timeout=120, preexec_fn=without_root_reads(),
        )
    finally:
        (site / "_posts/locked").chmod(0o755)
    assert done.returncode != 0 and "_posts/locked: cannot read this folder" in done.stderr, done.stderr
