"""Progress: a bar on a terminal, plain lines in logs, nothing with -q or --json."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jekyll_asr.progress import format_seconds, progress_for

from .sitefactory import Fixture, make_site


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def args(**kw) -> argparse.Namespace:
    return argparse.Namespace(quiet=kw.get("quiet", False), json=kw.get("json", False))


def drive(stream: io.StringIO, namespace: argparse.Namespace, *, total: bool = True) -> str:
    with progress_for(namespace, stream=stream) as progress:
        if total:
            progress.total(90.0)
        progress.file_started("assets/audio/a.mp3", 60.0)
        progress.advance(60.0)
        progress.file_started("assets/audio/b.mp3", 30.0)
        progress.advance(10.0)  # an engine may report a file in parts
        progress.advance(20.0)
    return stream.getvalue()


def test_plain_lines_when_not_a_terminal() -> None:
    out = drive(io.StringIO(), args())
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert lines[0] == "jekyll-asr: transcribing assets/audio/a.mp3 (1:00 of audio) [0% of 1:30]"
    assert lines[1].startswith("jekyll-asr: transcribed assets/audio/a.mp3 in ")
    assert lines[2].startswith("jekyll-asr: transcribing assets/audio/b.mp3 (0:30 of audio) [67% of 1:30, ETA ")
    assert lines[3].startswith("jekyll-asr: transcribed assets/audio/b.mp3 in ")
    assert len(lines) == 4


def test_plain_lines_without_a_total() -> None:
    out = drive(io.StringIO(), args(), total=False)
    assert out.splitlines()[2] == "jekyll-asr: transcribing assets/audio/b.mp3 (0:30 of audio)"


def test_bar_on_a_terminal() -> None:
    out = drive(FakeTerminal(), args())
    assert "\r" in out  # tqdm redraws in place
    assert "90/90 s" in out and "audio" in out
    assert "a.mp3" in out


def test_bar_without_a_total_counts_seconds() -> None:
    out = drive(FakeTerminal(), args(), total=False)
    assert "90 s transcribed" in out


@pytest.mark.parametrize("flags", [{"quiet": True}, {"json": True}])
def test_nothing_with_quiet_or_json(flags: dict) -> None:
    assert drive(FakeTerminal(), args(**flags)) == ""
    assert drive(io.StringIO(), args(**flags)) == ""


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (0, 59.6, 61, 3600, 3723.4)] == ["0:00", "1:00", "1:01", "1:00:00", "1:02:03"]


@pytest.mark.slow
def test_captured_build_prints_no_control_characters(tmp_path: Path) -> None:
    """A real build with stdout and stderr captured (a CI log): plain lines only."""
    site = make_site(tmp_path / "site", {
        "_config.yml": "asr:\n  model: tiny.en\n  language: en\n  formats: [txt]\n",
        "assets/audio/go.wav": Fixture("goforward.wav"),
    })
    done = subprocess.run(
        [sys.executable, "-m", "jekyll_asr", "build", str(site)],
        capture_output=True, check=False, text=True, env=os.environ.copy(), timeout=600,
    )
    assert done.returncode == 0, done.stderr
    both = done.stdout + done.stderr
    assert "\r" not in both and "\x1b" not in both
    assert "jekyll-asr: transcribing assets/audio/go.wav (0:" in done.stderr
    assert "forward" in (site / "assets/transcripts/go.txt").read_text().lower()
