"""Invariants under random sequences of what authors and builds do (issue 16).

A Hypothesis state machine drives a small real site (real speech clips, tiny.en) through
builds, builds killed with SIGKILL at a random moment, audio and post edits (also while a
build runs), hand edits of generated files, corrections, config changes, lost state files,
a tampered manifest, a symlinked page and gc. After every step it asserts:

1. every byte outside the tool's folders (``.jekyll-asr/``, the includes and captions
   folders) is what the author made it (documents compared with the managed key taken
   out), a sentinel folder beside the site is never touched, and a hand-edited output is
   kept until ``--force``;
2. a completed command leaves no new temp file outside the tool's folders (a killed build
   may leave hidden ``.*.tmp`` files, which gc removes), and none is visible to Jekyll;
3. a completed build converges: ``jekyll-asr check`` exits 0, or fails naming what cannot
   converge (a page linking deleted audio); it names every hand edit and no false one;
   every file a page's managed key names exists and holds the words of the audio it names;
   gc right after it removes nothing check needs.

The cache is seeded once with every clip's transcript but one, so most builds never load
the model. CI runs a few derandomized examples; ``JEKYLL_ASR_INVARIANT_EXAMPLES=200`` runs
more, with random seeds (a failure prints its ``@reproduce_failure`` blob), and
``JEKYLL_ASR_INVARIANT_STEPS=30`` longer sequences. ``JEKYLL_ASR_INVARIANT_SKIP=rule,rule``
leaves rules out, to look past a failure already being fixed. Every failure message
starts with the steps that led to it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from jekyll_asr.build import build
from jekyll_asr.cli import main as cli_main
from jekyll_asr.config import load_settings
from jekyll_asr.errors import UsageError
from jekyll_asr.gc import collect_garbage

from .integrity import check_site_files, edit_front_matter, front_matter, is_hidden_temp, newline, plain_words, tree_stamps, user_files, without_key
from .sitefactory import FIXTURES, Fixture, make_site

pytestmark = pytest.mark.slow

KEY = "transcript"
TOOL_DIRS = (".jekyll-asr", "_includes/transcripts", "assets/transcripts")
CLIPS = ("cards-001.wav", "cards-002.wav", "cards-003.wav", "cards-004.wav", "cards-005.wav", "goforward.wav")
UNCACHED = "goforward.wav"  # not in the seeded cache: a build that meets it loads the model
AUDIO = ("ep-a", "ep-b", "ep-c", "ep-d")
POSTS = ("_posts/2026-01-01-first.md", "_posts/2026-01-02-second.md", "about.md")
EXAMPLES = int(os.environ.get("JEKYLL_ASR_INVARIANT_EXAMPLES") or 0)
STEPS = int(os.environ.get("JEKYLL_ASR_INVARIANT_STEPS") or 15)
SKIP = tuple(s for s in os.environ.get("JEKYLL_ASR_INVARIANT_SKIP", "").split(",") if s)  # rule names left out of a run


def config_text(language: str = "en", formats: tuple[str, ...] = (), pause: float | None = None) -> str:
    lines = ["title: T", "# the author's comment", "asr:", "  model: tiny.en", f"  language: {language}"]
    lines += [f"  formats: [{', '.join(formats)}]"] if formats else []
    lines += [f"  paragraph_pause: {pause}"] if pause else []
    return "\n".join(lines) + "\n"


SITE = {
    "_config.yml": config_text(),
    "assets/audio/ep-a.wav": Fixture("cards-001.wav"),
    "assets/audio/ep-b.wav": Fixture("cards-002.wav"),
    "assets/audio/ep-c.wav": Fixture("cards-003.wav"),
    "assets/audio/ep-d.wav": Fixture("cards-004.wav"),  # linked by no page: found by the include glob
    POSTS[0]: "---\n# keep me\ntitle: First\naudio: /assets/audio/ep-a.wav\n---\nFirst.\n\n{% include {{ page.transcript.include }} %}\n",
    POSTS[1]: "\ufeff---\r\ntitle: \"Second\"\r\naudio: /assets/audio/ep-b.wav\r\ntags: [x, y]\r\n---\r\nCRLF body.\r\n",
    POSTS[2]: "---\ntitle: About\naudio: /assets/audio/ep-c.wav\n---\nA page, not a post.\n",
    "notes/readme.txt": "the author's own file\n",
}


def quiet(_: str) -> None:
    """Builds and gc say nothing during the run: their files are the evidence."""


def background_build(site: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "jekyll_asr", "build", str(site), "-q", "--no-wait"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class SiteMachine(RuleBasedStateMachine):
    """One site in a fresh temp folder; ``model`` is what the author's files must hold."""

    warm_cache: ClassVar[Path]
    clip_words: ClassVar[dict[str, str]]  # clip -> its transcript's plain words

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="jekyll-asr-invariants-"))
        self.site = make_site(self.root / "site", SITE)
        shutil.copytree(self.warm_cache, self.site / ".jekyll-asr/cache")  # a clone with its cache committed
        self.outside = make_site(self.root / "outside", {"sentinel.txt": "never touched\n", "deep/x.wav": Fixture("cards-004.wav")})
        self.outside_before = tree_stamps(self.outside)
        self.model = user_files(self.site, TOOL_DIRS, KEY)
        self.clips = {"ep-a": "cards-001.wav", "ep-b": "cards-002.wav", "ep-c": "cards-003.wav", "ep-d": "cards-004.wav"}
        self.leftovers: set[str] = set()  # hidden temp files killed builds left outside the tool's folders
        self.edited: dict[str, bytes] = {}  # generated files edited by hand: path -> the author's bytes
        self.symlinked: set[str] = set()
        self.manifest_lost = False
        self.converged = False  # a completed build since the author's last step
        self.healthy = True  # no invariant failed yet: teardown's final build would only repeat the failure
        self.steps: list[str] = []

    # ------------------------------------------------------------ the author's steps

    def _authored(self, step: str) -> None:
        self.steps.append(step)
        self.model = user_files(self.site, TOOL_DIRS, KEY)
        self.converged = False

    def _set_audio_line(self, rel: str, url: str | None, old: str | None = None) -> None:
        """Point a document's ``audio:`` at ``url`` (None: drop the line); only where it names ``old`` when given."""
        path = self.site / rel
        text = path.read_bytes().decode("utf-8")

        def change(lines: list[str]) -> list[str]:
            mine = [i for i, line in enumerate(lines) if line.startswith("audio:")]
            if old is not None and not any(lines[i].rstrip() == f"audio: {old}" for i in mine):
                return lines
            kept = [line for i, line in enumerate(lines) if i not in mine]
            return [*kept, f"audio: {url}{newline(text)}"] if url else kept

        path.write_bytes(edit_front_matter(text, change).encode("utf-8"))

    @rule(name=st.sampled_from(AUDIO), clip=st.sampled_from(CLIPS))
    def put_audio(self, name: str, clip: str) -> None:
        """Add an audio file, or swap another recording in under the same name."""
        shutil.copyfile(FIXTURES / clip, self.site / f"assets/audio/{name}.wav")
        self.clips[name] = clip
        self._authored(f"put_audio({name!r}, {clip!r})")

    @rule(name=st.sampled_from(AUDIO), unlink_pages=st.booleans())
    def delete_audio(self, name: str, unlink_pages: bool) -> None:
        """Delete an audio file and (or not: a page then links missing audio) the lines that link it."""
        (self.site / f"assets/audio/{name}.wav").unlink(missing_ok=True)
        self.clips.pop(name, None)
        for rel in POSTS if unlink_pages else ():
            self._set_audio_line(rel, None, old=f"/assets/audio/{name}.wav")
        self._authored(f"delete_audio({name!r}, unlink_pages={unlink_pages})")

    @rule(src=st.sampled_from(AUDIO), dst=st.sampled_from(AUDIO))
    def move_audio(self, src: str, dst: str) -> None:
        """Rename an audio file and update the pages that link it."""
        if src != dst and src in self.clips:
            for rel in POSTS:
                self._set_audio_line(rel, None, old=f"/assets/audio/{dst}.wav")  # dst's old file is replaced
            os.replace(self.site / f"assets/audio/{src}.wav", self.site / f"assets/audio/{dst}.wav")
            self.clips[dst] = self.clips.pop(src)
            for rel in POSTS:
                self._set_audio_line(rel, f"/assets/audio/{dst}.wav", old=f"/assets/audio/{src}.wav")
        self._authored(f"move_audio({src!r}, {dst!r})")

    @rule(post=st.sampled_from(POSTS), name=st.sampled_from((*AUDIO, None)))
    def point_post(self, post: str, name: str | None) -> None:
        """Make a page link another audio file, or none."""
        if name is None or name in self.clips:
            self._set_audio_line(post, f"/assets/audio/{name}.wav" if name else None)
        self._authored(f"point_post({post!r}, {name!r})")

    def _edit_post(self, post: str, where: str) -> bytes:
        path = self.site / post
        text = path.read_bytes().decode("utf-8")
        nl, n = newline(text), len(self.steps)
        if where == "body":
            text += f"Another paragraph.{nl}"
        elif where == "title":
            text = edit_front_matter(text, lambda ls: [f"title: Edited {n}{nl}" if x.startswith("title:") else x for x in ls])
        else:  # a key after everything, the managed key too
            text = edit_front_matter(text, lambda ls: [*ls, f"edited_{n}: yes{nl}"])
        path.write_bytes(text.encode("utf-8"))
        return text.encode("utf-8")

    @rule(post=st.sampled_from(POSTS), where=st.sampled_from(("body", "title", "new key")))
    def edit_post(self, post: str, where: str) -> None:
        """Edit a page's body, its title, or add a key."""
        self._edit_post(post, where)
        self._authored(f"edit_post({post!r}, {where!r})")

    @rule(pick=st.integers(0, 50))
    def hand_edit_output(self, pick: int) -> None:
        """Edit a generated file by hand (it stays valid: check_site_files parses them all)."""
        made = [p for d in TOOL_DIRS[1:] for p in sorted((self.site / d).glob("*")) if p.suffix in (".md", ".txt", ".vtt", ".json")]
        made = [p for p in made if not is_hidden_temp(p.name)]
        if made:
            path = made[pick % len(made)]
            if path.suffix == ".json":
                data = json.loads(path.read_text(encoding="utf-8")) | {"edited_by_hand": pick}
                path.write_text(json.dumps(data), encoding="utf-8")
            else:
                path.write_bytes(path.read_bytes() + (b"\nNOTE edited by hand\n" if path.suffix == ".vtt" else b"\nEdited by hand.\n"))
            self.edited[path.relative_to(self.site).as_posix()] = path.read_bytes()
        self._authored(f"hand_edit_output({pick})")

    @rule(pick=st.integers(0, 10), wrong=st.sampled_from(("of", "clubs", "five", "go")))
    def add_correction(self, pick: int, wrong: str) -> None:
        """Add a per-episode correction (upper case: the words stay the same for ``plain_words``)."""
        slugs = sorted({p.stem for p in (self.site / TOOL_DIRS[1]).glob("*.md")} | {"first", "second", "about"})
        folder = self.site / "_transcript_corrections"
        folder.mkdir(exist_ok=True)
        (folder / f"{slugs[pick % len(slugs)]}.yml").write_text(f'corrections:\n  "{wrong}": "{wrong.upper()}"\n', encoding="utf-8")
        self._authored(f"add_correction({pick}, {wrong!r})")

    @rule(
        language=st.sampled_from(("en", "auto")),
        formats=st.sampled_from(((), ("md", "vtt"), ("md", "json", "txt"), ("vtt", "srt"))),
        pause=st.sampled_from((None, 0.5, 2.0)),
    )
    def change_config(self, language: str, formats: tuple[str, ...], pause: float | None) -> None:
        """Change options that need no other model: language, formats, paragraph pause."""
        (self.site / "_config.yml").write_text(config_text(language, formats, pause), encoding="utf-8")
        self._authored(f"change_config({language!r}, {formats!r}, {pause!r})")

    @rule()
    def forget_local_state(self) -> None:
        """A fresh clone: the machine-local state (stat index, memo, render index, lock) is gone."""
        shutil.rmtree(self.site / ".jekyll-asr/local", ignore_errors=True)
        self._authored("forget_local_state()")

    @rule()
    def lose_manifest(self) -> None:
        """A clone where the outputs manifest was never committed."""
        (self.site / ".jekyll-asr/outputs.json").unlink(missing_ok=True)
        self.manifest_lost = True
        self._authored("lose_manifest()")

    @rule(victim=st.sampled_from(("_config.yml", POSTS[0], "notes/readme.txt", "../outside/sentinel.txt")))
    def tamper_manifest(self, victim: str) -> None:
        """A pull request lists an author's file (or one outside the site) as a generated output, hash and all."""
        import hashlib

        path = self.site / ".jekyll-asr/outputs.json"
        data = json.loads(path.read_text()) if path.is_file() else {"version": 1, "files": {}}
        data["files"][victim] = hashlib.sha256((self.site / victim).read_bytes()).hexdigest()
        path.write_text(json.dumps(data), encoding="utf-8")
        self._authored(f"tamper_manifest({victim!r})")

    @rule()
    def symlink_page(self) -> None:
        """about.md becomes a link to a file elsewhere in the site."""
        if "about.md" not in self.symlinked:
            (self.site / "notes/about-source.md").write_bytes((self.site / "about.md").read_bytes())
            (self.site / "about.md").unlink()
            (self.site / "about.md").symlink_to("notes/about-source.md")
            self.symlinked.add("about.md")
        self._authored("symlink_page()")

    @rule()
    def temp_like_file(self) -> None:
        """An author's own hidden file whose name looks like the tool's temp files."""
        (self.site / "_posts/.2026-01-01-first.md.backup01.tmp").write_text("the author's backup\n", encoding="utf-8")
        self._authored("temp_like_file()")

    # ------------------------------------------------------------ the tool's steps

    @rule(force=st.booleans())
    def run_build(self, force: bool) -> None:
        self._begin(f"build(force={force})")
        temps = self._temps_in_tool_dirs()
        report = build(load_settings(self.site), force=force, wait=False, say=quiet)
        excused = self._dangling() | self.symlinked
        unexpected = [(f.path, f.error) for f in report.failed if not any(p in f.path + f.error for p in excused)]
        assert not unexpected, f"{self._trail()}: the build failed: {unexpected}"
        self._assert_files("completed", force=force)
        new_temps = self._temps_in_tool_dirs() - temps
        assert not new_temps, f"{self._trail()}: invariant 2: the completed build left temp files {sorted(new_temps)}"
        self._assert_converged()

    @rule(tenths=st.integers(1, 30))
    def killed_build(self, tenths: int) -> None:
        """``jekyll-asr build`` in a subprocess, SIGKILLed ``tenths``/10 s after it starts (start-up, model, writes)."""
        self._begin(f"killed_build({tenths})")
        proc = background_build(self.site)
        time.sleep(tenths / 10)  # picks the moment of the kill; nothing is asserted about time
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        if not killed:
            assert proc.returncode in (0, 1), f"{self._trail()}: the build exited {proc.returncode}: {err.decode()[-2000:]}"
        self._assert_files("killed" if killed else "completed")

    @rule(post=st.sampled_from(POSTS), tenths=st.integers(0, 30))
    def edit_during_build(self, post: str, tenths: int) -> None:
        """The author saves a page while a build runs: the build may skip it, never undo the edit."""
        self._begin(f"edit_during_build({post!r}, {tenths})")
        proc = background_build(self.site)
        time.sleep(tenths / 10)
        saved = self._edit_post(post, "body")
        self.model[(self.site / post).resolve().relative_to(self.site.resolve()).as_posix()] = without_key(saved, KEY)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), f"{self._trail()}: the build exited {proc.returncode}: {err.decode()[-2000:]}"
        self._assert_files("completed")
        self.converged = False

    @rule(name=st.sampled_from(AUDIO), clip=st.sampled_from(CLIPS), tenths=st.integers(0, 30))
    def swap_during_build(self, name: str, clip: str, tenths: int) -> None:
        """Audio replaced (atomically) while a build runs: the next build must serve the new audio's words."""
        self._begin(f"swap_during_build({name!r}, {clip!r}, {tenths})")
        proc = background_build(self.site)
        time.sleep(tenths / 10)
        shutil.copyfile(FIXTURES / clip, self.root / "incoming.wav")
        os.replace(self.root / "incoming.wav", self.site / f"assets/audio/{name}.wav")
        self.clips[name] = clip
        self.model[f"assets/audio/{name}.wav"] = (FIXTURES / clip).read_bytes()
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), f"{self._trail()}: the build exited {proc.returncode}: {err.decode()[-2000:]}"
        self._assert_files("completed")
        self.converged = False

    @rule(force=st.booleans())
    def gc(self, force: bool) -> None:
        self._begin(f"gc(force={force})")
        try:
            collect_garbage(load_settings(self.site), force=force, wait=False, say=quiet)
        except UsageError:
            if force or not self._dangling():
                raise
            self.healthy = True  # gc refuses while a page links missing audio: its way to keep what that page names
            return
        self._assert_files("gc", force=force)
        left = self._temps_in_tool_dirs()
        assert not left, f"{self._trail()}: invariant 2: gc left temp files of killed builds in the tool's folders: {sorted(left)}"
        if self.converged:  # gc may remove only what no build would write
            self._assert_converged()

    def teardown(self) -> None:
        """Every sequence ends with a clean build that must converge."""
        try:
            if self.steps and self.healthy:
                self.run_build(force=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ invariants

    def _begin(self, step: str) -> None:
        self.steps.append(step)
        self.healthy = False  # until the step's last invariant holds

    def _trail(self) -> str:
        return "after " + " -> ".join(self.steps)

    def _temps_in_tool_dirs(self) -> set[str]:
        return {p.relative_to(self.site).as_posix() for d in TOOL_DIRS for p in (self.site / d).rglob("*.tmp")}

    def _dangling(self) -> set[str]:
        """Pages whose ``audio:`` names a file that is not there."""
        return {rel for rel in POSTS if (url := (front_matter(self.site / rel) or {}).get("audio")) and not (self.site / url.lstrip("/")).is_file()}

    def _assert_files(self, how: str, *, force: bool = False) -> None:
        """Invariants 1 and 2 after a tool's step (``how``: completed, killed or gc)."""
        self.healthy = False
        now = user_files(self.site, TOOL_DIRS, KEY)
        visible = sorted(r for r in now if r.endswith(".tmp") and not is_hidden_temp(r) and r not in self.model)
        assert not visible, f"{self._trail()}: invariant 2: temp files visible to Jekyll: {visible}"
        temps = {r for r in now if is_hidden_temp(r) and r not in self.model}
        mine = {r: b for r, b in now.items() if r not in temps}
        changed = sorted(r for r in set(mine) | set(self.model) if mine.get(r) != self.model.get(r))
        assert not changed, f"{self._trail()}: invariant 1: the tool changed the author's files {changed}"
        assert tree_stamps(self.outside) == self.outside_before, f"{self._trail()}: invariant 1: the folder beside the site was touched"
        if how == "killed":
            self.leftovers |= temps
        elif how == "gc":
            assert not temps, f"{self._trail()}: invariant 2: gc left temp files of killed builds: {sorted(temps)}"
            self.leftovers = set()
        else:
            assert temps <= self.leftovers, f"{self._trail()}: invariant 2: a completed build left temp files {sorted(temps - self.leftovers)}"
        check_site_files(self.site)
        for rel, data in list(self.edited.items()):
            on_disk = (self.site / rel).read_bytes() if (self.site / rel).is_file() else None
            if on_disk != data and force and (how != "gc" or on_disk is None):
                del self.edited[rel]  # build --force may overwrite a hand edit, gc --force remove it
            else:
                assert on_disk == data, f"{self._trail()}: invariant 1: {rel}, edited by hand, was {'removed' if on_disk is None else 'overwritten'}"
        if how != "killed":
            self._assert_pages_whole(words=False)
        self.healthy = True

    def _check(self) -> tuple[int, dict[str, Any]]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli_main(["check", str(self.site), "--json"])
        return code, json.loads(out.getvalue())

    def _assert_converged(self) -> None:
        """Invariant 3: check passes or names what cannot converge; hand edits named, none invented."""
        self.healthy = False
        code, state = self._check()
        said = json.dumps(state)
        false_edits = set(state["edited_outputs"]) - set(self.edited)
        assert self.manifest_lost or not false_edits, f"{self._trail()}: invariant 3: check calls {sorted(false_edits)} edited by hand"
        must_name = self._dangling() | (false_edits if self.manifest_lost else set())
        excused = must_name | self.symlinked
        assert code == 0 or excused, f"{self._trail()}: invariant 3: check exits {code} right after a build: {said}"
        unnamed = sorted(p for p in must_name if code == 0 or p not in said)
        assert not unnamed, f"{self._trail()}: invariant 3: check exits {code} without naming what cannot converge: {unnamed}"
        if not self._dangling():  # else gc refuses, and check already fails naming the page
            kept = collect_garbage(load_settings(self.site), dry_run=True, wait=False, say=quiet).edited
            linking = [rel for rel in POSTS if (front_matter(self.site / rel) or {}).get("audio")]
            named = set().union(*(self._named(rel).values() for rel in linking))  # an orphan no page shows blocks nothing
            unnamed = sorted(r for r in self.edited if r in named and r not in state["edited_outputs"] and r not in kept)
            assert not unnamed, f"{self._trail()}: invariant 3: outputs edited by hand that neither check nor gc names: {unnamed}"
        self._assert_pages_whole(words=True)
        self.converged = self.healthy = True

    def _named(self, rel: str) -> dict[str, str]:
        """The generated files a page's managed key names, by format (``md``: the include)."""
        value = (front_matter(self.site / rel) or {}).get(KEY)
        if not isinstance(value, dict):
            return {}
        named = {"md": f"_includes/{value['include']}"} if value.get("include") else {}
        return named | {k: unquote(u).lstrip("/") for k, u in (value.get("files") or {}).items()}

    def _assert_pages_whole(self, *, words: bool) -> None:
        """Invariant 3: what a page's managed key names exists and holds the words of the audio it names."""
        for rel in POSTS:
            data = front_matter(self.site / rel) or {}
            value, named = data.get(KEY), self._named(rel)
            if not isinstance(value, dict):
                continue
            missing = sorted(n for n in named.values() if not (self.site / n).is_file())
            assert not missing, f"{self._trail()}: invariant 3: {rel}'s {KEY}: names files that do not exist: {missing}"
            audio = data.get("audio")
            if not words or rel in self._dangling() | self.symlinked or not audio:
                continue
            assert value.get("audio") == audio, f"{self._trail()}: invariant 3: {rel} links {audio} but its {KEY}: names {value.get('audio')}"
            clip = self.clips[Path(audio).stem]
            for kind in ("txt", "json"):
                if kind in named and named[kind] not in self.edited:
                    text = (self.site / named[kind]).read_text(encoding="utf-8")
                    said = plain_words(text if kind == "txt" else " ".join(s["body"] for s in json.loads(text)["segments"]))
                    heard = self.clip_words[clip]
                    assert said == heard, f"{self._trail()}: invariant 3: {named[kind]} says {said!r}, {audio} ({clip}) says {heard!r}"


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Every clip's transcript but one, under both languages the machine may choose, made once; and each clip's words."""
    site = make_site(tmp_path_factory.mktemp("warm"), {"_config.yml": config_text(), **{f"assets/audio/{c}": Fixture(c) for c in CLIPS}})
    for language in ("en", "auto"):
        (site / "_config.yml").write_text(config_text(language), encoding="utf-8")
        assert build(load_settings(site), say=quiet).failed == []
    words = {c: plain_words((site / f"assets/transcripts/{Path(c).stem}.txt").read_text(encoding="utf-8")) for c in CLIPS}
    (site / f"assets/audio/{UNCACHED}").unlink()
    collect_garbage(load_settings(site), say=quiet)
    return site / ".jekyll-asr/cache", words


def test_random_sequences_keep_the_invariants(warm_cache: tuple[Path, dict[str, str]]) -> None:
    """Protection: every promise of the Guarantees at once, under sequences nobody wrote by hand:
    the managed key is the only thing the tool changes in an author's file, nothing outside its
    folders is touched, killed builds leave only hidden temp files that gc removes, hand edits
    survive until --force, and every completed build converges to a passing ``check``. Without
    any one of those protections some sequence of builds, kills, edits and gc breaks it."""
    SiteMachine.warm_cache, SiteMachine.clip_words = warm_cache
    machine = type("SiteMachineRun", (SiteMachine,), dict.fromkeys(SKIP))  # a rule set to None is no rule
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES or 10,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=not EXAMPLES,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ))
