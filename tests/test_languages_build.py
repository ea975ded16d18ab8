"""Languages through a real build with the multilingual bundled ``base`` model: a post's own
language, and the English caption track (``translate: true``).

The German speech is the second half of tests/fixtures/bilingual-en-de.mp3 (espeak-ng, made for
this project), cut out here so the episode is German only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jekyll_asr.audio import decode
from jekyll_asr.build import build
from jekyll_asr.config import load_settings
from jekyll_asr.frontmatter import split
from jekyll_asr.state import site_state

from .sitefactory import FIXTURES, Fixture, make_site, write_wav

pytestmark = pytest.mark.slow


def quiet(site: Path):
    return build(load_settings(site), say=lambda m: None)


def managed(site: Path, post: str) -> dict:
    fm, _ = split((site / post).read_text())
    assert fm is not None
    return fm.data["transcript"]


def test_a_german_episode_gets_an_english_caption_track(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "_config.yml": "title: T\nasr:\n  model: base\n  translate: true\n  formats: [vtt, json]\n",
            "_posts/2026-01-01-folge.md": "---\ntitle: Folge 1\naudio: /audio/folge.wav\n---\n",
        },
    )
    write_wav(site / "audio/folge.wav", decode(FIXTURES / "bilingual-en-de.mp3")[int(11.5 * 16000) :])
    report = quiet(site)
    assert report.failed == [] and report.transcribed == ["audio/folge.wav"] and report.translated == ["audio/folge.wav"]
    value = managed(site, "_posts/2026-01-01-folge.md")
    assert value["language"] == "de" and value["files"]["translation"] == "/assets/transcripts/folge.en.vtt"
    german = (site / "assets/transcripts/folge.vtt").read_text().lower()
    english = (site / "assets/transcripts/folge.en.vtt").read_text().lower()
    assert "dorf" in german or "bergen" in german
    assert any(w in english for w in ("village", "mountain", "thank", "years"))
    assert "dorf" not in english
    again = quiet(site)
    assert again.transcribed == [] and again.translated == [] and again.outputs == [] and not again.model_loaded
    assert site_state(load_settings(site)).current


def test_a_post_naming_the_language_it_was_detected_in_is_not_transcribed_again(tmp_path: Path) -> None:
    site = make_site(
        tmp_path,
        {
            "_config.yml": "title: T\nasr:\n  model: base\n  formats: [vtt]\n",
            "audio/welcome.wav": Fixture("welcome.wav"),
            "_posts/2026-01-01-w.md": "---\ntitle: W\naudio: /audio/welcome.wav\n---\n",
        },
    )
    assert quiet(site).transcribed == ["audio/welcome.wav"]
    (site / "_posts/2026-01-01-w.md").write_text("---\ntitle: W\nlang: en-US\naudio: /audio/welcome.wav\n---\n")
    report = quiet(site)
    assert report.failed == [] and report.transcribed == [] and not report.model_loaded
    (site / "_posts/2026-01-01-w.md").write_text("---\ntitle: W\nlang: de\naudio: /audio/welcome.wav\n---\n")
    report = quiet(site)  # the author says German: transcribed in German, as asked
    assert report.transcribed == ["audio/welcome.wav"]
    assert managed(site, "_posts/2026-01-01-w.md")["language"] == "de"


def test_a_post_asks_for_its_own_english_track(tmp_path: Path) -> None:
    """``translate:`` in one post's front matter, the site's left off: only that episode is translated."""
    site = make_site(
        tmp_path,
        {
            "_config.yml": "title: T\nasr:\n  model: base\n  speakers: off\n  formats: [vtt]\n",
            "_posts/2026-01-01-eins.md": "---\ntitle: Eins\ntranslate: true\naudio: /audio/eins.wav\n---\n",
            "_posts/2026-01-02-zwei.md": "---\ntitle: Zwei\naudio: /audio/zwei.wav\n---\n",
        },
    )
    german = decode(FIXTURES / "bilingual-en-de.mp3")[int(11.5 * 16000) :]
    write_wav(site / "audio/eins.wav", german)
    write_wav(site / "audio/zwei.wav", german[: len(german) - 1600])  # other bytes, same speech
    report = quiet(site)
    assert report.failed == [] and report.translated == ["audio/eins.wav"]
    assert (site / "assets/transcripts/eins.en.vtt").is_file() and not (site / "assets/transcripts/zwei.en.vtt").exists()
    assert "translation" in managed(site, "_posts/2026-01-01-eins.md")["files"]
    assert "translation" not in managed(site, "_posts/2026-01-02-zwei.md")["files"]
