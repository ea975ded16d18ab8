"""The repository's .pre-commit-hooks.yaml, run by the real ``pre-commit try-repo``.

The hooks declare ``language: python``, so pre-commit would build a virtualenv
and pip-install jekyll-asr with torch into it: impossible offline and minutes
online. The test copies the real hooks file into a throwaway hooks repository
with only ``language`` switched to ``unsupported`` (pre-commit's name for
"system": run the entry from PATH, i.e. this venv's jekyll-asr). Everything
else (ids, entry, files regex, pass_filenames, always_run, stages) is the
real file's, and ``test_hooks_file_is_valid`` checks the real file as it is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .sitefactory import Fixture, make_site

REPO = Path(__file__).resolve().parent.parent
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
POST = "---\ntitle: Go forward\naudio: /assets/audio/go.wav\n---\nAn episode.\n"
SITE = {
    "_config.yml": "title: T\nasr:\n  model: tiny.en\n  language: en\n  formats: [md, txt]\n",
    "assets/audio/go.wav": Fixture("goforward.wav"),
    "_posts/2026-01-01-go.md": POST,
}


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS_FILE.read_text())}


def test_hooks_file_is_valid() -> None:
    from cfgv import validate
    from pre_commit.clientlib import MANIFEST_SCHEMA

    validate(yaml.safe_load(HOOKS_FILE.read_text()), MANIFEST_SCHEMA)
    found = hooks()
    assert set(found) == {"jekyll-asr", "jekyll-asr-check"}
    assert found["jekyll-asr"]["entry"] == "jekyll-asr hook"
    assert found["jekyll-asr-check"]["entry"] == "jekyll-asr check"
    for hook in found.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False and hook["always_run"] is False


@pytest.mark.parametrize("path, runs", [
    ("assets/audio/episode-1.mp3", True),
    ("media/Interview.M4A", True),
    ("assets/audio/x.opus", True),
    ("_posts/2026-01-01-hello.md", True),
    ("about.html", True),
    ("_config.yml", True),
    ("docs/_config.yaml", True),
    ("_transcript_corrections/episode-1.yml", True),
    ("assets/img/cover.png", False),
    ("Gemfile", False),
    ("assets/css/site.scss", False),
])
def test_files_regex(path: str, runs: bool) -> None:
    for hook in hooks().values():
        assert bool(re.search(hook["files"], path)) is runs


def git(cwd: Path, *argv: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *argv], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = os.environ.copy()
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # this venv's jekyll-asr
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
        "HF_HUB_OFFLINE": "1",
    })
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    return env


@pytest.fixture
def hooks_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A git repo holding the real hooks file, with language switched (see the module docstring)."""
    repo = tmp_path / "hooks"
    repo.mkdir()
    text = HOOKS_FILE.read_text()
    assert text.count("language: python") == 2
    (repo / ".pre-commit-hooks.yaml").write_text(text.replace("language: python", "language: unsupported"))
    git(repo, "init", "-q", env=env)
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", "hooks", env=env)
    return repo


def try_repo(site: Path, hooks_repo: Path, hook_id: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks_repo), hook_id, "--color", "never", *extra],
        cwd=site, env=env, capture_output=True, check=False, text=True, timeout=600,
    )


@pytest.mark.slow
def test_commit_with_new_audio_fails_then_passes(tmp_path: Path, hooks_repo: Path, env: dict[str, str]) -> None:
    site = make_site(tmp_path / "site", SITE)
    git(site, "init", "-q", env=env)
    git(site, "add", "-A", env=env)

    first = try_repo(site, hooks_repo, "jekyll-asr", env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "stage them" in first.stdout
    include = site / "_includes/transcripts/go.md"
    assert "forward" in include.read_text().lower()
    assert "transcript:" in (site / "_posts/2026-01-01-go.md").read_text()
    assert list((site / ".jekyll-asr/cache").glob("??/*.json"))
    untracked = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                               cwd=site, env=env, capture_output=True, check=False, text=True).stdout
    assert ".jekyll-asr/cache/" in untracked and ".jekyll-asr/local/" not in untracked  # local state ignores itself

    git(site, "add", "-A", env=env)
    second = try_repo(site, hooks_repo, "jekyll-asr", env)
    assert second.returncode == 0, second.stdout + second.stderr
    git(site, "commit", "-q", "-m", "episode", env=env)

    # jekyll-asr-check: passes on the committed site, fails when the audio changes, never transcribes
    assert try_repo(site, hooks_repo, "jekyll-asr-check", env, "--all-files").returncode == 0
    entries = sorted((site / ".jekyll-asr/cache").glob("??/*.json"))
    shutil.copyfile(Path(__file__).parent / "fixtures" / "cards-003.wav", site / "assets/audio/go.wav")
    git(site, "add", "-A", env=env)
    stale = try_repo(site, hooks_repo, "jekyll-asr-check", env)
    assert stale.returncode == 1
    assert "assets/audio/go.wav: changed" in stale.stdout
    assert sorted((site / ".jekyll-asr/cache").glob("??/*.json")) == entries

    # the transcribing hook brings it up to date; then the check passes again
    assert try_repo(site, hooks_repo, "jekyll-asr", env).returncode == 1
    git(site, "add", "-A", env=env)
    assert try_repo(site, hooks_repo, "jekyll-asr-check", env).returncode == 0
    assert "clubs" in include.read_text().lower()


def test_hook_skipped_when_no_site_file_is_staged(tmp_path: Path, hooks_repo: Path, env: dict[str, str]) -> None:
    """``always_run: false`` + the files regex: a commit of other files does not run the build."""
    site = make_site(tmp_path / "site", {**SITE, "Gemfile": "source 'https://rubygems.org'\n"})
    git(site, "init", "-q", env=env)
    git(site, "add", "Gemfile", env=env)
    result = try_repo(site, hooks_repo, "jekyll-asr", env)
    assert result.returncode == 0
    assert "(no files to check)Skipped" in result.stdout.replace(".", "")
    assert not (site / "_includes").exists()
