from pathlib import Path

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
