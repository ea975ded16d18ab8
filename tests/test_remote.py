"""Remote audio against a real HTTP server on 127.0.0.1 (never the internet), serving the real fixtures.

The server (tests/audioserver.py) logs every request it gets, so the tests can say "no request was
sent", "it retried twice", "it resumed with Range: bytes=N-" from the server's side, not only from
the client's.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jekyll_asr.errors import ConfigError, PathError
from jekyll_asr.remote import (
    Fetched,
    Fetcher,
    RemoteError,
    RemoteOptions,
    UrlIndex,
    UrlRecord,
)

from .audioserver import LAST_MODIFIED, AudioServer, Request, Served, etag_of
from .sitefactory import FIXTURES, make_site

WELCOME = (FIXTURES / "welcome.mp3").read_bytes()
EPISODE = (FIXTURES / "episode-12.mp3").read_bytes()
OGG = (FIXTURES / "welcome.ogg").read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[AudioServer]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with AudioServer({"/welcome.mp3": WELCOME, "/episode-12.mp3": EPISODE}) as srv:
        srv.routes["/welcome.ogg"] = Served(OGG, content_type="audio/ogg")
        yield srv


def options(tmp_path: Path, **kw: Any) -> RemoteOptions:
    kw = {"retries": 2, "backoff": 0.0, "timeout": 5.0} | kw
    return RemoteOptions(downloads_dir=tmp_path / "downloads", **kw)


def fetcher(tmp_path: Path, **kw: Any) -> Fetcher:
    return Fetcher(options(tmp_path, **kw), UrlIndex.load(tmp_path / ".jekyll-asr" / "urls.json"))


def leftovers(tmp_path: Path) -> list[Path]:
    """Files left in the partial-download folder."""
    partial = tmp_path / "downloads" / "partial"
    return list(partial.iterdir()) if partial.exists() else []


def resumed_at(request: Request) -> int:
    """The offset of a ``Range: bytes=N-`` request: the bytes kept before the connection dropped."""
    match = re.fullmatch(r"bytes=(\d+)-", request.headers["range"])
    assert match is not None and 0 < int(match.group(1)) <= len(EPISODE) // 2
    return int(match.group(1))


def error_of(fn: Callable[[], object]) -> str:
    with pytest.raises(RemoteError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- downloading


def test_download_hashes_sniffs_stores_and_records(server: AudioServer, tmp_path: Path) -> None:
    f = fetcher(tmp_path)
    url = server.url + "/welcome.mp3"
    got = f.fetch(url)
    assert got.downloaded and not got.not_modified
    assert got.record == UrlRecord(sha(WELCOME), len(WELCOME), "mp3", etag_of(WELCOME), LAST_MODIFIED, len(WELCOME))
    assert got.path == tmp_path / "downloads" / sha(WELCOME)[:2] / sha(WELCOME)
    assert got.path is not None and got.path.read_bytes() == WELCOME
    assert f.index.get(url) == got.record
    assert f.requests_made == 1 and len(server.requests) == 1
    assert server.requests[0].headers["user-agent"].startswith("jekyll-asr/")
    assert leftovers(tmp_path) == []  # nothing left half-written


def test_kind_comes_from_the_content(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/misnamed.mp3"] = Served(OGG, content_type="audio/mpeg")
    assert fetcher(tmp_path).fetch(server.url + "/misnamed.mp3").record.kind == "ogg"


def test_known_url_with_a_stored_copy_sends_no_request(server: AudioServer, tmp_path: Path) -> None:
    url = server.url + "/welcome.mp3"
    first = fetcher(tmp_path)
    first.fetch(url)
    first.index.save()
    again = fetcher(tmp_path)  # a new build: the index from disk, the store copy still there
    got = again.fetch(url)
    assert not got.downloaded and got.record.sha256 == sha(WELCOME)
    assert again.requests_made == 0 and len(server.requests) == 1


def test_fetch_many_yields_every_url_and_errors_per_url(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/page.mp3"] = Served(b"<html><body>Episode 1</body></html>", content_type="text/html; charset=utf-8")
    paths = ["/welcome.mp3", "/missing.mp3", "/welcome.ogg", "/episode-12.mp3", "/page.mp3"]
    seen: list[tuple[str, int, int | None]] = []
    lock = threading.Lock()

    def progress(url: str, done: int, total: int | None) -> None:
        with lock:
            seen.append((url, done, total))

    f = fetcher(tmp_path, concurrency=3)
    results = dict(f.fetch_many([server.url + p for p in paths] + [server.url + "/welcome.mp3"], progress=progress))
    assert set(results) == {server.url + p for p in paths}
    for path, data in (("/welcome.mp3", WELCOME), ("/welcome.ogg", OGG), ("/episode-12.mp3", EPISODE)):
        got = results[server.url + path]
        assert isinstance(got, Fetched) and got.record.sha256 == sha(data)
        assert (server.url + path, len(data), len(data)) in seen  # the last report is the whole file
    assert str(results[server.url + "/missing.mp3"]) == f"{server.url}/missing.mp3: HTTP 404 Not Found"
    assert "sent an HTML page (text/html), not audio" in str(results[server.url + "/page.mp3"])
    assert len(server.hits("/welcome.mp3")) == 1  # a URL linked twice is fetched once


def test_redirect_is_followed_and_the_post_url_is_the_key(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/r/ep.mp3"] = lambda h: h.empty(302, {"Location": "/welcome.mp3"})
    f = fetcher(tmp_path)
    got = f.fetch(server.url + "/r/ep.mp3")
    assert got.record.sha256 == sha(WELCOME)
    assert set(f.index.urls) == {server.url + "/r/ep.mp3"}
    assert f.requests_made == 2


# ---------------------------------------------------------------- revalidation


def test_revalidate_sends_the_validators_and_gets_304(server: AudioServer, tmp_path: Path) -> None:
    f = fetcher(tmp_path)
    url = server.url + "/welcome.mp3"
    first = f.fetch(url)
    got = f.fetch(url, revalidate=True)
    assert got.not_modified and not got.downloaded and got.path == first.path and got.record == first.record
    assert server.requests[-1].headers["if-none-match"] == etag_of(WELCOME)
    assert server.requests[-1].headers["if-modified-since"] == LAST_MODIFIED
    f.discard(got)
    assert f.fetch(url, revalidate=True).path is None  # a 304 and no copy kept: nothing to read


def test_revalidate_downloads_changed_content_and_bytes_for_notices(server: AudioServer, tmp_path: Path) -> None:
    f = fetcher(tmp_path)
    url = server.url + "/welcome.mp3"
    old = f.fetch(url).record
    server.routes["/welcome.mp3"] = Served(OGG)  # the host replaced the episode
    got = f.fetch(url, revalidate=True)
    assert got.downloaded and got.record.sha256 == sha(OGG) and f.index.get(url) == got.record
    f.discard(got)
    f.discard(old.sha256)
    message = error_of(lambda: f.bytes_for(url, old.sha256))
    assert message.startswith(f"{url}: content changed since it was indexed")


# ---------------------------------------------------------------- mirrors and modes


def mirror(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "my episode.mp3").write_bytes(EPISODE)
    return folder


def test_mirror_serves_the_local_file_without_a_request(tmp_path: Path) -> None:
    folder = mirror(tmp_path)
    f = fetcher(tmp_path, mirrors=(("https://cdn.example.com/audio/", folder),))
    url = "https://cdn.example.com/audio/2026/my%20episode.mp3?utm_source=rss"
    got = f.fetch(url)
    assert got.path == folder / "2026" / "my episode.mp3" and not got.downloaded
    assert got.record.sha256 == sha(EPISODE) and f.index.get(url) == got.record
    assert f.bytes_for(url, sha(EPISODE)) == got.path
    f.discard(got)
    f.discard(got.record.sha256)
    assert got.path.read_bytes() == EPISODE  # never deleted
    assert f.requests_made == 0


def test_a_mirror_path_cannot_escape_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.mp3").write_bytes(WELCOME)
    f = fetcher(tmp_path, mirrors=(("https://cdn.example.com/audio/", mirror(tmp_path)),), mode="mirror")
    assert "outside the mirror folder" in error_of(lambda: f.fetch("https://cdn.example.com/audio/../secret.mp3"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn.example.com/audio/2026/gone.mp3", "the mirror has no file for it (asr.remote: mirror)"),
        ("https://elsewhere.example.com/ep.mp3", "not under any mirror prefix (asr.remote: mirror)"),
    ],
)
def test_mode_mirror_never_downloads(tmp_path: Path, url: str, expected: str) -> None:
    f = fetcher(tmp_path, mirrors=(("https://cdn.example.com/audio/", mirror(tmp_path)),), mode="mirror")
    assert error_of(lambda: f.fetch(url)) == f"{url}: {expected}"
    assert error_of(lambda: f.bytes_for(url, "0" * 64)) == f"{url}: {expected}"
    assert f.requests_made == 0


def test_mode_off_and_non_http_urls(server: AudioServer, tmp_path: Path) -> None:
    url = server.url + "/welcome.mp3"
    f = fetcher(tmp_path, mode="off")
    assert error_of(lambda: f.fetch(url)) == f"{url}: remote audio is off (asr.remote: off)"
    assert error_of(lambda: fetcher(tmp_path).fetch("ftp://x/a.mp3")) == "ftp://x/a.mp3: not an http(s) URL"
    assert server.requests == []
    with pytest.raises(ConfigError, match=r"asr\.remote"):
        options(tmp_path, mode="sometimes")


# ---------------------------------------------------------------- the store


def test_discard_deletes_only_store_copies(server: AudioServer, tmp_path: Path) -> None:
    f = fetcher(tmp_path)
    got = f.fetch(server.url + "/welcome.mp3")
    assert got.path is not None
    kept = fetcher(tmp_path, keep=True)
    kept.discard(got)
    assert got.path.exists()
    f.discard(got)
    assert not got.path.exists()
    f.discard("../../../etc/passwd")  # not a hash: names no store file
    outside = tmp_path / "precious.mp3"
    outside.write_bytes(OGG)
    link = tmp_path / "downloads" / sha(OGG)[:2] / sha(OGG)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    with pytest.raises(PathError, match="outside the download store"):
        f.discard(sha(OGG))
    assert outside.read_bytes() == OGG


def test_bytes_for_verifies_the_store_copy(server: AudioServer, tmp_path: Path) -> None:
    f = fetcher(tmp_path)
    url = server.url + "/welcome.mp3"
    got = f.fetch(url)
    assert got.path is not None
    assert f.bytes_for(url, sha(WELCOME)) == got.path and f.requests_made == 1
    got.path.write_bytes(b"bit rot")
    assert f.bytes_for(url, sha(WELCOME)).read_bytes() == WELCOME  # downloaded again, never served
    f.discard(got)
    assert f.bytes_for(url, sha(WELCOME)).read_bytes() == WELCOME
    assert f.requests_made == 3


# ---------------------------------------------------------------- the index


def test_index_round_trips_as_sorted_indented_text(tmp_path: Path) -> None:
    path = tmp_path / ".jekyll-asr" / "urls.json"
    index = UrlIndex.load(path)
    index.record("https://b.example/2.mp3", UrlRecord(sha(OGG), len(OGG), "ogg"))
    index.record("https://a.example/1.mp3", UrlRecord(sha(WELCOME), 9, "mp3", '"e"', LAST_MODIFIED, 9))
    index.save()
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert text.index("a.example") < text.index("b.example") and '"etag"' not in text.split("b.example")[1]
    loaded = UrlIndex.load(path)
    assert loaded.urls == index.urls and not loaded.dirty
    before = path.stat().st_mtime_ns
    loaded.record("https://a.example/1.mp3", index.urls["https://a.example/1.mp3"])
    loaded.save()
    assert path.stat().st_mtime_ns == before  # unchanged: not rewritten
    loaded.forget_missing({"https://a.example/1.mp3"})
    loaded.save()
    assert list(UrlIndex.load(path).urls) == ["https://a.example/1.mp3"]


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '{"version": 2, "urls": {}}', '{"version": 1}', '{"version": 1, "urls": []}', ""],
)
def test_a_corrupt_index_loads_empty(tmp_path: Path, text: str) -> None:
    path = tmp_path / "urls.json"
    path.write_text(text)
    assert UrlIndex.load(path).urls == {}


def test_malformed_entries_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "urls.json"
    good = UrlRecord(sha(WELCOME), 1, "mp3")
    path.write_text(json.dumps({"version": 1, "urls": {
        "https://x/ok.mp3": good.to_json(),
        "https://x/short.mp3": {"sha256": "abc", "size": 1, "kind": "mp3"},
        "https://x/extra.mp3": good.to_json() | {"colour": "red"},
        "https://x/size.mp3": good.to_json() | {"size": "big"},
        "https://x/list.mp3": [1, 2],
    }}))
    assert UrlIndex.load(path).urls == {"https://x/ok.mp3": good}


# ---------------------------------------------------------------- failures


def test_503_is_retried_with_backoff(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/flaky.mp3"] = Served(WELCOME, fail_first=2)
    f = fetcher(tmp_path, retries=3, backoff=0.01)
    assert f.fetch(server.url + "/flaky.mp3").record.sha256 == sha(WELCOME)
    assert len(server.hits("/flaky.mp3")) == 3 and f.requests_made == 3


def test_503_for_good_names_the_status_and_the_tries(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/down.mp3"] = Served(WELCOME, fail_first=99)
    url = server.url + "/down.mp3"
    assert error_of(lambda: fetcher(tmp_path, retries=1).fetch(url)) == f"{url}: HTTP 503 Service Unavailable (2 tries)"


def test_connection_refused_is_one_line_naming_the_url(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}/ep1.mp3"
    f = fetcher(tmp_path, retries=1)
    assert error_of(lambda: f.fetch(url)) == f"{url}: connection refused (2 tries)"
    assert f.requests_made == 2


def test_no_network_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    url = "https://podcast.example.com/ep1.mp3"
    assert error_of(lambda: fetcher(tmp_path, retries=0).fetch(url)) == f"{url}: no network (cannot resolve host podcast.example.com)"


@pytest.fixture
def invalid_hosts_unresolvable(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*.invalid`` never resolves (RFC 6761), even behind a resolver that answers every name."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("invalid_hosts_unresolvable")
def test_an_unresolvable_host_is_asked_once_for_all_its_urls(server: AudioServer, tmp_path: Path) -> None:
    """Protection: a host that cannot be resolved costs one try per build, not (1 + retries) per URL, and
    every URL on it fails with the same one line; other hosts are untouched. Without it 150 episodes on a
    CDN with no network take minutes of retries and backoff to say "no network" 150 times."""
    dead = [f"https://cdn.nohost.invalid/ep{n}.mp3" for n in range(6)]
    good = server.url + "/welcome.mp3"
    f = fetcher(tmp_path, retries=3, backoff=0.01)
    results = dict(f.fetch_many([*dead, good]))
    assert isinstance(results[good], Fetched) and results[good].record.sha256 == sha(WELCOME)
    assert {u: str(results[u]) for u in dead} == {u: f"{u}: no network (cannot resolve host cdn.nohost.invalid)" for u in dead}
    assert f.requests_made == 2  # one try for the whole unresolvable host, none retried; one for the server


def test_connection_refused_fails_the_rest_of_that_host_at_once(tmp_path: Path) -> None:
    """Protection: once a host refused a URL (after its retries), its other URLs fail at once with the same
    line instead of each spending its own retries. Without it a site of 150 episodes on a host that is down
    waits through 150 rounds of backoff."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    urls = [f"http://127.0.0.1:{port}/ep{n}.mp3" for n in range(5)]
    f = fetcher(tmp_path, retries=1, backoff=0.01)
    results = dict(f.fetch_many(urls))
    assert {u: str(results[u]) for u in urls} == {u: f"{u}: connection refused (2 tries)" for u in urls}
    assert f.requests_made == 2  # the first URL's try and its one retry; the rest not sent


def test_retries_leave_one_line_per_url_even_quiet(server: AudioServer, tmp_path: Path) -> None:
    """Protection: urllib3's own log lines (``Retrying (CountingRetry(total=2, ...)) after connection broken``)
    never reach the terminal: a failed URL is one ``error:`` line, with ``-q`` too. Without it each URL adds
    three lines of library internals on top of its error, and ``-q`` does not silence them."""
    from .integrity import cli

    def hang_up(handler: Any) -> None:  # no answer at all: the client sees the connection closed, and retries
        handler.close_connection = True

    server.routes["/drop.mp3"] = hang_up
    dropped, unresolvable = server.url + "/drop.mp3", "https://cdn.nohost.invalid/ep1.mp3"
    config = f"title: T\nasr:\n  model: tiny.en\n  downloads_dir: {tmp_path / 'downloads'}\n"
    posts = {f"_posts/2026-01-0{n}-ep{n}.md": f"---\ntitle: Ep {n}\naudio: {url}\n---\nNotes.\n" for n, url in ((1, dropped), (2, unresolvable))}
    site = make_site(tmp_path / "site", {"_config.yml": config, **posts})
    proc = cli(site, "-q")
    lines = (proc.stdout + proc.stderr).splitlines()
    assert proc.returncode == 1
    assert len(server.hits("/drop.mp3")) > 1  # it was retried: the lines below are what is left of it
    errors = sorted(line for line in lines if line.startswith("error:"))
    assert errors == [
        f"error: {dropped}: the server closed the connection without answering (4 tries) (linked from _posts/2026-01-01-ep1.md)",
        f"error: {unresolvable}: no network (cannot resolve host cdn.nohost.invalid) (linked from _posts/2026-01-02-ep2.md)",
    ]
    assert len(lines) == 3 and lines[2].startswith("jekyll-asr: ") and "2 failed" in lines[2], lines


def test_tls_error(server: AudioServer, tmp_path: Path) -> None:
    url = server.url.replace("http://", "https://") + "/welcome.mp3"
    assert error_of(lambda: fetcher(tmp_path).fetch(url)).startswith(f"{url}: TLS error: ")


def test_slow_body_and_slow_headers_time_out(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/slow.mp3"] = Served(WELCOME[:20000], delay=0.4)
    server.routes["/stuck.mp3"] = Served(WELCOME, header_delay=0.4)
    f = fetcher(tmp_path, timeout=0.15, retries=1)
    slow, stuck = server.url + "/slow.mp3", server.url + "/stuck.mp3"
    message = error_of(lambda: f.fetch(slow))
    assert re.fullmatch(rf"{re.escape(slow)}: timed out after 0\.15 s at \d+ bytes, 2 tries; build again to resume", message)
    assert error_of(lambda: f.fetch(stuck)) == f"{stuck}: timed out after 0.15 s (2 tries)"


def test_not_audio_is_refused_and_not_kept(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/text.mp3"] = Served((FIXTURES / "not-audio.mp3").read_bytes(), content_type="application/octet-stream")
    url = server.url + "/text.mp3"
    f = fetcher(tmp_path)
    assert error_of(lambda: f.fetch(url)) == f"{url}: the server sent something that is not audio (application/octet-stream, 25 bytes)"
    assert leftovers(tmp_path) == [] and f.index.urls == {}


@pytest.mark.parametrize("length", [True, False])
def test_larger_than_max_bytes(server: AudioServer, tmp_path: Path, length: bool) -> None:
    server.routes["/big.mp3"] = Served(EPISODE, length=length)
    url = server.url + "/big.mp3"
    message = error_of(lambda: fetcher(tmp_path, max_bytes=100_000).fetch(url))
    assert message.startswith(f"{url}: larger than the 100000-byte limit")
    assert leftovers(tmp_path) == []
    assert RemoteOptions(tmp_path).max_bytes == 2048 << 20


# ---------------------------------------------------------------- resuming


def test_a_dropped_body_is_resumed_with_a_range_request(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/drop.mp3"] = Served(EPISODE, drop_first=1)
    got = fetcher(tmp_path, retries=1).fetch(server.url + "/drop.mp3")
    assert got.record.sha256 == sha(EPISODE) and got.path is not None and got.path.read_bytes() == EPISODE
    first, second = server.hits("/drop.mp3")
    assert "range" not in first.headers
    resumed_at(second)
    assert second.headers["if-range"] == etag_of(EPISODE)


def test_the_next_build_resumes_a_partial_download(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/drop.mp3"] = Served(EPISODE, drop_first=1)
    url = server.url + "/drop.mp3"
    message = error_of(lambda: fetcher(tmp_path, retries=0).fetch(url))
    kept = sum(p.stat().st_size for p in leftovers(tmp_path) if p.suffix == ".part")
    assert message == f"{url}: connection dropped at {kept} bytes; build again to resume"
    got = fetcher(tmp_path, retries=0).fetch(url)
    assert got.record.sha256 == sha(EPISODE)
    assert resumed_at(server.hits("/drop.mp3")[1]) == kept


def test_resume_against_last_modified_when_the_etag_is_weak(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/weak.mp3"] = Served(EPISODE, drop_first=1, weak_etag=True)
    assert fetcher(tmp_path, retries=1).fetch(server.url + "/weak.mp3").record.sha256 == sha(EPISODE)
    assert server.hits("/weak.mp3")[1].headers["if-range"] == LAST_MODIFIED


@pytest.mark.parametrize("ranges", ["ignore", "wrong"])
def test_a_server_that_cannot_resume_is_read_from_the_start(server: AudioServer, tmp_path: Path, ranges: str) -> None:
    server.routes["/norange.mp3"] = Served(EPISODE, drop_first=1, ranges=ranges)
    got = fetcher(tmp_path, retries=2).fetch(server.url + "/norange.mp3")
    assert got.record.sha256 == sha(EPISODE) and got.path is not None and got.path.read_bytes() == EPISODE
    hits = server.hits("/norange.mp3")
    resumed_at(hits[1])
    if ranges == "wrong":  # a 206 for another range: dropped, and asked again without Range
        assert len(hits) == 3 and "range" not in hits[2].headers
    else:  # a 200 to the Range request: that body is the whole file
        assert len(hits) == 2


def test_stopping_fetch_many_stops_the_downloads(server: AudioServer, tmp_path: Path) -> None:
    server.routes["/long.mp3"] = Served(EPISODE, delay=0.02)  # about 2.5 s for the whole file
    f = fetcher(tmp_path, concurrency=2)
    results = f.fetch_many([server.url + "/welcome.mp3", server.url + "/long.mp3"])
    assert next(results)[0] == server.url + "/welcome.mp3"
    started = time.monotonic()
    results.close()  # the caller stops iterating (Ctrl-C, or an error of its own)
    assert time.monotonic() - started < 1.5
    assert [p.suffix for p in leftovers(tmp_path)] in ([".json", ".part"], [".part", ".json"])  # kept for a resume


def test_importing_the_module_does_not_import_requests() -> None:
    code = "import sys, jekyll_asr.remote; sys.exit('requests' in sys.modules or 'urllib3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # a no-op build stays cheap


def test_the_fetch_counter_counts_only_what_was_fetched(server: AudioServer, tmp_path: Path) -> None:
    """Protection: the ``fetched N/M`` progress line counts downloads that succeeded, so it never says
    ``fetched 179/179`` while 178 failed. Without it every failure advances the count, and the one line a
    user watches reports a complete download of an archive that mostly failed."""
    from jekyll_asr.build import Progress, build, word_settings
    from jekyll_asr.cache import TranscriptCache, settings_key
    from jekyll_asr.config import load_settings
    from jekyll_asr.state import candidate_engines
    from jekyll_asr.transcript import AudioTags, Segment, Transcript

    clip = (FIXTURES / "cards-001.wav").read_bytes()
    server.routes["/zz-ok.wav"] = Served(clip, content_type="audio/wav")
    urls = [f"{server.url}/gone{n}.mp3" for n in range(8)] + [server.url + "/zz-ok.wav"]  # 404s first, a round of their own
    config = f"title: T\nasr:\n  model: tiny.en\n  language: en\n  downloads_dir: {tmp_path / 'downloads'}\n"
    posts = {f"_posts/2026-01-{n + 1:02d}-ep{n}.md": f"---\ntitle: Ep {n}\naudio: {url}\n---\nNotes.\n" for n, url in enumerate(urls)}
    site = make_site(tmp_path / "site", {"_config.yml": config, **posts})
    settings = load_settings(site)
    engine, _ = candidate_engines(settings)
    ws = word_settings(settings, engine, None)  # its transcript cached: the fetched file needs no model
    transcript = Transcript((Segment(0.0, 1.5, "ten of clubs"),), "en", 1.5, settings.model, engine)
    TranscriptCache(settings.cache_path).put(sha(clip), settings_key(ws), ws, transcript, AudioTags())
    said: list[tuple[str, int, int, int]] = []
    report = build(settings, progress=Progress(fetched=lambda *args: said.append(args)), say=lambda m: None)
    assert sorted(f.path for f in report.failed) == urls[:8] and not report.model_loaded
    assert said == [(server.url + "/zz-ok.wav", len(clip), 1, 9)]  # 1 of 9 fetched, not "9/9"
