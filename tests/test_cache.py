import json
from pathlib import Path

import pytest

from jekyll_asr.cache import TranscriptCache, settings_key
from jekyll_asr.transcript import AudioTags, Chapter, Segment, Transcript, Word

T = Transcript((Segment(0.0, 1.5, "Hello there."), Segment(2.0, 3.0, "Bye.")), "en", 3.2, "tiny.en", "transformers")
TAGS = AudioTags(title="Ep", chapters=(Chapter(0.0, "Intro"),))
SHA = "ab" * 32


def test_round_trip_and_key(tmp_path: Path) -> None:
    cache = TranscriptCache(tmp_path)
    words = {"model": "m", "engine": "transformers", "decode": {"beam_size": 5}}
    key = settings_key(words)
    assert settings_key({**words, "decode": {"beam_size": 1}}) != key
    assert cache.get(SHA, key) is None
    path = cache.put(SHA, key, words, T, TAGS)
    assert path.parent.name == "ab"
    entry = cache.get(SHA, key)
    assert entry.transcript == T and entry.tags == TAGS and entry.settings == words


def test_corrupt_or_tampered_entries_are_not_served(tmp_path: Path) -> None:
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    data = json.loads(path.read_text())
    data["transcript"]["segments"][0]["text"] = "Tampered."
    path.write_text(json.dumps(data))
    assert cache.get(SHA, key) is None and path in cache.corrupt
    path.write_text(path.read_text()[:40])  # truncated
    assert cache.get(SHA, key) is None


def _rewrite(path: Path, change) -> None:
    """Edit an entry the way a person (or a script) would, checksum recomputed so it still matches."""
    import hashlib

    data = json.loads(path.read_text())
    change(data)
    body = {k: v for k, v in data.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(data))


def test_checksum_catches_damage_not_deliberate_edits(tmp_path: Path) -> None:
    """Protection (and its limit, on purpose): the checksum refuses an entry damaged by a disk, a
    bad merge or a cut-off copy. It is not a signature: the cache is committed with the site, and
    whoever can edit it can edit the posts too, so a well-formed edit whose checksum was recomputed
    is served. Without this test a change that made the checksum look like a signature (or dropped
    it) would go unnoticed."""
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    _rewrite(path, lambda d: d["transcript"]["segments"][0].update(text="Edited."))
    entry = cache.get(SHA, key)
    assert entry is not None and entry.transcript.segments[0].text == "Edited." and cache.corrupt == []


def _set(*where: str | int, value):
    def change(data) -> None:
        target = data
        for step in where[:-1]:
            target = target[step]
        target[where[-1]] = value

    return change


INVALID = {  # what a hand edit or a buggy tool can leave, with a checksum that matches
    "start not a number": (_set("transcript", "segments", 0, "start", value="0.0"), "segment 1: start"),
    "start a boolean": (_set("transcript", "segments", 0, "start", value=True), "segment 1: start"),
    "negative start": (_set("transcript", "segments", 0, "start", value=-1.0), "segment 1: start"),
    "start after end": (_set("transcript", "segments", 1, "start", value=3.5), "segment 2: starts after it ends"),
    "huge time": (_set("transcript", "segments", 1, "end", value=1e300), "segment 2: end"),
    "text not a string": (_set("transcript", "segments", 0, "text", value=["x"]), "segment 1: text"),
    "text too long": (_set("transcript", "segments", 0, "text", value="x" * 100_001), "segment 1: text"),
    "segment not a mapping": (_set("transcript", "segments", 0, value="Hello"), "segment 1"),
    "segments not a list": (_set("transcript", "segments", value={"0": 1}), "segments"),
    "language not a code": (_set("transcript", "language", value="<script>"), "language"),
    "negative duration": (_set("transcript", "duration", value=-3.2), "duration"),
    "model not a string": (_set("transcript", "model", value=None), "model"),
    "tag title not a string": (_set("tags", "title", value=7), "title"),
    "chapter start negative": (_set("tags", "chapters", 0, "start", value=-5), "chapter 1: start"),
    "settings not a mapping": (_set("settings", value=[1]), "settings"),
    "format a string": (_set("format", value="1"), "format"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_entry_is_refused_even_with_a_matching_checksum(tmp_path: Path, case: str) -> None:
    """Protection: TranscriptCache._read checks every field's type and range, not only the
    checksum. Without it an entry edited by hand (or written by a buggy version) with its checksum
    recomputed is served, and a wrong type or an impossible time crashes the build or gives
    captions that end before they start."""
    change, reason = INVALID[case]
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    _rewrite(path, change)
    assert cache.get(SHA, key) is None
    assert cache.corrupt == [path]
    assert reason in cache.reasons[path] and "\n" not in cache.reasons[path], cache.reasons[path]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_times_are_refused(tmp_path: Path, constant: str) -> None:
    """Protection: the cache reads NaN and Infinity (which Python's json accepts, though JSON has
    neither) as an invalid entry. Without it a ``NaN`` time reaches the caption writers and the
    whole build crashes (``cannot convert float NaN to integer``) instead of re-transcribing one file."""
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    _rewrite(path, _set("transcript", "segments", 1, "end", value=float(constant.lstrip("-").replace("Infinity", "inf"))))
    text = path.read_text()
    assert ("NaN" if constant == "NaN" else "Infinity") in text  # what json.dumps writes, as an editor could
    assert cache.get(SHA, key) is None and cache.corrupt == [path]
    assert "NaN" in cache.reasons[path] or "Infinity" in cache.reasons[path]


def test_an_oversized_entry_is_refused_without_reading_it(tmp_path: Path) -> None:
    """Protection: an entry over the size limit is refused before it is read. Without it a huge
    file under the cache folder (a mistake, or a pull request) is read whole into memory."""
    from jekyll_asr import cache as cache_mod

    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    with open(path, "ab") as f:
        f.truncate(cache_mod.MAX_ENTRY_BYTES + 1)
    assert cache.get(SHA, key) is None and cache.corrupt == [path]
    assert "too large" in cache.reasons[path]


def test_put_refuses_what_get_would_refuse(tmp_path: Path) -> None:
    """Protection: ``put`` checks an entry with the same rules as ``get`` before writing it.
    Without it an engine that gave an impossible time would store an entry that every later build
    refuses and transcribes again, for ever."""
    from jekyll_asr.errors import CacheError

    cache = TranscriptCache(tmp_path)
    bad = Transcript((Segment(2.0, 1.0, "Backwards."),), "en", 3.0, "tiny.en", "transformers")
    with pytest.raises(CacheError, match="segment 1: starts after it ends"):
        cache.put(SHA, settings_key({"x": 1}), {"x": 1}, bad, TAGS)
    assert list(cache.entries()) == []


# ---------------------------------------------------------------- words, speakers and languages (optional fields)

TW = Transcript(
    (
        Segment(0.0, 1.5, "Hello there.", (Word(0.0, 0.6, " Hello", 0.91), Word(0.7, 1.5, " there.", None)), speaker="1"),
        Segment(2.0, 3.0, "Tschüss.", (Word(2.0, 3.0, " Tschüss.", 0.5),), speaker="2", language="de"),
    ),
    "en",
    3.2,
    "base",
    "faster-whisper",
)


def test_words_speakers_and_languages_round_trip(tmp_path: Path) -> None:
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, TW, TAGS)
    text = path.read_text()
    assert '\n     [0.7, 1.5, " there.", null]\n' in text and '[2.0, 3.0, " Tschüss.", 0.5]\n' in text  # a word a line
    stored = json.loads(text)["transcript"]["segments"]
    assert stored[0]["words"] == [[0.0, 0.6, " Hello", 0.91], [0.7, 1.5, " there.", None]]
    assert stored[1]["language"] == "de" and "language" not in stored[0]
    entry = cache.get(SHA, key)
    assert entry is not None and entry.transcript == TW


def test_an_entry_from_before_words_reads_and_writes_back_byte_identical(tmp_path: Path) -> None:
    """Protection: an entry written before words, speakers and languages were kept (no such keys) is
    still served, and writing what was read gives the same bytes. Without it every cached transcript
    of a site would be refused (or rewritten, a diff in every commit) after the upgrade."""
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, T, TAGS)
    before = path.read_bytes()
    assert b'"words"' not in before and b'"speaker"' not in before
    entry = cache.get(SHA, key)
    assert entry is not None and all(s.words == () and s.language is None for s in entry.transcript.segments)
    path.unlink()
    assert cache.put(SHA, key, entry.settings, entry.transcript, entry.tags).read_bytes() == before


WORD_INVALID = {
    "words not a list": (_set("transcript", "segments", 0, "words", value="Hello"), "segment 1: words is not a list"),
    "word too short": (_set("transcript", "segments", 0, "words", 0, value=[0.0, 0.6, " Hello"]), "segment 1: word 1 is"),
    "word start a string": (_set("transcript", "segments", 0, "words", 1, 0, value="0.7"), "segment 1: word 2 start"),
    "word ends first": (_set("transcript", "segments", 0, "words", 1, 0, value=1.6), "segment 1: word 2 starts after"),
    "word negative end": (_set("transcript", "segments", 1, "words", 0, 1, value=-1), "segment 2: word 1 end"),
    "word text a number": (_set("transcript", "segments", 1, "words", 0, 2, value=3), "segment 2: word 1 text"),
    "probability over 1": (_set("transcript", "segments", 0, "words", 0, 3, value=1.5), "word 1 probability"),
    "probability a bool": (_set("transcript", "segments", 0, "words", 0, 3, value=True), "word 1 probability"),
    "speaker a number": (_set("transcript", "segments", 0, "speaker", value=1), "segment 1: speaker"),
    "language empty": (_set("transcript", "segments", 1, "language", value=""), "segment 2: language"),
    "language not a code": (_set("transcript", "segments", 1, "language", value="German!"), "segment 2: language"),
}


@pytest.mark.parametrize("case", list(WORD_INVALID))
def test_an_invalid_word_speaker_or_language_is_refused(tmp_path: Path, case: str) -> None:
    """Protection: the optional fields are checked like the others when present. Without it a
    hand-edited word time of -1 or a probability of 1.5 reaches the caption writers and the page's
    word highlighting instead of the entry being transcribed again."""
    change, reason = WORD_INVALID[case]
    cache = TranscriptCache(tmp_path)
    key = settings_key({"x": 1})
    path = cache.put(SHA, key, {"x": 1}, TW, TAGS)
    _rewrite(path, change)
    assert cache.get(SHA, key) is None and cache.corrupt == [path]
    assert reason in cache.reasons[path], cache.reasons[path]
