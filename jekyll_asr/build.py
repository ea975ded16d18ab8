"""``build``: scan → hash → (cache hit | decode → transcribe → store) → render → write.

The heavy parts (numpy, PyAV, torch, the model) are imported and loaded only
when some file really needs transcribing; a rebuild of an unchanged site reads
the stat index and the cache, renders, and writes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import ChangedMeanwhile, JekyllAsrError, OutputConflict
from .find import SiteAudio, scan_site
from .fsutil import atomic_write
from .outputs import OutputManifest
from .plan import DocumentChange, Plan, Recording, decode_options, plan_documents, render_fingerprint, word_settings
from .render import plan_outputs
from .renderindex import RenderIndex
from .report import Report
from .site import document_file
from .sources import fetch_and_transcribe
from .store import Store
from .transcribing import Work

__all__ = ["Progress", "Shard", "build", "decode_options", "scan_site", "word_settings"]

log = logging.getLogger("jekyll_asr")


@dataclass(frozen=True)
class Shard:
    """``K/N``: this build does the files whose content hash falls in shard K of N."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
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
    store = Store(settings)
    with store.lock(wait=wait, say=say):
        index, memo, urls, names = store.stat_index(), store.memo(), store.urls(), store.names()
        site_audio = scan_site(settings, index, memo.documents, urls)
        for path, message in site_audio.problems:
            report.fail(path, message)
        report.skip_remote([url for url, _ in site_audio.skipped])
        report.warnings.extend(site_audio.warnings)
        fetcher = None
        if site_audio.urls and settings.remote != "off":
            from .remote import Fetcher
            from .sources import remote_options

            fetcher = Fetcher(remote_options(settings), urls)
        work = Work(settings, store, site_audio, report, shard, transcribe, progress, fetcher, refresh)
        try:
            if site_audio.pending and transcribe and fetcher is not None:
                fetch_and_transcribe(work, site_audio)
            plans = plan_outputs(settings, site_audio.files, site_audio.documents, names)
            plan = work.run(plans, render=True)
        finally:
            if fetcher is not None:
                fetcher.close()
        transcribed = set(report.transcribed)
        report.cached = [k for k in dict.fromkeys(report.cached) if k not in transcribed]
        manifest, rendered = store.manifest(), store.rendered()
        _write_outputs(settings, site_audio, plan, manifest=manifest, report=report, force=force, rendered=rendered)
        rendered.forget_missing({p.key for p in plans})
        names.forget_missing({f.key for f in site_audio.files} | set(site_audio.pending) | {url for url, _ in site_audio.skipped})
        urls.forget_missing(set(site_audio.urls))
        _save_state(report, lambda: store.save_all(manifest=manifest, names=names, urls=urls, stat_index=index, memo=memo, rendered=rendered))
        report.warnings[:0] = store.notes  # what the store ignored in its files, the manifest's entries too
        from .state import remember_failures

        _save_state(report, lambda: remember_failures(settings, [(f.path, f.error) for f in report.failed], site_audio))
    return report


def _save_state(report: Report, save: Callable[[], None]) -> None:
    """Save the build's own state; a failure (a full disk) goes into the report, never instead of it."""
    try:
        save()
    except JekyllAsrError as exc:
        report.state_error = report.state_error or f"could not save the build's state: {exc}"


def _write_outputs(
    settings: Settings, site_audio: SiteAudio, plan: Plan, *, manifest: OutputManifest, report: Report, force: bool, rendered: RenderIndex
) -> None:
    """Write what the plan says: each rendered recording's files, then the managed key of each post."""
    failed: set[str] = set()
    for recording in plan.recordings:
        if recording.error is not None:
            report.fail(recording.key, recording.error)
            continue
        entry = recording.cache.entry
        if recording.cache.kind != "cached" or entry is None or recording.value is None:
            continue  # fresh (nothing to write) or not transcribed
        ok, conflicts = _write_files(recording, manifest, report, force=force)
        if not ok:
            failed.add(recording.key)
        elif not conflicts:  # a hand-edited output is checked (and reported) again next time
            outputs = [o.path for o in recording.outputs]
            rendered.record(recording.key, render_fingerprint(rendered, recording), outputs, recording.value)
    documents = plan.documents
    if failed:  # a recording whose files could not be written sets no managed key: decide them again
        documents = plan_documents(settings, site_audio, [r for r in plan.recordings if r.key not in failed])
    _write_documents(settings, documents, report)


def _write_files(recording: Recording, manifest: OutputManifest, report: Report, *, force: bool) -> tuple[bool, bool]:
    """One recording's files through the manifest (which keeps hand edits): (all written, some kept)."""
    ok, conflicts = True, False
    for output in recording.outputs:
        assert output.content is not None  # a cached recording's outputs are rendered
        try:
            if manifest.write(output.path, output.content, force=force):
                report.outputs.append(output.path)
            else:
                report.unchanged_outputs += 1
        except OutputConflict as exc:
            report.warnings.append(str(exc))
            conflicts = True
        except JekyllAsrError as exc:
            report.fail(output.path, str(exc))
            ok = False
    return ok, conflicts


def _write_documents(settings: Settings, documents: tuple[DocumentChange, ...], report: Report) -> None:
    """Set the managed key of each document the plan gives a new text.

    A symlinked post is written through its link (the target, replaced in its own
    folder); a post whose bytes are no longer those the plan read (the author saved
    it during the build) is left for the next build.
    """
    written: set[Path] = set()
    for document in documents:
        if document.error is not None:
            if document.kept:
                report.warnings.append(f"{document.path}: {document.error}")
            else:
                report.fail(document.path, document.error)
            continue
        if document.new_text is None or document.text is None:
            continue
        try:
            target = document_file(settings, Path(document.path))
            if target in written:
                continue  # two links to one file: written once
            atomic_write(target, document.new_text.encode("utf-8"), expect=document.text.encode("utf-8"))
        except ChangedMeanwhile:
            report.fail(document.path, "changed while building; not updated, run build again")
            continue
        except JekyllAsrError as exc:
            report.fail(document.path, str(exc))
            continue
        written.add(target)
        report.documents.append(document.path)

