"""``build``: scan → hash → (cache hit | decode → transcribe → store) → render → write.

The heavy parts (numpy, PyAV, torch, the model) are imported and loaded only
when some file really needs transcribing; a rebuild of an unchanged site reads
the stat index and the cache, renders, and writes nothing.
"""

from __future__ import annotations

import json

import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .cache import CacheEntry, TranscriptCache, settings_key
from .config import Settings
from .errors import EngineError, FrontMatterError, JekyllAsrError, ModelError, OutputConflict, one_line, without_names
from .fsutil import atomic_write
from .interrupt import exit_on_interrupt
from .lock import SiteLock
from .outputs import OutputManifest
from .names import NameIndex
from .render import RenderPlan, document_update, document_value, managed_value, plan_outputs, render_outputs, values_for
from .renderindex import RenderIndex
from .report import Report
from .scan import AudioFile, candidate_files, classify
from .site import Document, is_lfs_pointer, scan_site_documents
from .sources import known_sources, open_index
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
class SiteAudio:
    """What a scan found: audio files, the documents using them, and problems.

    ``files`` holds local files and remote URLs whose content the URL index
    knows; ``pending`` the linked URLs never fetched (a build fetches them, a
    status reports them); ``urls`` every linked URL and the documents linking it.
    """

    files: list[AudioFile]
    documents: list[Document]
    problems: list[tuple[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    urls: dict[str, list[Path]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    managed: dict[str, Any] = field(default_factory=dict)  # document -> its managed value (what its pages name)


@dataclass
class Progress:
    """Callbacks a front end can hook (a progress bar); all optional."""

    file_started: Callable[[str, float], None] = lambda path, seconds: None
    advance: Callable[[float], None] = lambda seconds: None
    total: Callable[[float], None] = lambda seconds: None
    fetched: Callable[[str, int, int, int], None] = lambda url, size, done, total: None


# Names that promise audio: such a file that is not audio by content is reported, not skipped in silence.
_AUDIO_NAME = re.compile(r"\.(mp3|m4a|m4b|mp4a|aac|wav|wave|ogg|oga|opus|flac|webm|weba|aif|aiff)$", re.IGNORECASE)


def scan_site(settings: Settings, index: StatIndex, memo: dict[str, Any] | None = None, urls: Any = None) -> SiteAudio:
    """Every audio file the include globs select or a document references, and the URLs documents link.

    ``urls`` (a UrlIndex) says which URLs' content is known: those need no network.
    """
    files: dict[str, AudioFile] = {}
    refused: dict[str, str] = {}  # site-relative path -> why it is not used
    outside = _OutsideSite(settings.site)
    for rel in candidate_files(settings):
        escape = outside.why(rel)
        if escape is not None:  # a symlink to a file elsewhere: never read it into the site's outputs
            if _AUDIO_NAME.search(rel):
                refused[rel] = escape
            continue
        found = classify(settings, rel, index)
        if found is not None:
            files[rel] = found
        elif _AUDIO_NAME.search(rel):
            refused[rel] = _not_audio(settings.site / rel)

    def is_audio(rel: Path) -> bool:
        key = rel.as_posix()
        if key in files:
            return True
        found = classify(settings, key, index)
        if found is not None:
            files[key] = found
            return True
        if _AUDIO_NAME.search(key) and key not in refused:
            refused[key] = _not_audio(settings.site / key)
        return False

    scan = scan_site_documents(settings, is_audio, memo)
    index.forget_missing({r for r in index.entries if r in files or (settings.site / r).exists()})
    ordered = [files[k] for k in sorted(files)]
    found_problems = [(str(p.path), without_names(p.message, p.path)) for p in scan.problems]
    # A URL whose recording has a local encoding is never fetched: the local file is transcribed.
    local_backed = {k for d in scan.documents for rec in d.recordings if any("://" not in k for k in rec) for k in rec}
    linked = [url for url in scan.urls if url not in local_backed]
    remote = known_sources(settings, urls if urls is not None else open_index(settings), linked)
    skipped = [(url, f"{why} (linked from {_names(scan.urls[url])})") for url, why in remote.skipped]
    warnings = [f"{w.path.as_posix()}: {w.message}" for w in scan.warnings]
    if not settings.url and scan.documents and _feeds_carry_transcripts(settings.site):
        warnings.append("_config.yml has no url:, so feeds carry relative transcript URLs that podcast apps cannot fetch")
    named = {m.split(" is a Git LFS pointer", 1)[0] for _, m in found_problems if " is a Git LFS pointer" in m}
    refused = {rel: why for rel, why in refused.items() if rel not in named}  # said once, with the post that uses it
    problems = found_problems + sorted(refused.items()) + skipped
    return SiteAudio(ordered + remote.known, scan.documents, problems, remote.pending, scan.urls, warnings, scan.managed)


def _feeds_carry_transcripts(site: Path) -> bool:
    """Whether a feed of the site (at its root or under feed/) uses the podcast transcript tags."""
    for pattern in ("*.xml", "*.rss", "feed/**/*.xml"):
        for path in site.glob(pattern):
            try:
                if "asr/podcast-tags" in path.read_text(encoding="utf-8", errors="replace"):
                    return True
            except OSError:
                continue
    return False


def _names(paths: list[Path]) -> str:
    shown = ", ".join(p.as_posix() for p in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


class _OutsideSite:
    """Which scanned files resolve outside the site (a symlink to a file or folder elsewhere).

    One realpath per folder, not per file: the walk does not follow symlinked folders, so
    inside a folder only a file that is itself a symlink can lead elsewhere.
    """

    def __init__(self, site: Path) -> None:
        self.site, self.root = site, site.resolve()
        self._folders: dict[str, bool] = {}

    def why(self, rel: str) -> str | None:
        """The reason ``rel`` is refused, or None when it lies inside the site."""
        folder = rel.rpartition("/")[0]
        if folder not in self._folders:
            self._folders[folder] = self._outside((self.site / folder).resolve())
        path = self.site / rel
        if not self._folders[folder] and not path.is_symlink():
            return None
        resolved = path.resolve()
        return f"symlink to {resolved}, outside the site; refused" if self._outside(resolved) else None

    def _outside(self, resolved: Path) -> bool:
        return resolved != self.root and self.root not in resolved.parents


def _not_audio(path: Path) -> str:
    """Why a file named like audio is not transcribed: its content is not audio."""
    from .audio import _describe

    try:
        if path.stat().st_size == 0:
            return "empty file (0 bytes); not transcribed"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if is_lfs_pointer(path):
        return "a Git LFS pointer, not the audio; run `git lfs pull` (in CI: actions/checkout with `lfs: true`)"
    return f"not audio ({_describe(path)}); not transcribed"


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
) -> Report:
    """Bring every transcript output of the site up to date; never raises for one bad file."""
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
        work = _Work(settings, cache, report, shard, transcribe, progress, rendered, fetcher)
        try:
            if site_audio.pending and transcribe and fetcher is not None:
                _fetch_and_transcribe(work, site_audio)
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
    engine: Any = None

    def run(self, plans: list[RenderPlan]) -> tuple[dict[str, CacheEntry], dict[str, dict[str, Any]]]:
        return _lookup_and_transcribe(
            self.settings, self.cache, plans, self.report, shard=self.shard, transcribe=self.transcribe,
            progress=self.progress, rendered=self.rendered, fetcher=self.fetcher, work=self,
        )


# Linked URLs fetched per round: the model transcribes one round while the next downloads, and
# at most two rounds of downloads are on disk at once, whatever the size of the archive.
FETCH_ROUND = 8


def _fetch_and_transcribe(work: _Work, site_audio: SiteAudio) -> None:
    """Fetch the URLs never seen, a round at a time, transcribing each round while the next downloads.

    A URL's content hash is known only once it has downloaded; its transcript
    goes into the cache at once and the download is deleted, so the final pass
    finds every transcript cached.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .names import NameIndex

    rounds = [site_audio.pending[i : i + FETCH_ROUND] for i in range(0, len(site_audio.pending), FETCH_ROUND)]
    counter = {"done": 0, "total": len(site_audio.pending)}
    scratch = NameIndex(work.settings.state_path / "unused-names.json")  # names are given by the final pass
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jekyll-asr-fetch-round") as ahead:
        nxt = ahead.submit(_fetch_round, work, site_audio, rounds[0], counter) if rounds else None
        for i in range(len(rounds)):
            assert nxt is not None
            got = nxt.result()
            nxt = ahead.submit(_fetch_round, work, site_audio, rounds[i + 1], counter) if i + 1 < len(rounds) else None
            site_audio.files.extend(got)
            keys = {f.key for f in got}
            documents = [d for d in site_audio.documents if keys & set(d.audio)]
            plans = [p for p in plan_outputs(work.settings, site_audio.files, documents, scratch) if any(e.key in keys for e in (p.encodings or (p.audio,)))]
            work.run(plans)
            for f in got:  # downloaded only to be transcribed (or to learn its hash): not kept
                work.fetcher.discard(f.sha256)
    site_audio.pending = []


def _fetch_round(work: _Work, site_audio: SiteAudio, urls: list[str], counter: dict[str, int]) -> list[AudioFile]:
    """One round of URLs, several at once; one report line per URL that fails, naming its documents."""
    from .sources import fetch_pending

    got: list[AudioFile] = []
    for url, result in fetch_pending(work.fetcher, urls, revalidate=work.settings.revalidate):
        counter["done"] += 1
        if isinstance(result, Exception):
            work.report.fail(url, f"{without_names(str(result), url)} (linked from {_names(site_audio.urls.get(url, []))})")
            continue
        work.progress.fetched(url, result.size, counter["done"], counter["total"])
        got.append(result)
    return got


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
            key = words_and_key(name, plan.prompt)[1]
            value = rendered.fresh_value(rel, rendered.fingerprint(plan, cache.path_for(sha, key)))
            if value is not None:  # rendered from this very entry, outputs untouched since
                fresh[rel] = value
                break
            found = cache.get(sha, key)
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

    progress.total(sum(_declared_seconds(settings, group[0].audio) for _, group in todo))

    def decode(plan: RenderPlan) -> _Decoded:
        """Samples of a short file (decoded ahead), None for a long one (streamed in blocks).

        Remote audio is fetched here first (a kept copy, a mirror, or a download),
        on the decoding thread, while the model works on the files before it.
        """
        path = local_path(settings, plan.audio, fetcher)
        samples = longform.load_short(path)
        seconds = samples.size / audio_mod.SAMPLE_RATE if samples is not None else audio_mod.duration(path)
        return _Decoded(samples, audio_mod.read_tags(path), seconds, path)

    def finish(job: _Job, found: tuple[list[Any], str, float] | Exception) -> None:
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
    with closing(_decoded_ahead(todo, decode, ahead=batching.MAX_FILES)) as jobs_ahead:
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


def local_path(settings: Settings, audio: AudioFile, fetcher: Any) -> Path:
    """A file on this machine with the audio's bytes: the site's file, or the remote audio's copy."""
    if audio.url is None:
        return settings.site / audio.path
    if fetcher is None:
        from .remote import RemoteError

        raise RemoteError(f"{audio.url}: remote audio is off (asr.remote: off)")
    return Path(fetcher.bytes_for(audio.url, audio.sha256))


def _declared_seconds(settings: Settings, audio: AudioFile) -> float:
    """The length a file's header declares (0 for remote audio not on this machine yet)."""
    from . import audio as audio_mod

    if audio.url is not None:
        return 0.0
    try:
        return audio_mod.duration(settings.site / audio.path) or 0.0
    except (JekyllAsrError, OSError, ValueError):
        return 0.0


@dataclass
class _Decoded:
    """A file read ahead of the model: samples (None: long, streamed later), tags, length."""

    samples: Any
    tags: Any
    seconds: float | None
    path: Path = Path()  # the local file the samples came from (a download for remote audio)

    @property
    def short_seconds(self) -> float | None:
        """Length of a file decoded whole; None for a long one (it goes alone)."""
        return None if self.samples is None else self.seconds


@dataclass
class _Job:
    """One content hash to transcribe: its plans, and what decoding it gave."""

    ident: tuple[str, str]
    group: list[RenderPlan]
    decoded: _Decoded | None = None
    error: Exception | None = None


def _decoded_ahead(todo: list[Any], decode: Callable[[RenderPlan], _Decoded], *, ahead: int):
    """``todo`` as jobs in order, each decoded on a worker thread ``ahead`` files before it is needed."""
    from collections import deque

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jekyll-asr-decode")
    waiting: deque[tuple[_Job, Future]] = deque()
    items = iter(todo)

    def refill() -> None:
        while len(waiting) < ahead:
            nxt = next(items, None)
            if nxt is None:
                return
            job = _Job(nxt[0], nxt[1])
            waiting.append((job, pool.submit(decode, job.group[0])))

    try:
        refill()
        while waiting:
            job, future = waiting.popleft()
            refill()  # the worker decodes the next files while the model runs on this one
            try:
                job.decoded = future.result()
            except Exception as exc:  # reported for this file only
                job.error = exc
            yield job
    finally:  # the build stopped early (no model): decode nothing more
        pool.shutdown(wait=True, cancel_futures=True)


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
    import json

    return current == json.loads(json.dumps(wanted, default=str))


class DocumentMemo:
    """What each document said when last read, keyed by its (size, mtime_ns); machine-local."""

    VERSION = 1

    def __init__(self, path: Path, documents: dict[str, Any] | None = None) -> None:
        self.path = path
        self.documents: dict[str, Any] = documents if documents is not None else {}
        self._saved = json.dumps(self.documents, sort_keys=True)

    @classmethod
    def load(cls, path: Path) -> "DocumentMemo":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") == cls.VERSION and isinstance(raw.get("documents"), dict):
                return cls(path, raw["documents"])
        except (OSError, ValueError, AttributeError):
            pass
        return cls(path)

    def save(self) -> None:
        if json.dumps(self.documents, sort_keys=True) != self._saved:
            atomic_write(self.path, json.dumps({"version": self.VERSION, "documents": self.documents}, separators=(",", ":")))
