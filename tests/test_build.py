"""End to end: a small site, the real bundled tiny.en model, the real cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jekyll_asr.build import build
from jekyll_asr.config import load_settings

from .sitefactory import Fixture, make_site

pytestmark = pytest.mark.slow

POST = """---
# A comment the tool must keep.
title:   "Episode one"   # trailing comment
layout: post
tags: [b, a]
zeta: 1
alpha: {nested: true}
audio: /assets/audio/welcome.mp3
---
{% assign x = site.title %}{{ x }} and {{ page.title }}
---
Not front matter.
"""

SITE = {
    "_config.yml": "title: T\nasr:\n  model: tiny.en\n  language: en\n",
    "assets/audio/welcome.mp3": Fixture("welcome.mp3"),
    "assets/audio/go.wav": Fixture("goforward.wav"),
    "assets/audio/copy-of-go.wav": Fixture("goforward.wav"),
    "assets/img/cover.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    "_posts/2026-01-01-one.md": POST,
    "_posts/2026-01-02-two.md": "---\ntitle: Two\n---\n<audio src=\"/assets/audio/go.wav\"></audio>\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    site = make_site(tmp_path_factory.mktemp("site"), SITE)
    report = build(load_settings(site), say=lambda m: None)
    return site, report


def test_first_build_transcribes_each_content_once(built) -> None:
    site, report = built
    assert report.failed == []
    assert sorted(report.transcribed) in (
        ["assets/audio/copy-of-go.wav", "assets/audio/welcome.mp3"],
        ["assets/audio/go.wav", "assets/audio/welcome.mp3"],
    )
    assert len(report.cached) == 1  # the second path of the same bytes
    include = (site / "_includes/transcripts/one.md").read_text()  # named after the post that uses it
    # tiny.en int8 hears "static sites" or "static science" depending on the CPU's int8 kernels
    assert "welcome to the show" in include.lower() and "every episode" in include.lower()
    for ext in ("vtt", "srt", "json", "txt"):
        assert (site / f"assets/transcripts/one.{ext}").is_file()
    assert "forward" in (site / "assets/transcripts/two.txt").read_text().lower()
    assert (site / "_includes/transcripts/copy-of-go.md").is_file()  # used by no post, still rendered
    entries = list((site / ".jekyll-asr/cache").glob("??/*.json"))
    assert len(entries) == 2


def test_front_matter_gains_only_the_managed_key(built) -> None:
    site, _ = built
    text = (site / "_posts/2026-01-01-one.md").read_text()
    head, _managed, tail = text.partition("transcript:\n")
    assert head == POST.split("---\n{%", maxsplit=1)[0]  # every byte before the key is the user's
    assert tail.split("---\n", 1)[1] == POST.split("---\n", 2)[2]  # and the whole body
    import yaml

    data = yaml.safe_load(text.split("---\n")[1])
    assert data["transcript"]["include"] == "transcripts/one.md"
    assert data["transcript"]["words"] > 10 and data["transcript"]["language"] == "en"
    assert "title" not in data["transcript"] or data["title"] == "Episode one"


def test_unchanged_rebuild_loads_no_model_and_imports_no_torch(built) -> None:
    site, _ = built
    code = (
        "import sys, json; from jekyll_asr.build import build; from jekyll_asr.config import load_settings;"
        "r = build(load_settings(sys.argv[1]), say=lambda m: None);"
        "print(json.dumps({'t': r.transcribed, 'o': r.outputs, 'd': r.documents, 'm': r.model_loaded,"
        "'torch': 'torch' in sys.modules, 'tf': 'transformers' in sys.modules, 'av': 'av' in sys.modules, 'np': 'numpy' in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result == {"t": [], "o": [], "d": [], "m": False, "torch": False, "tf": False, "av": False, "np": False}


def test_touch_is_not_a_change_but_new_bytes_are(built) -> None:
    site, _ = built
    audio = site / "assets/audio/welcome.mp3"
    os.utime(audio, None)
    report = build(load_settings(site), say=lambda m: None)
    assert report.transcribed == [] and not report.model_loaded
    # cards-003 ("seven of clubs"): tiny.en hears it right in every decode mode we measured
    shutil.copyfile(Path(__file__).parent / "fixtures/cards-003.wav", site / "assets/audio/go.wav")
    report = build(load_settings(site), say=lambda m: None)
    assert report.transcribed == ["assets/audio/go.wav"]
    assert "clubs" in (site / "assets/transcripts/two.txt").read_text().lower()


def test_template_override_rerenders_without_transcribing(built) -> None:
    site, _ = built
    (site / "_asr_templates").mkdir(exist_ok=True)
    (site / "_asr_templates/transcript.md.j2").write_text("CUSTOM {{ paragraphs | length }} paragraphs\n")
    report = build(load_settings(site), say=lambda m: None)
    assert report.transcribed == [] and "_includes/transcripts/one.md" in report.outputs
    assert (site / "_includes/transcripts/one.md").read_text().startswith("CUSTOM")
    shutil.rmtree(site / "_asr_templates")
    build(load_settings(site), say=lambda m: None)


def test_cli_json_report_and_bad_audio(tmp_path: Path) -> None:
    site = make_site(tmp_path, {
        "_config.yml": "asr:\n  model: tiny.en\n",
        "assets/good.wav": Fixture("cards-003.wav"),
        "assets/bad.mp3": Fixture("truncated.mp3"),
        "_posts/2026-01-01-bad.md": "---\ntitle: Bad\naudio: /assets/bad.mp3\n---\n",
    })
    before = (site / "_posts/2026-01-01-bad.md").read_bytes()
    out = subprocess.run([sys.executable, "-m", "jekyll_asr", "build", str(site), "--json"], capture_output=True, check=False, text=True)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert set(report) >= {"transcribed", "cached", "failed", "outputs"}
    assert report["transcribed"] == ["assets/good.wav"]
    assert [f["path"] for f in report["failed"]] == ["assets/bad.mp3"]
    assert "truncated" in report["failed"][0]["error"] and "\n" not in report["failed"][0]["error"]
    assert (site / "_posts/2026-01-01-bad.md").read_bytes() == before
    assert not (site / "_includes/transcripts/bad.md").exists()
    assert len(list((site / ".jekyll-asr/cache").glob("??/*.json"))) == 1


def test_offline_hub_model_is_one_clear_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"_config.yml": "asr:\n  model: openai/whisper-large-v3-turbo\n", "assets/a.wav": Fixture("cards-001.wav")})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    out = subprocess.run([sys.executable, "-m", "jekyll_asr", "build", str(site)], capture_output=True, check=False, text=True, env=env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    assert "openai/whisper-large-v3-turbo" in out.stdout + out.stderr


@pytest.mark.parametrize("glossary", [None, "[Jekyll, WebVTT]"])
def test_episode_12_paragraphs_and_chapters(tmp_path: Path, glossary: str | None) -> None:
    """Six paragraphs split by 1.5 s pauses, three ID3 chapters, with or without a prompt."""
    config = "asr:\n  model: tiny.en\n" + (f"  glossary: {glossary}\n" if glossary else "")
    site = make_site(tmp_path, {"_config.yml": config, "assets/ep.mp3": Fixture("episode-12.mp3")})
    report = build(load_settings(site), say=lambda m: None)
    assert report.failed == []
    import re

    html = (site / "_includes/transcripts/ep.md").read_text()
    starts = [float(x) for x in re.findall(r'<p class="asr-paragraph" data-start="([0-9.]+)"', html)]
    speech_starts = [0.0, 11.5, 23.7, 35.25, 48.66, 57.5]  # where each spoken paragraph begins
    assert len(starts) == 6, starts
    assert all(abs(a - b) <= 1.0 for a, b in zip(starts, speech_starts, strict=True)), starts
    assert re.findall(r'class="asr-chapter"[^>]*>([^<]+)<', html) == ["Intro", "Accessibility", "Outro"]
    chapters = json.loads((site / "assets/transcripts/ep.chapters.json").read_text())
    assert [c["title"] for c in chapters["chapters"]] == ["Intro", "Accessibility", "Outro"]


def test_example_site_is_shipped_untranscribed() -> None:
    """`make demo` must have work to do: the repository's posts carry no managed key or outputs.

    In a git checkout the committed posts are read, not the working tree: the
    README's two commands run `make demo` (which adds the key) before `make test`.
    """
    root = Path(__file__).parent.parent
    example = root / "example_site"
    tracked = subprocess.run(["git", "ls-files", "example_site"], cwd=root, capture_output=True, check=False, text=True).stdout
    if tracked:  # a git checkout (not an sdist)
        assert "example_site/_includes/transcripts/" not in tracked and ".jekyll-asr" not in tracked
        posts = [rel for rel in tracked.splitlines() if rel.startswith("example_site/_posts/") and rel.endswith(".md")]
        texts = {rel: subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True, text=True, check=True).stdout
                 for rel in posts}
    else:
        texts = {str(post): post.read_text() for post in (example / "_posts").glob("*.md")}
    assert len(texts) == 3
    for post, text in texts.items():
        assert "\ntranscript:" not in text, post


def test_new_short_clips_share_one_engine_call_and_get_their_own_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short files are transcribed as a group (their windows share batches); a file that
    cannot be decoded is reported on its own line and does not stop the group."""
    import importlib

    transcribing = importlib.import_module("jekyll_asr.transcribing")

    from .test_transcribe import Counting

    site = make_site(tmp_path, {
        "_config.yml": "title: T\nasr:\n  model: tiny.en\n  engine: faster-whisper\n",
        "assets/audio/a.wav": Fixture("cards-003.wav"),
        "assets/audio/b.wav": Fixture("goforward.wav"),
        "assets/audio/broken.mp3": Fixture("truncated.mp3"),
        "assets/audio/c.mp3": Fixture("welcome.mp3"),
    })
    real_get = transcribing.LazyEngine.get
    counted: list[Counting] = []

    def get(self):
        if not counted:
            counted.append(Counting(real_get(self)))
        return counted[0]

    monkeypatch.setattr(transcribing.LazyEngine, "get", get)
    report = build(load_settings(site), say=lambda m: None)
    assert sorted(report.transcribed) == ["assets/audio/a.wav", "assets/audio/b.wav", "assets/audio/c.mp3"]
    assert [f.path for f in report.failed] == ["assets/audio/broken.mp3"]
    assert sum(counted[0].calls) == 3 and max(counted[0].calls) >= 2  # grouped, each file once
    assert "clubs" in (site / "assets/transcripts/a.txt").read_text().lower()
    assert "forward" in (site / "assets/transcripts/b.txt").read_text().lower()
    assert "welcome" in (site / "assets/transcripts/c.txt").read_text().lower()
