"""What a visitor sees: the example site built by the real Jekyll, then opened in headless
Chromium (driven over the DevTools protocol with websocket-client), and the Jekyll plugin.

Skipped when Debian's ``jekyll`` / ``chromium`` are missing, unless
JEKYLL_ASR_REQUIRE_TOOLS=1 (then a missing tool fails). JEKYLL_ASR_ARTIFACTS=DIR keeps
the screenshots.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import ClassVar

import pytest

from tests.sitefactory import Fixture, make_site

EXAMPLE = Path(__file__).resolve().parents[1] / "example_site"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--window-size=1000,1500",
    "--remote-debugging-port=0",
)


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found:
        return found
    if os.environ.get("JEKYLL_ASR_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{tool} is required (JEKYLL_ASR_REQUIRE_TOOLS=1) but not on PATH; apt-get install {tool}")
    pytest.skip(f"{tool} not installed")


def jekyll_build(site: Path, **env: str) -> subprocess.CompletedProcess:
    """``jekyll build`` with the venv's jekyll-asr first on PATH (for the plugin)."""
    environ = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **env}
    return subprocess.run(
        [need("jekyll"), "build", "--source", str(site), "--destination", str(site / "_site")],
        env=environ, capture_output=True, check=False, text=True, timeout=300,
    )


def jekyll_asr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jekyll_asr", *args], capture_output=True, check=False, text=True, timeout=900)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of example_site after the real ``jekyll-asr build`` and ``jekyll build``: its _site."""
    need("jekyll")
    site = tmp_path_factory.mktemp("example") / "site"
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("_site", ".jekyll-cache", ".jekyll-asr", "transcripts"))
    done = jekyll_asr("build", str(site))
    assert done.returncode == 0, done.stdout + done.stderr
    built = jekyll_build(site)
    assert built.returncode == 0, built.stdout + built.stderr
    return site / "_site"


def _page(site: Path, slug: str) -> str:
    return next(site.glob(f"20*/*/*/{slug}/index.html")).read_text(encoding="utf-8")


@pytest.mark.jekyll
@pytest.mark.slow
def test_post_pages_show_the_transcript(built_site: Path) -> None:
    episode = _page(built_site, "episode-12")
    text = re.sub(r"<[^>]+>", " ", episode).lower()
    for words in ("accessibility", "captions", "privacy", "thank you for listening"):
        assert words in text
    paragraph = r'<p class="asr-paragraph" data-start="[\d.]+" data-end="[\d.]+"><a class="asr-ts" href="#t='
    assert len(re.findall(paragraph, episode)) >= 3  # six spoken parts; paragraphing may merge some
    assert "{% raw %}" not in episode and "{{" not in episode  # Liquid rendered, nothing leaked
    player = _page(built_site, "go-forward")  # no <audio> of its own: the layout adds the player
    track = re.search(r'<track kind="captions" srclang="en" label="English" src="([^"]+)" default>', player)
    assert track and (built_site / track.group(1).lstrip("/")).read_text(encoding="utf-8").startswith("WEBVTT")
    assert "go forward" in re.sub(r"<[^>]+>", " ", player).lower()


@pytest.mark.jekyll
@pytest.mark.slow
def test_feed_transcript_urls_exist_in_site(built_site: Path) -> None:
    feed = ET.parse(built_site / "feed.xml")
    items = feed.findall("./channel/item")
    assert len(items) == 3
    base = "http://localhost:4000"  # example_site's url
    types = set()
    for item in items:
        enclosure = item.find("enclosure")
        assert enclosure is not None and (built_site / enclosure.get("url").removeprefix(base).lstrip("/")).is_file()
        tags = item.findall(f"{{{PODCAST_NS}}}transcript") + item.findall(f"{{{PODCAST_NS}}}chapters")
        assert tags, ET.tostring(item, encoding="unicode")
        for tag in tags:
            url = tag.get("url")
            assert url.startswith(base + "/")
            assert (built_site / url.removeprefix(base + "/")).is_file(), url
            types.add(tag.get("type"))
            if tag.tag.endswith("transcript"):
                assert tag.get("language") == "en"
    assert types == {"text/vtt", "application/x-subrip", "application/json", "text/plain", "application/json+chapters"}


# ---- headless Chromium over the DevTools protocol -------------------------------------


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges: Chromium can seek audio only when ranges work."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map, ".vtt": "text/vtt", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[override]
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if m is None or not os.path.isfile(path):
            return super().send_head()
        data = Path(path).read_bytes()
        start, end = int(m.group(1)), min(int(m.group(2) or len(data) - 1), len(data) - 1)
        if start >= len(data):
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(data[start : end + 1])


@pytest.fixture(scope="module")
def served(built_site: Path):
    """``_site`` over HTTP on a free port of 127.0.0.1; yields the base URL."""
    handler = lambda *a, **k: _RangeHandler(*a, directory=str(built_site), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Chromium:
    """One headless Chromium with one page, spoken to over the DevTools websocket."""

    def __init__(self, binary: str, profile: Path) -> None:
        import websocket  # websocket-client

        profile.mkdir(parents=True, exist_ok=True)
        self.log = open(profile / "chromium.log", "wb")  # noqa: SIM115 - Chromium's output while it runs; closed in close()
        self.proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"], stdout=self.log, stderr=self.log)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise AssertionError(f"chromium did not start: {(profile / 'chromium.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        self.ws.settimeout(timeout)
        while not any(e.get("method") == event for e in self.events):
            assert time.monotonic() < deadline, f"no {event} within {timeout} s"
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> None:
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.exceptionThrown":
                found.append(json.dumps(p["exceptionDetails"])[:500])
            elif e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append(json.dumps(p.get("args"))[:500])
            elif e.get("method") == "Log.entryAdded" and p["entry"].get("level") == "error":
                found.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return found

    def screenshot(self, path: Path) -> Path:
        height = self.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height) + 16")
        clip = {"x": 0, "y": 0, "width": self.evaluate("innerWidth"), "height": min(height, 4000), "scale": 1}
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        path.write_bytes(base64.b64decode(data))
        artifacts = os.environ.get("JEKYLL_ASR_ARTIFACTS")
        if artifacts:
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(artifacts) / path.name)
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# Resolves once the page's captions track has loaded (readyState 2) or failed (3).
TRACK_LOADED = """new Promise(resolve => {
  const track = document.querySelector('audio track');
  if (!track) return resolve(null);
  const done = () => resolve({state: track.readyState, cues: track.track.cues ? track.track.cues.length : 0, mode: track.track.mode});
  if (track.readyState >= 2) return done();
  track.addEventListener('load', done); track.addEventListener('error', done); setTimeout(done, 15000);
})"""

# Clicks the N-th timestamp, waits for the seek, and reads the player back.
CLICK_TIMESTAMP = """new Promise(resolve => {
  const link = document.querySelectorAll('.asr-transcript .asr-ts')[%d];
  const audio = document.querySelector('audio');
  const start = parseFloat(link.dataset.start);
  link.click();
  const right_after = audio.currentTime;
  setTimeout(() => resolve({start, right_after, now: audio.currentTime, hash: location.hash,
    current: [...document.querySelectorAll('.asr-current')].map(p => parseFloat(p.dataset.start)),
    caption: (document.querySelector('.asr-caption') || {}).textContent || null}), 1500);
})"""

VISIBLE_TRANSCRIPT = """(() => {
  const t = document.querySelector('.asr-transcript');
  const r = t.getBoundingClientRect();
  return {text: t.innerText, width: r.width, height: r.height, display: getComputedStyle(t).display};
})()"""


@pytest.mark.jekyll
@pytest.mark.browser
@pytest.mark.slow
def test_episode_page_in_chromium(served: str, browser: Chromium, tmp_path: Path) -> None:
    # The episode keeps the post's own <audio>: jekyll-asr.js adds the captions track to it.
    browser.open(f"{served}/2026/11/08/episode-12/")
    shown = browser.evaluate(VISIBLE_TRANSCRIPT)
    assert shown["width"] > 200 and shown["height"] > 200 and shown["display"] != "none"
    assert "accessibility" in shown["text"].lower()
    track = browser.evaluate(TRACK_LOADED)
    assert track == {"state": 2, "cues": track["cues"], "mode": "hidden"} and track["cues"] >= 4
    seek = browser.evaluate(CLICK_TIMESTAMP % 2)
    assert seek["start"] > 5
    assert abs(seek["right_after"] - seek["start"]) < 0.01, seek
    assert seek["start"] - 0.01 <= seek["now"] < seek["start"] + 3, seek
    assert seek["hash"] == f"#t={seek['start']:g}"
    assert seek["current"] == [seek["start"]], seek  # that paragraph is highlighted
    browser.screenshot(tmp_path / "episode-12.png")
    assert (tmp_path / "episode-12.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # #t=SECONDS in the URL seeks on load; the layout's own player has a <track default>.
    browser.open(f"{served}/2026/11/15/go-forward/#t=1.5")
    track = browser.evaluate(TRACK_LOADED)
    assert track["state"] == 2 and track["cues"] >= 1, track
    at = browser.evaluate(
        "new Promise(r => { const a = document.querySelector('audio'); const read = () => r(a.currentTime);"
        " a.readyState >= 1 ? read() : a.addEventListener('loadedmetadata', read); })"
    )
    assert abs(at - 1.5) < 0.01
    seek = browser.evaluate(CLICK_TIMESTAMP % 0)
    assert seek["right_after"] == pytest.approx(seek["start"], abs=0.01)
    browser.screenshot(tmp_path / "go-forward.png")
    assert browser.errors() == []


# ---- the Jekyll plugin ----------------------------------------------------------------


PLUGIN_POST = """---
layout: post
title: Cards
audio: /assets/audio/cards.wav
---
A card called out loud.
"""
PLUGIN_LAYOUT = """<html><body>{% include asr/audio-player.html %}{{ content }}{% include asr/transcript.html %}</body></html>
"""


def _plugin_site(root: Path, audio: Fixture, config: str = "title: Plugin test\n") -> Path:
    site = make_site(
        root, {"_config.yml": config, "_posts/2026-01-02-cards.md": PLUGIN_POST, "_layouts/post.html": PLUGIN_LAYOUT, "assets/audio/cards.wav": audio},
    )
    done = jekyll_asr("init", str(site), "--plugin", "--model", "tiny.en", "--language", "en")
    assert done.returncode == 0, done.stderr
    assert (site / "_plugins" / "jekyll_asr.rb").is_file()
    return site


@pytest.mark.jekyll
@pytest.mark.slow
def test_plugin_runs_jekyll_asr_build_before_jekyll_reads_the_site(tmp_path: Path) -> None:
    site = _plugin_site(tmp_path, Fixture("cards-003.wav"))
    built = jekyll_build(site)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "jekyll-asr:" in built.stdout
    html = next((site / "_site").rglob("cards.html")).read_text(encoding="utf-8")
    assert 'class="asr-paragraph"' in html and "clubs" in html.lower()
    assert (site / "_site" / "assets" / "transcripts" / "cards.vtt").is_file()
    assert "transcript:" in (site / "_posts" / "2026-01-02-cards.md").read_text(encoding="utf-8")


@pytest.mark.jekyll
def test_plugin_outcomes_without_a_model(tmp_path: Path) -> None:
    # A file that fails (exit 1) is a warning: the site is still built.
    site = _plugin_site(tmp_path / "warn", Fixture("truncated.wav"))
    built = jekyll_build(site)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "some audio was not transcribed" in built.stdout + built.stderr
    assert (site / "_site" / "assets" / "audio" / "cards.wav").is_file()

    # JEKYLL_ASR_SKIP=1 builds without running it.
    skipped = jekyll_build(site, JEKYLL_ASR_SKIP="1")
    assert skipped.returncode == 0 and "skipped (JEKYLL_ASR_SKIP=1)" in skipped.stdout

    # A missing command stops the build and says what to do.
    missing = jekyll_build(site, JEKYLL_ASR_COMMAND=str(tmp_path / "no-such-jekyll-asr"))
    assert missing.returncode != 0
    assert "not found" in missing.stdout + missing.stderr and "JEKYLL_ASR_SKIP=1" in missing.stdout + missing.stderr

    # A crash (a Python traceback, exit 1) is not mistaken for "some files failed".
    crash = jekyll_build(site, JEKYLL_ASR_COMMAND=f"{sys.executable} -c 'raise RuntimeError(42)'")
    assert crash.returncode != 0 and "jekyll-asr crashed" in crash.stdout + crash.stderr

    # A bad asr: block (exit 2) stops the build with jekyll-asr's message.
    bad = _plugin_site(tmp_path / "bad", Fixture("truncated.wav"), config="title: Bad\nasr:\n  beam_size: 99\n")
    failed = jekyll_build(bad)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and "asr.beam_size" in out and "exited with 2" in out
    assert not (bad / "_site").exists()


# ---- audio names with #, ?, %, spaces and non-ASCII: every URL written is percent-encoded ----------

ODD_NAMES = {"hash": "ep #1 ?100%.mp3", "cafe": "café ünï.wav"}
ODD_LAYOUT = (
    '<html><body>{% unless content contains "<audio" %}{% include asr/audio-player.html %}{% endunless %}'
    "{{ content }}{% include asr/transcript.html %}</body></html>\n"
)


@pytest.fixture(scope="module")
def odd_names_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site under a baseurl whose audio is named ``ep #1 ?100%.mp3`` (front matter, the raw name) and
    ``café ünï.wav`` (an ``<audio>`` with the encoded URL), after the real ``jekyll-asr build``."""
    site = make_site(tmp_path_factory.mktemp("odd") / "site", {
        "_config.yml": "title: Odd names\nurl: https://example.org\nbaseurl: /show\nasr:\n  model: tiny.en\n  language: en\n",
        "_layouts/post.html": ODD_LAYOUT,
        f"assets/audio/{ODD_NAMES['hash']}": Fixture("welcome.mp3"),
        f"assets/audio/{ODD_NAMES['cafe']}": Fixture("cards-001.wav"),
        "_posts/2026-01-01-hash.md": f'---\nlayout: post\ntitle: Hash\naudio: "/assets/audio/{ODD_NAMES["hash"]}"\n---\nHi.\n',
        "_posts/2026-01-02-cafe.md": (
            '---\nlayout: post\ntitle: Cafe\n---\n<audio src="{{ site.baseurl }}/assets/audio/caf%C3%A9%20%C3%BCn%C3%AF.wav" controls></audio>\n'
        ),
    })
    done = jekyll_asr("init", str(site), "--model", "tiny.en", "--language", "en", "--feed")
    assert done.returncode == 0, done.stderr
    done = jekyll_asr("build", str(site), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(json.loads(done.stdout)["documents"]) == ["_posts/2026-01-01-hash.md", "_posts/2026-01-02-cafe.md"]
    return site


def _file_at(root: Path, url: str, base: str = "/show") -> Path:
    """The file a site-local URL names: the URL must be fully percent-encoded (no raw space, #, ?, non-ASCII)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    assert not parts.query and not parts.fragment and parts.path.isascii() and " " not in parts.path, url
    path = unquote(parts.path)
    assert path.startswith(base + "/"), url
    return root / path.removeprefix(base + "/")


def _urls_in(html: str) -> list[str]:
    return [u for u in re.findall(r'(?:src|href|data-audio|data-vtt)="([^"]*)"', html) if not u.startswith("#")]


@pytest.mark.slow
def test_odd_audio_names_get_percent_encoded_urls_everywhere(odd_names_site: Path) -> None:
    """Protection: render.site_url percent-encodes every URL the tool writes (front matter key,
    include's player src and captions links), and the resolver reads ``ep #1 ?100%.mp3`` as the
    file's name. Without it a ``#`` cuts the player's link, a ``?`` starts a query, a ``%`` is read
    as an escape, and the post with the raw name gets no transcript at all."""
    from .integrity import front_matter

    for slug, name in ODD_NAMES.items():
        value = front_matter(next(odd_names_site.glob(f"_posts/*-{slug}.md")))["transcript"]
        assert _file_at(odd_names_site, value["audio"]) == odd_names_site / "assets/audio" / name
        assert value["files"] and all(_file_at(odd_names_site, url).is_file() for url in value["files"].values())
        include = (odd_names_site / "_includes" / value["include"]).read_text(encoding="utf-8")
        urls = _urls_in(include)
        assert value["audio"] in urls and len(urls) >= 5, urls  # data-audio, data-vtt and the four downloads
        assert all(_file_at(odd_names_site, url).is_file() for url in urls)
    hashed = front_matter(odd_names_site / "_posts/2026-01-01-hash.md")["transcript"]["audio"]
    assert hashed == "/show/assets/audio/ep%20%231%20%3F100%25.mp3"


@pytest.mark.jekyll
@pytest.mark.slow
def test_jekyll_serves_odd_audio_names_at_the_encoded_urls(odd_names_site: Path, tmp_path: Path) -> None:
    """Protection: the URLs in the built pages and the podcast feed (player src, captions track,
    downloads, enclosure, <podcast:transcript>) are the encoded paths under which Jekyll's
    _site serves each file, fetched over HTTP. Without it those links 404 (or fetch the wrong file)."""
    built = jekyll_build(odd_names_site)
    assert built.returncode == 0, built.stdout + built.stderr
    webroot = tmp_path / "web"
    webroot.mkdir()
    (webroot / "show").symlink_to(odd_names_site / "_site")  # served under the baseurl, like `jekyll serve`
    pages = [(odd_names_site / "_site/2026/01/01/hash.html"), (odd_names_site / "_site/2026/01/02/cafe.html")]
    urls = {u for page in pages for u in _urls_in(page.read_text(encoding="utf-8"))}
    feed = ET.parse(odd_names_site / "_site/feed.xml")
    feed_urls = [e.get("url") for e in feed.iter() if e.get("url")]
    assert len(feed_urls) >= 10  # two enclosures, four transcript tags each
    urls |= {u.removeprefix("https://example.org") for u in feed_urls}
    assert {"/show/assets/audio/ep%20%231%20%3F100%25.mp3", "/show/assets/audio/caf%C3%A9%20%C3%BCn%C3%AF.wav"} <= urls
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(webroot), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for url in sorted(urls):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}{url}", timeout=30) as response:
                assert response.status == 200 and response.read() == _file_at(odd_names_site / "_site", url).read_bytes(), url
    finally:
        server.shutdown()
        server.server_close()
