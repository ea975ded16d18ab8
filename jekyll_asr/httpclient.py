"""The HTTP layer under ``remote``: per-thread ``requests`` sessions with urllib3 retries, the
headers of a ranged or conditional GET, and what a download reads from the response (status,
Content-Range, validators, a body cut short), with each failure in a few words a user can act on.

``requests`` and ``urllib3`` are imported only when a request is sent or a failure described, so
importing this module (and ``remote``) stays cheap for a build with nothing to download.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


@dataclass
class _Host:
    """What this client learnt of one host. Its first request goes alone, so that a host which cannot
    be resolved (or refuses) is tried once: ``down`` then fails its other URLs at once, with the same
    line, instead of each spending its own retries. After that first request, they go in parallel."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tried: bool = False
    down: str | None = None

    @contextmanager
    def first_contact(self) -> Iterator[None]:
        if self.tried:
            yield
            return
        with self.lock:
            yield


class HttpClient:
    """Streamed GETs through one ``requests.Session`` per thread; safe to share between threads.

    ``requests_made`` counts every request actually sent, retries and redirects included;
    ``tries`` is how many tries the calling thread's last request took. A host that cannot be
    resolved or refuses the connection is not asked again by this client (``_Host``)."""

    def __init__(self, *, user_agent: str, timeout: float, retries: int, backoff: float) -> None:
        self.user_agent, self.timeout, self.retries, self.backoff = user_agent, timeout, retries, backoff
        self.requests_made = 0
        self._lock = threading.Lock()
        self._tls = threading.local()  # a requests.Session and try count per thread
        self._sessions: list[requests.Session] = []
        self._hosts: dict[str, _Host] = {}

    @property
    def tries(self) -> int:
        tries: int = getattr(self._tls, "tries", 1)
        return tries

    def get(self, url: str, headers: dict[str, str]) -> requests.Response:
        """A streamed GET, retried on timeouts, dropped connections, 429 and 5xx (never on a name that
        does not resolve); raises RequestFailed, at once for a host already found unreachable."""
        import requests

        self._tls.tries = 1
        host = self._host(url)
        with host.first_contact():
            if host.down is not None:
                raise RequestFailed(host.down)
            with self._lock:
                self.requests_made += 1
            try:
                resp = self._session().get(url, headers=headers, stream=True, timeout=(self.timeout,) * 2)
            except requests.RequestException as exc:
                failed = getattr(exc.request, "url", None) or url  # after a redirect: the host that failed
                message = _describe(failed, exc, self.timeout, self.tries)
                if _unreachable(exc):
                    self._host(failed).down = message  # the redirect's target, when there was one
                raise RequestFailed(message) from exc
            finally:
                host.tried = True  # a timeout too: the others need not wait for each other's
        with self._lock:
            self.requests_made += len(resp.history)  # redirects followed
        return resp

    def close(self) -> None:
        """Close every thread's connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        with self._lock:
            return self._hosts.setdefault(f"{parts.scheme}://{parts.netloc}".lower(), _Host())

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._tls, "session", None)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter

            quiet_urllib3()

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


def quiet_urllib3() -> None:
    """Keep urllib3's own log lines (``Retrying (CountingRetry(...)) after connection broken by ...``)
    off the terminal: a failed URL is reported once, by us, as one line. Shown with ``--verbose``."""
    verbose = logging.getLogger("jekyll_asr").isEnabledFor(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.NOTSET if verbose else logging.ERROR)


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
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry

    class CountingRetry(Retry):
        def increment(
            self, method: Any = None, url: Any = None, response: Any = None, error: Any = None, _pool: Any = None, _stacktrace: Any = None
        ) -> CountingRetry:
            if _cannot_resolve(error):  # asking again gets the same answer: one try, however many retries
                raise MaxRetryError(_pool, url, error) from error
            new = super().increment(method, url, response, error, _pool, _stacktrace)  # raises when the retries are spent
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
        if "refused" in lowered:
            return f"connection refused{after}"
        if "without response" in lowered or "connection reset" in lowered:
            return f"the server closed the connection without answering{after}"
        return f"cannot connect: {text}{after}"
    return f"not a valid URL ({text})" if isinstance(exc, ValueError) else f"{type(exc).__name__}: {text}"


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and what it wraps: causes, contexts and urllib3's ``reason``."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        reason = getattr(item, "reason", None)
        todo += [item.__cause__, item.__context__, reason if isinstance(reason, BaseException) else None]
        todo += [a for a in item.args if isinstance(a, BaseException)]


def _cannot_resolve(exc: BaseException | None) -> bool:
    return any(isinstance(e, socket.gaierror) for e in _causes(exc))


def _unreachable(exc: BaseException) -> bool:
    """The host cannot be resolved or refuses connections: its other URLs would fail the same way."""
    return any(isinstance(e, socket.gaierror | ConnectionRefusedError) for e in _causes(exc))


def _content_range(resp: requests.Response) -> tuple[int | None, int | None]:
    """(first byte, whole size) from a 206's Content-Range."""
    match = _CONTENT_RANGE.fullmatch((resp.headers.get("Content-Range") or "").strip())
    return (int(match.group(1)), _int(match.group(3))) if match else (None, None)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
