"""Long files are transcribed block by block, cut at pauses, on the file's own timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jekyll_asr.audio import SAMPLE_RATE, decode
from jekyll_asr.engines import DecodeOptions, pipeline
from jekyll_asr.engines.windows import WindowJob
from jekyll_asr.longform import quietest_cut, transcribe_path
from jekyll_asr.transcript import Segment, Word
from jekyll_asr.vad import Span

FIXTURES = Path(__file__).parent / "fixtures"


def test_cut_lands_in_the_pause() -> None:
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.3, SAMPLE_RATE * 30).astype(np.float32)
    audio[SAMPLE_RATE * 25 : SAMPLE_RATE * 26] = 0.0  # a one-second pause 5 s before the end
    cut = quietest_cut(audio, search=SAMPLE_RATE * 10)
    assert SAMPLE_RATE * 25 <= cut <= SAMPLE_RATE * 26


class RecordingEngine:
    """Stands in for the model only to record what it was given (the real models are tested elsewhere).

    With ``vad: false`` the pipeline hands each block whole to ``decode_unsegmented``.
    """

    name = "recording"
    multilingual = False

    def __init__(self) -> None:
        self.blocks: list[int] = []

    def detect_language(self, audio: np.ndarray, windows: list[Span]) -> list[tuple[str, float]]:
        raise AssertionError("an English-only engine is never asked its language")

    def decode(self, jobs: list[WindowJob], language: str, options: DecodeOptions) -> list[list[Segment]]:
        raise AssertionError("vad: false never decodes windows")

    def decode_unsegmented(self, audio: np.ndarray, options: DecodeOptions) -> tuple[list[Segment], str]:
        self.blocks.append(audio.size)
        return [Segment(0.5, audio.size / SAMPLE_RATE - 0.5, f"block {len(self.blocks)}")], "en"


def test_blocks_cover_the_file_once_in_order() -> None:
    engine = RecordingEngine()
    path = FIXTURES / "episode-12.mp3"
    options = DecodeOptions(language="en", vad=False)
    segments, _language, duration = transcribe_path(engine, path, options, block_seconds=20.0)
    whole = decode(path)
    assert sum(engine.blocks) == whole.size  # every sample once, nothing dropped or repeated
    assert len(engine.blocks) >= 3 and max(engine.blocks) <= 40 * SAMPLE_RATE  # never the whole file at once
    assert abs(duration - whole.size / SAMPLE_RATE) < 1e-6
    starts = [s.start for s in segments]
    assert starts == sorted(starts) and segments[-1].end <= duration


@pytest.mark.slow
def test_blocked_words_are_as_good_as_whole_file_words() -> None:
    """Blocks cut at pauses cost no accuracy: both transcripts are held to the reference text."""
    from jekyll_asr.engines import load_engine

    engine = load_engine("faster-whisper", "tiny.en", device="cpu")
    options = DecodeOptions(language="en")
    path = FIXTURES / "episode-12.mp3"
    whole, _ = pipeline.transcribe(engine, decode(path), options)
    blocked, _, _ = transcribe_path(engine, path, options, block_seconds=25.0)
    import re

    import jiwer

    def text(words: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", words.lower().replace("'s", " is")).split())

    reference = text((FIXTURES / "episode-12.txt").read_text())
    whole_wer = jiwer.wer(reference, text(" ".join(s.text for s in whole)))
    blocked_wer = jiwer.wer(reference, text(" ".join(s.text for s in blocked)))
    assert whole_wer <= 0.12
    assert blocked_wer <= whole_wer + 0.03


class SpeakingEngine(RecordingEngine):
    """Each block: one segment with two words; the last block "speaks German" (the model is tested elsewhere)."""

    multilingual = True

    def __init__(self, blocks: int) -> None:
        super().__init__()
        self.last = blocks

    def decode_unsegmented(self, audio: np.ndarray, options: DecodeOptions) -> tuple[list[Segment], str]:
        self.blocks.append(audio.size)
        language = "de" if len(self.blocks) == self.last else "en"
        words = (Word(1.0, 1.5, " block", 0.9), Word(1.5, 2.0, f" {len(self.blocks)}", None))
        return [Segment(1.0, 2.0, f"block {len(self.blocks)}", words)], language


def test_blocks_move_words_and_settle_the_files_language() -> None:
    """Protection: a block's words move to the file's timeline with their segment, and the file's
    language is the one spoken longest over all blocks (a block in another language marks its
    segments). Without it words after the first block point into the first ten minutes, and a long
    episode's language is whatever its last block spoke."""
    path = FIXTURES / "episode-12.mp3"
    probe = RecordingEngine()
    transcribe_path(probe, path, DecodeOptions(language="en", vad=False), block_seconds=20.0)
    engine = SpeakingEngine(len(probe.blocks))
    segments, language, _ = transcribe_path(engine, path, DecodeOptions(vad=False), block_seconds=20.0)
    assert language == "en"
    offsets = np.cumsum([0, *engine.blocks[:-1]]) / SAMPLE_RATE
    for segment, offset in zip(segments, offsets, strict=True):
        assert segment.start == round(1.0 + offset, 3)
        assert [(w.start, w.end) for w in segment.words] == [(round(1.0 + offset, 3), round(1.5 + offset, 3)), (round(1.5 + offset, 3), round(2.0 + offset, 3))]
    assert [s.language for s in segments] == [None] * (len(segments) - 1) + ["de"]
