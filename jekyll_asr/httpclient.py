"""The HTTP layer under ``remote``: per-thread ``requests`` sessions with urllib3 retries, the
headers of a ranged or conditional GET, and what a download reads from the response (status,
Content-Range, validators, a body cut short), with each failure in a few words a user can act on.

``requests`` and ``urllib3`` are imported only when a request is sent or a failure described, so
importing this module (and ``remote``) stays cheap for a build with nothing to download.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests
    from urllib3.util.retry import Retry

_RETRY_AFTER_MAX = 60.0  # a server's Retry-After is obeyed up to a minute, never an hour
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class RequestFailed(Exception):
    """No response once the retries were spent; the message says why (``timed out after 30 s (4 tries)``)."""


class CannotResume(Exception):
    """The server cannot continue the partial file (a 416, or a 206 for the wrong range)."""


class BodyCut(Exception):
    """The body stopped half-way; ``size`` counts the bytes received, the resumed-from offset included."""

    def __init__(self, detail: str, size: int) -> None:
        super().__init__(detail)
        self.detail, self.size = detail, size


class HttpClient:
    """Streamed GETs through one ``requests.Session`` per thread; safe to share between threads.

    ``requests_made`` counts every request actually sent, retries and redirects included;
    ``tries`` is how many tries the calling thread's last request took."""

    def __init__(self, *, user_agent: str, timeout: float, retries: int, backoff: float) -> None:
        self.user_agent, self.timeout, self.retries, self.backoff = user_agent, timeout, retries, backoff
        self.requests_made = 0
        self._lock = threading.Lock()
        self._tls = threading.local()  # a requests.Session and try count per thread
        self._sessions: list[requests.Session] = []

    @property
    def tries(self) -> int:
        tries: int = getattr(self._tls, "tries", 1)
        return tries

    def get(self, url: str, headers: dict[str, str]) -> requests.Response:
        """A streamed GET, retried on connection errors, 429 and 5xx; raises RequestFailed."""
        import requests

        self._tls.tries = 1
        with self._lock:
            self.requests_made += 1
        try:
            resp = self._session().get(url, headers=headers, stream=True, timeout=(self.timeout,) * 2)
        except requests.RequestException as exc:
            raise RequestFailed(_describe(url, exc, self.timeout, self.tries)) from exc
        with self._lock:
            self.requests_made += len(resp.history)  # redirects followed
        return resp

    def close(self) -> None:
        """Close every thread's connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._tls, "session", None)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = self._tls.session = requests.Session()
            session.headers.update({"User-Agent": self.user_agent, "Accept-Encoding": "identity"})
            adapter = HTTPAdapter(max_retries=_retry(self.retries, self.backoff, self._count_retry))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            with self._lock:
                self._sessions.append(session)
        return session

    def _count_retry(self) -> None:
        self._tls.tries = getattr(self._tls, "tries", 1) + 1
        with self._lock:
            self.requests_made += 1


def request_headers(
    offset: int, validator: str | None, etag: str | None, last_modified: str | None
) -> dict[str, str]:
    """A GET's headers: ``Range`` from ``offset`` when there is a ``validator`` for If-Range (the
    bytes kept are only valid for that version), and a revalidation's ETag and Last-Modified."""
    headers = {"Range": f"bytes={offset}-", "If-Range": validator} if offset and validator else {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def body_span(resp: requests.Response, offset: int) -> tuple[int, int | None]:
    """(where the body goes in the file, the whole size if known): a 206 continues at ``offset``,
    anything else (a 200 to a range request too) is the whole file again. Raises CannotResume."""
    first, whole = _content_range(resp)
    partial = resp.status_code == HTTPStatus.PARTIAL_CONTENT
    if (resp.status_code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE and offset) or (partial and first != offset):
        raise CannotResume
    return (offset, whole) if partial else (0, _int(resp.headers.get("Content-Length")))


def body_chunks(resp: requests.Response, chunk_size: int, *, offset: int, timeout: float) -> Iterator[bytes]:
    """The body, ``chunk_size`` bytes at a time; raises BodyCut when the connection drops or times out."""
    import requests

    size = offset
    try:
        for chunk in resp.iter_content(chunk_size):
            yield chunk
            size += len(chunk)
    except requests.RequestException as exc:
        timed_out = "timed out" in str(exc).lower()
        raise BodyCut(f"timed out after {timeout:g} s" if timed_out else "connection dropped", size) from exc


def status_line(resp: requests.Response, tries: int) -> str:
    """``HTTP 503 Service Unavailable (3 tries)``: the status, its phrase and the tries it took."""
    phrase = resp.reason or next((s.phrase for s in HTTPStatus if s == resp.status_code), "")
    after = f" ({tries} tries)" if tries > 1 else ""
    return f"HTTP {resp.status_code} {phrase}".rstrip() + after


def media_type(resp: requests.Response) -> str:
    """The Content-Type without its parameters, lower case; "" when absent."""
    return (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def resume_validator(resp: requests.Response) -> str | None:
    """What If-Range may carry: a strong ETag, else Last-Modified."""
    etag = resp.headers.get("ETag")
    return etag if etag and not etag.startswith("W/") else resp.headers.get("Last-Modified")


def _retry(retries: int, backoff: float, on_retry: Callable[[], None]) -> Retry:
    """urllib3's Retry for connection errors, 429 and 5xx, telling ``on_retry`` of each retry it sends."""
    from urllib3.util.retry import Retry

    class CountingRetry(Retry):
        def increment(self, *args: Any, **kwargs: Any) -> CountingRetry:
            new = super().increment(*args, **kwargs)  # raises when the retries are spent
            on_retry()
            return new

        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), _RETRY_AFTER_MAX)

    n = retries
    return CountingRetry(
        total=n, connect=n, read=n, status=n, other=0, backoff_factor=backoff, raise_on_status=False,
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


def _content_range(resp: requests.Response) -> tuple[int | None, int | None]:
    """(first byte, whole size) from a 206's Content-Range."""
    match = _CONTENT_RANGE.fullmatch((resp.headers.get("Content-Range") or "").strip())
    return (int(match.group(1)), _int(match.group(3))) if match else (None, None)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
