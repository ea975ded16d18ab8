"""Site state without transcribing: new, changed, failed, stale, cached.

The cache is seeded the way a committed cache arrives on a fresh clone (real
entries under the real keys), so these tests need no model; the build that
renders outputs runs with ``transcribe=False``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jekyll_asr.build import build, scan_site, word_settings
from jekyll_asr.cache import TranscriptCache, settings_key
from jekyll_asr.config import load_settings
from jekyll_asr.render import plan_outputs
from jekyll_asr.state import candidate_engines, remember_failures, site_state
from jekyll_asr.statindex import StatIndex
from jekyll_asr.transcript import AudioTags, Segment, Transcript

from .sitefactory import FIXTURES, Fixture, make_site

CONFIG = "title: T\nasr:\n  model: tiny.en\n  language: en\n  formats: [md, vtt, txt]\n"
SITE = {
    "_config.yml": CONFIG,
    "assets/audio/one.wav": Fixture("cards-001.wav"),
    "assets/audio/two.wav": Fixture("cards-002.wav"),
    "_posts/2026-01-01-one.md": "---\ntitle: One\naudio: /assets/audio/one.wav\n---\nHello.\n",
    "_posts/2026-01-02-two.md": "---\ntitle: Two\n---\n<audio src=\"/assets/audio/two.wav\"></audio>\n",
}
WORDS = {"one.wav": "ten of clubs", "two.wav": "four queen of clubs"}


def seed_cache(site: Path, words: dict[str, str] | None = None) -> int:
    """Cache entries for every audio file of the site, as a build would write them."""
    settings = load_settings(site)
    site_audio = scan_site(settings, StatIndex(settings.state_path / "unused.json"))
    cache = TranscriptCache(settings.cache_path)
    engine, _ = candidate_engines(settings)
    count = 0
    for plan in plan_outputs(settings, site_audio.files, site_audio.documents):
        text = (words or WORDS).get(plan.audio.path.name, "some words")
        ws = word_settings(settings, engine, plan.prompt)
        transcript = Transcript((Segment(0.0, 1.5, text),), "en", 1.5, settings.model, engine)
        cache.put(plan.audio.sha256, settings_key(ws), ws, transcript, AudioTags())
        count += 1
    return count


def render_site(site: Path):
    """A build that transcribes nothing: writes outputs and front matter from the cache."""
    return build(load_settings(site), transcribe=False, say=lambda m: None)


def by_path(state) -> dict[str, object]:
    return {a.path: a for a in state.audio}


def test_never_built_site_is_all_new(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", SITE)
    state = site_state(load_settings(site))
    assert [a.state for a in state.audio] == ["new", "new"]
    one = by_path(state)["assets/audio/one.wav"]
    assert one.users == ("_posts/2026-01-01-one.md",)
    assert one.duration is not None and 0.5 < one.duration < 10  # from the header, not a decode
    assert one.words is None
    assert not state.current


def test_built_site_is_current(built_site: Path) -> None:
    state = site_state(load_settings(built_site))
    assert [a.state for a in state.audio] == ["cached", "cached"]
    two = by_path(state)["assets/audio/two.wav"]
    assert two.words == 4 and two.users == ("_posts/2026-01-02-two.md",)
    assert state.current and state.stale_outputs == () and state.stale_documents == ()
    assert "_includes/transcripts/one.md" in state.outputs_in_use


def test_state_writes_nothing(built_site: Path) -> None:
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")  # to be hashed, not recorded

    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in built_site.rglob("*") if p.is_file()}

    before = snapshot()
    site_state(load_settings(built_site))
    assert snapshot() == before


def test_changed_content_is_changed_not_new(built_site: Path) -> None:
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")
    state = site_state(load_settings(built_site))
    one = by_path(state)["assets/audio/one.wav"]
    assert one.state == "changed" and "content changed" in one.reasons[0]
    assert by_path(state)["assets/audio/two.wav"].state == "cached"
    assert not state.current


def test_changed_without_stat_index_still_changed(built_site: Path) -> None:
    """A fresh clone has no local stat index; the outputs manifest still remembers the file."""
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")
    shutil.rmtree(built_site / ".jekyll-asr/local")
    assert by_path(site_state(load_settings(built_site)))["assets/audio/one.wav"].state == "changed"


def test_added_audio_is_new(built_site: Path) -> None:
    shutil.copyfile(FIXTURES / "cards-004.wav", built_site / "assets/audio/three.wav")
    state = site_state(load_settings(built_site))
    assert by_path(state)["assets/audio/three.wav"].state == "new"
    assert by_path(state)["assets/audio/three.wav"].users == ()


def test_model_change_makes_every_file_changed(built_site: Path) -> None:
    (built_site / "_config.yml").write_text(CONFIG.replace("tiny.en", "base"))
    state = site_state(load_settings(built_site))
    assert [a.state for a in state.audio] == ["changed", "changed"]


def test_missing_output_is_stale(built_site: Path) -> None:
    (built_site / "_includes/transcripts/one.md").unlink()
    state = site_state(load_settings(built_site))
    one = by_path(state)["assets/audio/one.wav"]
    assert one.state == "stale" and one.reasons == ("_includes/transcripts/one.md is missing",)
    assert state.stale_outputs == ("_includes/transcripts/one.md",)
    assert not state.current


def test_new_format_is_stale(built_site: Path) -> None:
    (built_site / "_config.yml").write_text(CONFIG.replace("[md, vtt, txt]", "[md, vtt, txt, srt]"))
    state = site_state(load_settings(built_site))
    assert {"assets/transcripts/one.srt", "assets/transcripts/two.srt"} <= set(state.stale_outputs)
    assert not any(rel.endswith((".vtt", ".txt")) for rel in state.stale_outputs)
    # the managed key lists the caption files, so the posts are stale too
    assert sorted(state.stale_documents) == ["_posts/2026-01-01-one.md", "_posts/2026-01-02-two.md"]


def test_out_of_date_output_is_stale(built_site: Path) -> None:
    """A cache entry with other words (a teammate's build) makes the written files out of date."""
    seed_cache(built_site, {"one.wav": "ten of spades", "two.wav": "four queen of clubs"})
    state = site_state(load_settings(built_site))
    assert "_includes/transcripts/one.md" in state.stale_outputs
    assert any("out of date" in r for r in by_path(state)["assets/audio/one.wav"].reasons)


def test_hand_edited_output_is_kept_and_not_stale(built_site: Path) -> None:
    path = built_site / "assets/transcripts/one.txt"
    path.write_text("Ten of clubs, fixed by hand.\n")
    state = site_state(load_settings(built_site))
    assert state.edited_outputs == ("assets/transcripts/one.txt",)
    assert by_path(state)["assets/audio/one.wav"].state == "cached"
    assert state.current  # build would keep the edit: nothing to do


def test_edited_front_matter_key_is_stale(built_site: Path) -> None:
    post = built_site / "_posts/2026-01-01-one.md"
    post.write_text(post.read_text().replace("words: 3", "words: 99"))
    state = site_state(load_settings(built_site))
    assert state.stale_documents == ("_posts/2026-01-01-one.md",)
    assert by_path(state)["assets/audio/one.wav"].state == "stale"


def test_remembered_failure_is_failed_until_content_changes(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", SITE)
    settings = load_settings(site)
    site_audio = scan_site(settings, StatIndex(settings.state_path / "x.json"))
    remember_failures(settings, [("assets/audio/two.wav", "AudioError: truncated"), ("_posts/x.md", "bad")], site_audio)
    saved = json.loads((settings.state_path / "failures.json").read_text())
    assert list(saved["files"]) == ["assets/audio/two.wav"]
    state = by_path(site_state(settings))
    assert state["assets/audio/two.wav"].state == "failed"
    assert "truncated" in state["assets/audio/two.wav"].reasons[0]
    assert state["assets/audio/one.wav"].state == "new"
    shutil.copyfile(FIXTURES / "cards-005.wav", site / "assets/audio/two.wav")
    assert by_path(site_state(settings))["assets/audio/two.wav"].state == "new"


def test_corrupt_cache_entry_is_not_cached(built_site: Path) -> None:
    entry = next((built_site / ".jekyll-asr/cache").glob("??/*.json"))
    entry.write_text(entry.read_text().replace("clubs", "clebs"))
    states = site_state(load_settings(built_site)).audio
    bad = [a for a in states if a.state != "cached"]
    assert len(bad) == 1 and bad[0].state == "changed" and bad[0].reasons[0] == "its cache entry is corrupt"


def test_broken_front_matter_is_a_problem(built_site: Path) -> None:
    (built_site / "_posts/2026-01-03-bad.md").write_text("---\ntitle: [oops\naudio: /assets/audio/one.wav\n---\n")
    state = site_state(load_settings(built_site))
    assert [p for p, _ in state.problems] == ["_posts/2026-01-03-bad.md"]
    assert not state.current


def test_status_never_imports_torch(built_site: Path) -> None:
    code = (
        "import sys, json\n"
        "from jekyll_asr.cli import main\n"
        f"rc = main(['status', {str(built_site)!r}, '--json'])\n"
        "assert rc == 0, rc\n"
        "heavy = [m for m in ('torch', 'transformers', 'ctranslate2', 'faster_whisper', 'av') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True, env=os.environ.copy(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stderr
    assert json.loads(done.stdout)["counts"]["cached"] == 2


# ---------------------------------------------------------------- audio moved away


def test_audio_moved_away_fails_check_naming_the_post_and_gc_keeps_its_include(
    built_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Protection: find.scan_site reports a document whose managed key is the transcript of site
    audio that is gone while none of its links finds audio any more (an extensionless link finds
    nothing and says nothing), naming the post; check exits 1, build fails it, gc keeps what the
    key names. Without it build and check exit 0 while the post shows a transcript of audio that
    is not there, and a later gc --force deletes the include the post names, so ``jekyll build``
    fails with "Could not locate the included file"."""
    from jekyll_asr.cli import main

    post = built_site / "_posts/2026-01-01-one.md"
    post.write_text(post.read_text().replace("audio: /assets/audio/one.wav\n", "audio: /assets/audio/one\n", 1))
    assert main(["check", str(built_site)]) == 0  # the link without its extension still finds one.wav
    (built_site / "assets/audio/one.wav").rename(tmp_path / "one.wav")
    capsys.readouterr()
    assert main(["check", str(built_site)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "_posts/2026-01-01-one.md" in x)
    assert "/assets/audio/one.wav" in line and "no longer in the site" in line
    report = render_site(built_site)
    assert [f.path for f in report.failed] == ["_posts/2026-01-01-one.md"] and report.exit_code == 1
    assert main(["gc", str(built_site), "--force"]) == 0
    assert (built_site / "_includes/transcripts/one.md").is_file()


# ---------------------------------------------------------------- without outputs.json


def _corrections(site: Path) -> None:
    path = site / "_transcript_corrections/one.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text('corrections:\n  "ten of clubs": "Ten of Diamonds"\n')


def test_without_the_manifest_corrections_still_apply(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: plan.plan_outputs_of vouches for a file the manifest does not list when its bytes
    are what the tool renders from a cache entry of the same audio before corrections and glossary
    (OutputManifest.vouch): such a file is the tool's, so a build may rewrite it. Without it, on a
    fresh clone where outputs.json was not committed (or after it was deleted), every existing
    output counts as edited by hand and corrections silently stop applying while build and check
    exit 0."""
    from jekyll_asr.cli import main

    (built_site / ".jekyll-asr/outputs.json").unlink()
    shutil.rmtree(built_site / ".jekyll-asr/local")  # a fresh clone: no render index either
    _corrections(built_site)
    assert main(["check", str(built_site)]) == 1
    assert "assets/transcripts/one.txt is out of date" in capsys.readouterr().err
    report = render_site(built_site)
    assert report.failed == [] and report.warnings == []
    assert "Ten of Diamonds" in (built_site / "assets/transcripts/one.txt").read_text()
    assert "Ten of Diamonds" in (built_site / "_includes/transcripts/one.md").read_text()
    assert main(["check", str(built_site)]) == 0


def test_without_the_manifest_a_hand_edited_output_is_kept_loudly(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: a file the manifest does not list and no rendering of the tool explains is kept,
    named by build and check as kept, and check exits 1 while corrections cannot reach it. Without
    it a genuinely hand-edited file is overwritten, or corrections stop applying with exit 0."""
    from jekyll_asr.cli import main

    (built_site / ".jekyll-asr/outputs.json").unlink()
    edited = built_site / "assets/transcripts/one.txt"
    edited.write_text("Ten of clubs, as I typed it.\n")
    assert main(["check", str(built_site)]) == 0  # no corrections waiting: a hand edit is the user's call
    assert "assets/transcripts/one.txt" in capsys.readouterr().err
    _corrections(built_site)
    assert main(["check", str(built_site)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "assets/transcripts/one.txt" in x and "stale" in x)
    assert "_transcript_corrections/one.yml" in line and "--force" in line
    report = render_site(built_site)
    assert edited.read_text() == "Ten of clubs, as I typed it.\n"
    assert any("assets/transcripts/one.txt" in w and "no record" in w for w in report.warnings), report.warnings
    assert "Ten of Diamonds" in (built_site / "assets/transcripts/one.vtt").read_text()
    assert main(["check", str(built_site)]) == 1  # still: the corrections never reach the kept file
