"""The middle of a build: plan each recording (``plan.make_plan``), transcribe what is missing.

The plan decides, for every recording, whether its outputs are current (not even
read), its transcript is cached, or its content must be transcribed (once per
content hash). ``Transcriber`` does the last: files are decoded (and remote
audio fetched) ahead on a worker thread, short files share the model's
batches, each transcript is stored the moment it is done, and one bad file is
reported alone. The model is loaded the first time a file needs it, and only then.
"""

from __future__ import annotations

import logging
from contextlib import closing, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .ahead import Decoded, Job, check_unchanged, declared_seconds, decoded_ahead, local_path
from .cache import CacheEntry, TranscriptCache
from .config import Settings
from .errors import EngineError, ModelError, one_line
from .find import SiteAudio
from .interrupt import exit_on_interrupt
from .plan import Ident, Plan, Recording, decode_options, make_plan
from .render import RenderPlan
from .report import Report
from .statindex import Stat
from .store import Store
from .transcript import Transcript
from .turnstore import TurnsCache

log = logging.getLogger("jekyll_asr")


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
    """The transcriber's work list: what is missing (once per content), and what it stored."""

    entries: dict[str, CacheEntry] = field(default_factory=dict)  # plan key -> newly stored transcript
    missing: dict[Ident, list[RenderPlan]] = field(default_factory=dict)  # to transcribe, once per content
    words: dict[Ident, dict[str, Any]] = field(default_factory=dict)  # the settings each one is stored under
    turns: dict[Ident, str] = field(default_factory=dict)  # speakers wanted: the turns key to store them under
    diarized: set[str] = field(default_factory=set)  # plan keys whose speakers were tried (stored or failed) with their words


def _stored(recording: Recording, found: Lookup) -> bool:
    """Whether a missing recording's transcript (every track's, for one file per voice) was stored by this build."""
    if recording.cache.tracks_missing:
        return all(track.key in found.entries for *_, track in recording.cache.tracks_missing)
    return recording.key in found.entries


class Transcriber:
    """Transcribes missing content hashes, a group of short files or one long file at a time."""

    def __init__(
        self, settings: Settings, *, cache: TranscriptCache, report: Report, progress: Any, fetcher: Any, engine: str, lazy: LazyEngine,
        turns: TurnsCache | None = None,
    ) -> None:
        self.settings, self.cache, self.report, self.progress = settings, cache, report, progress
        self.fetcher, self.engine, self.lazy, self.turns = fetcher, engine, lazy, turns

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
                options=lambda j: j.group[0].options(),
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
        results = batching.transcribe_batch(model, files, decode_options(self.settings, *jobs[0].group[0].options()))
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
        before = None  # remote audio: a copy the fetcher has just verified by its hash, in its own store
        if plan.audio.url is None:
            with suppress(OSError):  # unreadable: decoding says why
                before = Stat.of(path)  # what ``check_unchanged`` compares with once the words are known
        samples = longform.load_short(path)
        seconds = samples.size / audio_mod.SAMPLE_RATE if samples is not None else audio_mod.duration(path)
        return Decoded(samples, audio_mod.read_tags(path), seconds, path, before)

    def _speakers(self, job: Job, entry: CacheEntry, found: Lookup) -> None:
        """Who spoke when, while the file is at hand (remote audio is not fetched twice); a failure is reported alone."""
        from .diarizing import stored_or_reported
        from .sidecars import speakers_to_find

        key, decoded = found.turns.get(job.ident), job.decoded
        if key is None or decoded is None or self.turns is None or not speakers_to_find(entry.transcript.duration, entry.transcript.word_count):
            return  # a clip, music or silence: one voice at most (sidecars.settle_turns decides the same)
        found.diarized.update(member.key for member in job.group)  # tried once per build, stored or failed
        stored_or_reported(
            self.turns, (job.ident[0], key), job.group[0], lambda: decoded.path, report=self.report, diarizer=self.settings.diarizer,
            samples=decoded.samples,
        )

    def finish(self, job: Job, result: tuple[list[Any], str, float] | Exception, found: Lookup) -> None:
        """Store one file's transcript in the cache, or report why it has none."""
        first = job.group[0]
        try:
            if isinstance(result, Exception):
                raise result
            assert job.decoded is not None  # a file that could not be decoded arrives as an Exception
            check_unchanged(job.decoded, job.ident[0])  # the words are of the audio they are stored under
            segments, language, seconds = result
            transcript = Transcript(tuple(segments), language, seconds, self.settings.model, self.engine)
            self.cache.put(job.ident[0], job.ident[1], found.words[job.ident], transcript, job.decoded.tags)
            # Read back: the stored (rounded) entry is what every later build renders from.
            entry = self.cache.get(job.ident[0], job.ident[1])
            assert entry is not None
            self._speakers(job, entry, found)
        except Exception as exc:  # one bad file must not stop the build; the rest still get done
            log.debug("transcribing %s failed", first.key, exc_info=exc)
            where = job.decoded.path if job.decoded else first.key
            self.report.fail(first.key, one_line(exc, where, self.settings.site / first.audio.path, first.key))
            return
        finally:
            if self.fetcher is not None and first.audio.url is not None:
                self.fetcher.discard(job.ident[0])  # the download is not needed once transcribed
        if first.task == "translate":  # an English caption track: not a transcript of its own
            self.report.translated.append(first.key)
            found.entries.update((member.key, entry) for member in job.group)
            return
        self.report.audio_seconds += seconds
        self.report.transcribed.append(first.key)
        for member in job.group:  # the same bytes under other paths: transcribed once
            found.entries[member.key] = entry
            if member is not first:
                self.report.cached.append(member.key)


@dataclass
class Work:
    """What transcribing needs, so the fetch stage and the final pass share one model, store and report."""

    settings: Settings
    store: Store
    site_audio: SiteAudio
    report: Report
    shard: Any
    transcribe: bool
    progress: Any
    fetcher: Any
    refresh: bool = False
    lazy: LazyEngine | None = None
    warned: set[Path] = field(default_factory=set)

    def run(self, plans: list[RenderPlan], *, render: bool = False) -> Plan:
        """The plan for ``plans``, its missing transcripts transcribed (once per content hash) and,
        with ``render``, those recordings planned again from their new cache entries."""
        plan = make_plan(self.settings, store=self.store, site_audio=self.site_audio, plans=plans, refresh=self.refresh, render=render)
        self._warn_corrupt(plan)
        found = Lookup()
        for recording in plan.recordings:
            decision = recording.cache
            if decision.kind != "missing":
                self.report.cached.append(recording.key)
            elif decision.ident is not None and decision.words is not None:
                found.words[decision.ident] = decision.words
                found.missing.setdefault(decision.ident, []).append(recording.plan)
                if recording.turns.missing and recording.turns.key is not None:
                    found.turns[decision.ident] = recording.turns.key
            for ident, words, track in decision.tracks_missing:  # an episode of one file per voice
                found.words[ident] = words
                found.missing.setdefault(ident, []).append(track)
        self._transcribe(found)
        done = {r.key for r in plan.recordings if r.cache.kind == "missing" and _stored(r, found)}
        if done:  # newly transcribed: whether they want speakers or a translation is known now
            plans = [r.plan for r in plan.recordings if r.key in done]
            plan = plan.with_recordings(make_plan(self.settings, store=self.store, site_audio=self.site_audio, plans=plans, refresh=self.refresh, render=False))
        later = self._diarize([r for r in plan.recordings if r.turns.missing and r.cache.kind != "missing" and r.key not in found.diarized])
        later |= self._translate([r for r in plan.recordings if r.translation.missing and r.cache.kind != "missing"])
        if render and (done or later):  # newly cached, diarized or translated: decide their outputs with the same planner
            plans = [r.plan for r in plan.recordings if r.key in done | later]
            again = make_plan(self.settings, store=self.store, site_audio=self.site_audio, plans=plans, refresh=self.refresh, render=True)
            plan = plan.replaced(self.settings, self.site_audio, again)
        return plan

    def _translate(self, recordings: list[Recording]) -> set[str]:
        """The English caption track of episodes in other languages: Whisper's translate task, stored like a transcript."""
        found = Lookup()
        for recording in recordings:
            translation = recording.translation
            if translation.ident is None or translation.words is None:
                continue
            found.words[translation.ident] = translation.words
            found.missing.setdefault(translation.ident, []).append(replace(recording.plan, task="translate"))
        self._transcribe(found)
        return {r.key for r in recordings if r.key in found.entries}

    def _diarize(self, recordings: list[Recording]) -> set[str]:
        """Speakers for transcripts made before they were wanted (or before this version): no words transcribed again."""
        from .diarizing import diarize_recordings

        mine = [r for r in recordings if self.transcribe and (self.shard is None or self.shard.owns(r.plan.audio.sha256))]
        if not mine:
            return set()
        return diarize_recordings(
            mine, turns_cache=self.store.turns(), report=self.report, locate=lambda plan: local_path(self.settings, plan.audio, self.fetcher),
            diarizer=self.settings.diarizer,
        )

    def _transcribe(self, found: Lookup) -> None:
        todo = []
        for ident, group in found.missing.items():
            if self.shard is not None and not self.shard.owns(ident[0]):
                self.report.skipped += [p.key for p in group]
            elif self.transcribe:
                todo.append((ident, group))
        if not todo:
            return
        from .engines import resolve_engine

        engine, device = resolve_engine(self.settings.engine, self.settings.device)
        self.lazy = self.lazy or LazyEngine(self.settings, engine, device)  # one model for every round of a build
        transcriber = Transcriber(
            self.settings, cache=self.store.cache(), report=self.report, progress=self.progress, fetcher=self.fetcher, engine=engine, lazy=self.lazy,
            turns=self.store.turns(),
        )
        transcriber.run(todo, found)

    def _warn_corrupt(self, plan: Plan) -> None:
        """One warning per refused entry, saying why (``TranscriptCache.reasons``)."""
        site, reasons = self.settings.site, self.store.cache().reasons
        for bad in plan.corrupt:
            if bad not in self.warned:
                self.warned.add(bad)
                shown = bad.relative_to(site) if site in bad.parents else bad
                why = f" ({reasons[bad]})" if bad in reasons else ""
                self.report.warnings.append(f"cache entry {shown} was corrupt{why}; transcribing again")
