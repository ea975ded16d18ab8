"""Audio linked by http(s) URL (podcast hosts, S3, CDNs): its content hash, and its bytes when needed.

The transcript cache is keyed by content, so a build needs each URL's SHA-256.
``UrlIndex`` remembers it in ``.jekyll-asr/urls.json`` (committable, like the
cache): a rebuild with nothing new sends no request. Bytes are fetched only for
audio still to transcribe: from a local mirror of the host, else downloaded,
resumably, into a content-addressed store outside the site. ``requests`` is
imported only when a request is sent.
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
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from . import __version__
from .audio import sniff
from .errors import ConfigError, JekyllAsrError, PathError
from .fsutil import atomic_write, inside
from .statindex import hash_file

if TYPE_CHECKING:
    import requests
    from urllib3.util.retry import Retry

MODES = ("download", "mirror", "off")
Progress = Callable[[str, int, "int | None"], None]  # (url, bytes so far, total or None)

_CHUNK = 1 << 16
_PROGRESS_SECONDS = 0.2  # progress callbacks at most this often per download
_RETRY_AFTER_MAX = 60.0  # a server's Retry-After is obeyed up to a minute, never an hour
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


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
class UrlRecord:
    """What a URL served when last fetched: enough to find its transcript without the network."""

    sha256: str
    size: int
    kind: str  # sniffed container ("mp3", "ogg", "mp4", ...)
    etag: str | None = None
    last_modified: str | None = None
    content_length: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, raw: Any) -> UrlRecord | None:
        """The record in ``raw``, or None when a field is malformed (that entry is dropped)."""
        try:
            rec = cls(**raw)
        except TypeError:
            return None
        ok = isinstance(rec.sha256, str) and _SHA256.fullmatch(rec.sha256) and isinstance(rec.kind, str)
        ok = ok and isinstance(rec.size, int) and isinstance(rec.content_length, int | None)
        return rec if ok and all(isinstance(v, str | None) for v in (rec.etag, rec.last_modified)) else None


class UrlIndex:
    """URL -> UrlRecord in ``.jekyll-asr/urls.json``: sorted, indented text, committable beside the
    transcript cache so that a CI build with both checked in needs no network. A corrupt or
    unknown-version file is treated as empty; it is saved (atomically) only when changed."""

    VERSION = 1

    def __init__(self, path: Path, urls: dict[str, UrlRecord] | None = None) -> None:
        self.path = path
        self.urls: dict[str, UrlRecord] = urls or {}
        self.dirty = False
        self._lock = threading.Lock()  # download threads record into it

    @classmethod
    def load(cls, path: Path) -> UrlIndex:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") != cls.VERSION:
                return cls(path)
            entries = {url: UrlRecord.from_json(value) for url, value in raw["urls"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(path)
        return cls(path, {url: rec for url, rec in entries.items() if rec is not None})

    def get(self, url: str) -> UrlRecord | None:
        """The URL's last known content: a build's no-network path."""
        return self.urls.get(url)

    def record(self, url: str, rec: UrlRecord) -> None:
        with self._lock:
            if self.urls.get(url) != rec:
                self.urls[url] = rec
                self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        """Drop URLs no document links any more, so the committed file does not grow forever."""
        with self._lock:
            for url in [u for u in self.urls if u not in present]:
                del self.urls[url]
                self.dirty = True

    def save(self) -> None:
        with self._lock:
            if self.dirty:
                urls = {url: rec.to_json() for url, rec in self.urls.items()}
                text = json.dumps({"version": self.VERSION, "urls": urls}, indent=2, sort_keys=True, ensure_ascii=False)
                atomic_write(self.path, text + "\n")
                self.dirty = False


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


class _Interrupted(Exception):
    """The body stopped half-way; the partial file is kept for a resume."""

    def __init__(self, detail: str, size: int) -> None:
        super().__init__(detail)
        self.detail, self.size = detail, size


class _StartOver(Exception):
    """The server cannot continue the partial file (a 416, or a 206 for the wrong range)."""


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
        self.requests_made = 0  # HTTP requests actually sent, retries and redirects included
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}
        self._tls = threading.local()  # a requests.Session and try count per thread
        self._sessions: list[requests.Session] = []

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
        return path if _SHA256.fullmatch(sha256) and path.is_file() else None

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
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

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
            except _Interrupted as exc:
                if attempt == tries:
                    after = f", {tries} tries" if tries > 1 else ""
                    raise RemoteError(f"{url}: {exc.detail} at {exc.size} bytes{after}; build again to resume") from exc
            except _StartOver:
                self._remove_partial(job)
            time.sleep(self.options.backoff * 2 ** (attempt - 1))
        raise RemoteError(f"{url}: the server answers range requests with the wrong bytes")

    def _download_once(self, job: _Job) -> Fetched:
        offset, validator = self._resume_point(job)
        headers = {"Range": f"bytes={offset}-", "If-Range": validator} if offset and validator else {}
        if job.known is not None and job.known.etag:
            headers["If-None-Match"] = job.known.etag
        if job.known is not None and job.known.last_modified:
            headers["If-Modified-Since"] = job.known.last_modified
        with self._get(job.url, headers) as resp:
            if resp.status_code == 304 and job.known is not None:
                stored = self.stored_path(job.known.sha256)
                return Fetched(job.url, job.known, stored, downloaded=False, not_modified=True)
            if (resp.status_code == 416 and offset) or (resp.status_code == 206 and _range(resp)[0] != offset):
                raise _StartOver
            self._refuse_status(job.url, resp)
            offset = offset if resp.status_code == 206 else 0  # a 200 to a range request: the whole file again
            total = _range(resp)[1] if resp.status_code == 206 else _int(resp.headers.get("Content-Length"))
            ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            html = ctype in ("text/html", "application/xhtml+xml")
            problem = f"the server sent an HTML page ({ctype}), not audio" if html else None
            if problem is None and total is not None and total > self.options.max_bytes:
                problem = f"larger than the {_limit(self.options.max_bytes)} limit ({total} bytes)"
            if problem is not None:
                self._remove_partial(job)
                raise RemoteError(f"{job.url}: {problem}")
            if offset == 0:
                self._start_partial(job, _validator(resp))
            sha = self._stream(job, resp, offset, total)
            return self._finish(job, sha, resp, total)

    def _stream(self, job: _Job, resp: requests.Response, offset: int, total: int | None) -> str:
        """Append the body to the partial file; the whole file's SHA-256."""
        import requests

        hasher, size, too_large = hashlib.sha256(), offset, False
        try:
            if offset:
                with open(job.part, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        hasher.update(block)
            with open(job.part, "ab" if offset else "wb") as out:
                try:
                    for chunk in resp.iter_content(_CHUNK):
                        too_large = size + len(chunk) > self.options.max_bytes
                        if too_large:
                            break
                        out.write(chunk)
                        hasher.update(chunk)
                        size += len(chunk)
                        self._report(job, size, total)
                        if job.stop is not None and job.stop.is_set():
                            raise RemoteError(f"{job.url}: stopped at {size} bytes; build again to resume")
                except requests.RequestException as exc:
                    raise _Interrupted(self._body_error(exc), size) from exc
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise RemoteError(f"{job.url}: cannot write {job.part}: {exc.strerror or exc}") from exc
        if too_large:
            self._remove_partial(job)
            raise RemoteError(f"{job.url}: larger than the {_limit(self.options.max_bytes)} limit")
        if total is not None and size < total:
            raise _Interrupted("connection dropped", size)
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
        import requests

        self._tls.tries = 1
        with self._lock:
            self.requests_made += 1
        try:
            resp = self._session().get(url, headers=headers, stream=True, timeout=(self.options.timeout,) * 2)
        except requests.RequestException as exc:
            raise RemoteError(f"{url}: {_describe(url, exc, self.options.timeout, self._tls.tries)}") from exc
        with self._lock:
            self.requests_made += len(resp.history)  # redirects followed
        return resp

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._tls, "session", None)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = self._tls.session = requests.Session()
            session.headers.update({"User-Agent": self.options.user_agent, "Accept-Encoding": "identity"})
            adapter = HTTPAdapter(max_retries=_retry(self.options, self._count_retry))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            with self._lock:
                self._sessions.append(session)
        return session

    def _count_retry(self) -> None:
        self._tls.tries = getattr(self._tls, "tries", 1) + 1
        with self._lock:
            self.requests_made += 1

    def _body_error(self, exc: Exception) -> str:
        timed_out = "timed out" in str(exc).lower()
        return f"timed out after {self.options.timeout:g} s" if timed_out else "connection dropped"

    def _refuse_status(self, url: str, resp: requests.Response) -> None:
        if resp.status_code >= 300:
            phrase = resp.reason or next((s.phrase for s in HTTPStatus if s == resp.status_code), "")
            tries = getattr(self._tls, "tries", 1)
            after = f" ({tries} tries)" if tries > 1 else ""
            raise RemoteError(f"{url}: HTTP {resp.status_code} {phrase}".rstrip() + after)

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


def _retry(options: RemoteOptions, on_retry: Callable[[], None]) -> Retry:
    """urllib3's Retry for connection errors, 429 and 5xx, telling ``on_retry`` of each retry it sends."""
    from urllib3.util.retry import Retry

    class CountingRetry(Retry):
        def increment(self, *args: Any, **kwargs: Any) -> CountingRetry:
            new = super().increment(*args, **kwargs)  # raises when the retries are spent
            on_retry()
            return new

        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), _RETRY_AFTER_MAX)

    n = options.retries
    return CountingRetry(
        total=n, connect=n, read=n, status=n, other=0, backoff_factor=options.backoff, raise_on_status=False,
        status_forcelist=(429, 500, 502, 503, 504), allowed_methods=frozenset({"GET"}),
    )


def _describe(url: str, exc: Exception, timeout: float, tries: int) -> str:
    """A requests exception as a few words a user can act on."""
    import requests

    inner: Any = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    reason = getattr(inner, "reason", None) or inner  # urllib3's MaxRetryError carries the cause
    text = " ".join(str(reason).split())[:200] or type(reason).__name__
    after = f" ({tries} tries)" if tries > 1 else ""
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {text}"
    if isinstance(exc, requests.Timeout):
        return f"timed out after {timeout:g} s{after}"
    if isinstance(exc, requests.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.ConnectionError):
        lowered = text.lower()
        if "resolve" in lowered or "name or service not known" in lowered:
            return f"no network (cannot resolve host {urlsplit(url).hostname}){after}"
        if "network is unreachable" in lowered:
            return f"no network (network unreachable){after}"
        if "timed out" in lowered:  # a read timeout that used up the retries arrives as a ConnectionError
            return f"timed out after {timeout:g} s{after}"
        return f"connection refused{after}" if "refused" in lowered else f"cannot connect: {text}{after}"
    return f"not a valid URL ({text})" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {text}"


def _range(resp: requests.Response) -> tuple[int | None, int | None]:
    """(first byte, whole size) from a 206's Content-Range."""
    match = _CONTENT_RANGE.fullmatch((resp.headers.get("Content-Range") or "").strip())
    return (int(match.group(1)), _int(match.group(3))) if match else (None, None)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _validator(resp: requests.Response) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified."""
    etag = resp.headers.get("ETag")
    return etag if etag and not etag.startswith("W/") else resp.headers.get("Last-Modified")


def _limit(max_bytes: int) -> str:
    return f"{max_bytes >> 20} MiB" if max_bytes % (1 << 20) == 0 else f"{max_bytes}-byte"
