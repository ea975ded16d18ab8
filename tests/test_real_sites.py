"""New-user runs on site skeletons modelled on real Jekyll podcast sites (tests/real_sites.py).

Each site is built in a temp dir with no `asr:` block in its `_config.yml`, remote audio is served by a
local HTTP server, and `jekyll_asr.build` runs with the bundled tiny.en. A build must link every
document to the audio it already uses, leave every other file byte for byte, report broken references
and Git LFS pointers, and a second build must do nothing (no transcription, no HTTP request). The quick
tests check the corpus, the server and that Jekyll builds each site without the tool.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import urllib.error
import urllib.request
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from tests.audioserver import AudioServer, Request, Served
from tests.real_sites import REMOTE, SPECS, SiteSpec
from tests.sitefactory import FIXTURES, Fixture, make_site
from tests.test_jekyll import jekyll_build, need

IDS = [spec.name for spec in SPECS]
TOOL_DIRS = ("_includes/transcripts/", "assets/transcripts/", ".jekyll-asr/")
NEVER_COMPARED = ("_site/", ".jekyll-cache/", ".jekyll-asr/local/")
OUTSIDE_STATE = ("_site/", ".jekyll-cache/", ".jekyll-asr/")  # the site and the generated files, not the tool's own state
README = Path(__file__).resolve().parents[1] / "README.md"
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
AUDIO_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".wav": "audio/wav"}


# ---- the remote audio host ------------------------------------------------------------------


def content_type(path: str) -> str:
    suffix = Path(unquote(path)).suffix.lower()
    return AUDIO_TYPES.get(suffix, "text/html; charset=utf-8" if suffix == ".html" else "application/octet-stream")


@contextmanager
def remote_host(spec: SiteSpec) -> Iterator[AudioServer]:
    """The spec's remote files on tests/audioserver.py, each with the Content-Type of its extension."""
    with AudioServer() as host, pytest.MonkeyPatch.context() as mp:
        for path, name in spec.remote.items():
            host.routes[unquote(path)] = Served((FIXTURES / name).read_bytes(), content_type=content_type(path))
        for var in ("NO_PROXY", "no_proxy"):  # a proxy in the environment must not catch 127.0.0.1
            mp.setenv(var, ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"])))
        yield host


# ---- sites, snapshots, front matter ----------------------------------------------------------


def site_files(spec: SiteSpec, base: str) -> dict[str, str | Fixture]:
    """The spec's files with `{REMOTE}` replaced by the server's base URL (fixtures copied as they are)."""
    return {path: content if isinstance(content, Fixture) else content.replace(REMOTE, base) for path, content in spec.files.items()}


def snapshot(site: Path, skip: tuple[str, ...] = NEVER_COMPARED) -> dict[str, bytes]:
    files = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and not any(rel.startswith(s) for s in skip):
            files[rel] = path.read_bytes()
    return files


def split_front_matter(text: str) -> tuple[dict, str]:
    m = FRONT_MATTER.match(text)
    if m is None:
        return {}, text
    return (yaml.safe_load(m.group(1)) or {}), text[m.end() :]


def site_config(site: Path) -> dict:
    return yaml.safe_load((site / "_config.yml").read_text(encoding="utf-8")) or {}


# ---- reading a `transcript:` value (adapt here when the value's shape changes) ---------------


def linked_audio(transcript: dict, *, baseurl: str, site_url: str) -> set[str]:
    """The audio a `transcript:` value says its document uses, normalised for comparison.

    Reads `audio` (a string, a list, or a mapping such as `{mp3: ..., ogg: ...}`), the keys that may
    list other encodings of the same recording (`alternates`, `sources`, `encodings`, `formats`) and,
    for a document made of several recordings, the same keys of each entry of `parts:`. Site paths
    lose a leading `/`, the site's baseurl and its own `url`; everything is percent-decoded.
    """
    found: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            named = [value[k] for k in ("audio", "url", "src", "path", "file") if k in value]
            for item in named or [v for v in value.values() if isinstance(v, str) and "." in v]:
                collect(item)

    def collect_entry(entry: dict) -> None:
        for key in ("audio", "alternates", "sources", "encodings", "formats"):
            collect(entry.get(key))

    collect_entry(transcript)
    for part in transcript.get("parts") or []:
        collect_entry(part) if isinstance(part, dict) else collect(part)
    return {normalise_reference(ref, baseurl=baseurl, site_url=site_url) for ref in found}


def normalise_reference(ref: str, *, baseurl: str, site_url: str) -> str:
    ref = ref.strip()
    if site_url and ref.startswith(site_url.rstrip("/") + "/"):
        ref = ref[len(site_url.rstrip("/")) :]
    if re.match(r"https?://", ref):
        return unquote(ref)
    ref = unquote(ref).lstrip("/")
    base = baseurl.strip("/")
    if base and ref.startswith(base + "/"):
        ref = ref[len(base) + 1 :]
    return ref


def transcript_entries(transcript: dict) -> list[dict]:
    """The value itself and each of its `parts:` (where includes and languages may sit)."""
    parts = [p for p in transcript.get("parts") or [] if isinstance(p, dict)]
    return [transcript, *parts]


# ---- one build per site, shared by the slow tests --------------------------------------------


@dataclass
class Built:
    spec: SiteSpec
    site: Path
    base: str
    before: dict[str, bytes]
    after: dict[str, bytes]
    everything_after_first: dict[str, bytes]
    everything_after_second: dict[str, bytes]
    first: object  # jekyll_asr Report
    second: object
    first_requests: list[Request]
    second_requests: list[Request]

    def expected(self, doc: str) -> set[str]:
        config = site_config(self.site)
        refs = [ref.replace(REMOTE, self.base) for ref in self.spec.expected[doc]]
        return {normalise_reference(ref, baseurl=str(config.get("baseurl") or ""), site_url="") for ref in refs}


_BUILT: dict[str, Built] = {}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory):
    """`built_site(spec)`: the spec's site after two `jekyll_asr.build` runs (made once per session)."""
    # not `from jekyll_asr import build`: that name is shadowed by the submodule jekyll_asr.build
    from jekyll_asr.build import build
    from jekyll_asr.config import load_settings

    def get(spec: SiteSpec) -> Built:
        if spec.name not in _BUILT:
            with remote_host(spec) as host:
                site = make_site(tmp_path_factory.mktemp(spec.name) / "site", site_files(spec, host.url))
                before = snapshot(site, NEVER_COMPARED + TOOL_DIRS)
                first = build(load_settings(site, {"model": "tiny.en"}))
                after, everything = snapshot(site, NEVER_COMPARED + TOOL_DIRS), snapshot(site, OUTSIDE_STATE)
                n = host.count()  # the requests of the first build; the rest are the second's
                second = build(load_settings(site, {"model": "tiny.en"}))
                _BUILT[spec.name] = Built(
                    spec, site, host.url, before, after, everything, snapshot(site, OUTSIDE_STATE), first, second, host.requests[:n], host.requests[n:]
                )
        return _BUILT[spec.name]

    return get


def _report_lines(report) -> list[str]:
    return [f"{f.path}: {f.error}" for f in report.failed] + [str(w) for w in report.warnings]


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_document_is_linked_to_the_audio_it_uses(spec: SiteSpec, built_site) -> None:
    b = built_site(spec)
    config = site_config(b.site)
    baseurl, site_url = str(config.get("baseurl") or ""), str(config.get("url") or "")
    problems = []
    for doc in spec.expected:
        meta, _ = split_front_matter((b.site / doc).read_text(encoding="utf-8"))
        value = meta.get("transcript")
        if not isinstance(value, dict):
            problems.append(f"{doc}: no `transcript:` key (got {value!r})")
            continue
        linked = linked_audio(value, baseurl=baseurl, site_url=site_url)
        if linked != b.expected(doc):
            problems.append(f"{doc}: linked to {sorted(linked)}, expected {sorted(b.expected(doc))}")
        recordings = [e for e in transcript_entries(value) if e.get("audio")]
        if doc in spec.parts and (not value.get("parts") or len(recordings) != len(spec.expected[doc])):
            problems.append(f"{doc}: {len(spec.expected[doc])} recordings, expected under `parts:`; got {value!r}")
        includes = [e["include"] for e in transcript_entries(value) if e.get("include")]
        if not includes or not all((b.site / "_includes" / inc).is_file() for inc in includes):
            problems.append(f"{doc}: include(s) {includes!r} not all under _includes/")
        languages = {str(e["language"]).replace("_", "-").split("-")[0].lower() for e in transcript_entries(value) if e.get("language")}
        if languages != {spec.language}:
            problems.append(f"{doc}: language {languages or None}, expected {spec.language!r}")
    assert not problems, "\n".join([*problems, "report:", *_report_lines(b.first)])


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_files_other_than_the_linked_documents_are_untouched(spec: SiteSpec, built_site) -> None:
    b = built_site(spec)
    changed = sorted(p for p in b.before if p not in spec.expected and b.after.get(p) != b.before[p])
    added = sorted(set(b.after) - set(b.before))
    bodies = sorted(
        doc for doc in spec.expected
        if split_front_matter(b.after[doc].decode("utf-8"))[1] != split_front_matter(b.before[doc].decode("utf-8"))[1]
    )
    assert (changed, added, bodies) == ([], [], []), f"changed {changed}, new files {added}, document bodies changed {bodies}"


@pytest.mark.slow
@pytest.mark.parametrize("spec", [s for s in SPECS if s.problems], ids=[s.name for s in SPECS if s.problems])
def test_broken_references_and_lfs_pointers_are_reported(spec: SiteSpec, built_site) -> None:
    b = built_site(spec)
    lines = _report_lines(b.first)
    for doc, needle in spec.problems.items():
        assert any(Path(doc).name in line and needle in line for line in lines), f"{doc} ({needle!r}) not in {lines}"
        assert b.after[doc] == b.before[doc]


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_a_working_site_gets_no_false_alarm(spec: SiteSpec, built_site) -> None:
    """Only the planted problems fail (exit 1); a page's ordinary web link is not an error."""
    b = built_site(spec)
    needles = [n for n in spec.problems.values() if n]
    unexpected = [
        f"{f.path}: {f.error}" for f in b.first.failed
        if f.path not in spec.problems and not any(n in f.error for n in needles)
    ]
    assert unexpected == []


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_second_build_transcribes_nothing_and_makes_no_request(spec: SiteSpec, built_site) -> None:
    b = built_site(spec)
    assert b.second.transcribed == []
    assert b.second_requests == [], b.second_requests
    changed = sorted(p for p in set(b.everything_after_first) | set(b.everything_after_second)
                     if b.everything_after_first.get(p) != b.everything_after_second.get(p))
    assert changed == []
    if spec.remote:
        assert any(r.method == "GET" for r in b.first_requests), "the first build fetched no remote audio"


# ---- what a visitor sees ---------------------------------------------------------------------


def page_text(markup: str) -> str:
    markup = re.sub(r"\{%-?\s*(end)?raw\s*-?%\}", "", markup)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def transcript_phrase(include: Path) -> str:
    """A few words of the transcript's first paragraph, as a page would show them."""
    for paragraph in re.findall(r"<p\b[^>]*>(.*?)</p>", include.read_text(encoding="utf-8"), re.DOTALL):
        words = re.sub(r"\[\d+(:\d+)+\]", " ", page_text(paragraph)).split()
        if len(words) >= 3:
            return " ".join(words[:4])
    raise AssertionError(f"{include}: no transcript paragraph")


def readme_layout_snippet() -> str:
    """What the README tells a user to put in a layout ("In a layout: `...`")."""
    found = re.search(r"In a layout: `([^`]+)`", README.read_text(encoding="utf-8"))
    assert found, "README.md no longer says what to put in a layout"
    return found.group(1)


def add_layout_snippet(site: Path, layout: str) -> None:
    path = site / layout
    text = path.read_text(encoding="utf-8")
    assert "{{ content }}" in text, layout
    path.write_text(text.replace("{{ content }}", "{{ content }}\n" + readme_layout_snippet(), 1), encoding="utf-8")


def built_pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): page_text(p.read_text(encoding="utf-8", errors="replace")) for p in (site / "_site").rglob("*.html")}


def page_showing(pages: dict[str, str], title: str) -> list[str]:
    title = page_text(str(title))
    return [path for path, text in pages.items() if title in text]


def published(doc: str) -> bool:
    return not doc.startswith("_drafts/")


@pytest.mark.jekyll
@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jekyll_shows_the_transcript_on_each_episode_page(spec: SiteSpec, built_site, tmp_path: Path) -> None:
    need("jekyll")
    b = built_site(spec)
    plain = make_site(tmp_path / "plain", site_files(spec, b.base))
    add_layout_snippet(plain, spec.episode_layout)
    assert jekyll_build(plain).returncode == 0
    site = tmp_path / "with-transcripts"
    shutil.copytree(b.site, site, ignore=shutil.ignore_patterns("_site", ".jekyll-cache"))
    add_layout_snippet(site, spec.episode_layout)
    done = jekyll_build(site)
    assert done.returncode == 0, done.stdout + done.stderr
    # every page the site had without the tool still builds
    missing = {p.relative_to(plain).as_posix() for p in (plain / "_site").rglob("*")} - {p.relative_to(site).as_posix() for p in (site / "_site").rglob("*")}
    assert not missing, missing
    pages = built_pages(site)
    for doc in filter(published, spec.expected):
        meta, _ = split_front_matter((site / doc).read_text(encoding="utf-8"))
        assert isinstance(meta.get("transcript"), dict), f"{doc}: not linked, nothing to show"
        shown = list(page_showing(pages, meta["title"]))
        for n, entry in enumerate(transcript_entries(meta["transcript"])):
            if entry.get("include"):
                phrase = transcript_phrase(site / "_includes" / entry["include"])
                what = "its transcript" if n == 0 else f"part {n + 1}'s transcript (the README's layout snippet shows only `transcript.include`)"
                assert any(phrase in pages[p] for p in shown), f"{doc}: {what}, {phrase!r}, is not on its page {shown}"


# ---- quick checks of the corpus, the server and the sites themselves ------------------------


def _seconds(name: str) -> float:
    if name.endswith(".wav"):
        with wave.open(str(FIXTURES / name)) as w:
            return w.getnframes() / w.getframerate()
    import mutagen

    found = mutagen.File(FIXTURES / name)
    return found.info.length if found is not None else 0.0


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_spec_is_a_consistent_site(spec: SiteSpec) -> None:
    files = site_files(spec, "http://127.0.0.1:9")
    config = yaml.safe_load(files["_config.yml"])
    assert "asr" not in config, "a new user's site has no asr: block"
    documents = {}
    for path, content in files.items():
        assert "asr/transcript.html" not in content and "page.transcript" not in content, path
        if isinstance(content, Fixture):
            assert (FIXTURES / content).is_file(), content
        elif path.endswith((".md", ".markdown", ".html")) and content.startswith("---"):
            documents[path] = split_front_matter(content)[0]  # parses: valid YAML after {REMOTE} is in place
    for doc, refs in spec.expected.items():
        assert doc in documents, doc
        for ref in refs:
            if ref.startswith(REMOTE):
                assert ref[len(REMOTE) :] in spec.remote, ref
            else:
                assert isinstance(files.get(ref), Fixture), f"{doc}: {ref} is not an audio file of the site"
    assert set(spec.problems) <= set(documents) and not set(spec.problems) & set(spec.expected)
    assert spec.parts <= set(spec.expected)
    assert "{{ content }}" in files[spec.episode_layout]
    assert set(documents) - set(spec.expected) - set(spec.problems), "a site also has documents without audio"
    audio = [c for c in files.values() if isinstance(c, Fixture)] + [n for n in spec.remote.values() if n.endswith(tuple(AUDIO_TYPES))]
    seconds = sum(_seconds(name) for name in audio)
    assert seconds < 100, f"{seconds:.0f} s of audio: keep the sites short"


def test_corpus_covers_the_shapes_real_sites_use() -> None:
    keys, remote_sites, baseurl_sites, collection_sites, lfs, broken = set(), 0, 0, 0, 0, 0
    for spec in SPECS:
        files = site_files(spec, "http://127.0.0.1:9")
        config = yaml.safe_load(files["_config.yml"])
        for doc in spec.expected:
            keys |= set(split_front_matter(files[doc])[0])
        remote_sites += bool(spec.remote)
        baseurl_sites += str(config.get("baseurl") or "").strip("/") != ""
        collection_sites += any(isinstance(c, dict) and c.get("output") for c in (config.get("collections") or {}).values())
        lfs += any("git lfs pull" in needle for needle in spec.problems.values())
        broken += any(needle == "" for needle in spec.problems.values())
    assert {"audio", "file", "filename", "media", "mp3", "link", "podcast_link", "enclosure", "podcast", "audio_files"} <= keys
    assert remote_sites >= 3 and baseurl_sites >= 1 and collection_sites >= 1 and lfs >= 1 and broken >= 1
    assert len(SPECS) >= 8


def test_remote_host_serves_bytes_ranges_and_counts_requests() -> None:
    spec = next(s for s in SPECS if any("%20" in p for p in s.remote))
    path, name = next((p, n) for p, n in spec.remote.items() if "%20" in p)
    data = (FIXTURES / name).read_bytes()
    with remote_host(spec) as host:
        url = host.url + path
        with urllib.request.urlopen(url, timeout=10) as r:
            assert (r.status, r.read(), r.headers["Content-Type"]) == (200, data, "audio/mpeg")
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as r:
            assert (r.status, r.headers["Content-Length"], r.read()) == (200, str(len(data)), b"")
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-109"}), timeout=10) as r:
            assert (r.status, r.read(), r.headers["Content-Range"]) == (206, data[10:110], f"bytes 10-109/{len(data)}")
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=-16"}), timeout=10) as r:
            assert r.read() == data[-16:]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(host.url + "/no/such.mp3", timeout=10)
        assert missing.value.code == 404
        assert [(r.method, unquote(r.path)) for r in host.requests] == [
            ("GET", unquote(path)), ("HEAD", unquote(path)), ("GET", unquote(path)), ("GET", unquote(path)), ("GET", "/no/such.mp3")
        ]


@pytest.mark.jekyll
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_jekyll_builds_the_site_without_the_tool(spec: SiteSpec, tmp_path: Path) -> None:
    need("jekyll")
    site = make_site(tmp_path / "site", site_files(spec, "http://127.0.0.1:9"))
    add_layout_snippet(site, spec.episode_layout)  # harmless on pages without a transcript
    done = jekyll_build(site)
    assert done.returncode == 0, done.stdout + done.stderr
    pages = built_pages(site)
    for doc in filter(published, spec.expected):
        title = split_front_matter((site / doc).read_text(encoding="utf-8"))[0]["title"]
        assert page_showing(pages, title), f"{doc}: no page shows {title!r}"
