"""Speakers through a real build: the bundled tiny.en model, the real diarizer, the real cache.

The recording is pyannote's two-speaker sample (tests/fixtures/speakers, AMI, CC BY 4.0) with its
who-spoke-when reference; the stereo file and the two tracks hold its two voices apart.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from jekyll_asr.build import build
from jekyll_asr.config import load_settings
from jekyll_asr.frontmatter import split
from jekyll_asr.speakers.rttm import read_rttm
from jekyll_asr.state import site_state
from jekyll_asr.turns import speaker_at

from .sitefactory import FIXTURES, Fixture, make_site

pytestmark = pytest.mark.slow

CONFIG = "title: T\nasr:\n  model: tiny.en\n  formats: [md, vtt, srt, json, txt]\n"
REFERENCE = next(iter(read_rttm((FIXTURES / "speakers/sample.rttm").read_text()).values()))


def quiet(site: Path, **overrides: object):
    return build(load_settings(site, dict(overrides)), say=lambda m: None)


def managed(site: Path, post: str) -> dict:
    fm, _ = split((site / post).read_text())
    assert fm is not None
    return fm.data["transcript"]


def agreement(segments: list[dict]) -> float:
    """Share of word-seconds whose label maps to the reference speaker under the best one-to-one mapping."""
    votes: dict[tuple[str, str], float] = {}
    for seg in segments:
        start, end = seg["startTime"], seg["endTime"]  # Podcasting 2.0 JSON
        truth = speaker_at(start, end, REFERENCE)
        if truth is not None and seg.get("speaker"):
            votes[seg["speaker"], truth] = votes.get((seg["speaker"], truth), 0.0) + end - start
    total = sum(votes.values())
    pairs = sorted(votes.items(), key=lambda kv: -kv[1])
    used_a: set[str] = set()
    used_b: set[str] = set()
    right = 0.0
    for (a, b), seconds in pairs:
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            right += seconds
    return right / total if total else 0.0


@pytest.fixture(scope="module")
def interview(tmp_path_factory: pytest.TempPathFactory):
    site = make_site(
        tmp_path_factory.mktemp("site"),
        {
            "_config.yml": CONFIG,
            "audio/interview.wav": Fixture("speakers/sample.wav"),
            "_posts/2026-01-01-interview.md": "---\ntitle: Interview\naudio: /audio/interview.wav\n---\nNotes.\n",
        },
    )
    return site, quiet(site)


def test_two_voices_are_found_and_labelled_in_every_output(interview) -> None:
    site, report = interview
    assert report.failed == [] and report.transcribed == ["audio/interview.wav"]
    value = managed(site, "_posts/2026-01-01-interview.md")
    assert value["speakers"] == ["Speaker 1", "Speaker 2"]
    data = json.loads((site / "assets/transcripts/interview.json").read_text())
    assert {s["speaker"] for s in data["segments"]} == {"Speaker 1", "Speaker 2"}
    assert agreement(data["segments"]) >= 0.85
    vtt = (site / "assets/transcripts/interview.vtt").read_text()
    assert "<v Speaker 1>" in vtt and "<v Speaker 2>" in vtt
    include = (site / "_includes/transcripts/interview.md").read_text()
    assert include.count('class="asr-speaker"') >= 2 and "data-w=" in include
    turns = list((site / ".jekyll-asr/cache/turns").rglob("*.json"))
    assert len(turns) == 1


def test_names_and_renames_apply_without_transcribing_again(interview, tmp_path: Path) -> None:
    site, _ = interview
    post = site / "_posts/2026-01-01-interview.md"
    post.write_text("---\ntitle: Interview\naudio: /audio/interview.wav\nspeakers: [Alice, Bob]\n---\nNotes.\n")
    report = quiet(site)
    assert report.failed == [] and report.transcribed == [] and not report.model_loaded
    assert managed(site, "_posts/2026-01-01-interview.md")["speakers"] == ["Alice", "Bob"]
    (site / "_transcript_corrections").mkdir(exist_ok=True)
    (site / "_transcript_corrections/interview.yml").write_text("speakers:\n  Bob: Roberta\n")
    report = quiet(site)
    assert report.transcribed == []
    assert managed(site, "_posts/2026-01-01-interview.md")["speakers"] == ["Alice", "Roberta"]
    assert "<v Roberta>" in (site / "assets/transcripts/interview.vtt").read_text()
    assert site_state(load_settings(site)).current
    again = quiet(site)  # nothing changed: nothing transcribed, diarized or written
    assert again.transcribed == [] and again.outputs == [] and again.documents == []
    from jekyll_asr.gc import find_garbage

    settings = load_settings(site)
    garbage = find_garbage(settings, site_state(settings))  # the count went from auto to two: the first turns are unused
    assert len([e for e in garbage.cache_entries if "/turns/" in e]) == 1
    assert len(list((site / ".jekyll-asr/cache/turns").rglob("*.json"))) == 2


def test_speakers_off_gives_no_labels(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "_config.yml": CONFIG.replace("asr:\n", "asr:\n  speakers: off\n"),
            "audio/interview.wav": Fixture("speakers/sample.wav"),
            "_posts/2026-01-01-interview.md": "---\ntitle: Interview\naudio: /audio/interview.wav\n---\n",
        },
    )
    assert quiet(site).failed == []
    assert "speakers" not in managed(site, "_posts/2026-01-01-interview.md")
    assert "<v " not in (site / "assets/transcripts/interview.vtt").read_text()
    assert not (site / ".jekyll-asr/cache/turns").exists()


def test_a_stereo_double_ender_gives_each_channel_its_speaker(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "_config.yml": CONFIG,
            "audio/stereo.flac": Fixture("speakers/sample-stereo.flac"),
            "_posts/2026-01-01-stereo.md": "---\ntitle: Stereo\naudio: /audio/stereo.flac\nspeakers: [Alice, Bob]\n---\n",
        },
    )
    assert quiet(site).failed == []
    data = json.loads((site / "assets/transcripts/stereo.json").read_text())
    assert {s["speaker"] for s in data["segments"]} == {"Alice", "Bob"}
    assert agreement(data["segments"]) >= 0.9
    stored = json.loads(next((site / ".jekyll-asr/cache/turns").rglob("*.json")).read_text())
    assert stored["source"] == "channels"


def test_a_two_track_episode_gives_each_track_its_speaker(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "_config.yml": CONFIG,
            "audio/ep1-mix.wav": Fixture("speakers/sample.wav"),
            "audio/raw/ep1-a.flac": Fixture("speakers/sample-track-a.flac"),
            "audio/raw/ep1-b.flac": Fixture("speakers/sample-track-b.flac"),
            "_posts/2026-01-01-ep1.md": (
                "---\ntitle: Ep 1\naudio: /audio/ep1-mix.wav\ntracks:\n"
                "  - {file: /audio/raw/ep1-a.flac, speaker: Alice}\n  - {file: /audio/raw/ep1-b.flac, speaker: Bob}\n---\n"
            ),
        },
    )
    report = quiet(site)
    assert report.failed == []
    assert sorted(report.transcribed) == ["audio/raw/ep1-a.flac", "audio/raw/ep1-b.flac"]  # not the mix
    value = managed(site, "_posts/2026-01-01-ep1.md")
    assert value["audio"] == "/audio/ep1-mix.wav"
    assert sorted(value["speakers"]) == ["Alice", "Bob"]
    data = json.loads((site / "assets/transcripts/ep1.json").read_text())
    by_speaker = {s["speaker"] for s in data["segments"]}
    assert by_speaker == {"Alice", "Bob"}
    assert agreement(data["segments"]) >= 0.9
    assert sorted(p.name for p in (site / "assets/transcripts").iterdir()) == ["ep1.json", "ep1.srt", "ep1.txt", "ep1.vtt"]  # no outputs per track
    assert not (site / ".jekyll-asr/cache/turns").exists()  # nothing to diarize
    again = quiet(site)
    assert again.transcribed == [] and again.outputs == [] and not again.model_loaded
    assert site_state(load_settings(site)).current


def test_an_entry_made_before_speakers_gets_them_without_transcribing(tmp_path: Path) -> None:
    """A cache from an older release (no word times, no turns) renders, and gains speakers by the
    diarizer alone: the Whisper model is never loaded."""
    from jekyll_asr.cache import TranscriptCache
    from jekyll_asr.transcript import Transcript

    site = make_site(
        tmp_path,
        {
            "_config.yml": CONFIG.replace("asr:\n", "asr:\n  speakers: off\n"),
            "audio/interview.wav": Fixture("speakers/sample.wav"),
            "_posts/2026-01-01-interview.md": "---\ntitle: Interview\naudio: /audio/interview.wav\n---\n",
        },
    )
    assert quiet(site).transcribed == ["audio/interview.wav"]
    cache = TranscriptCache(site / ".jekyll-asr/cache")
    (path,) = list(cache.entries())
    sha = path.name.split("-")[0]
    entry = cache.get_at(path, sha)
    assert entry is not None and any(s.words for s in entry.transcript.segments)
    old = Transcript(tuple(replace(s, words=()) for s in entry.transcript.segments), *list(vars(entry.transcript).values())[1:])
    cache.put(sha, entry.key, entry.settings, old, entry.tags)  # as an older release wrote it
    (site / "_config.yml").write_text(CONFIG)
    report = quiet(site)
    assert report.failed == [] and report.transcribed == [] and not report.model_loaded
    assert len(list((site / ".jekyll-asr/cache/turns").rglob("*.json"))) == 1
    assert managed(site, "_posts/2026-01-01-interview.md")["words"] == entry.transcript.word_count
    assert site_state(load_settings(site)).current


def test_a_diarizer_failure_is_one_line_and_the_transcript_still_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the diarizer raises. The file's error names it once; its words are still
    published, without labels; the next build tries the speakers again."""
    from jekyll_asr import speakers

    site = make_site(
        tmp_path,
        {
            "_config.yml": CONFIG,
            "audio/interview.wav": Fixture("speakers/sample.wav"),
            "_posts/2026-01-01-interview.md": "---\ntitle: Interview\naudio: /audio/interview.wav\n---\n",
        },
    )

    def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("the voice encoder ran out of memory")

    monkeypatch.setitem(speakers.DIARIZERS, "resemblyzer", broken)
    report = quiet(site)
    assert [(f.path, f.error) for f in report.failed] == [("audio/interview.wav", "speakers not found: RuntimeError: the voice encoder ran out of memory")]
    assert report.transcribed == ["audio/interview.wav"]
    assert "speakers" not in managed(site, "_posts/2026-01-01-interview.md")
    assert "<v " not in (site / "assets/transcripts/interview.vtt").read_text()
    monkeypatch.undo()
    again = quiet(site)
    assert again.failed == [] and again.transcribed == [] and managed(site, "_posts/2026-01-01-interview.md")["speakers"] == ["Speaker 1", "Speaker 2"]
