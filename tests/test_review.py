"""``jekyll-asr review FILE`` (unsure words and their fixes) and ``transcribe --format rttm``.

The word probabilities are the real model's (tests/fixtures/episode-12.words.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jekyll_asr.build import scan_site, word_settings
from jekyll_asr.cache import TranscriptCache, settings_key
from jekyll_asr.cli import main
from jekyll_asr.commands.review import doubts
from jekyll_asr.commands.transcribe import rttm
from jekyll_asr.config import load_settings
from jekyll_asr.glossary import load_corrections
from jekyll_asr.render import plan_outputs
from jekyll_asr.state import candidate_engines
from jekyll_asr.statindex import StatIndex
from jekyll_asr.transcript import AudioTags, Segment, Transcript, Turn, Word
from jekyll_asr.turns import assign_speakers

from .sitefactory import FIXTURES, Fixture, make_site

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n  formats: [md, vtt]\n"
SITE = {
    "_config.yml": CONFIG,
    "assets/audio/episode-12.mp3": Fixture("episode-12.mp3"),
    "_posts/2026-01-01-twelve.md": "---\ntitle: Twelve\naudio: /assets/audio/episode-12.mp3\n---\nHello.\n",
}


def episode() -> Transcript:
    return Transcript.from_dict(json.loads((FIXTURES / "episode-12.words.json").read_text(encoding="utf-8")))


def seeded(tmp_path: Path, transcript: Transcript) -> tuple[Path, Path]:
    """A site whose one recording has ``transcript`` in its cache; the site and the entry path."""
    site = make_site(tmp_path / "site", SITE)
    settings = load_settings(site)
    site_audio = scan_site(settings, StatIndex(settings.state_path / "unused.json"))
    engine, _ = candidate_engines(settings)
    (plan,) = plan_outputs(settings, site_audio.files, site_audio.documents)
    ws = word_settings(settings, engine, plan.prompt)
    entry = TranscriptCache(settings.cache_path).put(plan.audio.sha256, settings_key(ws), ws, transcript, AudioTags())
    return site, entry


def test_doubts_are_the_words_below_the_threshold_with_a_unique_phrase():
    found = doubts(episode(), 0.2)
    assert [(d.word[:15], round(d.probability, 3)) for d in found] == [("Hello", 0.134), ("work", 0.058), ("Web-vid-le-text", 0.173)]
    text = " ".join(s.text.strip() for s in episode().segments).lower()
    for d in found:
        assert text.count(d.phrase.lower()) == 1 and d.word in d.phrase
    assert found[1].phrase == "work"  # unique alone: no neighbours needed
    assert 14 < found[1].start < 16


def test_review_prints_time_word_and_a_line_the_corrections_file_accepts(tmp_path, capsys):
    site, _ = seeded(tmp_path, episode())
    assert main(["review", "assets/audio/episode-12.mp3", str(site), "--below", "0.3"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line[:2].isdigit()]
    assert lines[0].startswith("00:00  0.13  Hello")
    assert any(line.startswith("00:14  0.06  work") for line in lines)
    fix = lines[0].split("  ")[-1]
    path = tmp_path / "fix.yml"
    path.write_text("corrections:\n  " + fix + "\n", encoding="utf-8")
    assert load_corrections(path) == {"Hello": "Hello"}
    where = out.strip().splitlines()[-1].split(" in ")[-1].split(" and change")[0]
    assert where == "_transcript_corrections/twelve.yml"  # the post's name names the recording
    (site / "_transcript_corrections").mkdir()
    (site / where).write_text("corrections:\n  Hello: Welcome\n", encoding="utf-8")
    assert main(["review", str(site / "assets/audio/episode-12.mp3"), str(site), "--below", "0.3"]) == 0
    again = capsys.readouterr().out
    assert "Hello" not in again and "work" in again  # a word a fix replaced is not listed again


def test_review_reads_a_cache_entry_and_explains_an_old_one(tmp_path, capsys):
    _, entry = seeded(tmp_path, episode())
    assert main(["review", str(entry), str(tmp_path), "--below", "0.1"]) == 0
    assert "1 word below 0.1" in capsys.readouterr().out
    site, _ = seeded(tmp_path / "old", Transcript((Segment(0, 2, " no word times"),), "en", 2, "tiny.en", "e"))
    assert main(["review", "/assets/audio/episode-12.mp3", str(site)]) == 0
    assert "no word probabilities" in capsys.readouterr().out


def test_review_of_an_unknown_file_says_what_to_do(tmp_path, capsys):
    site, _ = seeded(tmp_path, episode())
    assert main(["review", "assets/audio/nothing.mp3", str(site)]) == 2
    assert "neither one of the site's audio files nor a post" in capsys.readouterr().err
    assert main(["review", "x.mp3", str(site), "--below", "2"]) == 2


def test_review_takes_the_post_that_uses_the_audio(tmp_path, capsys):
    site, _ = seeded(tmp_path, episode())
    assert main(["review", "_posts/2026-01-01-twelve.md", str(site), "--below", "0.3"]) == 0
    assert any(line.startswith("00:00  0.13  Hello") for line in capsys.readouterr().out.splitlines())
    empty, _ = seeded(tmp_path / "empty", Transcript((), "en", 2, "tiny.en", "e"))
    assert main(["review", "_posts/2026-01-01-twelve.md", str(empty)]) == 0
    assert "no words (no speech was detected)" in capsys.readouterr().out


def test_rttm_has_one_speaker_line_per_segment():
    words = tuple(Word(0.5 * i, 0.5 * i + 0.4, f" w{i}", 0.9) for i in range(8))
    t = assign_speakers(Transcript((Segment(0, 4, "".join(w.text for w in words), words),), "en", 4, "m", "e"), [Turn(0, 2, "1"), Turn(2, 4, "2")])
    lines = rttm(t, "my episode").splitlines()
    assert lines == [
        "SPEAKER my_episode 1 0.000 1.900 <NA> <NA> 1 <NA> <NA>",
        "SPEAKER my_episode 1 2.000 1.900 <NA> <NA> 2 <NA> <NA>",
    ]
    assert all(len(line.split()) == 10 for line in lines)  # the ten RTTM fields


@pytest.mark.slow
def test_transcribe_format_rttm_on_real_speech(capsys):
    assert main(["transcribe", "--format", "rttm", "--model", "tiny.en", str(FIXTURES / "goforward.wav")]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    fields = line.split()
    assert fields[:3] == ["SPEAKER", "goforward", "1"] and fields[7] == "1"
    assert 0 <= float(fields[3]) < 1.5 and 0.5 < float(fields[4]) < 4


def test_transcribe_formats_name_the_speakers_of_a_diarized_transcript():
    from jekyll_asr.commands.transcribe import render

    words = tuple(Word(0.5 * i, 0.5 * i + 0.4, f" w{i}.", 0.9) for i in range(8))
    t = assign_speakers(Transcript((Segment(0, 4, "".join(w.text for w in words), words),), "en", 4, "m", "e"), [Turn(0, 2, "1"), Turn(2, 4, "2")])
    assert "<v Speaker 1>" in render(t, "vtt", Path("a.wav")) and "<v Speaker 2>" in render(t, "vtt", Path("a.wav"))
    assert render(t, "srt", Path("a.wav")).count("Speaker 2:") == 1
