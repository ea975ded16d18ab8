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

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import JekyllAsrError
from .find import SiteAudio
from .outputs import OutputManifest
from .plandocs import DocumentChange, plan_documents
from .planreasons import planned_paths, why_missing
from .render import RenderPlan, managed_value, render_context, render_files, render_outputs
from .renderindex import RenderIndex
from .sidecars import TranslationDecision, TurnsDecision, decide_translation, decide_turns, read_turns, settle_translation, settle_turns, turns_file
from .store import Store
from .transcript import Transcript
from .turnstore import TurnsCache, TurnsEntry

Ident = tuple[str, str]  # (audio SHA-256, settings key): one transcript

__all__ = ["CacheDecision", "DocumentChange", "Plan", "Recording", "make_plan", "plan_documents", "planned_paths"]


def word_settings(settings: Settings, engine: str, prompt: str | None, language: str | None = None, task: str | None = None) -> dict[str, Any]:
    """Everything that changes the words: the cache key is its hash. Cheap: no torch."""
    from .models import model_identity

    options = decode_options(settings, prompt, language, task)
    return {"model": model_identity(settings.model, revision=settings.model_revision), "engine": engine, "decode": options.key()}


def decode_options(settings: Settings, prompt: str | None, post_language: str | None = None, task: str | None = None) -> Any:
    """The engines' DecodeOptions for these settings and a document's prompt and language (``task``: the plan's own)."""
    from .engines import DecodeOptions

    language = post_language or settings.language
    if language is None and settings.english_only:
        language = "en"
    return DecodeOptions(
        language=language, task=task or settings.task, beam_size=settings.beam_size, batch_size=settings.batch_size, vad=settings.vad, initial_prompt=prompt
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
    # An episode of one file per voice (RenderPlan.tracks): each track's entry file, when all are there
    # (rendering reads them all), and, while some are missing, what to transcribe for each.
    sources: tuple[Path, ...] = ()
    tracks_missing: tuple[tuple[Ident, dict[str, Any], RenderPlan], ...] = ()


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
    turns: TurnsDecision = field(default_factory=TurnsDecision)
    translation: TranslationDecision = field(default_factory=TranslationDecision)

    @property
    def key(self) -> str:
        return self.plan.key


@dataclass(frozen=True)
class Plan:
    recordings: tuple[Recording, ...]
    documents: tuple[DocumentChange, ...] = ()
    corrupt: tuple[Path, ...] = ()  # cache entries found corrupt (transcribed again)

    def with_recordings(self, again: Plan) -> Plan:
        """This plan with ``again``'s recordings in place of the same keys; documents as they were."""
        by_key = {r.key: r for r in again.recordings}
        return Plan(tuple(by_key.get(r.key, r) for r in self.recordings), self.documents, self.corrupt + again.corrupt)

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
    cache, manifest, rendered, turns_cache = store.cache(), store.manifest(), store.rendered(), store.turns()
    engine, candidates = candidate_engines(settings)
    keys = _Keys(settings)
    recordings = []
    for plan in plans:
        turns = decide_turns(plan, turns_cache, settings.diarizer)
        translation = decide_translation(settings, plan, cache=cache, keys=keys, engine=engine, refresh=refresh)
        if plan.tracks:
            decision = decide_tracks(plan, cache=cache, rendered=rendered, keys=keys, engine=engine, candidates=candidates, refresh=refresh)
        else:
            decision = decide_cache(
                plan, cache=cache, rendered=rendered, keys=keys, engine=engine, candidates=candidates, refresh=refresh, turns=turns, turns_cache=turns_cache,
                translation=translation.path,
            )
        turns = settle_turns(turns, decision)
        if decision.entry is not None:  # to be rendered: read the speaker turns too
            turns = read_turns(turns, turns_cache, plan.audio.sha256)
        translation = settle_translation(translation, decision, cache)
        if decision.kind == "missing" and not plan.tracks:
            decision = why_missing(settings, plan, decision, cache=cache, manifest=manifest, previous=previous or {})
        if render:
            recording = plan_outputs_of(settings, plan, decision, manifest, cache=cache, turns=turns.entry, translation=translation.entry)
        else:
            recording = Recording(plan, decision)
        if translation.path is not None:  # gc keeps the translation in use
            decision = recording.cache
            recording = replace(recording, cache=replace(decision, in_use=(*decision.in_use, translation.path.relative_to(cache.root).as_posix())))
        recordings.append(replace(recording, turns=turns, translation=translation))
    documents = plan_documents(settings, site_audio, recordings) if render else ()
    return Plan(tuple(recordings), documents, tuple(cache.corrupt))


class _Keys:
    """Word settings and their key per (engine, prompt, language): the same for every file with the same options."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.known: dict[tuple[str, str | None, str | None, str | None], tuple[dict[str, Any], str]] = {}

    def get(self, engine: str, prompt: str | None, language: str | None = None, task: str | None = None) -> tuple[dict[str, Any], str]:
        if (engine, prompt, language, task) not in self.known:
            words = word_settings(self.settings, engine, prompt, language, task)
            self.known[engine, prompt, language, task] = (words, settings_key(words))
        return self.known[engine, prompt, language, task]


def decide_cache(
    plan: RenderPlan, *, cache: TranscriptCache, rendered: RenderIndex, keys: _Keys, engine: str, candidates: list[str], refresh: bool,
    turns: TurnsDecision | None = None, turns_cache: TurnsCache | None = None, translation: Path | None = None,
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
        words, key = keys.get(name, *plan.options())
        exact = f"{sha[:2]}/{sha}-{key[:16]}.json"  # TranscriptCache.path_for, relative: no Path work per file
        if decision is not None:  # another engine's exact entry is in use too (gc keeps it); no search, no read
            in_use.append(exact)
            continue
        path = cache.find(sha, key, words, compatible=not refresh)
        relative = path.relative_to(cache.root).as_posix()
        in_use.append(relative)
        served = () if relative == exact else ("made before an upgrade: served",)
        value = rendered.fresh_value(plan.key, rendered.fingerprint(plan, path, turns_file(turns), translation))
        if value is not None:  # rendered from this very entry, outputs untouched since
            decision = CacheDecision("fresh", value=value, outputs=rendered.outputs_of(plan.key), reasons=served)
            continue
        entry = cache.get_at(path, sha)
        if entry is not None:
            decision = CacheDecision("cached", entry=entry, reasons=served)
    if decision is None and plan.language is not None and plan.language != keys.settings.language:
        decision = _detected_alike(plan, cache=cache, keys=keys, candidates=candidates, in_use=in_use)
    if turns is not None and turns.key is not None and turns_cache is not None:
        in_use.append(turns_cache.relative(sha, turns.key))  # gc keeps the speaker turns in use
    if decision is not None:
        return replace(decision, in_use=tuple(in_use))
    words, key = keys.get(engine, *plan.options())
    # Until a build replaces them, the published outputs come from an entry made under other
    # settings (or another model that is not available here): gc keeps every entry of this audio.
    return CacheDecision("missing", ident=(sha, key), words=words, in_use=tuple(dict.fromkeys(in_use + cache.in_use_of(sha))))


def decide_tracks(
    plan: RenderPlan, *, cache: TranscriptCache, rendered: RenderIndex, keys: _Keys, engine: str, candidates: list[str], refresh: bool
) -> CacheDecision:
    """``decide_cache`` for an episode of one file per voice: fresh or cached when every track is, else what is missing.

    Only stats while the outputs are fresh (the render index's fingerprint covers every
    track's entry); the entries are read and merged (tracks.merge_tracks) to render.
    """
    from .tracks import merge_tracks, track_plan

    sources: list[Path] = []
    in_use: list[str] = []
    missing: list[tuple[Ident, dict[str, Any], RenderPlan]] = []
    for audio, _ in plan.tracks:
        own = track_plan(plan, audio)
        found = None
        for name in candidates:
            words, key = keys.get(name, *own.options())
            path = cache.find(audio.sha256, key, words, compatible=not refresh)
            in_use.append(path.relative_to(cache.root).as_posix())
            if path.exists():
                found = path
                break
        if found is None:
            words, key = keys.get(engine, *own.options())
            missing.append(((audio.sha256, key), words, own))
            in_use += cache.in_use_of(audio.sha256)
        else:
            sources.append(found)
    kept = tuple(dict.fromkeys(in_use))
    if not missing:
        value = rendered.fresh_value(plan.key, rendered.fingerprint(plan, sources))
        if value is not None:
            return CacheDecision("fresh", value=value, outputs=rendered.outputs_of(plan.key), in_use=kept, sources=tuple(sources))
        entries = [cache.get_at(path, audio.sha256) for path, (audio, _) in zip(sources, plan.tracks, strict=True)]
        complete = [e for e in entries if e is not None]
        if len(complete) == len(entries):
            return CacheDecision("cached", entry=merge_tracks(complete, plan), in_use=kept, sources=tuple(sources))
        for entry, (audio, _) in zip(entries, plan.tracks, strict=True):  # a corrupt track entry: transcribed again
            if entry is None:
                own = track_plan(plan, audio)
                words, key = keys.get(engine, *own.options())
                missing.append(((audio.sha256, key), words, own))
    why = f"{len(missing)} of its {len(plan.tracks)} tracks not transcribed yet"
    return CacheDecision("missing", in_use=kept, reasons=(why,), tracks_missing=tuple(missing))


def _detected_alike(plan: RenderPlan, *, cache: TranscriptCache, keys: _Keys, candidates: list[str], in_use: list[str]) -> CacheDecision | None:
    """A post that names its language, transcribed before with the site's setting, in that language.

    A post saying ``lang: en`` above English audio gets the words the site's settings
    gave it when detection found English too: naming the language it is in must not
    transcribe an archive again. Another detected language is transcribed in the named one.
    """
    for name in candidates:
        words, key = keys.get(name, plan.prompt, None, plan.task)
        entry = cache.get_at(cache.find(plan.audio.sha256, key, words), plan.audio.sha256, report=False)
        if entry is not None and entry.transcript.language == plan.language:
            in_use.append(entry.path.relative_to(cache.root).as_posix())
            return CacheDecision("cached", entry=entry, reasons=("transcribed in this language before the post named it: served",))
    return None


def render_fingerprint(rendered: RenderIndex, recording: Recording) -> str:
    """The render index's fingerprint of a rendered recording (what ``decide_cache`` compares)."""
    assert recording.cache.entry is not None
    if recording.cache.sources:  # an episode of one file per voice: every track's entry
        return rendered.fingerprint(recording.plan, list(recording.cache.sources))
    return rendered.fingerprint(recording.plan, recording.cache.entry.path, turns_file(recording.turns), recording.translation.path)


def plan_outputs_of(
    settings: Settings, plan: RenderPlan, decision: CacheDecision, manifest: OutputManifest, *, cache: TranscriptCache | None = None,
    turns: TurnsEntry | None = None, translation: CacheEntry | None = None,
) -> Recording:
    """Each generated file of a recording with its verdict, and its managed value."""
    if decision.kind == "fresh":
        return Recording(plan, decision, tuple(Output(p, "current") for p in decision.outputs), decision.value)
    if decision.entry is None:
        return Recording(plan, decision)
    try:
        english = translation.transcript if translation is not None else None
        ctx = render_context(settings, plan, decision.entry, turns, translation=english)
        files = render_files(settings, plan, ctx)
        value = managed_value(settings, plan, decision.entry, speaker_names=ctx.speaker_names, translation=english)
    except JekyllAsrError as exc:
        return Recording(plan, decision, error=str(exc))
    verdicts = {rel: manifest.verdict(rel, content) for rel, content in files.items()}
    unlisted = [rel for rel, verdict in verdicts.items() if verdict == "edited" and not manifest.recorded(rel)]
    if unlisted and cache is not None:  # no manifest entry (a fresh clone without outputs.json): the tool's bytes?
        earlier = earlier_renderings(settings, plan, decision.entry, cache, unlisted, turns=turns, translation=english)
        verdicts |= {rel: manifest.verdict(rel, files[rel]) for rel in unlisted if manifest.vouch(rel, earlier[rel])}
    outputs = tuple(Output(rel, verdicts[rel], content) for rel, content in files.items())
    return Recording(plan, decision, outputs, value)


# A corrections folder no site has: renders "before any corrections" (glossary.load_corrections: absent = none).
_NO_CORRECTIONS = ".jekyll-asr/local/no-corrections-here"


def earlier_renderings(
    settings: Settings, plan: RenderPlan, entry: CacheEntry, cache: TranscriptCache, rels: list[str], *, turns: TurnsEntry | None = None,
    translation: Transcript | None = None,
) -> dict[str, set[str]]:
    """What the tool renders at ``rels`` for earlier states of this recording: each cached transcript of
    its audio, with and without corrections and glossary. A file holding one of these is the tool's
    work, not a hand edit, even when the manifest that would say so is gone."""
    bare_settings = replace(settings, corrections_dir=_NO_CORRECTIONS)
    bare_plan = replace(plan, glossary=())
    others = [cache.get_at(p, plan.audio.sha256, report=False) for p in cache.entries_of(plan.audio.sha256) if p != entry.path]
    entries = [entry, *(e for e in others if e is not None)]
    found: dict[str, set[str]] = {rel: set() for rel in rels}
    for candidate in entries:
        pairs = ((settings, plan), (bare_settings, plan), (settings, bare_plan), (bare_settings, bare_plan))
        for (s, p), t in itertools.product(pairs, dict.fromkeys((turns, None))):  # with and without speakers (before they were found)
            try:
                files = render_outputs(s, p, candidate, t, translation=translation)
            except JekyllAsrError:
                continue
            for rel in rels:
                if rel in files:
                    found[rel].add(files[rel])
    return found
