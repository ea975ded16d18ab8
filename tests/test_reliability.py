"""Reliability of a whole build: bad audio, two builds at once, silence, human edits,
front matter round trips, full disks and corrupt cache entries.

Each test names the protection it proves; without that protection it fails.
Builds run as subprocesses with timeouts where a hang or a traceback is the risk.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from jekyll_asr.build import build
from jekyll_asr.cache import TranscriptCache
from jekyll_asr.config import load_settings

from .integrity import cache_entries, check_site_files, cli, front_matter, popen_build, python, report, snapshot
from .sitefactory import Fixture, make_site

pytestmark = pytest.mark.slow

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n"


def post(audio: str, title: str = "Post") -> str:
    return f"---\ntitle: {title}\naudio: {audio}\n---\nBody.\n"


def quiet_build(site: Path, **kwargs):
    return build(load_settings(site), say=lambda m: None, **kwargs)


@pytest.fixture(scope="module")
def built_cards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One built site ("seven of clubs"; every decode mode we measured hears it right): tests copy it, so only this fixture runs the model."""
    site = make_site(tmp_path_factory.mktemp("cards"), {
        "_config.yml": CONFIG,
        "assets/audio/cards.wav": Fixture("cards-003.wav"),
        "_posts/2026-01-01-cards.md": post("/assets/audio/cards.wav", "Cards"),
    })
    result = quiet_build(site)
    assert result.failed == [] and result.transcribed == ["assets/audio/cards.wav"]
    assert "clubs" in (site / "assets/transcripts/cards.txt").read_text()
    return site


def copy_site(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


# ---------------------------------------------------------------- bad audio

BAD = {  # fixture -> words the one error line must use
    "empty.mp3": "empty file",
    "not-audio.mp3": "not audio",
    "truncated.mp3": "truncated",
    "truncated.wav": "truncated",
    "truncated.ogg": "truncated",
    "lying-header.wav": "header",
}


def test_bad_audio_one_line_each_good_files_still_done(tmp_path: Path) -> None:
    """Protection: per-file error boundary in build + decode's truncation/header checks +
    reporting of audio-named files that are not audio. Without them a bad file would stop
    the build with a traceback, be skipped in silence, or be transcribed into invented words."""
    files = {"_config.yml": CONFIG, "assets/audio/good.wav": Fixture("cards-003.wav"),
             "assets/audio/ogg-named.mp3": Fixture("ogg-named.mp3")}
    for name in [*BAD, "ogg-named.mp3", "good.wav"]:
        files.setdefault(f"assets/audio/{name}", Fixture(name))
        files[f"_posts/2026-01-01-{name.replace('.', '-')}.md"] = post(f"/assets/audio/{name}", name)
    site = make_site(tmp_path, files)
    posts_before = snapshot(site)

    out = cli(site, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    everything = out.stdout + out.stderr
    assert "Traceback" not in everything
    for name, words in BAD.items():
        lines = [line for line in everything.splitlines() if name in line]
        assert len(lines) == 1, (name, lines)
        assert lines[0].startswith(f"error: assets/audio/{name}: ") and words in lines[0], lines[0]
        assert str(site) not in lines[0]  # the path is said once, site-relative
        assert (site / f"_posts/2026-01-01-{name.replace('.', '-')}.md").read_bytes() == posts_before[
            f"_posts/2026-01-01-{name.replace('.', '-')}.md"]
        for slug in (Path(name).stem, name.replace(".", "-")):  # the audio's name, the post's name
            assert not (site / f"_includes/transcripts/{slug}.md").exists()
            assert not list((site / "assets/transcripts").glob(f"{slug}.*"))
    # the good clip and the Ogg file with an .mp3 name are transcribed, and nothing else is cached
    assert "ogg-named" in (site / "_includes/transcripts/ogg-named-mp3.md").read_text()  # the post's name
    assert "clubs" in (site / "assets/transcripts/good-wav.txt").read_text()
    shas = {hashlib.sha256((site / f"assets/audio/{n}").read_bytes()).hexdigest() for n in ("good.wav", "ogg-named.mp3")}
    assert {json.loads(p.read_text())["audio_sha256"] for p in cache_entries(site)} == shas
    assert len(cache_entries(site)) == 2
    check_site_files(site)

    verbose = cli(site, "-v", timeout=300)  # -v: the same failures, with their tracebacks
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and "AudioError" in verbose.stderr
    assert len(cache_entries(site)) == 2


# ---------------------------------------------------------------- no invented words


@pytest.mark.parametrize("engine", ["faster-whisper", "transformers"])
def test_silence_and_tone_give_empty_transcripts(tmp_path: Path, engine: str) -> None:
    """Protection: VAD in front of either engine (ENGINE-NOTES: without it tiny.en writes "You" on
    silence, "." on a tone, and the transformers pipeline loops "Thank you for watching.")."""
    site = make_site(tmp_path, {
        "_config.yml": CONFIG,
        "assets/silence.wav": Fixture("silence-20s.wav"),
        "assets/tone.wav": Fixture("tone-10s.wav"),
    })
    out = cli(site, "--engine", engine, "--json", timeout=600)
    assert out.returncode == 0, out.stderr
    assert sorted(report(out)["transcribed"]) == ["assets/silence.wav", "assets/tone.wav"]
    for slug in ("silence", "tone"):
        include = (site / f"_includes/transcripts/{slug}.md").read_text()
        assert "No speech was detected" in include
        assert "asr-paragraph" not in include
        assert (site / f"assets/transcripts/{slug}.txt").read_text().strip() == ""
        data = json.loads((site / f"assets/transcripts/{slug}.json").read_text())
        assert data.get("segments", []) == []
        for text in (include, (site / f"assets/transcripts/{slug}.vtt").read_text()):
            assert "thank" not in text.lower() and " you" not in text.lower()


# ---------------------------------------------------------------- two builds at once


def test_two_builds_at_once_the_second_waits_or_refuses(tmp_path: Path) -> None:
    """Protection: SiteLock. Without it the second build transcribes the same file again and
    both write the cache and outputs at the same time."""
    site = make_site(tmp_path, {
        "_config.yml": CONFIG,
        "assets/ep.mp3": Fixture("episode-12.mp3"),
        "_posts/2026-01-01-ep.md": post("/assets/ep.mp3", "Ep"),
    })
    first, first_err = popen_build(site)
    waiting = None
    try:
        first_err.wait_for("transcribing assets/ep.mp3", timeout=120)  # the first build holds the lock now
        refused = cli(site, "--no-wait", "--json", timeout=120)
        waiting, waiting_err = popen_build(site, "--json")
        waiting_err.wait_for("waiting for another build", timeout=120)
        assert first.poll() is None  # the first build was still at work when both others came
        assert first.wait(timeout=300) == 0, first_err.rest()
        assert waiting.wait(timeout=300) == 0, waiting_err.rest()
        second = json.loads(waiting.stdout.read())
    finally:
        for proc in (first, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert refused.returncode == 1
    assert "another jekyll-asr build" in refused.stderr and "pid" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    # the waiting build found the first one's work: nothing transcribed twice, nothing rewritten
    assert second["transcribed"] == [] and second["cached"] == ["assets/ep.mp3"] and second["outputs"] == []
    assert len(cache_entries(site)) == 1
    assert TranscriptCache(site / ".jekyll-asr/cache").get(*_entry_name(cache_entries(site)[0])) is not None
    check_site_files(site)
    assert "static" in (site / "assets/transcripts/ep.txt").read_text().lower()


def _entry_name(path: Path) -> tuple[str, str]:
    data = json.loads(path.read_text())
    return data["audio_sha256"], data["key"]


# ---------------------------------------------------------------- human edits and corrections


def test_hand_edited_caption_is_kept_until_force(built_cards: Path, tmp_path: Path) -> None:
    """Protection: the output manifest (outputs.py). Without it a rebuild silently overwrites
    a caption file someone fixed by hand."""
    site = copy_site(built_cards, tmp_path / "site")
    vtt = site / "assets/transcripts/cards.vtt"
    edited = vtt.read_text().replace("clubs", "clubs, fixed by hand")
    vtt.write_text(edited)
    (site / "_transcript_corrections").mkdir()
    (site / "_transcript_corrections/cards.yml").write_text("corrections:\n  clubs: hearts\n")

    result = quiet_build(site)
    assert result.failed == [] and result.transcribed == [] and not result.model_loaded
    assert vtt.read_text() == edited  # kept
    assert any("assets/transcripts/cards.vtt" in w and "by hand" in w for w in result.warnings), result.warnings
    assert "hearts" in (site / "assets/transcripts/cards.txt").read_text()  # the other files follow the fix
    assert result.exit_code == 0

    forced = quiet_build(site, force=True)
    assert "assets/transcripts/cards.vtt" in forced.outputs and forced.warnings == []
    assert "hearts" in vtt.read_text() and "by hand" not in vtt.read_text()


def test_corrections_apply_without_the_model_and_survive_retranscription(built_cards: Path, tmp_path: Path) -> None:
    """Protection: corrections are applied at render time (glossary.apply in render.py), not
    stored in the cache, so a re-transcription cannot lose them."""
    site = copy_site(built_cards, tmp_path / "site")
    (site / "_transcript_corrections").mkdir()
    (site / "_transcript_corrections/cards.yml").write_text("corrections:\n  clubs: hearts\n")
    result = quiet_build(site)
    assert result.transcribed == [] and not result.model_loaded
    for ext in ("txt", "vtt", "srt", "json"):
        text = (site / f"assets/transcripts/cards.{ext}").read_text()
        assert "hearts" in text and "clubs" not in text, ext
    assert "hearts" in (site / "_includes/transcripts/cards.md").read_text()

    shutil.rmtree(site / ".jekyll-asr/cache")  # forced re-transcription
    again = quiet_build(site, force=True)
    assert again.transcribed == ["assets/audio/cards.wav"]
    assert "hearts" in (site / "assets/transcripts/cards.txt").read_text()
    assert "clubs" not in (site / "assets/transcripts/cards.txt").read_text()


# ---------------------------------------------------------------- front matter through the build

ROUND_TRIP_POSTS = {
    "crlf": "---\r\n# comment kept\r\ntitle:   CRLF post   # trailing\r\naudio: /assets/audio/cards.wav\r\n---\r\n"
            "Body line.\r\n---\r\nStill body.\r\n",
    "bom": "\ufeff---\ntitle: BOM post\naudio: /assets/audio/cards.wav\n---\nBody.\n",
    "dashes": "---\ntitle: Dashes\naudio: /assets/audio/cards.wav\n---\nIntro.\n---\n\n---\nnot: front matter\n---\n",
    "comments": "---\n# top comment\ntitle:    'Quoted'  # c1\nlist:\n  - b   # c2\n  - a\nanchor: &a {x: 1}\n"
                "ref: *a\naudio: /assets/audio/cards.wav\n# bottom comment\n---\n{{ page.title }}\n",
}


def _without_managed_key(data: bytes, key: str = "transcript") -> bytes:
    lines = data.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:".encode()))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return b"".join(lines[:start] + lines[end:])


def test_build_changes_only_the_managed_key(built_cards: Path, tmp_path: Path) -> None:
    """Protection: byte-preserving front matter edits (frontmatter.set_key) as the build uses them.
    Without them a rebuild reorders keys, drops comments, converts CRLF, loses the BOM."""
    site = copy_site(built_cards, tmp_path / "site")
    before = {}
    for name, text in ROUND_TRIP_POSTS.items():
        path = site / f"_posts/2026-02-01-{name}.md"
        path.write_bytes(text.encode("utf-8"))
        before[name] = path.read_bytes()
    result = quiet_build(site)
    assert result.failed == [] and result.transcribed == []
    for name, old in before.items():
        new = (site / f"_posts/2026-02-01-{name}.md").read_bytes()
        assert new != old, name
        assert _without_managed_key(new) == old, name  # every other byte is the user's
        if name == "crlf":
            assert new.count(b"\n") == new.count(b"\r\n")  # no bare LF slipped in
        data = front_matter(site / f"_posts/2026-02-01-{name}.md")
        assert data["transcript"]["include"] == "transcripts/cards.md"
    assert quiet_build(site).documents == []  # a second build changes nothing


def test_broken_front_matter_is_refused_and_untouched(built_cards: Path, tmp_path: Path) -> None:
    """Protection: a post whose YAML does not parse is reported, never rewritten."""
    site = copy_site(built_cards, tmp_path / "site")
    broken = site / "_posts/2026-03-01-broken.md"
    broken.write_bytes(b'---\ntitle: "unclosed\naudio: /assets/audio/cards.wav\n---\nBody.\n')
    before = broken.read_bytes()
    out = cli(site, timeout=120)
    assert out.returncode == 1
    lines = [line for line in out.stdout.splitlines() if "2026-03-01-broken.md" in line]
    assert len(lines) == 1 and lines[0].startswith("error: _posts/2026-03-01-broken.md: "), out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    assert broken.read_bytes() == before


# ---------------------------------------------------------------- resource faults


def test_output_folder_blocked_by_a_file(built_cards: Path, tmp_path: Path) -> None:
    """Protection: write failures become per-file errors after the cache entry is stored.
    Simulated as root with a FILE where the includes folder should be (chmod does not stop root).
    Without it the build crashes with a traceback, or the transcription is lost."""
    site = copy_site(built_cards, tmp_path / "site")
    shutil.rmtree(site / "_includes/transcripts")
    shutil.rmtree(site / ".jekyll-asr/cache")
    (site / "_includes/transcripts").write_text("in the way\n")
    post_before = (site / "_posts/2026-01-01-cards.md").read_bytes()
    captions_before = {p.name: p.read_bytes() for p in (site / "assets/transcripts").iterdir()}

    out = cli(site, "--json", timeout=300)
    assert out.returncode == 1, out.stderr
    failed = report(out)["failed"]
    assert [f["path"] for f in failed] == ["_includes/transcripts/cards.md"], failed
    assert "cannot write" in failed[0]["error"] and "Traceback" not in out.stderr
    assert report(out)["transcribed"] == ["assets/audio/cards.wav"]
    assert len(cache_entries(site)) == 1  # the transcription is kept
    assert {p.name: p.read_bytes() for p in (site / "assets/transcripts").iterdir()} == captions_before
    assert (site / "_includes/transcripts").read_text() == "in the way\n"

    (site / "_includes/transcripts").unlink()
    again = cli(site, "--json", timeout=300)
    assert again.returncode == 0, again.stdout
    assert report(again)["transcribed"] == [] and report(again)["model_loaded"] is False
    assert (site / "_includes/transcripts/cards.md").is_file()
    assert (site / "_posts/2026-01-01-cards.md").read_bytes() == post_before  # same transcript, same key


ENOSPC_BUILD = r"""
import errno, os, sys
site, target = os.path.realpath(sys.argv[1]), sys.argv[2]
real_replace = os.replace
def full_disk(src, dst, *args, **kwargs):
    if os.path.realpath(dst).startswith(os.path.join(site, target)):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)
    return real_replace(src, dst, *args, **kwargs)
os.replace = full_disk
from jekyll_asr.cli import main
sys.exit(main(["build", site, "--json"]))
"""


@pytest.mark.parametrize("target", ["assets/transcripts", "_posts", ".jekyll-asr/cache"])
def test_full_disk_keeps_old_files_whole(built_cards: Path, tmp_path: Path, target: str) -> None:
    """Protection: atomic_write (temp file + os.replace, temp removed on failure) and the manifest
    recording a file only once written. ENOSPC is injected into os.replace in a subprocess.
    Without it a full disk leaves truncated files, temp litter, or a manifest that later calls
    the old files "edited by hand"."""
    site = copy_site(built_cards, tmp_path / "site")
    if target == "assets/transcripts":
        (site / "_transcript_corrections").mkdir()
        (site / "_transcript_corrections/cards.yml").write_text("corrections:\n  clubs: hearts\n")
    elif target == "_posts":
        path = site / "_posts/2026-01-01-cards.md"
        path.write_bytes(_without_managed_key(path.read_bytes()))
    else:
        shutil.rmtree(site / ".jekyll-asr/cache")
    before = snapshot(site)

    out = python(ENOSPC_BUILD, str(site), target)
    assert out.returncode == 1, out.stderr
    failed = report(out)["failed"]
    assert failed and all("No space left on device" in f["error"] for f in failed), failed
    assert "Traceback" not in out.stderr
    after = snapshot(site)
    for rel, data in before.items():
        if rel.startswith(target):
            assert after.get(rel) == data, f"{rel} changed although its write failed"
    assert not [rel for rel in after if rel.startswith(target) and rel not in before], "a failed write left a file"
    assert not list(site.rglob("*.tmp")), "temp files left behind"
    check_site_files(site)

    healed = cli(site, "--json", timeout=300)  # room again: the next build finishes the job
    assert healed.returncode == 0, healed.stdout
    assert report(healed)["warnings"] == []  # no old file mistaken for a hand edit
    if target == "assets/transcripts":
        assert "hearts" in (site / "assets/transcripts/cards.txt").read_text()
    assert "transcript:" in (site / "_posts/2026-01-01-cards.md").read_text()
    assert len(cache_entries(site)) == 1


@pytest.mark.parametrize("damage", ["edited-word", "flipped-bytes", "truncated"])
def test_corrupt_cache_entry_is_recomputed_not_served(built_cards: Path, tmp_path: Path, damage: str) -> None:
    """Protection: the checksum in each cache entry. Without it a tampered entry ("HACKED")
    is served into the site, and a broken one crashes the build."""
    site = copy_site(built_cards, tmp_path / "site")
    (entry,) = cache_entries(site)
    raw = entry.read_bytes()
    if damage == "edited-word":
        raw = raw.replace(b"clubs", b"HACKED")
    elif damage == "flipped-bytes":
        middle = len(raw) // 2
        raw = raw[:middle] + bytes(b ^ 0xFF for b in raw[middle : middle + 8]) + raw[middle + 8 :]
    else:
        raw = raw[: len(raw) // 3]
    entry.write_bytes(raw)

    result = quiet_build(site)
    assert result.failed == []
    assert result.transcribed == ["assets/audio/cards.wav"]  # recomputed
    assert any("corrupt" in w for w in result.warnings), result.warnings
    text = (site / "assets/transcripts/cards.txt").read_text()
    assert "HACKED" not in text and "clubs" in text
    assert b"HACKED" not in entry.read_bytes()
    assert TranscriptCache(site / ".jekyll-asr/cache").get(*_entry_name(entry)) is not None  # whole again


def _rewrite_entry(entry: Path, change) -> None:
    """Edit an entry by hand, its checksum recomputed the way the cache computes it."""
    data = json.loads(entry.read_text())
    change(data)
    body = {k: v for k, v in data.items() if k != "checksum"}
    data["checksum"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    entry.write_text(json.dumps(data))


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_nan_or_infinity_in_a_cache_entry_is_recomputed_not_a_crash(built_cards: Path, tmp_path: Path, constant: str) -> None:
    """Protection: TranscriptCache refuses NaN and Infinity (Python's json reads both, JSON has
    neither) and checks every time is finite. Without it one such entry, checksum and all, crashes
    the whole build in the caption writers instead of costing one re-transcription."""
    site = copy_site(built_cards, tmp_path / "site")
    (entry,) = cache_entries(site)
    _rewrite_entry(entry, lambda d: d["transcript"]["segments"][0].update(start=float(constant.replace("Infinity", "inf"))))
    assert constant in entry.read_text()

    result = quiet_build(site)
    assert result.failed == [] and result.transcribed == ["assets/audio/cards.wav"]
    warned = [w for w in result.warnings if "cache entry" in w]
    assert len(warned) == 1 and constant in warned[0] and "transcribing again" in warned[0], result.warnings
    assert "clubs" in (site / "assets/transcripts/cards.txt").read_text()
    assert constant not in entry.read_text()  # stored whole again
    assert TranscriptCache(site / ".jekyll-asr/cache").get(*_entry_name(entry)) is not None


def test_audio_replaced_while_decoding_is_not_stored_under_its_old_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Protection: Transcriber.finish checks, before storing, that the file is the one that was
    hashed (stat taken before decoding unchanged, content hash the same). Without it audio replaced
    between hashing and decoding (an upload, a sync) stores the new audio's words under the old
    audio's hash, and once the old file is back its post shows words it never said."""
    import os

    import av

    site = make_site(tmp_path / "site", {
        "_config.yml": CONFIG,
        "assets/audio/cards.wav": Fixture("cards-003.wav"),
        "_posts/2026-01-01-cards.md": post("/assets/audio/cards.wav", "Cards"),
    })
    audio = site / "assets/audio/cards.wav"
    original = audio.read_bytes()
    real_open, swapped = av.open, []

    def open_after_a_swap(file: object, *args: object, **kwargs: object) -> object:
        """The moment decoding opens the file, another process replaces it (write + rename)."""
        if not swapped and str(file) == str(audio):
            swapped.append(file)
            (site / "assets/audio/.upload").write_bytes((Path(__file__).parent / "fixtures/goforward.wav").read_bytes())
            os.replace(site / "assets/audio/.upload", audio)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(av, "open", open_after_a_swap)
    first = quiet_build(site)
    monkeypatch.undo()
    assert swapped
    assert [f.path for f in first.failed] == ["assets/audio/cards.wav"] and "changed during the build" in first.failed[0].error
    assert not any(b"forward" in p.read_bytes().lower() for p in cache_entries(site))  # nothing stored under the old hash

    audio.write_bytes(original)  # the old file is back
    second = quiet_build(site)
    assert second.failed == [] and second.transcribed == ["assets/audio/cards.wav"]
    text = (site / "assets/transcripts/cards.txt").read_text().lower()
    assert "clubs" in text and "forward" not in text
