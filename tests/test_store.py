"""store.py: one owner for every file the tool keeps, their versions, the lock and the save order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.errors import LockError, PathError
from jekyll_asr.store import VERSIONS, Store

from .sitefactory import make_site


def _store(tmp_path: Path, files: dict[str, str] | None = None) -> Store:
    make_site(tmp_path, {"_config.yml": "title: T\n", **(files or {})})
    return Store(load_settings(tmp_path))


def test_every_file_has_one_path_inside_the_site(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for name in VERSIONS:
        path = store.path(name)
        assert path.is_relative_to(tmp_path.resolve() / ".jekyll-asr"), path
    assert store.path("local/stat-index.json").parent == store.local
    with pytest.raises(KeyError):
        store.path("../_config.yml")


def test_a_version_this_release_cannot_read_is_dropped_with_a_note(tmp_path: Path) -> None:
    store = _store(tmp_path, {
        ".jekyll-asr/names.json": json.dumps({"version": 99, "names": {"a.mp3": "a"}}),
        ".jekyll-asr/local/stat-index.json": json.dumps({"version": 99, "files": {}}),
        ".jekyll-asr/urls.json": json.dumps({"version": 1, "urls": {}}),
    })
    assert store.names().names == {} and store.stat_index().entries == {} and store.urls().urls == {}
    assert len(store.notes) == 2
    assert any("names.json has version 99" in n and "reads 1" in n for n in store.notes)


def test_corrupt_files_are_empty_never_a_crash(tmp_path: Path) -> None:
    files = {f".jekyll-asr/{name}": "{not json" for name in VERSIONS}
    store = _store(tmp_path, files)
    assert store.names().names == {} and store.urls().urls == {}
    assert store.stat_index().entries == {} and store.memo().documents == {}
    assert store.manifest().files == {}
    assert all("could not be read" in n for n in store.notes) and len(store.notes) == 4


def test_the_lock_lets_one_build_in(tmp_path: Path) -> None:
    store = _store(tmp_path)
    second = Store(store.settings).lock(wait=False, say=lambda m: None)
    with store.lock(say=lambda m: None), pytest.raises(LockError, match="another jekyll-asr build"), second:
        pass
    with Store(store.settings).lock(wait=False, say=lambda m: None):
        pass  # free again
    assert (store.local / ".gitignore").read_text() == "*\n"  # machine-local state is never committed


def test_saves_go_in_the_safe_order(tmp_path: Path) -> None:
    store = _store(tmp_path)
    order: list[str] = []

    class Part:
        def __init__(self, name: str) -> None:
            self.name = name

        def save(self) -> None:
            order.append(self.name)

    parts = {n: Part(n) for n in ("manifest", "names", "urls", "stat_index", "memo", "rendered")}
    store.save_all(**parts)  # type: ignore[arg-type]
    assert order == ["manifest", "names", "urls", "stat_index", "memo", "rendered"]


def test_a_cache_folder_that_leads_out_of_the_site_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = _store(tmp_path / "site")
    (tmp_path / "site/.jekyll-asr").mkdir(exist_ok=True)
    os.symlink(outside, tmp_path / "site/.jekyll-asr/cache")
    with pytest.raises(PathError, match="outside the site"):
        store.cache()
