import json
from pathlib import Path

from jekyll_asr.cache import TranscriptCache, settings_key
from jekyll_asr.transcript import AudioTags, Chapter, Segment, Transcript

T = Transcript((Segment(0.0, 1.5, "Hello there."), Segment(2.0, 3.0, "Bye.")), "en", 3.2, "tiny.en", "transformers")
TAGS = AudioTags(title="Ep", chapters=(Chapter(0.0, "Intro"),))
SHA = "ab" * 32


def test_round_trip_and_key(tmp_path: Path) -> None:
    cache = TranscriptCache(tmp_path)
    words = {"model": "m", "engine": "transformers", "decode": {"beam_size": 5}}
    key = settings_key(words)
    assert settings_key({**words, "decode": {"beam_size": 1}}) != key
    assert cache.get(SHA, key) is None
    path = cache.put(SHA, key, words, T, TAGS)
    assert path.parent.name == "ab"
    entry = cache.get(SHA, key)
    assert entry.transcript == T and entry.tags == TAGS and entry.settings == words


def test_corrupt_or_tampered_entries_are_not_served(tmp_path: Path) -> None:
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    data = json.loads(path.read_text())
    data["transcript"]["segments"][0]["text"] = "Tampered."
    path.write_text(json.dumps(data))
    assert cache.get(SHA, key) is None and path in cache.corrupt
    path.write_text(path.read_text()[:40])  # truncated
    assert cache.get(SHA, key) is None
