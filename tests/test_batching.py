"""batching.py: which files share an engine call, and a failing group still gets its good files done."""

from __future__ import annotations

import numpy as np
import pytest

from jekyll_asr import batching
from jekyll_asr.engines import DecodeOptions
from jekyll_asr.transcript import Segment


def grouped(items, **kwargs):
    return [[name for name, *_ in g] for g in batching.groups(items, seconds=lambda i: i[1], options=lambda i: i[2], **kwargs)]


def test_short_files_with_the_same_options_share_a_group_up_to_the_limits() -> None:
    items = [(f"c{i}", 5.0, "a") for i in range(batching.MAX_FILES + 2)]
    assert grouped(items) == [[f"c{i}" for i in range(batching.MAX_FILES)], [f"c{batching.MAX_FILES}", f"c{batching.MAX_FILES + 1}"]]
    big = batching.MAX_SECONDS * 0.6
    assert grouped([("x", big, "a"), ("y", big, "a"), ("z", 1.0, "a")]) == [["x"], ["y", "z"]]


def test_a_long_file_an_undecodable_one_or_new_options_start_a_new_group() -> None:
    items = [("a", 3.0, "p"), ("long", None, "p"), ("b", 3.0, "p"), ("c", 3.0, "q"), ("d", 3.0, "q")]
    assert grouped(items) == [["a"], ["long"], ["b"], ["c", "d"]]
    assert grouped([]) == []


class Stub:
    """An engine whose batched call fails when any file in it is 'bad' (all zeros)."""

    name = "stub"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def transcribe(self, audio, options):
        self.calls.append(1)
        if not audio.any():
            raise RuntimeError("cannot decode this one")
        return [Segment(0.0, 1.0, f"{audio[0]:g}")], "en"

    def transcribe_many(self, audios, options):
        self.calls.append(len(audios))
        return [self.transcribe(a, options) for a in audios]


def test_a_failing_group_is_retried_file_by_file() -> None:
    engine = Stub()
    audios = [np.full(16, 1.0), np.zeros(16), np.full(16, 3.0)]
    results = batching.transcribe_group(engine, audios, DecodeOptions())
    assert [r[0][0].text if not isinstance(r, Exception) else "error" for r in results] == ["1", "error", "3"]
    assert isinstance(results[1], RuntimeError)
    assert engine.calls[0] == 3  # one call for the group first


def test_an_engine_without_transcribe_many_gets_one_file_at_a_time() -> None:
    class Single:
        name = "single"

        def __init__(self):
            self.calls = 0

        def transcribe(self, audio, options):
            self.calls += 1
            return [], "en"

    engine = Single()
    assert batching.transcribe_group(engine, [np.ones(4)] * 3, DecodeOptions()) == [([], "en")] * 3
    assert engine.calls == 3


@pytest.mark.parametrize("count", [1, 2])
def test_one_file_never_needs_the_batched_call(count: int) -> None:
    engine = Stub()
    batching.transcribe_group(engine, [np.ones(4)] * count, DecodeOptions())
    assert engine.calls == ([1] if count == 1 else [2, 1, 1])


def test_a_batch_gives_each_short_file_its_seconds_and_a_long_files_error_to_that_file(tmp_path) -> None:
    engine = Stub()
    found = batching.transcribe_batch(engine, [(tmp_path / "a.wav", np.full(8000, 1.0)), (tmp_path / "b.wav", np.zeros(32000))], DecodeOptions())
    assert found[0] == ([Segment(0.0, 1.0, "1")], "en", 0.5)
    assert isinstance(found[1], RuntimeError)
    (long,) = batching.transcribe_batch(engine, [(tmp_path / "missing.mp3", None)], DecodeOptions())
    assert isinstance(long, Exception) and "missing.mp3" in str(long)
