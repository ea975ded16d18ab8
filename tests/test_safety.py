"""Safety: nothing outside the site is read into it or written from it, output names cannot
escape their folders, and hostile transcript text stays text through a real ``jekyll build``.

Each test names the protection it proves; without that protection it fails.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jekyll_asr.build import build, scan_site, word_settings
from jekyll_asr.cache import TranscriptCache, settings_key
from jekyll_asr.config import load_settings
from jekyll_asr.engines import resolve_engine
from jekyll_asr.render import plan_outputs
from jekyll_asr.statindex import StatIndex
from jekyll_asr.transcript import AudioTags, Chapter, Segment, Transcript

from .integrity import cache_entries, check_site_files, cli, front_matter, report, snapshot
from .sitefactory import Fixture, make_site

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n"


# ---------------------------------------------------------------- audio outside the site


def test_audio_outside_the_site_is_refused(tmp_path: Path) -> None:
    """Protection: site.resolve_reference and build.scan_site resolve every reference and every
    scanned file (symlinks too) and refuse what lands outside the site. Without it a post (or a
    pull request adding a symlink) publishes the transcript of any audio file on the machine."""
    outside = make_site(tmp_path / "outside", {"secret.wav": Fixture("cards-001.wav")})
    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG,
        "_posts/2026-01-01-up.md": "---\ntitle: Up\naudio: ../../outside/secret.wav\n---\n",
        "_posts/2026-01-02-absolute.md": f"---\ntitle: Abs\naudio: {outside / 'secret.wav'}\n---\n",
        "_posts/2026-01-03-link.md": "---\ntitle: Link\n---\n<audio src=\"/assets/audio/link.wav\"></audio>\n",
        "_posts/2026-01-04-encoded.md": "---\ntitle: Enc\n---\n[x](/assets/%2E%2E/%2E%2E/outside/secret.wav)\n",
        "_posts/2026-01-05-folder.md": "---\ntitle: Folder\npodcast_file: /assets/elsewhere/secret.wav\n---\n",
        "assets/readme.txt": "audio lives in assets/audio\n",
    })
    (site / "assets/audio").mkdir()
    os.symlink(outside / "secret.wav", site / "assets/audio/link.wav")
    os.symlink(outside, site / "assets/elsewhere")
    before = snapshot(site)

    out = cli(site, "--json", timeout=120)
    assert out.returncode == 1, out.stderr
    result = report(out)
    failed = {f["path"]: f["error"] for f in result["failed"]}
    for name in ("up", "absolute", "link", "encoded", "folder"):
        (path,) = [p for p in failed if p.endswith(f"-{name}.md")]  # one line, naming the post
        assert path.startswith("_posts/2026-01-0") and "outside the site" in failed[path], (path, failed[path])
    assert "outside the site" in failed["assets/audio/link.wav"]  # the symlink itself is refused too
    assert result["transcribed"] == [] and result["model_loaded"] is False and result["outputs"] == []
    assert cache_entries(site) == []
    assert snapshot(site) == before  # no post changed, nothing generated
    assert "Traceback" not in out.stderr


def test_symlinked_audio_folder_is_refused(tmp_path: Path) -> None:
    """Protection: build.scan_site checks where each scanned folder really is. Without it an
    include glob whose folder is a symlink (``media -> /somewhere``) transcribes files from
    anywhere on the machine into the site."""
    outside = make_site(tmp_path / "outside", {"secret.wav": Fixture("cards-001.wav")})
    site = make_site(tmp_path / "site", {"_config.yml": CONFIG + "  include: ['media/**']\n"})
    os.symlink(outside, site / "media")
    out = cli(site, "--json", timeout=120)
    assert out.returncode == 1
    result = report(out)
    assert [f["path"] for f in result["failed"]] == ["media/secret.wav"]
    assert "outside the site" in result["failed"][0]["error"]
    assert result["transcribed"] == [] and result["model_loaded"] is False and cache_entries(site) == []


def test_outputs_never_written_through_a_symlinked_folder(tmp_path: Path) -> None:
    """Protection: OutputManifest.write refuses a target that resolves outside the site. Without it
    a symlinked captions folder (``assets/transcripts -> ~/.ssh``) makes the build write there."""
    outside = tmp_path / "outside"
    outside.mkdir()
    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG,
        "assets/audio/a.wav": Fixture("cards-004.wav"),
        "_posts/2026-01-01-a.md": "---\ntitle: A\naudio: /assets/audio/a.wav\n---\n",
    })
    os.symlink(outside, site / "assets/transcripts")
    _seed(site, "assets/audio/a.wav", Transcript((Segment(0.0, 1.0, "five five"),), "en", 1.0, "tiny.en", "x"), AudioTags())

    out = cli(site, "--json", timeout=120)
    assert out.returncode == 1
    failed = report(out)["failed"]
    assert failed and all(f["path"].startswith("assets/transcripts/") and "outside the site" in f["error"] for f in failed)
    assert list(outside.iterdir()) == []  # nothing written outside
    assert (site / "_includes/transcripts/a.md").is_file()  # the files inside the site are still done


# ---------------------------------------------------------------- output names

SAFE_SLUG = re.compile(r"(_includes/transcripts|assets/transcripts)/[a-z0-9]+(-[a-z0-9]+)*\.(md|vtt|srt|json|txt)")


@pytest.mark.slow
def test_output_names_are_safe_slugs(tmp_path: Path) -> None:
    """Protection: render.slugify/output_paths: lowercase ASCII letters, digits and dashes only.
    Without it a file named ``..%2F..%2Fevil.wav`` or with spaces, quotes or unicode makes output
    names that are hidden, need quoting in URLs, or climb out of the output folders."""
    names = ["Épisode ünï 1.wav", "..%2F..%2Fevil.wav", " spaced  out .wav", "quote'n\"amp&.wav", ".hidden.wav",
             "UPPER.WAV", "semi;colon$(rm -rf).wav"]
    files = {"_config.yml": CONFIG}
    for name in names:
        files[f"assets/audio/{name}"] = Fixture("cards-004.wav")  # one content: transcribed once
    # Jekyll does not publish names starting with a dot: a post links them, so they are still used
    files["_posts/2026-01-01-dots.md"] = "---\naudio_files: ['/assets/audio/.hidden.wav', '/assets/audio/..%252F..%252Fevil.wav']\n---\n"
    site = make_site(tmp_path, files)
    result = build(load_settings(site), say=lambda m: None)
    assert result.failed == [] and len(result.transcribed) == 1
    manifest = json.loads((site / ".jekyll-asr/outputs.json").read_text())["files"]
    assert len(manifest) == 5 * len(names)  # every file has its own outputs
    for rel in manifest:
        assert SAFE_SLUG.fullmatch(rel), rel
        assert (site / rel).resolve().is_relative_to(site.resolve())
    includes = sorted(p.name for p in (site / "_includes/transcripts").iterdir())
    assert "episode-uni-1.md" in includes and "2f-2fevil.md" in includes and "hidden.md" in includes


@pytest.mark.slow
def test_names_that_slugify_alike_get_separate_outputs(tmp_path: Path) -> None:
    """Protection: unique output names per audio file. Without it two files overwrite each
    other's transcript and every build flips the outputs between them."""
    site = make_site(tmp_path, {
        "_config.yml": CONFIG,
        "assets/audio/a b.wav": Fixture("cards-001.wav"),
        "assets/audio/a-b.wav": Fixture("cards-003.wav"),
        "assets/audio/x.wav": Fixture("cards-004.wav"),
        "assets/audio/x.mp3": Fixture("welcome.mp3"),
    })
    result = build(load_settings(site), say=lambda m: None)
    assert result.failed == []
    includes = list((site / "_includes/transcripts").glob("*.md"))
    assert len(includes) == 4, sorted(p.name for p in includes)
    assert len(set(result.outputs)) == len(result.outputs)


# ---------------------------------------------------------------- hostile transcript text

HOSTILE = (
    "{{ site }} and {{ page.title }} and {{site.time}}",
    "{% include x %} then {% endraw %} and {% raw %}",
    "<script>alert(1)</script>",
    "---",
    ": # & * ! | > % @ ` [x](javascript:alert(1)) _under_ *star*",
    "<img src=x onerror=alert(2)> --> end",
)
HOSTILE_TITLE = "{{ site.title }} <script>alert(3)</script> --- : # & * ! |"


def _seed(site: Path, rel: str, transcript: Transcript, tags: AudioTags) -> None:
    """Store a cache entry under exactly the key a build computes, so the build serves it."""
    settings = load_settings(site)
    site_audio = scan_site(settings, StatIndex(site / ".jekyll-asr/local/seed-index.json"))
    (plan,) = [p for p in plan_outputs(settings, site_audio.files, site_audio.documents) if p.audio.path.as_posix() == rel]
    engine, _ = resolve_engine(settings.engine, settings.device)
    words = word_settings(settings, engine, plan.prompt)
    TranscriptCache(settings.cache_path).put(plan.audio.sha256, settings_key(words), words, transcript, tags)


class _Page(html.parser.HTMLParser):
    """Start tags and visible text of a built page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def _jekyll() -> str:
    found = shutil.which("jekyll")
    if found:
        return found
    if os.environ.get("JEKYLL_ASR_REQUIRE_TOOLS") == "1":
        pytest.fail("jekyll is required (JEKYLL_ASR_REQUIRE_TOOLS=1) but not on PATH; apt-get install jekyll")
    pytest.skip("jekyll not installed")


@pytest.mark.jekyll
def test_hostile_transcript_text_stays_text_in_a_real_jekyll_build(tmp_path: Path) -> None:
    """Protection: the include escapes every value for HTML, Liquid and Markdown (writers/markdown.py),
    captions escape markup, and front matter values are YAML-quoted. Without it a transcript that
    says "{% include x %}" breaks the Jekyll build, "{{ site }}" dumps the site, and a
    "<script>" in a title or a cue runs in every visitor's browser."""
    jekyll = _jekyll()
    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG + "markdown: kramdown\nkramdown:\n  parse_block_html: true\n",  # Markdown inside HTML too
        "_layouts/default.html": "<!DOCTYPE html>\n<html><body>\n{{ content }}\n</body></html>\n",
        "assets/audio/h.wav": Fixture("cards-002.wav"),
        "_posts/2026-01-01-hostile.md": "---\nlayout: default\naudio: /assets/audio/h.wav\n---\n"
                                        "Before.\n\n{% include {{ page.transcript.include }} %}\n\nAfter.\n",
    })
    segments = tuple(Segment(2.0 * i, 2.0 * i + 1.5, text) for i, text in enumerate(HOSTILE))
    transcript = Transcript(segments, "en", 12.0, "tiny.en", "faster-whisper")
    tags = AudioTags(title=HOSTILE_TITLE, artist="<b>{% raw %}", chapters=(Chapter(0.0, HOSTILE_TITLE), Chapter(6.0, "{% endraw %}<i>")))
    _seed(site, "assets/audio/h.wav", transcript, tags)

    result = build(load_settings(site), say=lambda m: None)
    assert result.failed == [] and result.transcribed == [] and not result.model_loaded  # served from the seeded entry
    check_site_files(site)
    data = front_matter(site / "_posts/2026-01-01-hostile.md")
    assert data["transcript"]["title"] == HOSTILE_TITLE and data["transcript"]["artist"] == "<b>{% raw %}"
    segments_out = json.loads((site / "assets/transcripts/hostile.json").read_text())["segments"]
    assert [s["body"] for s in segments_out] == list(HOSTILE)  # JSON keeps the exact text
    import webvtt

    vtt = webvtt.from_string((site / "assets/transcripts/hostile.vtt").read_text())
    assert "<script>" not in (site / "assets/transcripts/hostile.vtt").read_text()
    assert len(vtt.captions) == len(HOSTILE)

    built = subprocess.run([jekyll, "build", "--source", str(site), "--destination", str(site / "_site")],
                           capture_output=True, check=False, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (page,) = list((site / "_site").rglob("hostile.html")) or list((site / "_site").rglob("hostile/index.html"))
    source = page.read_text()
    parsed = _Page()
    parsed.feed(source)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags and "i" not in parsed.tags
    assert "<script>" not in source and "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', source))  # no link made from the text
    visible = " ".join(" ".join(parsed.text).split())
    for text in (*HOSTILE, HOSTILE_TITLE, "{% endraw %}<i>"):
        assert text in visible, text  # shown literally: Liquid not run, Markdown not applied
    assert "Before." in visible and "After." in visible  # the page around the include survived
