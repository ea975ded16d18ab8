"""Speaker turns stored beside the transcripts: round trip, damage refused, nothing stored that would be refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jekyll_asr.errors import CacheError
from jekyll_asr.transcript import Turn
from jekyll_asr.turnstore import TurnsCache, turns_key

SHA = "ab" * 32


def test_turns_round_trip_and_key_depends_on_count_not_names(tmp_path: Path) -> None:
    store = TurnsCache(tmp_path)
    key = turns_key({"name": "resemblyzer"}, "auto")
    assert key != turns_key({"name": "resemblyzer"}, "2")
    path = store.put(SHA, key, [Turn(0.0, 1.25, "1"), Turn(1.25, 3.0, "2")], "diarized")
    assert path.parent.parent == tmp_path / "turns"
    assert store.relative(SHA, key) == path.relative_to(tmp_path).as_posix()
    entry = store.get(SHA, key)
    assert entry is not None and entry.turns == (Turn(0.0, 1.25, "1"), Turn(1.25, 3.0, "2")) and entry.source == "diarized"
    assert list(store.entries()) == [path]
    assert store.get(SHA, turns_key({"name": "resemblyzer"}, "3")) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(turns=[[0, 1]]),
        lambda d: d.update(turns=[[2.0, 1.0, "1"]]),
        lambda d: d.update(source="guessed"),
        lambda d: d.update(turns=[[0, 1, ""]]),
    ],
)
def test_damaged_turns_are_refused_with_a_reason(tmp_path: Path, damage) -> None:
    store = TurnsCache(tmp_path)
    key = turns_key({}, "auto")
    path = store.put(SHA, key, [Turn(0.0, 1.0, "1")], "channels")
    data = json.loads(path.read_text())
    damage(data)
    path.write_text(json.dumps(data))
    assert store.get(SHA, key) is None
    assert path in store.refused


def test_a_hand_edit_without_its_checksum_is_refused(tmp_path: Path) -> None:
    store = TurnsCache(tmp_path)
    key = turns_key({}, "auto")
    path = store.put(SHA, key, [Turn(0.0, 1.0, "1")], "diarized")
    path.write_text(path.read_text().replace('"1"', '"2"'))
    assert store.get(SHA, key) is None and "checksum" in store.refused[path]


def test_turns_that_would_be_refused_are_not_stored(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="speaker turns"):
        TurnsCache(tmp_path).put(SHA, turns_key({}, "auto"), [Turn(3.0, 1.0, "1")], "diarized")
    assert not (tmp_path / "turns").exists()
