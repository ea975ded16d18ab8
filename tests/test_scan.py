import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.scan import candidate_files, classify, glob_regex
from jekyll_asr.statindex import StatIndex, hash_file

from .sitefactory import Fixture, make_site


def test_glob_semantics() -> None:
    assert glob_regex("assets/**").match("assets/a/b/c.mp3")
    assert glob_regex("**/*.mp3").match("x.mp3") and glob_regex("**/*.mp3").match("a/b/x.mp3")
    assert not glob_regex("assets/*").match("assets/a/b.mp3")
    assert not glob_regex("assets/*.mp3").match("assetsX/a.mp3")


def test_audio_found_by_content_not_extension(tmp_path: Path) -> None:
    make_site(tmp_path, {
        "assets/a/real.mp3": Fixture("welcome.mp3"),
        "assets/a/vorbis.mp3": Fixture("ogg-named.mp3"),
        "assets/a/no-extension": Fixture("welcome.flac"),
        "assets/a/fake.mp3": Fixture("not-audio.mp3"),
        "assets/img/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "_site/assets/copy.mp3": Fixture("welcome.mp3"),
        "node_modules/x/a.mp3": Fixture("welcome.mp3"),
    })
    settings = load_settings(tmp_path, {"include": ["assets/**", "_site/**", "node_modules/**"]})
    index = StatIndex(tmp_path / "idx.json")
    found = {rel: classify(settings, rel, index) for rel in candidate_files(settings)}
    audio = {rel: f.kind for rel, f in found.items() if f is not None}
    assert audio == {"assets/a/real.mp3": "mp3", "assets/a/vorbis.mp3": "ogg", "assets/a/no-extension": "flac"}
    assert "_site/assets/copy.mp3" not in found and "node_modules/x/a.mp3" not in found
    assert found["assets/a/real.mp3"].sha256 == hash_file(tmp_path / "assets/a/real.mp3")


def test_stat_index_skips_rehash_and_notices_changes(tmp_path: Path, monkeypatch) -> None:
    make_site(tmp_path, {"assets/a.mp3": Fixture("welcome.mp3")})
    settings = load_settings(tmp_path)
    index = StatIndex(tmp_path / "idx.json")
    first = classify(settings, "assets/a.mp3", index)
    index.save()
    reloaded = StatIndex.load(tmp_path / "idx.json")
    import jekyll_asr.scan as scan_mod

    calls = []
    monkeypatch.setattr(scan_mod, "hash_file", lambda p: calls.append(p) or "x" * 64)
    again = classify(settings, "assets/a.mp3", reloaded)
    assert again.sha256 == first.sha256 and calls == []  # unchanged: not hashed again
    (tmp_path / "assets/a.mp3").write_bytes((tmp_path / "assets/a.mp3").read_bytes() + b"\0")
    changed = classify(settings, "assets/a.mp3", reloaded)
    assert len(calls) == 1 and changed.sha256 == "x" * 64


def test_corrupt_stat_index_is_empty(tmp_path: Path) -> None:
    (tmp_path / "idx.json").write_text("{not json")
    assert StatIndex.load(tmp_path / "idx.json").entries == {}


def test_the_default_finds_audio_anywhere_jekyll_publishes(tmp_path: Path) -> None:
    """`include: **`: audio outside assets/ is found; Jekyll's destination, its own `_folders`
    (collections excepted), its exclude: list and dot-files are never read."""
    make_site(tmp_path, {
        "_config.yml": "destination: public\nexclude: [raw]\ncollections:\n  episodes: {output: true}\n",
        "episodes/one.mp3": Fixture("welcome.mp3"),
        "podcasts/two.ogg": Fixture("welcome.ogg"),
        "_episodes/three.wav": Fixture("goforward.wav"),
        "top.flac": Fixture("welcome.flac"),
        "public/episodes/one.mp3": Fixture("welcome.mp3"),
        "_site/x.mp3": Fixture("welcome.mp3"),
        "_drafts_audio/x.mp3": Fixture("welcome.mp3"),
        "raw/take1.wav": Fixture("goforward.wav"),
        ".hidden/x.mp3": Fixture("welcome.mp3"),
        "notes.md": "# not audio, never opened\n",
        "writeups/poc.mp4": Fixture("welcome.m4a"),  # a screen recording with a sound track: a video
    })
    settings = load_settings(tmp_path)
    assert candidate_files(settings) == ["_episodes/three.wav", "episodes/one.mp3", "podcasts/two.ogg", "top.flac"]


# ---------------------------------------------------------------- one bad entry never stops the walk


def _walk(site: Path, **options: object) -> tuple[list[str], list[str]]:
    settings = load_settings(site, options or None)
    warnings: list[str] = []
    return candidate_files(settings, warnings), warnings


def test_symlink_loops_are_a_warning_and_the_walk_goes_on(tmp_path: Path) -> None:
    """Protection: scan.candidate_files never follows a folder symlink and reports a looping or
    broken link in one line. Without it ``assets/audio/loop -> ..`` or ``a -> b -> a`` stops
    build, status, check and gc with a traceback, and the good audio beside them is never found."""
    make_site(tmp_path, {"assets/audio/good.wav": Fixture("cards-001.wav"), "assets/audio/deep/x.wav": Fixture("cards-002.wav")})
    audio = tmp_path / "assets/audio"
    os.symlink("..", audio / "loop")
    os.symlink("..", audio / "deep/up")
    os.symlink("b.mp3", audio / "a.mp3")
    os.symlink("a.mp3", audio / "b.mp3")
    os.symlink("gone.mp3", audio / "dangling.mp3")
    os.symlink("deep", audio / "alias")  # a folder symlink inside the site: not followed (the files have their own name)
    found, warnings = _walk(tmp_path)
    assert found == ["assets/audio/deep/x.wav", "assets/audio/good.wav"]
    by_path = {w.split(": ", 1)[0]: w for w in warnings}
    assert set(by_path) == {"assets/audio/loop", "assets/audio/deep/up", "assets/audio/a.mp3", "assets/audio/b.mp3", "assets/audio/dangling.mp3"}
    assert "loop" in by_path["assets/audio/loop"] and "not followed" in by_path["assets/audio/loop"]
    assert "loop" in by_path["assets/audio/a.mp3"] and "broken" in by_path["assets/audio/dangling.mp3"]
    assert all("\n" not in w for w in warnings)


def test_a_looping_include_root_is_a_warning(tmp_path: Path) -> None:
    """Protection: the include glob's own folder may be a looping symlink too; it is said, not walked."""
    make_site(tmp_path, {"assets/audio/good.wav": Fixture("cards-001.wav")})
    os.symlink("media", tmp_path / "media")
    found, warnings = _walk(tmp_path, include=["media/**", "assets/**"])
    assert found == ["assets/audio/good.wav"]
    assert [w.split(": ", 1)[0] for w in warnings] == ["media"]


def test_control_characters_in_names_are_said_escaped(tmp_path: Path) -> None:
    """Protection: a name with a newline, another control character or bytes that are not UTF-8
    is skipped with one warning printing the name escaped. Without it such a file is skipped
    without a word (or its name breaks the report line, the front matter and the links)."""
    make_site(tmp_path, {"assets/audio/good.wav": Fixture("cards-001.wav"), "assets/audio/café ünï.wav": Fixture("cards-002.wav")})
    audio = tmp_path / "assets/audio"
    (audio / "bad\nname.wav").write_bytes((audio / "good.wav").read_bytes())
    (audio / "tab\there.mp3").write_bytes(b"x")
    (audio / "esc\x1b[31m.mp3").write_bytes(b"x")
    (audio / "notes\n.txt").write_bytes(b"not audio: never opened, never said")
    os.mkdir(audio / "new\nfolder")
    (audio / "new\nfolder" / "x.wav").write_bytes(b"x")
    with open(os.fsencode(audio) + b"/latin1-\xe9.mp3", "wb") as latin1:  # a name written on a Latin-1 system
        latin1.write(b"x")
    found, warnings = _walk(tmp_path)
    assert found == ["assets/audio/café ünï.wav", "assets/audio/good.wav"]
    assert sorted(w.split(": ", 1)[0] for w in warnings) == sorted([
        "assets/audio/bad\\nname.wav", "assets/audio/tab\\there.mp3", "assets/audio/esc\\x1b[31m.mp3",
        "assets/audio/new\\nfolder", "assets/audio/latin1-\\xe9.mp3",
    ])
    assert all(w.isprintable() for w in warnings)  # one line each, nothing a terminal acts on


def test_an_unreadable_folder_is_a_warning(tmp_path: Path) -> None:
    """Protection: a folder the walk cannot list is named in one warning and the rest is walked.
    Without it (os.walk's default) the folder's audio silently vanishes from the site. Runs in a
    subprocess so that, as root, the folder is made unreadable by dropping the capability that
    lets root read anything (CAP_DAC_READ_SEARCH/CAP_DAC_OVERRIDE); skipped only where that fails."""
    make_site(tmp_path, {"assets/audio/good.wav": Fixture("cards-001.wav"), "assets/audio/locked/x.wav": Fixture("cards-002.wav")})
    (tmp_path / "assets/audio/locked").chmod(0)
    try:
        code = (
            "import sys, json; from pathlib import Path; from jekyll_asr.config import load_settings;"
            "from jekyll_asr.scan import candidate_files; w = [];"
            "print(json.dumps([candidate_files(load_settings(Path(sys.argv[1])), w), w]))"
        )
        done = subprocess.run(  # the child drops root's read-anything capability
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False, timeout=120, preexec_fn=without_root_reads(),
        )
    finally:
        (tmp_path / "assets/audio/locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    found, warnings = json.loads(done.stdout)
    assert found == ["assets/audio/good.wav"]
    assert len(warnings) == 1 and warnings[0].startswith("assets/audio/locked: ") and "Permission denied" in warnings[0]


def without_root_reads():  # type: ignore[no-untyped-def]
    """A preexec_fn that makes chmod 000 stop the child even as root (drops CAP_DAC_*), or skips the test."""
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2

    def drop() -> None:
        for cap in (cap_dac_override, cap_dac_read_search):
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    probe = subprocess.run(["true"], preexec_fn=drop, check=False)
    if probe.returncode != 0:
        pytest.skip("running as root without CAP_SETPCAP: chmod 000 cannot stop root's reads here")
    return drop


def test_the_walk_never_leaves_the_site(tmp_path: Path) -> None:
    """Protection: scan._walk_roots ignores a glob that climbs out (``../**``, absolute, ``**/../..``)
    even when Settings are made without validation. Without it ``../**`` walks the parent folder
    (and everything under it) and yields ``../`` paths the build then reads."""
    outside = make_site(tmp_path / "outside", {"secret.wav": Fixture("cards-001.wav")})
    site = make_site(tmp_path / "site", {"assets/a.wav": Fixture("cards-002.wav")})
    from dataclasses import replace

    settings = load_settings(site)
    for pattern in ("../**", "../outside/*.wav", f"{outside}/**", "**/../..", "assets/../../outside/*"):
        assert candidate_files(replace(settings, include=(pattern, "assets/*.wav"))) == ["assets/a.wav"], pattern


def _past_the_ctime_tick(path: Path) -> None:
    """Wait (at most one kernel tick) until a change to ``path`` gets a new ctime: the kernel stamps
    ctime from a coarse clock, and the rewrite below must not land in the tick of the first stat.
    A probe file next to it shows when that clock has moved on."""
    import os

    ctime = os.stat(path).st_ctime_ns
    probe = path.parent.parent / "probe"
    probe.write_bytes(b"")
    while os.stat(probe).st_ctime_ns <= ctime:
        os.chmod(probe, 0o644)


def test_same_size_rewrite_keeping_the_mtime_is_noticed(tmp_path: Path) -> None:
    """Protection: the stat index keys on ctime (``st_ctime_ns``) as well as size, mtime and inode,
    as git does. Without it a same-size rewrite in place that puts the old mtime back (``cp -p``,
    ``rsync -t``, ``touch -r``) keeps the old hash, and the old audio's transcript is served."""
    import os

    make_site(tmp_path, {"assets/a.wav": Fixture("cards-001.wav")})
    settings = load_settings(tmp_path)
    path = tmp_path / "assets/a.wav"
    index = StatIndex(tmp_path / "idx.json")
    first = classify(settings, "assets/a.wav", index)
    index.save()
    before = os.stat(path)
    _past_the_ctime_tick(path)
    data = bytearray(path.read_bytes())
    data[-1000:] = bytes(1000)  # other audio, same size
    with open(path, "r+b") as f:  # in place: same inode
        f.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    again = classify(settings, "assets/a.wav", StatIndex.load(tmp_path / "idx.json"))
    assert again is not None and first is not None
    assert again.sha256 == hash_file(path) != first.sha256


def test_a_version_1_stat_index_is_dropped_with_a_note(tmp_path: Path) -> None:
    """Protection: the stat index carries a version the Store checks. Without it an index written
    before ctime was recorded (size, mtime, inode only) would be read with its fields shifted and
    trusted, or crash the scan."""
    import json

    from jekyll_asr.store import Store

    make_site(tmp_path, {"assets/a.wav": Fixture("cards-001.wav")})
    settings = load_settings(tmp_path)
    st = (tmp_path / "assets/a.wav").stat()
    old = {"version": 1, "files": {"assets/a.wav": [st.st_size, st.st_mtime_ns, st.st_ino, "0" * 64, "wav"]}}
    (tmp_path / ".jekyll-asr/local").mkdir(parents=True)
    (tmp_path / ".jekyll-asr/local/stat-index.json").write_text(json.dumps(old))
    store = Store(settings)
    index = store.stat_index()
    assert index.entries == {}
    assert any("stat-index.json has version 1" in n and "reads 2" in n for n in store.notes), store.notes
    found = classify(settings, "assets/a.wav", index)
    assert found is not None and found.sha256 == hash_file(tmp_path / "assets/a.wav")
