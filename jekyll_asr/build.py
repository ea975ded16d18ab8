"""``build``: scan → hash → (cache hit | decode → transcribe → store) → render → write.

The heavy parts (numpy, PyAV, torch, the model) are imported and loaded only
when some file really needs transcribing; a rebuild of an unchanged site reads
the stat index and the cache, renders, and writes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cache import CacheEntry
from .config import Settings
from .errors import FrontMatterError, JekyllAsrError, OutputConflict
from .find import SiteAudio, scan_site
from .fsutil import atomic_write
from .outputs import OutputManifest
from .render import RenderPlan, document_update, document_value, managed_value, plan_outputs, render_outputs, values_for
from .renderindex import RenderIndex
from .report import Report
from .sources import fetch_and_transcribe
from .store import Store
from .transcribing import Work, decode_options, word_settings

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
        report.warnings.extend(store.notes)
        site_audio = scan_site(settings, index, memo.documents, urls)
        for path, message in site_audio.problems:
            report.fail(path, message)
        report.warnings.extend(site_audio.warnings)
        fetcher = None
        if site_audio.urls and settings.remote != "off":
            from .remote import Fetcher
            from .sources import remote_options

            fetcher = Fetcher(remote_options(settings), urls)
        rendered = store.rendered()
        work = Work(settings, store.cache(), report, shard, transcribe, progress, rendered, fetcher, refresh)
        try:
            if site_audio.pending and transcribe and fetcher is not None:
                fetch_and_transcribe(work, site_audio)
            plans = plan_outputs(settings, site_audio.files, site_audio.documents, names)
            entries, fresh = work.run(plans)
        finally:
            if fetcher is not None:
                fetcher.close()
        report.cached = [k for k in dict.fromkeys(report.cached) if k not in set(report.transcribed)]
        manifest = store.manifest()
        _write_outputs(settings, site_audio, plans, entries=entries, fresh=fresh, manifest=manifest, report=report, force=force, rendered=rendered)
        rendered.forget_missing({p.key for p in plans})
        names.forget_missing({f.key for f in site_audio.files} | set(site_audio.pending))
        urls.forget_missing(set(site_audio.urls))
        store.save_all(manifest=manifest, names=names, urls=urls, stat_index=index, memo=memo, rendered=rendered)
        from .state import remember_failures

        remember_failures(settings, [(f.path, f.error) for f in report.failed], site_audio)
    return report


def _write_outputs(
    settings: Settings,
    site_audio: SiteAudio,
    plans: list[RenderPlan],
    *,
    entries: dict[str, CacheEntry],
    fresh: dict[str, dict[str, Any]],
    manifest: OutputManifest,
    report: Report,
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
    _update_documents(settings, site_audio, by_key, report)


def _update_documents(settings: Settings, site_audio: SiteAudio, by_key: dict[str, dict[str, Any]], report: Report) -> None:
    """Set the managed key of each document whose recordings have values (audio key -> value)."""
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

    return bool(current == json.loads(json.dumps(wanted, default=str)))


