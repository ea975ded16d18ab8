"""``--shard K/N``: N machines split the audio by content hash, each transcribing once.

Two shards built into two copies of a site, their caches merged by copying
files (what a CI merge job does with artifacts): together they cover every
file exactly once, and a third build transcribes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jekyll_asr.build import Shard, build
from jekyll_asr.cli import main
from jekyll_asr.config import load_settings
from jekyll_asr.errors import UsageError
from jekyll_asr.statindex import hash_file

from .sitefactory import Fixture, make_site

CLIPS = ["cards-001.wav", "cards-002.wav", "cards-003.wav", "cards-004.wav"]
SITE = {
    "_config.yml": "asr:\n  model: tiny.en\n  language: en\n  formats: [txt]\n",
    **{f"assets/audio/{name}": Fixture(name) for name in CLIPS},
    "assets/audio/again/cards-001.wav": Fixture("cards-001.wav"),  # same bytes, another path
}
ALL = sorted([f"assets/audio/{name}" for name in CLIPS] + ["assets/audio/again/cards-001.wav"])


def test_shard_parse() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    for bad in ("0/2", "3/2", "1", "a/b", "1/0"):
        with pytest.raises(UsageError):
            Shard.parse(bad)


def test_shards_partition_every_content_hash() -> None:
    shas = [f"{i:08x}" + "0" * 56 for i in range(0, 2**32, 2**32 // 97)]
    for n in (1, 2, 3, 5):
        owners = [[k for k in range(1, n + 1) if Shard(k, n).owns(sha)] for sha in shas]
        assert all(len(o) == 1 for o in owners)


def test_fixture_clips_fall_in_both_shards(tmp_path: Path) -> None:
    site = make_site(tmp_path, SITE)
    owners = {Shard(1, 2).owns(hash_file(site / rel)) for rel in ALL}
    assert owners == {True, False}  # otherwise the slow test below proves nothing


@pytest.mark.slow
def test_two_shards_then_merge_transcribe_each_file_once(tmp_path: Path) -> None:
    one = make_site(tmp_path / "one", SITE)
    two = make_site(tmp_path / "two", SITE)
    first = build(load_settings(one), shard=Shard(1, 2), say=lambda m: None)
    second = build(load_settings(two), shard=Shard(2, 2), say=lambda m: None)
    assert first.failed == [] and second.failed == []

    done = [first.transcribed + list(first.cached), second.transcribed + list(second.cached)]
    assert sorted(done[0] + done[1]) == ALL  # every path covered, by exactly one shard
    assert not set(done[0]) & set(done[1])
    assert len(first.transcribed) + len(second.transcribed) == 4  # four distinct contents, each once
    assert set(first.skipped) == set(done[1]) and set(second.skipped) == set(done[0])

    # the merge job: copy shard two's cache entries into shard one's
    for entry in (two / ".jekyll-asr/cache").glob("??/*.json"):
        target = one / ".jekyll-asr/cache" / entry.relative_to(two / ".jekyll-asr/cache")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(entry, target)
    third = build(load_settings(one), say=lambda m: None)
    assert third.transcribed == [] and not third.model_loaded
    assert sorted(third.cached) == ALL
    assert third.outputs  # shard two's transcripts rendered here
    written_by_two = sorted((two / "assets/transcripts").glob("*.txt"))
    assert len(written_by_two) == len(done[1])
    for txt in written_by_two:  # shard two's words, rendered the same on shard one's copy
        assert (one / "assets/transcripts" / txt.name).read_text() == txt.read_text() != ""
    assert main(["check", str(one), "-q"]) == 0
