"""The middle of a build: look each recording up in the cache, transcribe what is missing.

``look_up`` decides, for every plan, whether its outputs are current (not even
read), its transcript is cached, or its content must be transcribed (once per
content hash). ``Transcriber`` does the last: files are decoded (and remote
audio fetched) ahead on a worker thread, short files share the model's
batches, each transcript is stored the moment it is done, and one bad file is
reported alone. The model is loaded the first time a file needs it, and only then.
"""

from __future__ import annotations

import logging
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from .ahead import Decoded, Job, declared_seconds, decoded_ahead, local_path
from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import EngineError, ModelError, one_line
from .interrupt import exit_on_interrupt
from .render import RenderPlan
from .renderindex import RenderIndex
from .report import Report
from .transcript import Transcript

log = logging.getLogger("jekyll_asr")

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
        language=language,
        task=settings.task,
        beam_size=settings.beam_size,
        batch_size=settings.batch_size,
        vad=settings.vad,
        initial_prompt=prompt,
    )


class LazyEngine:
    """Loads the model the first time a file needs it, and only then."""

    def __init__(self, settings: Settings, engine: str, device: str) -> None:
        self.settings, self.engine_name, self.device = settings, engine, device
        self._engine: Any = None

    def get(self) -> Any:
        if self._engine is None:
            from .engines import load_engine

            self._engine = load_engine(self.engine_name, self.settings.model, device=self.device, revision=self.settings.model_revision)
        return self._engine


@dataclass
class Lookup:
    """What the cache already has for a list of plans, and what it lacks."""

    entries: dict[str, CacheEntry] = field(default_factory=dict)  # plan key -> cached transcript
    fresh: dict[str, dict[str, Any]] = field(default_factory=dict)  # plan key -> managed value, outputs current
    missing: dict[Ident, list[RenderPlan]] = field(default_factory=dict)  # to transcribe, once per content
    words: dict[Ident, dict[str, Any]] = field(default_factory=dict)  # the settings each one is stored under


def look_up(
    settings: Settings, cache: TranscriptCache, plans: list[RenderPlan], report: Report, rendered: RenderIndex,
    *, engine: str, candidates: list[str], refresh: bool,
) -> Lookup:
    """For each plan: outputs current, transcript cached (by any candidate engine), or missing.

    An entry made before an upgrade of the decoder or of a bundled model is
    served unless ``refresh`` (``TranscriptCache.find``).
    """
    found = Lookup()
    known: dict[tuple[str, str | None], tuple[dict[str, Any], str]] = {}

    def words_and_key(name: str, prompt: str | None) -> tuple[dict[str, Any], str]:
        if (name, prompt) not in known:  # the same for every file with the same prompt
            words = word_settings(settings, name, prompt)
            known[name, prompt] = (words, settings_key(words))
        return known[name, prompt]

    for plan in plans:
        entry = None
        for name in dict.fromkeys(candidates):  # auto: any engine's words for the same model and options
            words, key = words_and_key(name, plan.prompt)
            path = cache.find(plan.audio.sha256, key, words, compatible=not refresh)
            value = rendered.fresh_value(plan.key, rendered.fingerprint(plan, path))
            if value is not None:  # rendered from this very entry, outputs untouched since
                found.fresh[plan.key] = value
                break
            entry = cache.get_at(path, plan.audio.sha256)
            if entry is not None:
                found.entries[plan.key] = entry
                break
        if plan.key in found.fresh or plan.key in found.entries:
            report.cached.append(plan.key)
            continue
        words, key = words_and_key(engine, plan.prompt)
        found.words[plan.audio.sha256, key] = words
        found.missing.setdefault((plan.audio.sha256, key), []).append(plan)
    for bad in cache.corrupt:
        shown = bad.relative_to(settings.site) if settings.site in bad.parents else bad
        report.warnings.append(f"cache entry {shown} was corrupt; transcribing again")
    return found


class Transcriber:
    """Transcribes missing content hashes, a group of short files or one long file at a time."""

    def __init__(
        self, settings: Settings, *, cache: TranscriptCache, report: Report, progress: Any, fetcher: Any, engine: str, lazy: LazyEngine
    ) -> None:
        self.settings, self.cache, self.report, self.progress = settings, cache, report, progress
        self.fetcher, self.engine, self.lazy = fetcher, engine, lazy

    def run(self, todo: list[tuple[Ident, list[RenderPlan]]], found: Lookup) -> None:
        """Transcribe ``todo``, storing each transcript and adding it to ``found.entries``."""
        from . import batching

        self.progress.total(sum(declared_seconds(self.settings, group[0].audio) for _, group in todo))
        seen: set[Ident] = set()
        # closing: a build that stops early (no model, Ctrl-C) stops the decoding worker too
        with closing(decoded_ahead(todo, self.decode, ahead=batching.MAX_FILES)) as jobs_ahead:
            for jobs in batching.groups(
                jobs_ahead,
                seconds=lambda j: j.decoded.short_seconds if j.error is None and j.decoded is not None else None,
                options=lambda j: j.group[0].prompt,
            ):
                seen.update(j.ident for j in jobs)
                if jobs[0].error is not None:  # it could not be decoded
                    self.finish(jobs[0], jobs[0].error, found)
                    continue
                if not self._transcribe_group(jobs, found):
                    rest = [j.group for j in jobs[1:]] + [group for ident, group in todo if ident not in seen]
                    for group in rest:
                        self.report.fail(group[0].key, "not transcribed: the model could not be loaded (see above)")
                    return

    def _transcribe_group(self, jobs: list[Job], found: Lookup) -> bool:
        """One engine call for these files; False when the model cannot be loaded."""
        from . import batching

        label = jobs[0].group[0].key + (f" and {len(jobs) - 1} more" if len(jobs) > 1 else "")
        seconds = sum(j.decoded.seconds or 0.0 for j in jobs if j.decoded is not None)
        self.progress.file_started(label, seconds)
        try:
            with exit_on_interrupt():
                model = self.lazy.get()
        except (ModelError, EngineError) as exc:  # no model: every file left would fail the same way
            self.report.fail(jobs[0].group[0].key, str(exc))
            return False
        self.report.model_loaded = True
        files = [(j.decoded.path, j.decoded.samples) for j in jobs if j.decoded is not None]
        results = batching.transcribe_batch(model, files, decode_options(self.settings, jobs[0].group[0].prompt))
        for job, result in zip(jobs, results, strict=True):  # a group is all decoded jobs (an error goes alone)
            self.finish(job, result, found)
        self.progress.advance(seconds)
        return True

    def decode(self, plan: RenderPlan) -> Decoded:
        """Samples of a short file (decoded ahead), None for a long one (streamed in blocks).

        Remote audio is fetched here first (a kept copy, a mirror, or a download),
        on the decoding thread, while the model works on the files before it.
        """
        from . import audio as audio_mod
        from . import longform

        path = local_path(self.settings, plan.audio, self.fetcher)
        samples = longform.load_short(path)
        seconds = samples.size / audio_mod.SAMPLE_RATE if samples is not None else audio_mod.duration(path)
        return Decoded(samples, audio_mod.read_tags(path), seconds, path)

    def finish(self, job: Job, result: tuple[list[Any], str, float] | Exception, found: Lookup) -> None:
        """Store one file's transcript in the cache, or report why it has none."""
        first = job.group[0]
        if self.fetcher is not None and first.audio.url is not None:
            self.fetcher.discard(job.ident[0])  # the download is not needed once transcribed
        try:
            if isinstance(result, Exception):
                raise result
            assert job.decoded is not None  # a file that could not be decoded arrives as an Exception
            segments, language, seconds = result
            transcript = Transcript(tuple(segments), language, seconds, self.settings.model, self.engine)
            self.cache.put(job.ident[0], job.ident[1], found.words[job.ident], transcript, job.decoded.tags)
            # Read back: the stored (rounded) entry is what every later build renders from.
            entry = self.cache.get(job.ident[0], job.ident[1])
            assert entry is not None
        except Exception as exc:  # one bad file must not stop the build; the rest still get done
            log.debug("transcribing %s failed", first.key, exc_info=exc)
            where = job.decoded.path if job.decoded else first.key
            self.report.fail(first.key, one_line(exc, where, self.settings.site / first.audio.path, first.key))
            return
        self.report.audio_seconds += seconds
        self.report.transcribed.append(first.key)
        for member in job.group:  # the same bytes under other paths: transcribed once
            found.entries[member.key] = entry
            if member is not first:
                self.report.cached.append(member.key)


@dataclass
class Work:
    """What transcribing needs, so the fetch stage and the final pass share one model and report."""

    settings: Settings
    cache: TranscriptCache
    report: Report
    shard: Any
    transcribe: bool
    progress: Any
    rendered: RenderIndex
    fetcher: Any
    refresh: bool = False
    lazy: LazyEngine | None = None

    def run(self, plans: list[RenderPlan]) -> tuple[dict[str, CacheEntry], dict[str, dict[str, Any]]]:
        """Cache entries by plan key, transcribing what is missing (once per content hash), and the
        managed values of plans whose outputs are already current (not even read)."""
        from .engines import resolve_engine

        engine, device = resolve_engine(self.settings.engine, self.settings.device)
        candidates = [engine] + (["faster-whisper", "transformers"] if self.settings.engine == "auto" else [])
        found = look_up(self.settings, self.cache, plans, self.report, self.rendered, engine=engine, candidates=candidates, refresh=self.refresh)
        todo = []
        for ident, group in found.missing.items():
            if self.shard is not None and not self.shard.owns(ident[0]):
                self.report.skipped += [p.key for p in group]
            elif self.transcribe:
                todo.append((ident, group))
        if todo:
            self.lazy = self.lazy or LazyEngine(self.settings, engine, device)  # one model for every round of a build
            transcriber = Transcriber(
                self.settings, cache=self.cache, report=self.report, progress=self.progress, fetcher=self.fetcher, engine=engine, lazy=self.lazy
            )
            transcriber.run(todo, found)
        return found.entries, found.fresh
