"""Remote audio as build sources: the URL index answers without network, the fetcher with it.

A URL a document links is known by its content hash like any local file. The
URL index (``.jekyll-asr/urls.json``, committed) keeps that hash, so planning a
rebuild makes no request; only a URL never seen (or ``revalidate``) is fetched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .scan import AudioFile
from .urlindex import UrlIndex

if TYPE_CHECKING:  # the fetcher (threads, HTTP, sniffing) is imported only when a URL is fetched
    from .find import SiteAudio
    from .remote import Fetcher, RemoteError, RemoteOptions


REMOTE_OFF = "remote audio is off (asr.remote: off); not fetched, its transcript is kept"
_NAMED = 3  # documents named on a report line before "and N more"


def linked_from(paths: list[Path]) -> str:
    """``a.md, b.md and 3 more``: the documents linking a URL, for its report line."""
    shown = ", ".join(p.as_posix() for p in paths[:_NAMED])
    return shown + (f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else "")


def remote_options(settings: Settings) -> RemoteOptions:
    """The fetcher's options from the ``asr:`` settings (mirror folders relative to the site)."""
    from .remote import RemoteOptions

    mirrors = tuple((prefix, _folder(settings, folder)) for prefix, folder in settings.mirrors)
    return RemoteOptions(
        downloads_dir=settings.downloads_path,
        mirrors=mirrors,
        mode=settings.remote,
        max_bytes=settings.max_download_mb * 1024 * 1024,
        keep=settings.keep_downloads,
    )


def _folder(settings: Settings, folder: str) -> Path:
    path = Path(folder).expanduser()
    return path if path.is_absolute() else (settings.site / path)


def open_index(settings: Settings) -> UrlIndex:
    return UrlIndex.load(settings.urls_path)


@dataclass
class RemoteScan:
    """Linked URLs: those whose content is known (no network), those to fetch, and why some are skipped."""

    known: list[AudioFile] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def known_sources(settings: Settings, index: UrlIndex, urls: Iterable[str]) -> RemoteScan:
    """What the URL index already knows: a no-op rebuild ends here, with no request."""
    out = RemoteScan()
    for url in sorted(set(urls)):
        if settings.remote == "off":
            out.skipped.append((url, REMOTE_OFF))
            continue
        record = index.get(url)
        if record is not None and not settings.revalidate:
            out.known.append(AudioFile.remote(url, record.sha256, record.size, record.kind))
        else:
            out.pending.append(url)
    return out


def fetch_pending(
    fetcher: Fetcher,
    urls: list[str],
    *,
    revalidate: bool,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> Iterable[tuple[str, AudioFile | RemoteError]]:
    """Each pending URL as an AudioFile (its content hashed while it downloaded), as it arrives."""
    from .remote import RemoteError

    for url, result in fetcher.fetch_many(urls, revalidate=revalidate, progress=progress):
        if isinstance(result, RemoteError):
            yield url, result
        else:
            record = result.record
            yield url, AudioFile.remote(url, record.sha256, record.size, record.kind)


# Linked URLs fetched per round: the model transcribes one round while the next downloads, and
# at most two rounds of downloads are on disk at once, whatever the size of the archive.
FETCH_ROUND = 8


def fetch_and_transcribe(work: Any, site_audio: SiteAudio) -> None:
    """Fetch the URLs never seen, a round at a time, transcribing each round while the next downloads.

    A URL's content hash is known only once it has downloaded; its transcript
    goes into the cache at once and the download is deleted, so the final pass
    finds every transcript cached.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .names import NameIndex
    from .render import plan_outputs

    rounds = [site_audio.pending[i : i + FETCH_ROUND] for i in range(0, len(site_audio.pending), FETCH_ROUND)]
    counter = {"fetched": 0, "total": len(site_audio.pending)}  # counts successes only: failures are reported, not "fetched"
    scratch = NameIndex(Path(os.devnull))  # never saved: names are given by the final pass
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


def _fetch_round(work: Any, site_audio: SiteAudio, urls: list[str], counter: dict[str, int]) -> list[AudioFile]:
    """One round of URLs, several at once; one report line per URL that fails, naming its documents."""
    from .errors import without_names

    got: list[AudioFile] = []
    for url, result in fetch_pending(work.fetcher, urls, revalidate=work.settings.revalidate):
        if isinstance(result, Exception):
            work.report.fail(url, f"{without_names(str(result), url)} (linked from {linked_from(site_audio.urls.get(url, []))})")
            continue
        counter["fetched"] += 1
        work.progress.fetched(url, result.size, counter["fetched"], counter["total"])
        got.append(result)
    return got
