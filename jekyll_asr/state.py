"""What ``build`` would do, without doing it: each audio file's state.

``status``, ``check`` and ``gc`` all ask the same question: for every audio
file of the site, is there a cached transcript for its current content and
settings, and are the generated files and the managed front matter key what a
build would write? Answering it is read-only: no model is loaded, torch is never
imported, nothing is written (not even the stat index, whose previous hashes
tell "changed" from "new").

States:
  new      never transcribed (no transcript for this path under any content)
  changed  transcribed before, but its content or the settings changed since
  failed   the last build could not transcribe this content (see failures.json)
  stale    transcript cached, but a generated file or a post's front matter is not
           what a build would write
  skipped  a linked URL left alone on purpose (asr.remote: off): not a failure, and its
           transcript and outputs stay in use
  cached   up to date
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .config import Settings
from .find import SiteAudio, scan_site
from .fsutil import atomic_write
from .length import known_duration
from .plan import Plan, Recording, candidate_engines, make_plan, planned_paths
from .render import RenderPlan, plan_outputs
from .scan import AudioFile
from .store import Store
from .urlindex import UrlIndex

__all__ = ["STATES", "AudioState", "SiteState", "candidate_engines", "load_failures", "remember_failures", "site_state"]

STATES = ("new", "changed", "failed", "stale", "skipped", "cached")
DONE = ("cached", "skipped")  # states a build would leave as they are


@dataclass(frozen=True)
class AudioState:
    """One audio file: its state, and why a build would touch it."""

    path: str
    sha256: str
    state: str
    users: tuple[str, ...] = ()
    duration: float | None = None
    words: int | None = None
    reasons: tuple[str, ...] = ()  # empty when cached

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "state": self.state,
            "users": list(self.users),
            "duration": None if self.duration is None else round(self.duration, 1),
            "words": self.words,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class SiteState:
    """Every audio file's state plus what a build would write besides transcripts."""

    audio: tuple[AudioState, ...]
    stale_outputs: tuple[str, ...] = ()  # generated files a build would (re)write
    stale_documents: tuple[str, ...] = ()  # posts whose managed key a build would change
    edited_outputs: tuple[str, ...] = ()  # generated files edited by hand: a build keeps them
    problems: tuple[tuple[str, str], ...] = ()  # (path, message) a build would report as failures
    warnings: tuple[str, ...] = ()  # what a build would warn about (does not fail check)
    cache_in_use: frozenset[str] = field(default_factory=frozenset)  # cache entry paths, relative to the cache dir
    outputs_in_use: frozenset[str] = field(default_factory=frozenset)  # site-relative generated files

    @property
    def current(self) -> bool:
        """True when a build would transcribe nothing, write nothing and report no failure."""
        return not self.problems and all(a.state in DONE for a in self.audio) and not self.stale_documents

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for a in self.audio if a.state == s) for s in STATES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "counts": self.counts(),
            "audio": [a.to_dict() for a in self.audio],
            "stale_outputs": list(self.stale_outputs),
            "stale_documents": list(self.stale_documents),
            "edited_outputs": list(self.edited_outputs),
            "problems": [{"path": p, "message": m} for p, m in self.problems],
            "warnings": list(self.warnings),
        }


def manifest_path(settings: Settings) -> Path:
    """Where build keeps its outputs manifest (committed with the site)."""
    return Store(settings).path("outputs.json")


def site_state(settings: Settings, *, render: bool = True) -> SiteState:
    """Each audio file's state, from the plan a build would follow; with ``render``, also its
    generated files and front matter."""
    store = Store(settings)
    index = store.stat_index()
    previous = {rel: e.sha256 for rel, e in index.entries.items() if e.sha256}
    urls, names = store.urls(), store.names()
    site_audio = scan_site(settings, index, urls=urls)  # updates the index in memory only: never saved here
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, names)  # names given in memory only
    plan = make_plan(settings, store=store, site_audio=site_audio, plans=plans, render=render, previous=previous)
    failures = load_failures(settings)
    reasons = {
        r.key: [f"{o.path} is {o.verdict}" for o in r.outputs if o.verdict in STALE]
        + (["its speakers are not found yet"] if r.turns.missing and r.cache.kind != "missing" else [])
        + _unreachable(settings, r)
        for r in plan.recordings
    }
    for document in plan.documents:
        if document.new_text is not None and document.recording in reasons:
            reasons[document.recording].append(f"front matter key {settings.front_matter_key!r} of {document.path} is out of date")
    states = [_audio_state(settings, r, reasons[r.key], failures) for r in plan.recordings]
    for url in site_audio.pending:  # linked, never fetched: status makes no request
        users = tuple(p.as_posix() for p in site_audio.urls.get(url, []))
        failure = failures.get(url)
        why = f"last build failed: {failure['error']}" if failure else "linked URL not downloaded yet"
        states.append(AudioState(url, "", "failed" if failure else "new", users, None, None, (why,)))
    held = _skipped_files(site_audio, urls)
    for url, why in site_audio.skipped:
        users = tuple(p.as_posix() for p in site_audio.urls.get(url, []))
        states.append(AudioState(url, held[url].sha256 if url in held else "", "skipped", users, None, None, (why,)))
    held_cache, held_outputs = _held_in_use(settings, store, plan_outputs(settings, list(held.values()), site_audio.documents, names))
    outputs = [o for r in plan.recordings for o in r.outputs]
    return SiteState(
        audio=tuple(states),
        stale_outputs=tuple(o.path for o in outputs if o.verdict in STALE),
        stale_documents=tuple(d.path for d in plan.documents if d.new_text is not None),
        edited_outputs=tuple(o.path for o in outputs if o.verdict == "edited"),
        problems=tuple(
            list(site_audio.problems)
            + [(r.key, r.error) for r in plan.recordings if r.error is not None]
            + [(d.path, d.error) for d in plan.documents if d.error is not None]
        ),
        warnings=tuple(store.notes + site_audio.warnings),
        cache_in_use=frozenset(p for r in plan.recordings for p in r.cache.in_use) | held_cache,
        outputs_in_use=frozenset(_outputs_in_use(settings, plan, site_audio)) | held_outputs,
    )


STALE = ("missing", "out of date")  # verdicts of the files a build (re)writes


def _skipped_files(site_audio: SiteAudio, urls: UrlIndex) -> dict[str, AudioFile]:
    """The skipped URLs whose content the URL index knows (a build with remote audio on would use it)."""
    records = {url: urls.get(url) for url, _ in site_audio.skipped}
    return {url: AudioFile.remote(url, r.sha256, r.size, r.kind) for url, r in records.items() if r is not None}


def _held_in_use(settings: Settings, store: Store, plans: list[RenderPlan]) -> tuple[frozenset[str], frozenset[str]]:
    """What gc keeps for skipped URLs (in use, but no build decides how now): every cache entry of
    their content, whatever its settings, and their planned outputs. Planned after the site's own
    recordings, so they never take a name from those."""
    cache = store.cache()
    entries = {rel for plan in plans for rel in cache.in_use_of(plan.audio.sha256)}
    return frozenset(entries), frozenset(rel for plan in plans for rel in planned_paths(settings, plan))


def _outputs_in_use(settings: Settings, plan: Plan, site_audio: SiteAudio) -> set[str]:
    """Generated files gc keeps: each recording's (planned ones while not rendered) and those pages name."""
    found: set[str] = set()
    for recording in plan.recordings:
        rendered = recording.outputs or recording.value is not None
        found.update(o.path for o in recording.outputs) if rendered else found.update(planned_paths(settings, recording.plan))
    for value in site_audio.managed.values():  # what a page names is kept, even while its audio is missing
        found.update(named_outputs(settings, value))
    return found


def named_outputs(settings: Settings, value: Any) -> set[str]:
    """The generated files a managed front matter value names (its include, captions, parts)."""
    found: set[str] = set()
    if not isinstance(value, dict):
        return found
    include = value.get("include")
    if isinstance(include, str):
        folder = settings.includes_dir.split("/", 1)[0]  # the value is relative to _includes/
        found.add(f"{folder}/{include}" if not include.startswith(folder + "/") else include)
    files = value.get("files")
    for url in files.values() if isinstance(files, dict) else ():
        if isinstance(url, str) and "://" not in url:
            path = url[len(settings.baseurl) :] if settings.baseurl and url.startswith(settings.baseurl + "/") else url
            found.add(unquote(path).lstrip("/"))
    for part in value.get("parts") or () if isinstance(value.get("parts"), list) else ():
        found |= named_outputs(settings, part)
    return found


def _unreachable(settings: Settings, recording: Recording) -> list[str]:
    """Outputs kept as edited by hand while a corrections file waits for them: ``check`` fails, since
    the corrections silently never reach those files (say so, rather than pass)."""
    edited = [o.path for o in recording.outputs if o.verdict == "edited"]
    corrections = f"{settings.corrections_dir.rstrip('/')}/{recording.plan.slug}.yml"
    if not edited or not (settings.site / corrections).is_file():
        return []
    return [f"{rel} is kept as edited by hand, so {corrections} cannot reach it (build --force overwrites it)" for rel in edited]


def _audio_state(settings: Settings, recording: Recording, reasons: list[str], failures: dict[str, dict[str, str]]) -> AudioState:
    """One recording's row: cached or stale when it has a transcript, else failed, changed or new."""
    plan, decision = recording.plan, recording.cache
    rel, sha = plan.key, plan.audio.sha256
    users = tuple(u.as_posix() for u in plan.users)
    state = "stale" if reasons else "cached"
    if decision.entry is not None:
        transcript = decision.entry.transcript
        return AudioState(rel, sha, state, users, transcript.duration, transcript.word_count, tuple(reasons))
    if decision.kind == "fresh" and decision.value is not None:
        value = decision.value
        return AudioState(rel, sha, state, users, value.get("duration"), value.get("words"), tuple(reasons))
    duration = None if plan.audio.url else known_duration(settings.site / rel)
    failure = failures.get(rel)
    if failure is not None and failure.get("sha256") == sha:
        return AudioState(rel, sha, "failed", users, duration, None, (f"last build failed: {failure.get('error', '?')}",))
    return AudioState(rel, sha, "changed" if decision.changed else "new", users, duration, None, decision.reasons)


# ---------------------------------------------------------------- failures of the last build


def failures_path(settings: Settings) -> Path:
    return Store(settings).path("local/failures.json")


def load_failures(settings: Settings) -> dict[str, dict[str, str]]:
    """Audio path -> {"sha256", "error"} of the last build's failures; empty when unknown."""
    try:
        raw = json.loads(failures_path(settings).read_text(encoding="utf-8"))
        files = raw["files"]
        return {str(k): {"sha256": str(v["sha256"]), "error": str(v["error"])} for k, v in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def remember_failures(settings: Settings, failed: Iterable[tuple[str, str]], site_audio: SiteAudio) -> None:
    """Record which audio content the last build could not transcribe, for ``status``.

    ``failed`` is (path, error) pairs (``Report.failed``); only paths that are
    audio files of the site are kept, with the content hash they failed at.
    """
    shas = {f.key: f.sha256 for f in site_audio.files} | dict.fromkeys(site_audio.urls, "")
    files = {path: {"sha256": shas[path], "error": error} for path, error in failed if path in shas}
    target = failures_path(settings)
    if not files and not target.exists():
        return
    atomic_write(target, json.dumps({"version": 1, "files": dict(sorted(files.items()))}, indent=1) + "\n")
