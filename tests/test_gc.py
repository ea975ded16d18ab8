"""gc deletes only what the tool made, in its own folders, whatever its state files say.

State files (``outputs.json``, the render index, ``names.json``, ``urls.json``,
the stat index) are input a pull request or a bad merge can change: a path they
name is checked to lie in the tool's folders (after resolving symlinks) before
anything is deleted or written there.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from jekyll_asr.cli import main
from jekyll_asr.config import load_settings
from jekyll_asr.fsutil import atomic_write, is_temp_name
from jekyll_asr.gc import leftover_temp_files
from jekyll_asr.state import site_state
from jekyll_asr.store import Store


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _list_in_manifest(site: Path, files: dict[str, str]) -> None:
    path = site / ".jekyll-asr/outputs.json"
    data = json.loads(path.read_text())
    data["files"].update(files)
    path.write_text(json.dumps(data))


def test_gc_never_deletes_what_a_forged_manifest_lists_outside_the_output_folders(
    built_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Protection: Store.owned (fsutil.owned_by) checks every path outputs.json names against
    the includes and captions folders, after resolving symlinks, when the manifest is loaded and
    again before gc unlinks. Without it a manifest entry with the right hash (a pull request, a
    bad merge) makes ``gc`` delete ``_config.yml``, a post, a cache entry in use, or any file on
    the machine (``../outside/precious.txt``, an absolute path), even more so with ``--force``."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("precious\n")
    (tmp_path / "absolute.txt").write_text("absolute\n")
    includes = built_site / "_includes/transcripts"
    os.symlink("../../_config.yml", includes / "config-link.md")  # a link in the folder, to a file out of it
    os.symlink(outside, includes / "elsewhere")  # a folder in the folder, leading out of the site
    (outside / "deep.md").write_text("deep\n")
    entry = next((built_site / ".jekyll-asr/cache").glob("??/*.json"))
    victims = {
        "_config.yml": built_site / "_config.yml",
        "_posts/2026-01-01-one.md": built_site / "_posts/2026-01-01-one.md",
        "../outside/precious.txt": outside / "precious.txt",
        str(tmp_path / "absolute.txt"): tmp_path / "absolute.txt",
        "_includes/transcripts/../../_posts/2026-01-02-two.md": built_site / "_posts/2026-01-02-two.md",
        "_includes/transcripts/config-link.md": built_site / "_config.yml",
        "_includes/transcripts/elsewhere/deep.md": outside / "deep.md",
        entry.relative_to(built_site).as_posix(): entry,
        ".jekyll-asr/names.json": built_site / ".jekyll-asr/names.json",
    }
    before = {rel: path.read_bytes() for rel, path in victims.items()}
    _list_in_manifest(built_site, {rel: _sha(path) for rel, path in victims.items()})

    assert main(["gc", str(built_site), "--force", "--json"]) == 0
    out, err = capsys.readouterr()
    removed = json.loads(out)
    assert removed["outputs"] == [] and removed["cache_entries"] == []
    assert {rel: path.read_bytes() for rel, path in victims.items()} == before
    assert (includes / "config-link.md").is_symlink()
    for rel in victims:
        assert sum(1 for line in err.splitlines() if repr(rel) in line and "ignored" in line) == 1, (rel, err)
    assert main(["check", str(built_site)]) == 0  # nothing in use went either


def test_gc_never_follows_a_symlinked_cache_folder_out_of_the_site(built_site: Path, tmp_path: Path) -> None:
    """Protection: gc removes a cache entry only when it resolves inside the cache folder.
    Without it a shard folder that is a symlink (``cache/ab -> /somewhere``) makes gc delete
    files elsewhere that merely look like cache entries."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / f"{'ab' * 32}-{'cd' * 8}.json"
    victim.write_text("{}")
    os.symlink(outside, built_site / ".jekyll-asr/cache/ab")
    assert main(["gc", str(built_site), "--force"]) == 0
    assert victim.read_text() == "{}"


def test_output_manifest_refuses_to_write_outside_the_output_folders(built_site: Path) -> None:
    """Protection: OutputManifest.write checks its target with Store.owned. Without it any
    caller handing it a path from a state file writes there (``_config.yml``, a post)."""
    from jekyll_asr.errors import PathError

    manifest = Store(load_settings(built_site)).manifest()
    config = (built_site / "_config.yml").read_bytes()
    for rel in ("_config.yml", "_posts/2026-01-01-one.md", "../escape.md", ".jekyll-asr/outputs.json"):
        with pytest.raises(PathError, match="not in jekyll-asr's output folders"):
            manifest.write(rel, "generated", force=True)
    assert (built_site / "_config.yml").read_bytes() == config
    assert not (built_site.parent / "escape.md").exists()
    assert manifest.write("_includes/transcripts/new.md", "generated") is True


def test_state_files_naming_paths_outside_the_tools_folders_are_ignored(built_site: Path) -> None:
    """Protection: Store drops what its state files name outside the tool's folders (render index
    outputs, stat index paths) and names/URL records that could build such a path. Without it a
    render index entry vouches for ``_config.yml`` as a "current" output gc keeps and status shows,
    and a names.json entry ``../../x`` names outputs out of their folders."""
    settings = load_settings(built_site)
    local = built_site / ".jekyll-asr/local"
    rendered = json.loads((local / "rendered.json").read_text())
    key = "assets/audio/one.wav"
    rendered["audio"][key]["outputs"]["../outside.md"] = None
    (local / "rendered.json").write_text(json.dumps(rendered))
    (built_site / ".jekyll-asr/names.json").write_text(json.dumps({"version": 1, "names": {key: "../../x"}}))
    (built_site / ".jekyll-asr/urls.json").write_text(json.dumps({"version": 1, "urls": {
        "https://a.example/x.mp3": {"sha256": "../../../etc/passwd", "size": 1, "kind": "mp3"}}}))
    stat = json.loads((local / "stat-index.json").read_text())
    stat["files"]["../../outside.wav"] = stat["files"][key]
    (local / "stat-index.json").write_text(json.dumps(stat))

    store = Store(settings)
    assert key not in store.rendered().entries
    assert store.names().names[key] == "x"
    assert store.urls().urls == {}
    assert "../../outside.wav" not in store.stat_index().entries
    assert any("rendered.json" in n and "../outside.md" in n for n in store.notes)
    state = site_state(settings)
    assert all(o.startswith(("_includes/transcripts/", "assets/transcripts/")) for o in state.outputs_in_use)


# ---------------------------------------------------------------- temp files


def test_temp_names_are_unmistakably_the_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Protection: atomic_write names its temp files ``.NAME.jekyll-asr-XXXXXXXX.tmp``. Without
    it (mkstemp's plain ``.NAME.XXXXXXXX.tmp``) a user's file such as ``.notes.md.backup01.tmp``
    looks like a leftover of an interrupted build and gc deletes it."""
    target = tmp_path / "a.md"
    seen: list[str] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(Path(src).name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(target, "x")
    assert len(seen) == 1 and seen[0].startswith(".a.md.jekyll-asr-") and seen[0].endswith(".tmp")
    assert is_temp_name(seen[0])
    assert not is_temp_name(".notes.md.backup01.tmp") and not is_temp_name(".a.md.ab12cd34.tmp")
    assert is_temp_name(".a.md.ab12cd34.tmp", legacy=True)


def test_gc_removes_only_temp_files_it_could_have_made(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: gc.leftover_temp_files takes the tool's exact temp pattern, in folders it writes
    to, for names it writes there (a post's temp only beside that post); mkstemp's old pattern
    only inside ``.jekyll-asr/``. Without it gc deletes a user's ``.draft.md.backup01.tmp`` in
    ``_posts/`` or ``_includes/transcripts/``."""
    settings = load_settings(built_site)
    shard = next(Path(settings.cache_path).glob("??"))
    shard_rel = shard.relative_to(built_site).as_posix()
    left = {
        "_includes/transcripts/.one.md.jekyll-asr-k3j_9x0a.tmp",
        "assets/transcripts/.one.vtt.jekyll-asr-ab12cd34.tmp",
        "_posts/.2026-01-01-one.md.jekyll-asr-ab12cd34.tmp",
        f"{shard_rel}/.{'ab' * 32}-{'cd' * 8}.json.jekyll-asr-zz99yy88.tmp",
        f"{shard_rel}/.{'ab' * 32}-{'cd' * 8}.json.zz99yy88.tmp",  # an older release's name, where only the tool writes
        ".jekyll-asr/.outputs.json.q1w2e3r4.tmp",
    }
    users = {
        "_posts/.draft.md.backup01.tmp",  # the old pattern, in a folder of the user's
        "_posts/.2026-01-01-one.md.ab12cd34.tmp",
        "_posts/.someone-else.md.jekyll-asr-ab12cd34.tmp",  # not a post the tool edits
        "_includes/transcripts/.one.md.backup01.tmp",  # the old pattern, outside .jekyll-asr/
        "_includes/.nav.html.jekyll-asr-ab12cd34.tmp",  # a folder the tool never writes to
        "assets/images/.cover.png.jekyll-asr-ab12cd34.tmp",
    }
    for rel in left | users:
        (built_site / rel).parent.mkdir(parents=True, exist_ok=True)
        (built_site / rel).write_text("half a write")
    assert set(leftover_temp_files(settings, site_state(settings))) == left
    assert main(["gc", str(built_site), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["temp_files"]) == left
    assert not any((built_site / rel).exists() for rel in left)
    assert all((built_site / rel).read_text() == "half a write" for rel in users)


# ---------------------------------------------------------------- files pages still use


def test_gc_keeps_a_generated_file_a_page_includes(built_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Protection: gc keeps every generated file a document ``{% include %}``s, audio or not.
    Without it, once the audio of an include a page names in its body is moved away, gc deletes
    the include and ``jekyll build`` fails with "Could not locate the included file"."""
    page = built_site / "about.md"
    page.write_text("---\ntitle: About\n---\n{% include transcripts/two.md %}\n{%- include_relative assets/transcripts/two.txt -%}\n")
    (built_site / "assets/audio/two.wav").unlink()
    post = built_site / "_posts/2026-01-02-two.md"
    post.write_text("---\ntitle: Two\n---\nNo audio any more.\n")
    assert main(["gc", str(built_site), "--json"]) == 0
    out, err = capsys.readouterr()
    removed = json.loads(out)
    assert (built_site / "_includes/transcripts/two.md").is_file()
    assert removed["outputs"] == ["assets/transcripts/two.vtt"]  # nothing includes the captions: they go
    assert removed["included"] == ["_includes/transcripts/two.md", "assets/transcripts/two.txt"]
    assert "kept _includes/transcripts/two.md (about.md includes it)" in err


def test_gc_keeps_the_entry_published_outputs_come_from_until_a_build_replaces_it(tmp_path: Path) -> None:
    """Protection: plan.decide_cache counts every entry of an audio whose transcript under the
    current settings is missing as in use. Without it, changing the model to one this machine
    cannot load (init's default on a CPU without network) and running gc deletes the transcript
    behind every published page; the next build must transcribe the archive again."""
    from jekyll_asr.build import build

    from .test_site import AUDIO, seeded_site

    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\n"}, text="five five")
    assert build(load_settings(site), say=lambda m: None).failed == []
    entries = sorted((site / ".jekyll-asr/cache").rglob("*.json"))
    assert len(entries) == 1
    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + "  beam_size: 2\n", encoding="utf-8")  # another cache key
    assert main(["gc", str(site), "-q"]) == 0
    assert sorted((site / ".jekyll-asr/cache").rglob("*.json")) == entries  # still what the pages show

    assert build(load_settings(site), say=lambda m: None).failed == []  # the real model, beam 2
    assert len(list((site / ".jekyll-asr/cache").rglob("*.json"))) == 2
    assert main(["gc", str(site), "-q"]) == 0
    (kept,) = (site / ".jekyll-asr/cache").rglob("*.json")
    assert kept not in entries  # replaced: now the old entry is garbage


def test_gc_removes_speaker_turns_nothing_uses_and_keeps_those_in_use(built_site: Path) -> None:
    """Turns live beside the transcripts (cache/turns/): gc collects them by the same in-use rule."""
    from jekyll_asr.transcript import Turn

    settings = load_settings(built_site)
    turns = Store(settings).turns()
    gone = turns.put("cd" * 32, "ef" * 32, [Turn(0.0, 1.0, "1")], "diarized")  # audio the site no longer has
    state = site_state(settings)
    assert turns.relative("cd" * 32, "ef" * 32) not in state.cache_in_use
    assert main(["gc", str(built_site), "--force"]) == 0
    assert not gone.exists() and not gone.parent.exists()
