"""Names that never move, options that always take effect, one recording in several encodings."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml

from jekyll_asr.build import build
from jekyll_asr.config import load_settings
from jekyll_asr.names import NameIndex, assign, document_slug, previous_name
from jekyll_asr.state import site_state

from .sitefactory import Fixture, make_site


def _value(site: Path, post: str, key: str = "transcript") -> dict:
    return yaml.safe_load((site / post).read_text().split("---\n")[1]).get(key)


def test_a_name_is_the_documents_and_is_kept(tmp_path: Path) -> None:
    index = NameIndex(tmp_path / "names.json")
    assert assign([("a/ep.mp3", ["a/ep.mp3"], ["hello", "ep"])], index) == {"a/ep.mp3": "hello"}
    # a newcomer that wants the same name gets another; the first keeps its own
    got = assign([("b/ep.mp3", ["b/ep.mp3"], ["hello", "ep"]), ("a/ep.mp3", ["a/ep.mp3"], ["zzz"])], index)
    assert got == {"a/ep.mp3": "hello", "b/ep.mp3": "ep"}
    index.save()
    assert NameIndex.load(tmp_path / "names.json").names == {"a/ep.mp3": "hello", "b/ep.mp3": "ep"}
    (tmp_path / "names.json").write_text("{not json")
    assert NameIndex.load(tmp_path / "names.json").names == {}


def test_document_names_and_names_already_in_use() -> None:
    assert document_slug(PurePosixPath("_posts/2019-4-6-sample.md")) == "sample"
    assert document_slug(PurePosixPath("_episodes/001-cloud-native.md")) == "001-cloud-native"
    assert document_slug(PurePosixPath("_posts/2020-01-01-x.md"), "My Slug") == "my-slug"
    assert previous_name({"include": "transcripts/episode-12.md"}) == "episode-12"
    assert previous_name("hand-written text") is None


def test_audio_renamed_with_its_post_keeps_the_posts_name_and_corrections(tmp_path: Path) -> None:
    """Protection: names.assign frees a name only when its audio is gone from the site. Without it
    the old key still holds "first" during the build that sees the rename, the episode becomes
    ``moved.*`` and its corrections file (``first.yml``) silently stops applying."""
    from .test_site import CONFIG, quiet_build, seed

    site = make_site(tmp_path, {
        "_config.yml": CONFIG,
        "assets/audio/ep-a.wav": Fixture("cards-004.wav"),
        "_posts/2026-01-01-first.md": "---\ntitle: First\naudio: /assets/audio/ep-a.wav\n---\n",
        "_transcript_corrections/first.yml": "corrections: {five: FIVE}\n",
    })  # fmt: skip
    seed(site, "assets/audio/ep-a.wav", text="five five")
    assert quiet_build(site).failed == []
    assert "FIVE FIVE" in (site / "_includes/transcripts/first.md").read_text()
    (site / "assets/audio/ep-a.wav").rename(site / "assets/audio/moved.wav")
    post = site / "_posts/2026-01-01-first.md"
    post.write_text(post.read_text().replace("ep-a.wav", "moved.wav"))
    report = quiet_build(site)
    assert report.failed == []
    assert _value(site, "_posts/2026-01-01-first.md")["include"] == "transcripts/first.md"
    assert "FIVE FIVE" in (site / "_includes/transcripts/first.md").read_text()
    assert not list((site / "_includes/transcripts").glob("moved*"))
    # while the old audio is still there, its name is never given away
    index = NameIndex(tmp_path / "n.json", {"old.wav": "first"})
    assert assign([("new.wav", ["new.wav"], ["first"])], index, {"old.wav", "new.wav"}) == {"new.wav": "first-2"}


@pytest.mark.slow
def test_an_unrelated_file_with_the_same_name_never_renames_an_episode(tmp_path: Path) -> None:
    site = make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "assets/audio/intro.wav": Fixture("cards-001.wav"),
        "_posts/2020-01-01-first-show.md": "---\naudio: /assets/audio/intro.wav\n---\n",
        "_transcript_corrections/first-show.yml": "corrections: {card: Card}\n",
    })
    settings = load_settings(site, {"model": "tiny.en"})
    assert build(settings, say=lambda m: None).failed == []
    before = (site / "_posts/2020-01-01-first-show.md").read_text()
    assert _value(site, "_posts/2020-01-01-first-show.md")["include"] == "transcripts/first-show.md"

    # Another file called intro.wav elsewhere, and a second post with the same slug in a collection.
    make_site(site, {
        "media/intro.wav": Fixture("cards-003.wav"),
        "_config.yml": "title: T\ncollections:\n  episodes: {output: true}\n",
        "_episodes/first-show.md": "---\naudio: /media/intro.wav\n---\n",
    })
    report = build(load_settings(site, {"model": "tiny.en"}), say=lambda m: None)
    assert report.failed == []
    assert (site / "_posts/2020-01-01-first-show.md").read_text() == before  # not rewritten
    other = _value(site, "_episodes/first-show.md")["include"]
    assert other not in ("transcripts/first-show.md",) and (site / "_includes" / other).is_file()
    assert not any(p.startswith("_includes/transcripts/first-show") for p in report.outputs)


@pytest.mark.slow
def test_every_option_change_takes_effect_and_status_agrees_with_build(tmp_path: Path) -> None:
    site = make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "assets/a.wav": Fixture("cards-001.wav"),
        "_posts/2020-01-01-a.md": "---\nsermon: /assets/a.wav\naudio: /assets/a.wav\n---\n",
        "_posts/2020-01-02-b.md": "---\nsermon: /assets/a.wav\n---\n",
    })
    base = {"model": "tiny.en"}
    changes: list[dict] = [
        {},
        {"audio_keys": ["sermon"]},
        {"front_matter_key": "asr_transcript"},
        {"formats": ["md", "vtt"]},
        {"glossary": ["Cards"]},
        {"paragraph_pause": 2.0},
        {"include": ["nothing/**"], "exclude": ["assets/**"]},
        {"captions_dir": "captions"},
        {"includes_dir": "_includes/words"},
        {"beam_size": 2},
        {"vad": False},
        {"replace_audio_keys": True, "audio_keys": ["sermon"]},
        {"audio_dirs": ["recordings"]},
        {"corrections_dir": "_fixes"},
        {"templates_dir": "_tpl"},
    ]
    for change in changes:
        settings = load_settings(site, {**base, **change})
        predicted = site_state(settings)
        report = build(settings, say=lambda m: None)
        assert report.failed == [], change
        did_something = bool(report.transcribed or report.outputs or report.documents)
        assert did_something == (not predicted.current), (change, predicted.to_dict(), report.to_json())
        # and file by file: what status said would be transcribed, written or updated, build did
        to_transcribe = {a.path for a in predicted.audio if a.state in ("new", "changed")}
        assert set(report.transcribed) <= to_transcribe and bool(report.transcribed) == bool(to_transcribe), change
        assert set(report.outputs) == set(predicted.stale_outputs) or to_transcribe, (change, report.outputs, predicted.stale_outputs)
        assert set(report.documents) == set(predicted.stale_documents) or to_transcribe, (change, report.documents, predicted.stale_documents)
        assert site_state(settings).current, change  # after the build, nothing is left to do
        assert not build(settings, say=lambda m: None).documents  # and a rebuild changes nothing
        if change == {"audio_keys": ["sermon"]}:
            assert _value(site, "_posts/2020-01-02-b.md", "transcript") is not None  # linked once audio_keys named it
    assert "sermon" in (site / "_posts/2020-01-02-b.md").read_text()
    assert _value(site, "_posts/2020-01-02-b.md", "transcript") is None  # and unlinked again since no option names it


@pytest.mark.slow
def test_one_recording_in_several_encodings_is_transcribed_once(tmp_path: Path) -> None:
    site = make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "episodes/show-1.mp3": Fixture("welcome.mp3"),
        "episodes/show-1.ogg": Fixture("welcome.ogg"),
        "episodes/show-1.m4a": Fixture("welcome.m4a"),
        "_posts/2020-01-01-show-1.md": "---\naudio:\n  mp3: show-1.mp3\n  ogg: show-1.ogg\n  m4a: show-1.m4a\n---\n",
        "_posts/2020-01-02-two-parts.md": "---\naudio_files:\n  - file: /episodes/show-1.ogg\n  - file: /assets/b.wav\n---\n",
        "assets/b.wav": Fixture("goforward.wav"),
    })
    report = build(load_settings(site, {"model": "tiny.en"}), say=lambda m: None)
    assert report.failed == [] and len(report.transcribed) == 2, report.to_json()
    value = _value(site, "_posts/2020-01-01-show-1.md")
    assert value["audio"] == "/episodes/show-1.mp3" and value["type"] == "audio/mpeg"
    assert [e["url"] for e in value["encodings"]] == ["/episodes/show-1.mp3", "/episodes/show-1.ogg", "/episodes/show-1.m4a"]
    assert value["transcribed_from"] in {e["url"] for e in value["encodings"]}
    parts = _value(site, "_posts/2020-01-02-two-parts.md")
    assert parts["audio"] == "/episodes/show-1.ogg" and parts["include"] == value["include"]
    assert parts["parts"][0]["audio"] == "/assets/b.wav"


@pytest.mark.slow
def test_audio_moved_away_fails_check_and_keeps_what_the_post_names(tmp_path: Path) -> None:
    from jekyll_asr.gc import collect_garbage

    site = make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "assets/a.wav": Fixture("cards-001.wav"),
        "_posts/2020-01-01-a.md": "---\naudio: /assets/a.wav\n---\n",
    })
    settings = load_settings(site, {"model": "tiny.en"})
    assert build(settings, say=lambda m: None).failed == []
    include = site / "_includes" / _value(site, "_posts/2020-01-01-a.md")["include"]
    (site / "assets/a.wav").rename(tmp_path / "elsewhere.wav")

    state = site_state(settings)
    assert not state.current
    assert any(p == "_posts/2020-01-01-a.md" and "/assets/a.wav" in m and "no such file" in m for p, m in state.problems)
    report = build(settings, say=lambda m: None)
    assert report.exit_code == 1 and any(f.path == "_posts/2020-01-01-a.md" for f in report.failed)
    garbage = collect_garbage(settings, force=True, say=lambda m: None)
    assert include.is_file() and include.relative_to(site).as_posix() not in garbage.removed
