"""Remote audio as build sources: the URL index answers without network, the fetcher with it.

A URL a document links is known by its content hash like any local file. The
URL index (``.jekyll-asr/urls.json``, committed) keeps that hash, so planning a
rebuild makes no request; only a URL never seen (or ``revalidate``) is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .config import Settings
from .scan import AudioFile
from .urlindex import UrlIndex

if TYPE_CHECKING:  # the fetcher (threads, HTTP, sniffing) is imported only when a URL is fetched
    from .remote import Fetcher, RemoteError, RemoteOptions


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
            out.skipped.append((url, "remote audio is off (asr.remote: off); not transcribed"))
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
