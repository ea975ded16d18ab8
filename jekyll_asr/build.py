"""``build``: scan → hash → (cache hit | decode → transcribe → store) → render → write.

The heavy parts (numpy, PyAV, torch, the model) are imported and loaded only
when some file really needs transcribing; a rebuild of an unchanged site reads
the stat index and the cache, renders, and writes nothing.
"""

from __future__ import annotations

import json

import logging
import re
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Callable

from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import EngineError, FrontMatterError, JekyllAsrError, ModelError, OutputConflict, one_line
from .fsutil import atomic_write
from .interrupt import exit_on_interrupt
from .lock import SiteLock
from .outputs import OutputManifest
from .names import NameIndex
from .render import RenderPlan, document_update, document_value, managed_value, plan_outputs, render_outputs, values_for
from .renderindex import RenderIndex
from .report import Report
from .ahead import Decoded, Job, declared_seconds, decoded_ahead, local_path
from .find import DocumentMemo, SiteAudio, scan_site
from .sources import fetch_and_transcribe, open_index
from .statindex import StatIndex
from .transcript import Transcript

log = logging.getLogger("jekyll_asr")


@dataclass(frozen=True)
class Shard:
    """``K/N``: this build does the files whose content hash falls in shard K of N."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        from .errors import UsageError

        m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
        if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
            raise UsageError(f"--shard must look like K/N with 1 <= K <= N (got {text!r})")
        return cls(int(m.group(1)), int(m.group(2)))

    def owns(self, sha256: str) -> bool:
        return int(sha256[:8], 16) % self.count == self.index - 1


@dataclass
class Progress:
    """Callbacks a front end can hook (a progress bar); all optional."""

    file_started: Callable[[str, float], None] = lambda path, seconds: None
    advance: Callable[[float], None] = lambda seconds: None
    total: Callable[[float], None] = lambda seconds: None
    fetched: Callable[[str, int, int, int], None] = lambda url, size, done, total: None


def word_settings(settings: Settings, engine: str, prompt: str | None) -> dict[str, Any]:
    """Everything that changes the words: the cache key is its hash. Cheap: no torch."""
    from .models import model_identity

    options = decode_options(settings, prompt)
    return {"model": model_identity(settings.model, revision=settings.model_revision), "engine": engine, "decode": options.key()}


def decode_options(settings: Settings, prompt: str | None):
    from .engines import DecodeOptions

    language = settings.language
    if language is None and settings.model.endswith(".en"):
        language = "en"
    return DecodeOptions(
        language=language,
        task=settings.task,
        beam_size=settings.beam_size,
        batch_size=settings.batch_size,
        vad=settings.vad,
        initial_prompt=prompt,
    )


class _LazyEngine:
    """Loads the model the first time a file needs it, and only then."""

    def __init__(self, settings: Settings, engine: str, device: str) -> None:
        self.settings, self.engine_name, self.device = settings, engine, device
        self._engine = None

    def get(self):
        if self._engine is None:
            from .engines import load_engine

            self._engine = load_engine(self.engine_name, self.settings.model, device=self.device, revision=self.settings.model_revision)
        return self._engine


def build(
    settings: Settings,
    *,
    force: bool = False,
    shard: Shard | None = None,
    transcribe: bool = True,
    wait: bool = True,
    progress: Progress | None = None,
    say: Callable[[str], None] = print,
    refresh: bool = False,
) -> Report:
    """Bring every transcript output of the site up to date; never raises for one bad file.

    ``refresh``: transcribe again what was transcribed before an upgrade of the tool
    or of a bundled model package (such transcripts are otherwise kept).
    """
    report = Report()
    progress = progress or Progress()
    with SiteLock(settings.state_path, wait=wait, say=say):
        index = StatIndex.load(settings.state_path / "stat-index.json")
        memo = DocumentMemo.load(settings.state_path / "documents.json")
        urls = open_index(settings)
        names = NameIndex.load(settings.site / ".jekyll-asr" / "names.json")
        site_audio = scan_site(settings, index, memo.documents, urls)
        for path, message in site_audio.problems:
            report.fail(path, message)
        report.warnings.extend(site_audio.warnings)
        fetcher = None
        if site_audio.urls and settings.remote != "off":
            from .remote import Fetcher
            from .sources import remote_options

            fetcher = Fetcher(remote_options(settings), urls)
        cache = TranscriptCache(settings.cache_path)
        rendered = RenderIndex(settings)
        work = _Work(settings, cache, report, shard, transcribe, progress, rendered, fetcher, refresh)
        try:
            if site_audio.pending and transcribe and fetcher is not None:
                fetch_and_transcribe(work, site_audio)
            plans = plan_outputs(settings, site_audio.files, site_audio.documents, names)
            entries, fresh = work.run(plans)
        finally:
            if fetcher is not None:
                fetcher.close()
        report.cached = [k for k in dict.fromkeys(report.cached) if k not in set(report.transcribed)]
        manifest = OutputManifest(settings.site, settings.site / ".jekyll-asr" / "outputs.json")
        _write_outputs(settings, site_audio, plans, entries, fresh, manifest, report, force=force, rendered=rendered)
        rendered.forget_missing({p.key for p in plans})
        names.forget_missing({f.key for f in site_audio.files} | set(site_audio.pending))
        urls.forget_missing(set(site_audio.urls))
        manifest.save()
        index.save()
        memo.save()
        rendered.save()
        urls.save()
        names.save()
        from .state import remember_failures

        remember_failures(settings, [(f.path, f.error) for f in report.failed], site_audio)
    return report


@dataclass
class _Work:
    """What transcribing needs, so the fetch stage and the final pass share one model and report."""

    settings: Settings
    cache: TranscriptCache
    report: Report
    shard: Shard | None
    transcribe: bool
    progress: Progress
    rendered: RenderIndex
    fetcher: Any
    refresh: bool = False
    engine: Any = None

    def run(self, plans: list[RenderPlan]) -> tuple[dict[str, CacheEntry], dict[str, dict[str, Any]]]:
        return _lookup_and_transcribe(
            self.settings, self.cache, plans, self.report, shard=self.shard, transcribe=self.transcribe,
            progress=self.progress, rendered=self.rendered, fetcher=self.fetcher, work=self, refresh=self.refresh,
        )


def _lookup_and_transcribe(
    settings: Settings,
    cache: TranscriptCache,
    plans: list[RenderPlan],
    report: Report,
    *,
    shard: Shard | None,
    transcribe: bool,
    progress: Progress,
    rendered: RenderIndex,
    fetcher: Any = None,
    work: Any = None,
    refresh: bool = False,
) -> tuple[dict[str, CacheEntry], dict[str, dict[str, Any]]]:
    """Cache entries by audio path, transcribing what is missing (once per content hash),
    and the managed values of paths whose outputs are already current (not even read)."""
    from .engines import resolve_engine

    engine, device = resolve_engine(settings.engine, settings.device)
    candidates = [engine] + (["faster-whisper", "transformers"] if settings.engine == "auto" else [])
    entries: dict[str, CacheEntry] = {}
    fresh: dict[str, dict[str, Any]] = {}
    missing: dict[tuple[str, str], list[RenderPlan]] = {}
    keys: dict[tuple[str, str], dict[str, Any]] = {}
    known: dict[tuple[str, str | None], tuple[dict[str, Any], str]] = {}

    def words_and_key(name: str, prompt: str | None) -> tuple[dict[str, Any], str]:
        if (name, prompt) not in known:  # the same for every file with the same prompt
            words = word_settings(settings, name, prompt)
            known[name, prompt] = (words, settings_key(words))
        return known[name, prompt]

    for plan in plans:
        sha = plan.audio.sha256
        rel = plan.key
        found = None
        for name in dict.fromkeys(candidates):  # auto: any engine's words for the same model and options
            words, key = words_and_key(name, plan.prompt)
            path = cache.find(sha, key, words, compatible=not refresh)  # made before an upgrade: still served
            value = rendered.fresh_value(rel, rendered.fingerprint(plan, path))
            if value is not None:  # rendered from this very entry, outputs untouched since
                fresh[rel] = value
                break
            found = cache.get_at(path, sha)
            if found is not None:
                break
        if rel in fresh:
            report.cached.append(rel)
            continue
        if found is not None:
            entries[rel] = found
            report.cached.append(rel)
            continue
        words, key = words_and_key(engine, plan.prompt)
        ident = (sha, key)
        keys[ident] = words
        missing.setdefault(ident, []).append(plan)
    for bad in cache.corrupt:
        report.warnings.append(f"cache entry {bad.relative_to(settings.site) if settings.site in bad.parents else bad} was corrupt; transcribing again")

    todo = []
    for ident, group in missing.items():
        if shard is not None and not shard.owns(ident[0]):
            report.skipped += [p.key for p in group]
            continue
        if not transcribe:
            continue
        todo.append((ident, group))
    if not todo:
        return entries, fresh

    lazy = work.engine if work is not None and work.engine is not None else _LazyEngine(settings, engine, device)
    if work is not None:
        work.engine = lazy  # one model for every round of a build
    from . import audio as audio_mod
    from . import batching, longform

    progress.total(sum(declared_seconds(settings, group[0].audio) for _, group in todo))

    def decode(plan: RenderPlan) -> Decoded:
        """Samples of a short file (decoded ahead), None for a long one (streamed in blocks).

        Remote audio is fetched here first (a kept copy, a mirror, or a download),
        on the decoding thread, while the model works on the files before it.
        """
        path = local_path(settings, plan.audio, fetcher)
        samples = longform.load_short(path)
        seconds = samples.size / audio_mod.SAMPLE_RATE if samples is not None else audio_mod.duration(path)
        return Decoded(samples, audio_mod.read_tags(path), seconds, path)

    def finish(job: Job, found: tuple[list[Any], str, float] | Exception) -> None:
        """Store one file's transcript in the cache, or report why it has none."""
        rel = job.group[0].key
        if fetcher is not None and job.group[0].audio.url is not None:
            fetcher.discard(job.ident[0])  # the download is not needed once transcribed
        try:
            if isinstance(found, Exception):
                raise found
            segments, language, seconds = found
            transcript = Transcript(tuple(segments), language, seconds, settings.model, engine)
            cache.put(job.ident[0], job.ident[1], keys[job.ident], transcript, job.decoded.tags)
            # Read back: the stored (rounded) entry is what every later build renders from.
            entry = cache.get(job.ident[0], job.ident[1])
            assert entry is not None
        except Exception as exc:  # one bad file must not stop the build; the rest still get done
            log.debug("transcribing %s failed", rel, exc_info=exc)
            report.fail(rel, one_line(exc, job.decoded.path if job.decoded else rel, settings.site / job.group[0].audio.path, rel))
            return
        report.audio_seconds += seconds
        report.transcribed.append(rel)
        for member in job.group:  # the same bytes under other paths: transcribed once
            entries[member.key] = entry
            if member is not job.group[0]:
                report.cached.append(member.key)

    seen: set[tuple[str, str]] = set()
    # closing: a build that stops early (no model, Ctrl-C) stops the decoding worker too
    with closing(decoded_ahead(todo, decode, ahead=batching.MAX_FILES)) as jobs_ahead:
        for jobs in batching.groups(
            jobs_ahead,
            seconds=lambda j: None if j.error is not None else j.decoded.short_seconds,
            options=lambda j: j.group[0].prompt,
        ):
            seen.update(j.ident for j in jobs)
            if jobs[0].error is not None:  # it could not be decoded
                finish(jobs[0], jobs[0].error)
                continue
            label = jobs[0].group[0].key + (f" and {len(jobs) - 1} more" if len(jobs) > 1 else "")
            seconds = sum(j.decoded.seconds or 0.0 for j in jobs)
            progress.file_started(label, seconds)
            try:
                with exit_on_interrupt():
                    model = lazy.get()
            except (ModelError, EngineError) as exc:  # no model: every file left would fail the same way
                report.fail(jobs[0].group[0].key, str(exc))
                rest = [j.group for j in jobs[1:]] + [group for ident, group in todo if ident not in seen]
                for group in rest:
                    report.fail(group[0].key, "not transcribed: the model could not be loaded (see above)")
                break
            report.model_loaded = True
            files = [(j.decoded.path, j.decoded.samples) for j in jobs]
            results = batching.transcribe_batch(model, files, decode_options(settings, jobs[0].group[0].prompt))
            for job, result in zip(jobs, results):
                finish(job, result)
            progress.advance(seconds)
    return entries, fresh


def _write_outputs(
    settings: Settings,
    site_audio: SiteAudio,
    plans: list[RenderPlan],
    entries: dict[str, CacheEntry],
    fresh: dict[str, dict[str, Any]],
    manifest: OutputManifest,
    report: Report,
    *,
    force: bool,
    rendered: RenderIndex,
) -> None:
    """Render each transcript's files, then the managed key of each post using it."""
    values: dict[str, dict[str, Any]] = dict(fresh)
    for plan in plans:
        rel = plan.key
        entry = entries.get(rel)
        if entry is None:
            continue
        try:
            files = render_outputs(settings, plan, entry)
        except JekyllAsrError as exc:
            report.fail(rel, str(exc))
            continue
        ok, conflicts = True, False
        for out_rel, content in files.items():
            try:
                if manifest.write(out_rel, content, force=force):
                    report.outputs.append(out_rel)
                else:
                    report.unchanged_outputs += 1
            except OutputConflict as exc:
                report.warnings.append(str(exc))
                conflicts = True
            except JekyllAsrError as exc:
                report.fail(out_rel, str(exc))
                ok = False
        if ok:
            values[rel] = managed_value(settings, plan, entry)
            if not conflicts:  # a hand-edited output is checked (and reported) again next time
                rendered.record(rel, rendered.fingerprint(plan, entry.path), list(files), values[rel])

    by_key = {e.key: values[p.key] for p in plans if p.key in values for e in (p.encodings or (p.audio,))}
    for document in site_audio.documents:
        used = values_for(settings, document, by_key)
        if not used:
            continue
        if document.managed is not None and _same(document.managed, document_value(used, document.user_keys)):
            continue  # the key already holds this value: no need to read or parse the post
        path = settings.site / document.path
        try:
            text, new_text = document_update(settings, document.path, used)
        except FrontMatterError as exc:
            report.fail(document.path.as_posix(), str(exc))
            continue
        if new_text != text:
            try:
                atomic_write(path, new_text.encode("utf-8"))
            except JekyllAsrError as exc:
                report.fail(document.path.as_posix(), str(exc))
                continue
            report.documents.append(document.path.as_posix())


def _same(current: Any, wanted: dict[str, Any]) -> bool:
    """Whether the post's managed value (as JSON keeps it) already equals ``wanted``."""

    return current == json.loads(json.dumps(wanted, default=str))


