"""transcribe.py and ``jekyll-asr transcribe FILE...``: files outside a site, short ones batched."""

from __future__ import annotations

import tempfile

import pytest

from jekyll_asr.cli import main
from jekyll_asr.config import load_settings
from jekyll_asr.engines import Engine, load_engine
from jekyll_asr.transcribe import transcribe_file, transcribe_files

from .sitefactory import FIXTURES

CLIPS = ["cards-003.wav", "goforward.wav", "welcome.wav"]


@pytest.fixture(scope="module")
def settings():
    with tempfile.TemporaryDirectory() as empty:
        return load_settings(empty, {"model": "tiny.en", "engine": "faster-whisper", "device": "cpu"})


class Counting:
    """The real engine behind the Protocol alone, recording how many files each ``decode`` call spans."""

    def __init__(self, engine) -> None:
        self.engine, self.name, self.calls = engine, engine.name, []

    @property
    def multilingual(self):
        return self.engine.multilingual

    def detect_language(self, audio, window):
        return self.engine.detect_language(audio, window)

    def decode(self, jobs, language, options):
        self.calls.append(len({job.file for job in jobs}))
        return self.engine.decode(jobs, language, options)

    def decode_unsegmented(self, audio, options):
        return self.engine.decode_unsegmented(audio, options)


@pytest.mark.slow
def test_short_files_go_to_the_engine_in_one_call_and_keep_their_words(settings) -> None:
    """Protection: short files share the model's batches and still get their own words;
    without the pipeline's transcribe_many each clip would cost a 30 s window alone."""
    engine = Counting(load_engine("faster-whisper", "tiny.en", device="cpu"))
    assert isinstance(engine, Engine)
    paths = [FIXTURES / n for n in CLIPS]
    together = dict(transcribe_files(paths, settings, engine=engine))
    assert engine.calls[0] == 3  # the first round's one decode call holds a window of every clip
    for path in paths:
        assert transcribe_file(path, settings, engine=engine) == together[path]
    assert "clubs" in " ".join(s.text for s in together[paths[0]].segments).lower()


@pytest.mark.slow
def test_cli_prints_every_good_file_and_one_line_for_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "cards-003.wav"), str(FIXTURES / "not-audio.mp3"), str(FIXTURES / "goforward.wav")]
    code = main(["transcribe", "--model", "tiny.en", *files])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.count("==> ") == 2 and "clubs" in out.lower() and "forward" in out.lower()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "not-audio.mp3" in errors[0] and "not audio" in errors[0]


def test_cli_refuses_a_missing_file_before_loading_any_model(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["transcribe", "--model", "tiny.en", str(FIXTURES / "cards-003.wav"), "no-such.wav"])
    assert code != 0
    assert "no-such.wav: no such file" in capsys.readouterr().err
