"""Audio linked by http(s) URL (podcast hosts, S3, CDNs): its content hash, and its bytes when needed.

The transcript cache is keyed by content, so a build needs each URL's SHA-256.
``UrlIndex`` (``urlindex``) remembers it in ``.jekyll-asr/urls.json`` (committable,
like the cache): a rebuild with nothing new sends no request. Bytes are fetched
only for audio still to transcribe: from a local mirror of the host, else
downloaded, resumably, into a content-addressed store outside the site.
``requests`` is imported only when a request is sent (``httpclient``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from . import __version__, httpclient
from .errors import ConfigError, JekyllAsrError, PathError
from .fsutil import atomic_write, inside
from .sniff import sniff
from .statindex import hash_file
from .urlindex import SHA256, UrlIndex, UrlRecord

if TYPE_CHECKING:
    import requests

__all__ = ["MODES", "Fetched", "Fetcher", "Progress", "RemoteError", "RemoteOptions", "UrlIndex", "UrlRecord"]

MODES = ("download", "mirror", "off")
Progress = Callable[[str, int, "int | None"], None]  # (url, bytes so far, total or None)

_CHUNK = 1 << 16
_PROGRESS_SECONDS = 0.2  # progress callbacks at most this often per download


@dataclass(frozen=True)
class RemoteOptions:
    """How remote audio is fetched; the caller fills it from the ``asr:`` settings."""

    downloads_dir: Path  # content-addressed store of downloads, outside the site
    mirrors: tuple[tuple[str, Path], ...] = ()  # (URL prefix, local folder): no network for those
    mode: str = "download"  # "download" | "mirror" (mirrors only) | "off" (no remote audio)
    max_bytes: int = 2 * 1024**3
    timeout: float = 30.0  # connect and read timeout, seconds
    retries: int = 3  # connection errors, 429 and 5xx; also resumes of a body cut short
    backoff: float = 0.5  # first wait between tries, seconds; doubles each time
    concurrency: int = 4
    keep: bool = False  # keep downloaded copies after transcription
    user_agent: str = f"jekyll-asr/{__version__} (+https://pypi.org/project/jekyll-asr/)"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"asr.remote: {self.mode!r} is not one of {', '.join(MODES)}")
        if self.max_bytes < 1 or self.timeout <= 0 or self.retries < 0 or self.concurrency < 1 or self.backoff < 0:
            raise ConfigError("remote options: max_bytes, timeout, concurrency must be positive; retries, backoff >= 0")


@dataclass(frozen=True)
class Fetched:
    """A URL's content on this machine. ``path`` is None only after a 304 when no copy is kept."""

    url: str
    record: UrlRecord
    path: Path | None  # the store copy or the mirror's file
    downloaded: bool  # False when no body came over the network
    not_modified: bool = False  # a revalidation answered 304


class RemoteError(JekyllAsrError):
    """A URL that could not be fetched; the message is one line naming the URL and what to do."""


@dataclass
class _Job:
    """One download across its tries: where its bytes go and whom to tell."""

    url: str
    part: Path  # partial/<sha256 of the URL>.part
    side: Path  # its JSON sidecar: the validator (strong ETag or Last-Modified) the bytes belong to
    known: UrlRecord | None  # when revalidating: sends If-None-Match / If-Modified-Since
    progress: Progress | None
    stop: threading.Event | None
    last_report: float = 0.0


class Fetcher:
    """Fetches remote audio from a mirror, the store or the network; safe to share between threads."""

    def __init__(self, options: RemoteOptions, index: UrlIndex) -> None:
        self.options = options
        self.index = index
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        self._http = httpclient.HttpClient(
            user_agent=options.user_agent, timeout=options.timeout, retries=options.retries, backoff=options.backoff
        )

    @property
    def requests_made(self) -> int:
        """HTTP requests actually sent, retries and redirects included."""
        return self._http.requests_made

    def mirror_path(self, url: str) -> Path | None:
        """The existing local file a mirror maps ``url`` to (longest prefix wins), or None."""
        for prefix, folder in sorted(self.options.mirrors, key=lambda m: -len(m[0])):
            if url.startswith(prefix):
                rest = unquote(re.split(r"[?#]", url[len(prefix) :])[0]).lstrip("/")
                try:
                    path = inside(folder, Path(folder) / rest)
                except PathError as exc:
                    raise RemoteError(f"{url}: maps outside the mirror folder {folder}; refusing to read it") from exc
                return path if rest and path.is_file() else None
        return None

    def stored_path(self, sha256: str) -> Path | None:
        """The download store's copy of that content, if present."""
        path = self.options.downloads_dir / sha256[:2] / sha256
        return path if SHA256.fullmatch(sha256) and path.is_file() else None

    def discard(self, fetched_or_sha: Fetched | str) -> None:
        """Delete the store copy after transcription unless ``keep``; never a mirror file."""
        target = fetched_or_sha
        stored = self.stored_path(target.record.sha256 if isinstance(target, Fetched) else target)
        if self.options.keep or stored is None or (isinstance(target, Fetched) and target.path not in (None, stored)):
            return
        self._remove(stored)

    def fetch(self, url: str, *, revalidate: bool = False) -> Fetched:
        """The URL's content on this machine with as little network as possible; raises RemoteError."""
        return self._fetch(url, revalidate, None, None)

    def fetch_many(
        self, urls: Iterable[str], *, revalidate: bool = False, progress: Progress | None = None
    ) -> Generator[tuple[str, Fetched | RemoteError], None, None]:
        """Each URL's result as it completes, ``concurrency`` at a time, so the caller can work on what
        has arrived; one URL's error does not stop the others. ``progress`` runs on worker threads."""
        unique = list(dict.fromkeys(urls))
        if not unique:
            return
        stop = threading.Event()  # a caller that stops iterating (Ctrl-C) stops the downloads too
        pool = ThreadPoolExecutor(min(self.options.concurrency, len(unique)), thread_name_prefix="jekyll-asr-fetch")
        try:
            futures = {pool.submit(self._fetch_or_error, url, revalidate, progress, stop): url for url in unique}
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def bytes_for(self, url: str, sha256: str) -> Path:
        """A local file with exactly that content: the mirror's, a verified store copy or a fresh
        download. Raises RemoteError when the URL now serves other bytes (the index then has them)."""
        mirrored = self._mirrored(url)
        if mirrored is not None:
            return self._expect(mirrored, sha256)
        stored = self.stored_path(sha256)
        if stored is not None:
            if hash_file(stored) == sha256:
                return stored
            self._remove(stored)  # a corrupt store copy is downloaded again, never served
        self._refuse_mirror_only(url)
        with self._url_lock(url):
            return self._expect(self._download(url, None, None, None), sha256)

    def close(self) -> None:
        """Close every thread's HTTP connections."""
        self._http.close()

    def _fetch_or_error(
        self, url: str, revalidate: bool, progress: Progress | None, stop: threading.Event
    ) -> Fetched | RemoteError:
        try:
            return self._fetch(url, revalidate, progress, stop)
        except RemoteError as exc:
            return exc
        except JekyllAsrError as exc:  # a PathError or a disk error is still this URL's error
            return RemoteError(f"{url}: {exc}")

    def _fetch(self, url: str, revalidate: bool, progress: Progress | None, stop: threading.Event | None) -> Fetched:
        mirrored = self._mirrored(url)
        if mirrored is not None:
            return mirrored
        self._refuse_mirror_only(url)
        with self._url_lock(url):
            known = self.index.get(url)
            stored = self.stored_path(known.sha256) if known is not None else None
            if known is not None and stored is not None and not revalidate:
                return Fetched(url, known, stored, downloaded=False)
            return self._download(url, known if revalidate else None, progress, stop)

    def _mirrored(self, url: str) -> Fetched | None:
        """The mirror's file for ``url``, hashed, sniffed and recorded; refuses non-http URLs and mode off."""
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise RemoteError(f"{url}: not an http(s) URL")
        if self.options.mode == "off":
            raise RemoteError(f"{url}: remote audio is off (asr.remote: off)")
        path = self.mirror_path(url)
        if path is None:
            return None
        kind = sniff(path)
        if kind is None:
            raise RemoteError(f"{url}: the mirror's file {path} is not audio")
        rec, old = UrlRecord(hash_file(path), path.stat().st_size, kind), self.index.get(url)
        if old is not None and (old.sha256, old.size, old.kind) == (rec.sha256, rec.size, rec.kind):
            rec = old  # an unchanged file keeps its record (and the server's ETag)
        self.index.record(url, rec)
        return Fetched(url, rec, path, downloaded=False)

    def _refuse_mirror_only(self, url: str) -> None:
        if self.options.mode == "mirror":
            under = any(url.startswith(prefix) for prefix, _ in self.options.mirrors)
            why = "the mirror has no file for it" if under else "not under any mirror prefix"
            raise RemoteError(f"{url}: {why} (asr.remote: mirror)")

    def _expect(self, fetched: Fetched, sha256: str) -> Path:
        if fetched.record.sha256 != sha256 or fetched.path is None:
            raise RemoteError(f"{fetched.url}: content changed since it was indexed; build again to transcribe it")
        return fetched.path

    def _download(
        self, url: str, known: UrlRecord | None, progress: Progress | None, stop: threading.Event | None
    ) -> Fetched:
        """Stream into a partial file, resuming it when the body is cut short (``retries`` times)."""
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        partial = self.options.downloads_dir / "partial"
        part, side = self._within(partial / f"{key}.part"), self._within(partial / f"{key}.json")
        job = _Job(url, part, side, known, progress, stop)
        tries = self.options.retries + 1
        for attempt in range(1, tries + 1):
            try:
                return self._download_once(job)
            except httpclient.BodyCut as exc:  # the partial file is kept for a resume
                if attempt == tries:
                    after = f", {tries} tries" if tries > 1 else ""
                    raise RemoteError(f"{url}: {exc.detail} at {exc.size} bytes{after}; build again to resume") from exc
            except httpclient.CannotResume:
                self._remove_partial(job)
            time.sleep(self.options.backoff * 2 ** (attempt - 1))
        raise RemoteError(f"{url}: the server answers range requests with the wrong bytes")

    def _download_once(self, job: _Job) -> Fetched:
        offset, validator = self._resume_point(job)
        etag, modified = (job.known.etag, job.known.last_modified) if job.known is not None else (None, None)
        with self._get(job.url, httpclient.request_headers(offset, validator, etag, modified)) as resp:
            if resp.status_code == HTTPStatus.NOT_MODIFIED and job.known is not None:
                stored = self.stored_path(job.known.sha256)
                return Fetched(job.url, job.known, stored, downloaded=False, not_modified=True)
            offset, total = httpclient.body_span(resp, offset)  # a 200 to a range request: the whole file again
            if resp.status_code >= HTTPStatus.MULTIPLE_CHOICES:
                raise RemoteError(f"{job.url}: {httpclient.status_line(resp, self._http.tries)}")
            ctype = httpclient.media_type(resp)
            html = ctype in ("text/html", "application/xhtml+xml")
            problem = f"the server sent an HTML page ({ctype}), not audio" if html else None
            if problem is None and total is not None and total > self.options.max_bytes:
                problem = f"larger than the {_limit(self.options.max_bytes)} limit ({total} bytes)"
            if problem is not None:
                self._remove_partial(job)
                raise RemoteError(f"{job.url}: {problem}")
            if offset == 0:
                self._start_partial(job, httpclient.resume_validator(resp))
            sha = self._stream(job, resp, offset, total)
            return self._finish(job, sha, resp, total)

    def _stream(self, job: _Job, resp: requests.Response, offset: int, total: int | None) -> str:
        """Append the body to the partial file; the whole file's SHA-256."""
        hasher, size, too_large = hashlib.sha256(), offset, False
        try:
            if offset:
                with open(job.part, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        hasher.update(block)
            with open(job.part, "ab" if offset else "wb") as out:
                for chunk in httpclient.body_chunks(resp, _CHUNK, offset=offset, timeout=self.options.timeout):
                    too_large = size + len(chunk) > self.options.max_bytes
                    if too_large:
                        break
                    out.write(chunk)
                    hasher.update(chunk)
                    size += len(chunk)
                    self._report(job, size, total)
                    if job.stop is not None and job.stop.is_set():
                        raise RemoteError(f"{job.url}: stopped at {size} bytes; build again to resume")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise RemoteError(f"{job.url}: cannot write {job.part}: {exc.strerror or exc}") from exc
        if too_large:
            self._remove_partial(job)
            raise RemoteError(f"{job.url}: larger than the {_limit(self.options.max_bytes)} limit")
        if total is not None and size < total:
            raise httpclient.BodyCut("connection dropped", size)
        self._report(job, size, total, final=True)
        return hasher.hexdigest()

    def _finish(self, job: _Job, sha: str, resp: requests.Response, total: int | None) -> Fetched:
        """Sniff the content (never the extension), move it into the store, record it."""
        size, kind = job.part.stat().st_size, sniff(job.part)
        if kind is None:
            self._remove_partial(job)
            ctype = resp.headers.get("Content-Type") or "no Content-Type"
            raise RemoteError(f"{job.url}: the server sent something that is not audio ({ctype}, {size} bytes)")
        final = self.options.downloads_dir / sha[:2] / sha
        try:
            self._within(final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(job.part, final)
        except OSError as exc:
            raise RemoteError(f"{job.url}: cannot write {final}: {exc.strerror or exc}") from exc
        self._remove(job.side)
        rec = UrlRecord(sha, size, kind, resp.headers.get("ETag"), resp.headers.get("Last-Modified"), total)
        self.index.record(job.url, rec)
        return Fetched(job.url, rec, final, downloaded=True)

    def _resume_point(self, job: _Job) -> tuple[int, str | None]:
        """Bytes already in the partial file and the validator they belong to; (0, None) to start over."""
        try:
            size = job.part.stat().st_size
            meta = json.loads(job.side.read_text(encoding="utf-8"))
            validator = meta["validator"] if meta.get("url") == job.url else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            size, validator = 0, None
        if size and isinstance(validator, str) and size < self.options.max_bytes:
            return size, validator
        self._remove_partial(job)
        return 0, None

    def _start_partial(self, job: _Job, validator: str | None) -> None:
        try:
            job.part.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RemoteError(f"{job.url}: cannot write {job.part.parent}: {exc.strerror or exc}") from exc
        if validator is None:
            self._remove(job.side)  # the server gives nothing to resume against: start over next time
        else:
            atomic_write(job.side, json.dumps({"url": job.url, "validator": validator}))

    def _report(self, job: _Job, size: int, total: int | None, *, final: bool = False) -> None:
        now = time.monotonic()
        if job.progress is not None and (final or now - job.last_report >= _PROGRESS_SECONDS):
            job.last_report = now
            job.progress(job.url, size, total)

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            return self._http.get(url, headers)
        except httpclient.RequestFailed as exc:
            raise RemoteError(f"{url}: {exc}") from exc

    def _within(self, path: Path) -> Path:
        """``path`` resolved, refused unless it lies inside the download store."""
        try:
            return inside(self.options.downloads_dir, path)
        except PathError:
            root = self.options.downloads_dir
            raise PathError(f"{path} resolves outside the download store {root}; refusing to touch it") from None

    def _remove(self, path: Path) -> None:
        if path.is_symlink() or path.exists():
            self._within(path)
            path.unlink(missing_ok=True)

    def _remove_partial(self, job: _Job) -> None:
        self._remove(job.part)
        self._remove(job.side)

    def _url_lock(self, url: str) -> threading.Lock:
        with self._lock:
            return self._url_locks.setdefault(url, threading.Lock())


def _limit(max_bytes: int) -> str:
    return f"{max_bytes >> 20} MiB" if max_bytes % (1 << 20) == 0 else f"{max_bytes}-byte"
