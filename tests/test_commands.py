"""The housekeeping commands through the real CLI: status, check, gc, doctor, hook."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from jekyll_asr.cache import TranscriptCache
from jekyll_asr.cli import main
from jekyll_asr.commands import hook
from jekyll_asr.config import load_settings
from jekyll_asr.outputs import OutputManifest
from jekyll_asr.statindex import hash_file
from jekyll_asr.transcript import AudioTags, Segment, Transcript

from .sitefactory import FIXTURES, make_site
from .test_state import SITE, render_site, seed_cache


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- status


def test_status_table(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(FIXTURES / "cards-004.wav", built_site / "assets/audio/three.wav")
    assert main(["status", str(built_site)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["FILE", "STATE", "DURATION", "WORDS", "USED", "BY"]
    rows = {line.split()[0]: line.split() for line in out[1:4]}
    assert rows["assets/audio/one.wav"][1:] == ["cached", "0:02", "3", "_posts/2026-01-01-one.md"]
    assert rows["assets/audio/three.wav"][1] == "new" and rows["assets/audio/three.wav"][3] == "-"
    assert out[4] == "3 audio files: 1 new, 2 cached"
    assert any(line.startswith("not shown on any page (1): assets/audio/three.wav") for line in out[5:])


def test_status_json(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")
    assert main(["status", str(built_site), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"new": 0, "changed": 1, "failed": 0, "stale": 0, "skipped": 0, "cached": 1}
    assert {a["path"]: a["state"] for a in data["audio"]} == {"assets/audio/one.wav": "changed", "assets/audio/two.wav": "cached"}


# ---------------------------------------------------------------- check


def test_check_passes_when_current(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(built_site)]) == 0
    assert "jekyll-asr: 2 of 2 transcripts up to date" in capsys.readouterr().out


def test_check_fails_listing_stale_audio_and_writes_nothing(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")
    (built_site / "assets/transcripts/two.vtt").unlink()
    before = files_under(built_site)
    assert main(["check", str(built_site)]) == 1
    err = capsys.readouterr().err
    assert "2 of 2 audio files need `jekyll-asr build`" in err
    assert "assets/audio/one.wav: changed" in err
    assert "assets/audio/two.wav: stale: assets/transcripts/two.vtt is missing" in err
    assert files_under(built_site) == before


def test_check_json_and_quiet(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(built_site), "-q"]) == 0
    assert capsys.readouterr().out == ""
    (built_site / "_includes/transcripts/one.md").unlink()
    assert main(["check", str(built_site), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1 and data["stale_outputs"] == ["_includes/transcripts/one.md"]


def test_check_config_error_exits_2(built_site: Path) -> None:
    (built_site / "_config.yml").write_text("asr:\n  beam_size: lots\n")
    assert main(["check", str(built_site)]) == 2


# ---------------------------------------------------------------- gc


@pytest.fixture
def site_with_orphans(built_site: Path) -> tuple[Path, set[str], str]:
    """A built site plus exactly known garbage: (site, orphan paths, a hand-edited orphan)."""
    settings = load_settings(built_site)
    cache = TranscriptCache(settings.cache_path)
    before_entries = {p.relative_to(built_site).as_posix() for p in cache.entries()}
    # the audio of post two goes away: its entry and its generated files are orphans
    (built_site / "assets/audio/two.wav").unlink()
    (built_site / "_posts/2026-01-02-two.md").unlink()
    # an entry for audio that was never on this site, and one for another model
    old = cache.put("ab" * 32, "cd" * 32, {"model": "x"}, Transcript((Segment(0, 1, "x"),), "en", 1.0, "x", "x"), AudioTags())
    one_sha = hash_file(built_site / "assets/audio/one.wav")
    other = cache.put(one_sha, "ef" * 32, {"model": "base"}, Transcript((Segment(0, 1, "y"),), "en", 1.0, "base", "x"), AudioTags())
    # a generated file edited by hand whose audio is gone: kept unless --force
    edited = "assets/transcripts/two.txt"
    (built_site / edited).write_text("edited by hand\n")
    # a file the tool never wrote, in the tool's folder: never touched
    (built_site / "_includes/transcripts/mine.md").write_text("mine\n")
    from jekyll_asr.state import site_state

    in_use = site_state(settings).cache_in_use
    two_entries = {e for e in before_entries if Path(e).relative_to(settings.cache_dir).as_posix() not in in_use}
    orphans = two_entries | {old.relative_to(built_site).as_posix(), other.relative_to(built_site).as_posix()}
    orphans |= {"_includes/transcripts/two.md", "assets/transcripts/two.vtt"}
    assert len(two_entries) == 1 and one_sha != "ab" * 32
    return built_site, orphans, edited


def test_gc_dry_run_lists_exactly_the_orphans(site_with_orphans, capsys: pytest.CaptureFixture[str]) -> None:
    site, orphans, edited = site_with_orphans
    before = files_under(site)
    assert main(["gc", str(site), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert {line.removeprefix("would remove ") for line in out.splitlines()} == orphans
    assert f"kept {edited}" in err
    assert files_under(site) == before


def test_gc_removes_only_the_orphans(site_with_orphans, capsys: pytest.CaptureFixture[str]) -> None:
    site, orphans, edited = site_with_orphans
    before = files_under(site)
    assert main(["gc", str(site), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["cache_entries"] + data["outputs"]) == orphans and data["edited"] == [edited]
    after = files_under(site)
    assert before - after == orphans
    assert after - before <= {".jekyll-asr/outputs.json"}
    manifest = OutputManifest(site, site / ".jekyll-asr/outputs.json", roots=(site,))
    assert not any("two" in rel for rel in manifest.files if rel != edited)
    assert main(["check", str(site)]) == 0  # nothing in use was removed
    assert render_site(site).outputs == []
    capsys.readouterr()
    assert main(["gc", str(site), "--dry-run"]) == 0
    assert capsys.readouterr().out == ""


def test_gc_keep_other_settings_and_force(site_with_orphans, capsys: pytest.CaptureFixture[str]) -> None:
    site, orphans, edited = site_with_orphans
    assert main(["gc", str(site), "--keep-other-settings", "--force", "--json", "--dry-run"]) == 0
    data = json.loads(capsys.readouterr().out)
    removed = set(data["cache_entries"] + data["outputs"])
    assert edited in removed  # --force: the hand-edited orphan goes too
    assert len(orphans - removed) == 1  # the other-model entry of audio still on the site stays
    assert "ef" * 8 in (orphans - removed).pop()


def test_gc_removes_temp_files_a_killed_build_left_and_nothing_like_them(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(built_site)
    shard = next(TranscriptCache(settings.cache_path).entries()).parent
    left = {  # atomic_write's names: ".NAME.jekyll-asr-" + 8 random characters + ".tmp"
        "_includes/transcripts/.one.md.jekyll-asr-k3j_9x0a.tmp",
        "_posts/.2026-01-01-one.md.jekyll-asr-ab12cd34.tmp",
        f"{shard.relative_to(built_site).as_posix()}/.entry.json.zz99yy88.tmp",  # an older release's, in .jekyll-asr/
    }
    users = {  # the user's own files, or folders the tool does not write to
        "_posts/.draft.tmp", "_posts/notes.jekyll-asr-ab12cd34.tmp", "assets/images/.cover.png.jekyll-asr-ab12cd34.tmp",
        "_includes/transcripts/.one.md.jekyll-asr-SHOUTING.tmp", "_posts/.2026-01-01-one.md.ab12cd34.tmp",
    }
    for rel in left | users:
        (built_site / rel).parent.mkdir(parents=True, exist_ok=True)
        (built_site / rel).write_text("half a write")
    assert main(["gc", str(built_site), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert {line.removeprefix("would remove ") for line in out.splitlines()} == left
    assert "3 temp files of interrupted builds" in err
    assert main(["gc", str(built_site), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["temp_files"]) == left
    assert not any((built_site / rel).exists() for rel in left)
    assert all((built_site / rel).read_text() == "half a write" for rel in users)
    assert main(["check", str(built_site)]) == 0


def test_gc_finds_temp_files_in_a_cache_dir_outside_dot_jekyll_asr(built_site: Path) -> None:
    from jekyll_asr.gc import leftover_temp_files
    from jekyll_asr.state import site_state

    settings = load_settings(built_site, {"cache_dir": "_asr_cache"})
    entry = f"{'ab' * 32}-{'cd' * 8}.json"
    left = (f"_asr_cache/ab/.{entry}.ab12cd34.tmp", f"_asr_cache/ab/.{entry}.jekyll-asr-ab12cd34.tmp")  # old and new names
    for rel in (*left, "_asr_cache/ab/.notes.txt.ab12cd34.tmp"):  # the old pattern, but not a cache entry's temp
        (built_site / rel).parent.mkdir(parents=True, exist_ok=True)
        (built_site / rel).write_text("half a write")
    assert leftover_temp_files(settings, site_state(settings)) == tuple(sorted(left))


def test_gc_stops_when_the_site_has_problems(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = built_site / "_posts/2026-01-02-two.md"
    post.write_text("---\ntitle: [oops\n---\n<audio src=\"/assets/audio/two.mp3\"></audio>\n")
    before = files_under(built_site)
    assert main(["gc", str(built_site)]) == 2
    assert "fix them first" in capsys.readouterr().err
    assert files_under(built_site) == before


# ---------------------------------------------------------------- doctor


def test_doctor_reports_one_screen(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_site(tmp_path / "site", {"_config.yml": "asr:\n  model: tiny.en\n"})
    assert main(["doctor", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    for label in ("python", "jekyll-asr", "torch", "CUDA", "transformers", "faster-whisper", "ctranslate2", "av",
                  "ffmpeg (optional)", "engine", "model tiny.en", "network", "speakers", "jekyll"):
        assert any(line[3:].startswith(label) for line in out.splitlines()), label
    assert "bundled, installed" in out
    assert "resemblyzer 0.1.4 weights at" in out
    assert "offline (HF_HUB_OFFLINE" in out  # conftest sets it


def test_doctor_json_flags_a_missing_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    make_site(tmp_path / "site", {"_config.yml": "asr:\n  model: ./no-such-model-dir\n"})
    assert main(["doctor", str(tmp_path / "site"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    bad = [f for f in data["findings"] if f["ok"] is False]
    assert [f["label"] for f in bad] == ["model ./no-such-model-dir"] and not data["ok"]


def test_doctor_says_when_the_pyannote_diarizer_cannot_run(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    make_site(tmp_path / "site", {"_config.yml": "asr:\n  model: tiny.en\n  diarizer: pyannote\n"})
    assert main(["doctor", str(tmp_path / "site"), "--json"]) == 1
    bad = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["ok"] is False]
    assert [f["label"] for f in bad] == ["speakers"] and "pyannote.audio not installed" in bad[0]["value"]


def test_doctor_hub_check_times_out_fast() -> None:
    import time

    from jekyll_asr.commands.doctor import hub_reachable

    start = time.monotonic()
    hub_reachable(timeout=0.5)  # no network here: must give up, not hang
    assert time.monotonic() - start < 5


# ---------------------------------------------------------------- hook (build, fail on change)


def run_hook(site: Path) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-q", "--quiet", action="store_true")
    hook.add_arguments(parser)
    args = parser.parse_args([str(site)])
    return hook.run(args)


def test_hook_fails_when_it_writes_and_passes_when_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site", SITE)
    seed_cache(site)  # transcripts committed by a teammate: only outputs and front matter to write
    assert run_hook(site) == 1
    err = capsys.readouterr().err
    assert "stage them" in err and "_posts/2026-01-01-one.md" in err
    assert run_hook(site) == 0


def test_hook_is_a_cli_command() -> None:
    from jekyll_asr.cli import COMMANDS

    assert "hook" in COMMANDS, "add 'hook' to jekyll_asr.cli.COMMANDS (the pre-commit hook's entry)"


# ---------------------------------------------------------------- one bad entry never stops a command


def test_every_command_survives_symlink_loops_and_bad_names(built_site: Path) -> None:
    """Protection: the walk reports looping links, broken links and names with control characters
    as one-line warnings (find._OutsideSite never resolves a loop). Without it ``assets/audio/loop
    -> ..`` or ``a -> b -> a`` ends build, status, check and gc with a traceback."""
    import os

    from .integrity import cli

    audio = built_site / "assets/audio"
    os.symlink("..", audio / "loop")
    os.symlink("b.mp3", audio / "a.mp3")
    os.symlink("a.mp3", audio / "b.mp3")
    (audio / "bad\nname.wav").write_bytes((audio / "one.wav").read_bytes())
    for command, code in (("status", 0), ("check", 0), ("gc", 0), ("build", 0)):
        done = cli(built_site, command=command, timeout=120)
        assert done.returncode == code and "Traceback" not in done.stderr, (command, done.stdout, done.stderr)
        if command != "gc":
            said = done.stdout + done.stderr
            assert "warning: assets/audio/loop: symlink loop" in said and "warning: assets/audio/a.mp3: symlink loop" in said, command
            assert "warning: assets/audio/bad\\nname.wav: a control character" in said, command
    assert json.loads(cli(built_site, "--json").stdout)["failed"] == []


def test_a_document_named_with_a_newline_is_one_line_everywhere(built_site: Path) -> None:
    """Protection: the report, status and check print paths with control characters escaped
    (scan.printable). Without it a post named ``bad<newline>post.md`` splits its error over two
    lines, and the second looks like a line of its own to a reader or a CI log filter."""
    from .integrity import cli

    (built_site / "_posts/2026-01-03-bad\npost.md").write_text("---\ntitle: Bad\naudio: /assets/audio/missing.mp3\n---\n")
    said = {command: cli(built_site, command=command, timeout=120) for command in ("build", "status", "check")}
    for command, done in said.items():
        lines = [line for line in (done.stdout + done.stderr).splitlines() if "missing.mp3" in line]
        assert len(lines) == 1 and "_posts/2026-01-03-bad\\npost.md: " in lines[0], (command, done.stdout, done.stderr)
    assert said["build"].returncode == 1 and said["check"].returncode == 1


# ---------------------------------------------------------------- asr.remote: off is an opt-out, not a failure

REMOTE_CLIP = "cards-001.wav"
KNOWN_URL = "https://cdn.example.invalid/media/known.wav"  # .invalid: never resolvable, and never asked
UNKNOWN_URLS = [f"https://cdn.example.invalid/media/ep{n}.mp3" for n in range(3)]


@pytest.fixture
def remote_site(tmp_path: Path) -> Path:
    """A site whose posts link audio by URL: one URL built earlier (index, cache, outputs, front matter),
    three never fetched. Built without network: the URL index knows the first one's content."""
    from jekyll_asr.build import build, scan_site, word_settings
    from jekyll_asr.cache import settings_key
    from jekyll_asr.state import candidate_engines
    from jekyll_asr.statindex import StatIndex
    from jekyll_asr.urlindex import UrlIndex, UrlRecord

    files: dict[str, str] = {"_config.yml": "title: T\nasr:\n  model: tiny.en\n  language: en\n  formats: [md, vtt]\n"}
    for n, url in enumerate([KNOWN_URL, *UNKNOWN_URLS]):
        files[f"_posts/2026-01-0{n + 1}-ep{n}.md"] = f"---\ntitle: Ep {n}\naudio: {url}\n---\nNotes.\n"
    site = make_site(tmp_path / "site", files)
    settings = load_settings(site)
    data = (FIXTURES / REMOTE_CLIP).read_bytes()
    index = UrlIndex.load(settings.urls_path)
    index.record(KNOWN_URL, UrlRecord(hash_file(FIXTURES / REMOTE_CLIP), len(data), "wav"))
    index.save()
    engine, _ = candidate_engines(settings)
    ws = word_settings(settings, engine, None)
    transcript = Transcript((Segment(0.0, 1.5, "ten of clubs"),), "en", 1.5, settings.model, engine)
    TranscriptCache(settings.cache_path).put(hash_file(FIXTURES / REMOTE_CLIP), settings_key(ws), ws, transcript, AudioTags())
    assert scan_site(settings, StatIndex(settings.state_path / "unused.json")).pending == UNKNOWN_URLS
    assert build(settings, transcribe=False, say=lambda m: None).failed == []  # the known URL rendered from the cache
    return site


def test_remote_off_skips_linked_audio_and_build_check_gc_pass(remote_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: ``asr.remote: off`` (skip remote audio, on purpose) exits 0 from build, check and gc, says
    so in one line, and gc keeps the skipped URLs' transcripts and outputs. Without it every linked URL is an
    ``error:`` line, build and check exit 1 and gc refuses to run, so a site that opts out cannot pass CI."""
    settings = load_settings(remote_site)
    entries = {p.relative_to(remote_site).as_posix() for p in TranscriptCache(settings.cache_path).entries()}
    manifest = set(json.loads((remote_site / ".jekyll-asr/outputs.json").read_text())["files"])
    assert entries and manifest and all((remote_site / rel).is_file() for rel in manifest)
    posts = {p.name: p.read_text() for p in (remote_site / "_posts").iterdir()}
    capsys.readouterr()

    assert main(["build", "--remote", "off", str(remote_site)]) == 0
    out, err = capsys.readouterr()
    assert "error" not in out + err
    assert [line for line in (out + err).splitlines() if "skipped" in line] == [
        line for line in out.splitlines() if "4 remote audio files skipped (asr.remote: off)" in line
    ] != []
    assert main(["build", "--remote", "off", "--json", str(remote_site)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["failed"] == [] and sorted(data["skipped"]) == sorted([KNOWN_URL, *UNKNOWN_URLS]) and data["exit_code"] == 0
    assert {p.name: p.read_text() for p in (remote_site / "_posts").iterdir()} == posts  # no post touched

    assert main(["check", "--remote", "off", str(remote_site)]) == 0
    assert "remote audio files skipped" in capsys.readouterr().out

    assert main(["status", "--remote", "off", str(remote_site)]) == 0
    out = capsys.readouterr().out
    states = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith("https://")}
    assert states == dict.fromkeys([KNOWN_URL, *UNKNOWN_URLS], "skipped")

    assert main(["gc", "--remote", "off", str(remote_site)]) == 0
    capsys.readouterr()
    assert {p.relative_to(remote_site).as_posix() for p in TranscriptCache(settings.cache_path).entries()} == entries
    assert set(json.loads((remote_site / ".jekyll-asr/outputs.json").read_text())["files"]) == manifest
    assert all((remote_site / rel).is_file() for rel in manifest)
    assert main(["check", str(remote_site), "--remote", "download", "-q"]) == 1  # the unknown URLs still need a build
    capsys.readouterr()


def test_status_headline_counts_what_documents_link(tmp_path: Path, remote_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: the headline of ``status`` counts the audio documents link, even when none of it can be
    used (skipped, a Git LFS pointer, a missing file). Without it the first line says "no document links audio"
    with a README hint, and then lists the very posts that link audio: the reader is told to fix the wrong thing."""
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    site = make_site(tmp_path / "lfs", {
        "_config.yml": "title: T\nasr:\n  model: tiny.en\n",
        "assets/audio/ep1.mp3": lfs,
        "_posts/2026-01-01-one.md": "---\ntitle: One\naudio: /assets/audio/ep1.mp3\n---\nHi.\n",
        "_posts/2026-01-02-two.md": "---\ntitle: Two\naudio: /assets/audio/gone.mp3\n---\nHi.\n",
    })
    capsys.readouterr()
    assert main(["status", str(site)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "0 audio files available; 2 problems with the audio documents link (below)", out
    assert not any("no document links audio" in line or "README" in line for line in out)
    assert len([line for line in out if line.startswith("problem: _posts/")]) == 2

    assert main(["status", "--remote", "off", str(remote_site)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "4 audio files: 4 skipped (asr.remote: off)" in out and not any("no document links audio" in line for line in out)

    empty = make_site(tmp_path / "empty", {"_config.yml": "title: T\n", "index.md": "---\ntitle: Home\n---\nHi.\n"})
    assert main(["status", str(empty)]) == 0
    assert capsys.readouterr().out.startswith("0 audio files: no document links audio and no audio file was found\n")
