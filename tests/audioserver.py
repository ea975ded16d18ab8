"""A real HTTP server on 127.0.0.1 for tests of remote audio (never the internet).

Each path answers as its ``Served`` says: a strong or weak ETag, Last-Modified, Range
(``bytes=N-``, ``bytes=N-M``, ``bytes=-N``; 416 past the end) and If-Range, 304 to a matching
If-None-Match, and what can go wrong on the way (503 for the first tries, a body cut half-way, slow
bytes, slow headers, an HTML page, a Range ignored or answered with the wrong bytes). A request's
path finds its route as sent, else percent-decoded (``/My%20Show.mp3`` -> ``/My Show.mp3``). A route
may also be a function of the request handler, e.g. a redirect:
``server.routes["/r.mp3"] = lambda h: h.empty(302, {"Location": "/a.mp3"})``.

Every request is logged in ``requests``, so a test can say "no request was sent", "it retried
twice", "it resumed with Range: bytes=N-" from the server's side, not only from the client's.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

if TYPE_CHECKING:
    from typing import Self

LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"  # every file's Last-Modified


def etag_of(data: bytes) -> str:
    """The strong ETag the server sends for ``data`` (``W/`` before it when ``weak_etag``)."""
    return '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


@dataclass
class Served:
    """How one path answers: a file (with ETag, Last-Modified, Range) and what goes wrong with it."""

    data: bytes
    content_type: str = "audio/mpeg"
    fail_first: int = 0  # answer 503 to the first N requests
    drop_first: int = 0  # cut the body half-way on the first N requests
    ranges: str = "honour"  # "honour" | "ignore" (200 to a Range) | "wrong" (206 from byte 0)
    length: bool = True  # send Content-Length (else the body ends when the connection closes)
    delay: float = 0.0  # seconds between 4 KiB chunks
    header_delay: float = 0.0  # seconds before the status line
    weak_etag: bool = False


class Request(NamedTuple):
    """One request as the server got it; header names in lower case."""

    method: str
    path: str  # with its query string, as sent
    headers: dict[str, str]


Route = Served | Callable[["Handler"], None]


class AudioServer(ThreadingHTTPServer):
    """Serves ``files`` (URL path -> bytes) and whatever is added to ``routes``; a context manager
    that runs it on a thread. ``url`` is its base URL; ``requests`` lists every request."""

    daemon_threads = True
    block_on_close = False  # do not wait for a slow body the client has hung up on

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.routes: dict[str, Route] = {path: Served(data) for path, data in (files or {}).items()}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def count(self) -> int:
        """Requests received so far."""
        with self.lock:
            return len(self.requests)

    def hits(self, path: str) -> list[Request]:
        """The requests for ``path`` (query string included), oldest first."""
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up: the broken pipe is the point of the test


class Handler(BaseHTTPRequestHandler):
    server: AudioServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def do_GET(self) -> None:
        self.answer(body=True)

    def answer(self, *, body: bool) -> None:
        with self.server.lock:
            self.server.requests.append(Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            n = sum(1 for r in self.server.requests if r.path == self.path)  # this one included
        path = self.path.split("?", 1)[0]
        route = self.server.routes.get(path) or self.server.routes.get(unquote(path))
        if route is None:
            self.send_error(404, "Not Found")
        elif callable(route):
            route(self)
        else:
            self.serve(route, n, body=body)

    def serve(self, route: Served, n: int, *, body: bool) -> None:
        """The file, or the n-th request's failure."""
        time.sleep(route.header_delay)
        if n <= route.fail_first:
            return self.empty(503)
        etag = ("W/" if route.weak_etag else "") + etag_of(route.data)
        if self.headers.get("If-None-Match") == etag:
            return self.empty(304, {"ETag": etag})
        size = len(route.data)
        span = self.range_span(route, etag)
        if span == "unsatisfiable":
            return self.empty(416, {"Content-Range": f"bytes */{size}"})
        start, end = span or (0, size - 1)
        data = route.data[start : end + 1]
        wrong = bool(self.headers.get("Range")) and route.ranges == "wrong"
        self.send_response(206 if span or wrong else 200)
        if wrong:
            data = route.data
            self.send_header("Content-Range", f"bytes 0-{size - 1}/{size}")
        elif span:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Type", route.content_type)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.send_header("Accept-Ranges", "bytes")
        if route.length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not body:
            return None
        if n <= route.drop_first:
            data = data[: len(data) // 2]  # then the connection closes: fewer bytes than announced
        for i in range(0, len(data), 4096):
            self.wfile.write(data[i : i + 4096])
            if route.delay:
                self.wfile.flush()
                time.sleep(route.delay)
        return None

    def range_span(self, route: Served, etag: str) -> tuple[int, int] | str | None:
        """The (first, last) byte a Range asks for, when honoured and If-Range (if any) still matches;
        None for the whole file (no Range, one not honoured, or one that covers it all), "unsatisfiable"
        for one that starts past the end."""
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", self.headers.get("Range") or "")
        if_range = self.headers.get("If-Range")
        if not match or not any(match.groups()) or route.ranges != "honour" or if_range not in (None, etag, LAST_MODIFIED):
            return None
        first, last, size = match.group(1), match.group(2), len(route.data)
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # bytes=-N: the last N bytes
            start, end = max(0, size - int(last)), size - 1
        if start >= size or start > end:
            return "unsatisfiable"
        return None if (start, end) == (0, size - 1) else (start, end)

    def empty(self, status: int, headers: dict[str, str] | None = None) -> None:
        """A response with no body: a failure, a 304, a redirect."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()
