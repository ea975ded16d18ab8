"""The include's word highlighting and the <v> caption voices in a real headless Chromium.

A plain page (no Jekyll needed): the real episode-12 audio, its include rendered from the
real model's word times (tests/fixtures/episode-12.words.json) with two speakers laid over
it, the packaged jekyll-asr.js and .css, and the WebVTT file with <v Name> spans as the
player's captions track. Skipped when Chromium is missing (see tests/test_jekyll.py).
"""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from jekyll_asr.paragraphs import build_paragraphs
from jekyll_asr.transcript import AudioTags, Segment, Transcript, Turn
from jekyll_asr.turns import assign_speakers
from jekyll_asr.writers import RenderContext, markdown, vtt
from jekyll_asr.writers.markdown import template_dirs

from .test_jekyll import Chromium, _RangeHandler

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = {"1": "Alice", "2": "Bob & Co"}


def transcript() -> Transcript:
    """episode-12 as two voices (paragraphs alternate), its last segment as an older entry without words."""
    t = Transcript.from_dict(json.loads((FIXTURES / "episode-12.words.json").read_text(encoding="utf-8")))
    turns = [Turn(0.0, 11.0, "1"), Turn(11.0, 23.0, "2"), Turn(23.0, 35.0, "1"), Turn(35.0, 48.0, "2"), Turn(48.0, 70.0, "1")]
    t = assign_speakers(t, turns)
    last = t.segments[-1]
    return replace(t, segments=(*t.segments[:-1], Segment(last.start, last.end, last.text, (), last.speaker)))


def page(folder: Path) -> Transcript:
    t = transcript()
    ctx = RenderContext(
        transcript=t, tags=AudioTags(), slug="episode-12", title="Episode 12", audio_url="/episode-12.mp3", language="en",
        paragraphs=build_paragraphs(t), chapters=(), captions={"vtt": "/episode-12.vtt"}, speaker_names=NAMES,
    )
    include = markdown.render(ctx).replace("{% raw %}", "").replace("{% endraw %}", "")
    (folder / "episode-12.vtt").write_text(vtt.render(ctx), encoding="utf-8")
    shutil.copy(FIXTURES / "episode-12.mp3", folder / "episode-12.mp3")
    assets = template_dirs()[0] / "site" / "assets"
    shutil.copy(assets / "js" / "jekyll-asr.js", folder / "jekyll-asr.js")
    shutil.copy(assets / "css" / "jekyll-asr.css", folder / "jekyll-asr.css")
    (folder / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Episode 12</title>'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/jekyll-asr.css"><script src="/jekyll-asr.js" defer></script></head><body>'
        '<figure class="asr-player"><audio controls preload="auto" src="/episode-12.mp3">'
        '<track kind="captions" srclang="en" label="English" src="/episode-12.vtt" default></audio>'
        f'<div class="asr-caption" aria-hidden="true"></div></figure>{include}</body></html>',
        encoding="utf-8",
    )
    return t


@pytest.fixture
def served_page(tmp_path: Path):
    folder = tmp_path / "www"
    folder.mkdir()
    t = page(folder)
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", t
    server.shutdown()
    server.server_close()


# Sets currentTime, waits for "seeked", and reads back the highlighted words.
AT = """new Promise(resolve => {
  const audio = document.querySelector('audio');
  const done = () => resolve({t: audio.currentTime, now: [...document.querySelectorAll('.asr-now')].map(s => s.textContent)});
  const ready = () => { audio.addEventListener('seeked', () => setTimeout(done, 50), {once: true}); audio.currentTime = %f; };
  if (audio.readyState >= 1) ready(); else audio.addEventListener('loadedmetadata', ready, {once: true});
})"""

# Plays for a while and checks the lit word against the clock, several times while it plays.
PLAYING = """new Promise(resolve => {
  const audio = document.querySelector('audio');
  const seen = [];
  audio.currentTime = 11.5;
  audio.play().then(() => {
    const look = setInterval(() => {
      const lit = document.querySelector('.asr-now');
      if (lit) seen.push({word: lit.textContent, start: parseFloat(lit.dataset.start), t: audio.currentTime});
    }, 100);
    setTimeout(() => { clearInterval(look); audio.pause(); resolve(seen); }, 2500);
  }, e => resolve({error: String(e)}));
})"""

CLICK_WORD = """new Promise(resolve => {
  const audio = document.querySelector('audio');
  const word = [...document.querySelectorAll('.asr-w')].find(s => s.textContent === %s);
  word.click();
  setTimeout(() => { audio.pause(); resolve({start: parseFloat(word.dataset.start), now: audio.currentTime}); }, 300);
})"""

VOICES = """new Promise(resolve => {
  const el = document.querySelector('audio track');
  const read = () => { const cues = [...el.track.cues];
    resolve(cues.map(c => ({text: c.text, title: (c.getCueAsHTML().querySelector('span[title]') || {}).title || null}))); };
  if (el.readyState >= 2) read(); else { el.addEventListener('load', read); setTimeout(read, 10000); }
})"""


def word_at(t: Transcript, text: str) -> tuple[float, float]:
    word = next(w for s in t.segments for w in s.words if w.text.strip() == text)
    return word.start, word.end


@pytest.mark.browser
@pytest.mark.slow
def test_words_light_up_as_time_moves_and_a_click_seeks(served_page, browser: Chromium) -> None:
    url, t = served_page
    browser.open(url)
    assert browser.evaluate("document.querySelectorAll('.asr-w').length") == sum(len(s.text.split()) for s in t.segments)
    for text in ("accessibility.", "cached", "privacy,"):
        start, end = word_at(t, text)
        assert browser.evaluate(AT % ((start + end) / 2))["now"] == [text]
    last = t.segments[-1]  # no word times: its words light up together
    assert browser.evaluate(AT % ((last.start + last.end) / 2))["now"] == last.text.split()
    seen = browser.evaluate(PLAYING)
    assert isinstance(seen, list) and len(seen) >= 5, seen
    assert all(s["start"] <= s["t"] + 0.3 for s in seen)  # the lit word is the one being spoken
    assert len({s["word"] for s in seen}) >= 3  # it moves along
    click = browser.evaluate(CLICK_WORD % json.dumps("speed."))
    assert click["start"] == pytest.approx(word_at(t, "speed.")[0], abs=0.011)
    assert click["now"] == pytest.approx(click["start"], abs=0.5)
    assert browser.evaluate("document.querySelectorAll('.asr-speaker').length") == 5
    assert browser.errors() == []


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_reads_the_voice_of_every_caption(served_page, browser: Chromium) -> None:
    url, _ = served_page
    browser.open(url)
    cues = browser.evaluate(VOICES)
    assert cues and all(c["text"].startswith(("<v Alice>", "<v Bob &amp; Co>")) for c in cues)
    assert {c["title"] for c in cues} == {"Alice", "Bob & Co"}
    caption = browser.evaluate(AT % 1.0 + ".then(() => new Promise(r => setTimeout(() => r(document.querySelector('.asr-caption').textContent), 300)))")
    assert caption.startswith("Alice: Hello")
    assert browser.errors() == []
