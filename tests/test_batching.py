"""batching.py: which files share an engine call, and a failing group still gets its good files done."""

from __future__ import annotations

import numpy as np

from jekyll_asr import batching
from jekyll_asr.engines import DecodeOptions, Engine
from jekyll_asr.errors import EngineError
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


OFF = DecodeOptions(vad=False)  # the stub's whole file reaches decode_unsegmented: no VAD model needed


class Stub:
    """An engine (the Protocol, nothing more) that fails on any file that is all zeros."""

    name = "stub"
    multilingual = False

    def __init__(self) -> None:
        self.calls: list[float] = []  # first sample of each file decoded, in order

    def detect_language(self, audio, windows):
        raise AssertionError("an English-only engine is never asked its language")

    def decode(self, jobs, language, options):
        raise AssertionError("vad: false never decodes windows")

    def decode_unsegmented(self, audio, options):
        self.calls.append(float(audio[0]))
        if not audio.any():
            raise RuntimeError("cannot decode this one")
        return [Segment(0.0, 1.0, f"{audio[0]:g}")], "en"


def test_a_failing_group_is_retried_file_by_file() -> None:
    """Protection: one bad file in a group does not cost the others their transcripts;
    without the retry every file of the group would be reported failed."""
    engine = Stub()
    audios = [np.full(16, 1.0), np.zeros(16), np.full(16, 3.0)]
    results = batching.transcribe_group(engine, audios, OFF)
    assert [r[0][0].text if not isinstance(r, Exception) else "error" for r in results] == ["1", "error", "3"]
    assert isinstance(results[1], EngineError) and "stub failed" in str(results[1])
    assert engine.calls == [1.0, 0.0, 1.0, 0.0, 3.0]  # the group first (stopped at the bad file), then one by one


def test_the_stub_is_an_engine() -> None:
    """Protection: the Protocol is all an engine needs; a stub missing ``decode`` is not one."""
    assert isinstance(Stub(), Engine)

    class NoDecode:
        name, multilingual = "partial", False

        def detect_language(self, audio, windows):
            return "en"

    assert not isinstance(NoDecode(), Engine)


def test_a_batch_gives_each_short_file_its_seconds_and_a_long_files_error_to_that_file(tmp_path) -> None:
    engine = Stub()
    found = batching.transcribe_batch(engine, [(tmp_path / "a.wav", np.full(8000, 1.0)), (tmp_path / "b.wav", np.zeros(32000))], OFF)
    assert found[0] == ([Segment(0.0, 1.0, "1")], "en", 0.5)
    assert isinstance(found[1], EngineError)
    (long,) = batching.transcribe_batch(engine, [(tmp_path / "missing.mp3", None)], OFF)
    assert isinstance(long, Exception) and "missing.mp3" in str(long)
