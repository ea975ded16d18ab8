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
  cached   up to date
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import JekyllAsrError
from .find import SiteAudio, scan_site
from .fsutil import atomic_write, sha256_bytes
from .outputs import OutputManifest
from .render import RenderPlan, document_update, managed_value, output_paths, plan_outputs, render_outputs, values_for
from .store import Store
from .transcribing import word_settings

STATES = ("new", "changed", "failed", "stale", "cached")


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
        return not self.problems and all(a.state == "cached" for a in self.audio) and not self.stale_documents

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


def candidate_engines(settings: Settings) -> tuple[str, list[str]]:
    """The engine a build would transcribe with, and every engine whose cached words it accepts."""
    from .engines import resolve_engine

    engine, _device = resolve_engine(settings.engine, settings.device)
    candidates = [engine] + (["faster-whisper", "transformers"] if settings.engine == "auto" else [])
    return engine, list(dict.fromkeys(candidates))


@dataclass
class _Survey:
    """What ``site_state`` learns, plan by plan, before it turns it into states."""

    problems: list[tuple[str, str]]
    cache_in_use: set[str] = field(default_factory=set)
    outputs_in_use: set[str] = field(default_factory=set)
    stale_outputs: list[str] = field(default_factory=list)
    stale_documents: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    rendered: dict[str, dict[str, Any]] = field(default_factory=dict)  # plan key -> managed value
    found: dict[str, CacheEntry] = field(default_factory=dict)  # plan key -> cache entry
    reasons: dict[str, list[str]] = field(default_factory=dict)


def site_state(settings: Settings, *, render: bool = True) -> SiteState:
    """Each audio file's state; with ``render``, also compare generated files and front matter."""
    store = Store(settings)
    index = store.stat_index()
    previous = {rel: e.sha256 for rel, e in index.entries.items() if e.sha256}
    site_audio = scan_site(settings, index, urls=store.urls())  # updates the index in memory only: never saved here
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, store.names())  # names given in memory only
    cache, manifest = store.cache(), store.manifest()
    failures = load_failures(settings)
    _engine, candidates = candidate_engines(settings)
    survey = _Survey(list(site_audio.problems), reasons={p.key: [] for p in plans})
    for plan in plans:
        _survey_outputs(settings, plan, cache=cache, manifest=manifest, candidates=candidates, survey=survey, render=render)
    if render:
        _survey_documents(settings, site_audio, plans, survey)
    for value in site_audio.managed.values():  # what a page names is kept, even while its audio is missing
        survey.outputs_in_use.update(named_outputs(settings, value))
    states = [
        _audio_state(
            settings, plan, entry=survey.found.get(plan.key), reasons=survey.reasons[plan.key], previous=previous,
            manifest=manifest, failures=failures, cache=cache, candidates=candidates,
        )
        for plan in plans
    ]
    for url in site_audio.pending:  # linked, never fetched: status makes no request
        users = tuple(p.as_posix() for p in site_audio.urls.get(url, []))
        failure = failures.get(url)
        why = f"last build failed: {failure['error']}" if failure else "linked URL not downloaded yet"
        states.append(AudioState(url, "", "failed" if failure else "new", users, None, None, (why,)))
    return SiteState(
        audio=tuple(states),
        stale_outputs=tuple(survey.stale_outputs),
        stale_documents=tuple(survey.stale_documents),
        edited_outputs=tuple(survey.edited),
        problems=tuple(survey.problems),
        warnings=tuple(store.notes + site_audio.warnings),
        cache_in_use=frozenset(survey.cache_in_use),
        outputs_in_use=frozenset(survey.outputs_in_use),
    )


def _survey_outputs(
    settings: Settings, plan: RenderPlan, *, cache: TranscriptCache, manifest: OutputManifest, candidates: list[str], survey: _Survey, render: bool
) -> None:
    """One plan: its cache entry, and each generated file as a build would write it (current, stale, edited)."""
    entry = _lookup(settings, cache, plan, candidates, survey.cache_in_use)
    if entry is None or not render:
        survey.outputs_in_use.update(_planned_paths(settings, plan))  # not transcribed yet: keep its old files
        if entry is not None:
            survey.found[plan.key] = entry
        return
    survey.found[plan.key] = entry
    try:
        files = render_outputs(settings, plan, entry)
    except JekyllAsrError as exc:
        survey.problems.append((plan.key, str(exc)))
        survey.outputs_in_use.update(_planned_paths(settings, plan))
        return
    for out_rel, content in files.items():
        survey.outputs_in_use.add(out_rel)
        verdict = output_verdict(settings.site / out_rel, content, manifest.files.get(out_rel))
        if verdict == "edited":
            survey.edited.append(out_rel)
        elif verdict != "current":
            survey.stale_outputs.append(out_rel)
            survey.reasons[plan.key].append(f"{out_rel} is {verdict}")
    survey.rendered[plan.key] = managed_value(settings, plan, entry)


def _survey_documents(settings: Settings, site_audio: SiteAudio, plans: list[RenderPlan], survey: _Survey) -> None:
    """Each document whose managed key a build would change (the same rule as build's)."""
    by_key = {e.key: survey.rendered[p.key] for p in plans if p.key in survey.rendered for e in (p.encodings or (p.audio,))}
    for document in site_audio.documents:
        values = values_for(settings, document, by_key)
        if not values:
            continue
        doc = document.path.as_posix()
        try:
            text, new_text = document_update(settings, document.path, values)
        except JekyllAsrError as exc:
            survey.problems.append((doc, str(exc)))
            continue
        if new_text != text:
            survey.stale_documents.append(doc)
            first = next(p.key for p in plans if any(e.key in document.audio for e in (p.encodings or (p.audio,))))
            survey.reasons[first].append(f"front matter key {settings.front_matter_key!r} of {doc} is out of date")


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


def _lookup(
    settings: Settings, cache: TranscriptCache, plan: RenderPlan, candidates: list[str], in_use: set[str]
) -> CacheEntry | None:
    """The entry build would use (first candidate engine with one); records every acceptable key."""
    entry = None
    for name in candidates:
        words = word_settings(settings, name, plan.prompt)
        path = cache.find(plan.audio.sha256, settings_key(words), words)  # the same rule as build
        in_use.add(path.relative_to(cache.root).as_posix())
        if entry is None:
            entry = cache.get_at(path, plan.audio.sha256)
    return entry


def _planned_paths(settings: Settings, plan: RenderPlan) -> list[str]:
    try:
        return list(output_paths(settings, plan.slug).values())
    except JekyllAsrError:
        return []


def output_verdict(path: Path, content: str, written_sha: str | None, *, force: bool = False) -> str:
    """'current', 'missing', 'out of date' (a build rewrites it) or 'edited' (a build keeps it)."""
    try:
        on_disk = path.read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "out of date"
    if on_disk == content.encode("utf-8"):
        return "current"
    if force or sha256_bytes(on_disk) == written_sha:
        return "out of date"
    return "edited"


def _audio_state(
    settings: Settings,
    plan: RenderPlan,
    *,
    entry: CacheEntry | None,
    reasons: list[str],
    previous: dict[str, str],
    manifest: OutputManifest,
    failures: dict[str, dict[str, str]],
    cache: TranscriptCache,
    candidates: list[str],
) -> AudioState:
    rel = plan.key
    sha = plan.audio.sha256
    users = tuple(u.as_posix() for u in plan.users)
    if entry is not None:
        state = "stale" if reasons else "cached"
        return AudioState(rel, sha, state, users, entry.transcript.duration, entry.transcript.word_count, tuple(reasons))
    duration = None if plan.audio.url else _declared_duration(settings.site / rel)
    failure = failures.get(rel)
    if failure is not None and failure.get("sha256") == sha:
        return AudioState(rel, sha, "failed", users, duration, None, (f"last build failed: {failure.get('error', '?')}",))
    why = []
    keys = [settings_key(word_settings(settings, name, plan.prompt)) for name in candidates]
    if any(cache.path_for(sha, key) in cache.corrupt for key in keys):
        why.append("its cache entry is corrupt")
    old = previous.get(rel)
    if old and old != sha and _has_any_entry(settings, old):
        why.append("content changed since it was transcribed")
        return AudioState(rel, sha, "changed", users, duration, None, tuple(why))
    differences = _settings_changed(settings, cache, plan, sha, candidates)
    if differences:
        why.append("settings changed since it was transcribed: " + "; ".join(differences))
        return AudioState(rel, sha, "changed", users, duration, None, tuple(why))
    if any(p in manifest.files for p in _planned_paths(settings, plan)):
        why.append("no transcript for its current content and settings")
        return AudioState(rel, sha, "changed", users, duration, None, tuple(why))
    why.append("never transcribed")
    return AudioState(rel, sha, "new", users, duration, None, tuple(why))


def _settings_changed(settings: Settings, cache: TranscriptCache, plan: RenderPlan, sha: str, candidates: list[str]) -> list[str]:
    """What differs between the settings of this content's cached transcript and today's ("model: tiny.en -> base")."""
    folder = settings.cache_path / sha[:2]
    if not folder.is_dir():
        return []
    wanted = _flatten(word_settings(settings, candidates[0], plan.prompt))
    for path in sorted(folder.glob(f"{sha}-*.json")):
        try:
            old = _flatten(json.loads(path.read_text(encoding="utf-8"))["settings"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return [f"{k}: {old.get(k)!r} -> {wanted.get(k)!r}" for k in sorted(set(old) | set(wanted)) if old.get(k) != wanted.get(k)][:4]
    return []


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix.rstrip("."): data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out


def _has_any_entry(settings: Settings, sha: str) -> bool:
    folder = settings.cache_path / sha[:2]
    return folder.is_dir() and any(folder.glob(f"{sha}-*.json"))


def _declared_duration(path: Path) -> float | None:
    """The container's declared length (header or tags): cheap, no decoding."""
    try:
        from .audio import duration

        return duration(path)
    except (JekyllAsrError, OSError, ValueError):
        return None


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
