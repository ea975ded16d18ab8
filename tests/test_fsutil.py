"""fsutil: atomic writes that never lose bytes someone else just saved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jekyll_asr.errors import ChangedMeanwhile
from jekyll_asr.fsutil import atomic_write


def test_a_file_saved_during_the_write_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Protection: atomic_write(expect=...) compares the file once more after the slow write and
    fsync, just before the rename. Without it an author who saves a post while the tool flushes
    its new version loses that edit to the rename."""
    post = tmp_path / "post.md"
    post.write_bytes(b"---\ntitle: Old\n---\n")
    real_fsync = os.fsync

    def author_saves(fd: int) -> None:
        real_fsync(fd)
        if post.read_bytes() == b"---\ntitle: Old\n---\n":
            post.write_bytes(b"---\ntitle: The author's edit\n---\n")

    monkeypatch.setattr(os, "fsync", author_saves)
    with pytest.raises(ChangedMeanwhile, match="changed while building"):
        atomic_write(post, b"---\ntitle: Old\ntranscript: {}\n---\n", expect=b"---\ntitle: Old\n---\n")
    assert post.read_bytes() == b"---\ntitle: The author's edit\n---\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["post.md"]  # no temp file left


def test_expect_matching_writes_as_usual(tmp_path: Path) -> None:
    """The check does not get in the way when nobody touched the file."""
    post = tmp_path / "post.md"
    post.write_bytes(b"old")
    atomic_write(post, b"new", expect=b"old")
    assert post.read_bytes() == b"new"


def test_the_owner_owns_only_what_lies_strictly_inside_its_folders(tmp_path: Path) -> None:
    """Protection: fsutil.Owner (string prefixes, folders resolved once). Without the strict and
    resolved test a state file naming the folder itself, ``..`` paths, a symlink out or a sibling
    whose name merely starts like the folder would be the tool's to write or delete."""
    from jekyll_asr.fsutil import Owner

    site = tmp_path / "site"
    (site / "assets/transcripts").mkdir(parents=True)
    (site / "assets/transcripts-old").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", site / "assets/transcripts/out")
    os.symlink(tmp_path / "outside" / "x.vtt", site / "assets/transcripts/link.vtt")
    owner = Owner([site / "assets/transcripts"], site=site)
    assert owner.owns(Path("assets/transcripts/a.vtt"))
    assert owner.owns(Path("assets/transcripts/deep/a.vtt"))
    for path in ("assets/transcripts", "assets/transcripts/.", "assets/transcripts/..", "assets/transcripts-old/a.vtt",
                 "assets/transcripts/../../_config.yml", "assets/transcripts/out/a.vtt", "assets/transcripts/link.vtt",
                 str(tmp_path / "outside" / "a.vtt"), "_config.yml"):
        assert not owner.owns(Path(path)), path
    assert not Owner([site], site=site).owns(Path("_config.yml"))  # the site itself owns nothing
