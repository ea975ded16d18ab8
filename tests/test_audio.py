"""Sniffing, decoding, truncation checks and tags on the real fixture files (no model)."""

from __future__ import annotations

import os
import random
import shutil
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jekyll_asr.audio import SAMPLE_RATE, decode, decode_chunks, duration, read_tags, sniff
from jekyll_asr.errors import AudioError
from jekyll_asr.transcript import AudioTags, Chapter

FIXTURES = Path(__file__).parent / "fixtures"
WELCOME = ["welcome.wav", "welcome.mp3", "welcome.m4a", "welcome.ogg", "welcome.opus", "welcome.flac"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cards-001.wav", "wav"),
        ("goforward.wav", "wav"),
        ("welcome.wav", "wav"),
        ("welcome.mp3", "mp3"),
        ("welcome.m4a", "mp4"),
        ("welcome.ogg", "ogg"),
        ("welcome.opus", "ogg"),
        ("welcome.flac", "flac"),
        ("episode-12.mp3", "mp3"),
        ("silence-20s.wav", "wav"),
        ("tone-10s.wav", "wav"),
        ("ogg-named.mp3", "ogg"),  # content wins over the extension
        ("truncated.mp3", "mp3"),
        ("truncated.wav", "wav"),
        ("truncated.ogg", "ogg"),
        ("lying-header.wav", "wav"),  # looks like a WAV; decode() refuses it
        ("not-audio.mp3", None),
        ("empty.mp3", None),
        ("episode-12.txt", None),
        ("cmu-references.tsv", None),
        ("README.md", None),
    ],
)
def test_fixture_sniffs_to_its_format(name: str, kind: str | None) -> None:
    assert sniff(FIXTURES / name) == kind


def test_every_audio_fixture_is_covered() -> None:
    audio_like = {p.name for p in FIXTURES.iterdir() if p.suffix in {".wav", ".mp3", ".m4a", ".ogg", ".opus", ".flac"}}
    sniffed = {name for name in audio_like if sniff(FIXTURES / name) is not None}
    assert audio_like - sniffed == {"not-audio.mp3", "empty.mp3"}


NOT_AUDIO = {
    "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(2000),
    "exif.jpg": b"\xff\xd8\xff\xe1\x1f\xfeExif\x00\x00" + b"\xff\xfb\x90\x00" * 100,
    "anim.gif": b"GIF89a" + bytes(100),
    "photo.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100),
    "image.avif": b"\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miafMA1B" + bytes(100),
    "notes.txt": "Episode notes: ÿûô ünïcödé and MP3 talk.\n".encode() * 50,
    "post.md": b"---\nlayout: post\naudio: /a.mp3\n---\nHello\n",
    "page.html": b"<!doctype html><html><audio src=x.mp3></audio></html>",
    "id3-then-text.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x10" + bytes(16) + b"just some text, no frames at all",
    "one-frame-header.bin": b"\xff\xfb\x90\x64" + b"plain text follows the fake header" * 20,
    "document.pdf": b"%PDF-1.7\n" + bytes(100),
    "archive.zip": b"PK\x03\x04" + bytes(100),
}


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
def test_non_audio_sniffs_none(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NOT_AUDIO[name])
    assert sniff(path) is None


def test_random_bytes_never_sniff_as_audio(tmp_path: Path) -> None:
    rng = random.Random(20251125)
    path = tmp_path / "noise.mp3"
    hits = []
    for i in range(300):
        blob = rng.randbytes(4096)
        if i % 3 == 0:  # a sync word at the start, the worst case for the MP3 check
            blob = b"\xff\xfb" + blob[2:]
        path.write_bytes(blob)
        if sniff(path) is not None:
            hits.append(blob[:8].hex())
    assert hits == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000))
def test_sniff_never_raises_and_answers_a_known_format(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sniff(path) in {None, "mp3", "wav", "ogg", "flac", "mp4", "webm", "aiff"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(min_codepoint=9, exclude_categories=["Cs", "Cc"]), max_size=2000))
def test_text_never_sniffs_as_audio(tmp_path: Path, text: str) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text(text, encoding="utf-8")
    assert sniff(path) is None


def test_sniff_of_missing_path_or_directory_is_none(tmp_path: Path) -> None:
    assert sniff(tmp_path / "missing.mp3") is None
    assert sniff(tmp_path) is None
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    assert sniff(fifo) is None
    with pytest.raises(AudioError, match="not a regular file"):
        decode(fifo)
    assert duration(fifo) is None
    assert read_tags(fifo) == AudioTags()


def test_sniff_skips_id3_tag_before_flac(tmp_path: Path) -> None:
    tag = b"ID3\x03\x00\x00\x00\x00\x02\x00" + bytes(256)  # syncsafe size 0x100
    path = tmp_path / "tagged.flac"
    path.write_bytes(tag + (FIXTURES / "welcome.flac").read_bytes())
    assert sniff(path) == "flac"


def _write_with_pyav(path: Path, fmt: str, codec: str, metadata: dict[str, str] | None = None) -> None:
    samples = decode(FIXTURES / "cards-001.wav")
    with av.open(str(path), "w", format=fmt) as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream(codec, rate=48000 if codec == "libopus" else SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=stream.rate)
        for resampled in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))


@pytest.mark.parametrize(("name", "fmt", "codec", "kind"), [("clip.aiff", "aiff", "pcm_s16be", "aiff"), ("clip.webm", "webm", "libopus", "webm")])
def test_other_containers_sniff_and_decode(tmp_path: Path, name: str, fmt: str, codec: str, kind: str) -> None:
    path = tmp_path / name
    _write_with_pyav(path, fmt, codec)
    assert sniff(path) == kind
    samples = decode(path)
    assert samples.dtype == np.float32
    assert abs(samples.size / SAMPLE_RATE - 1.095) < 0.1


def test_welcome_decodes_alike_in_every_container() -> None:
    reference = decode(FIXTURES / "welcome.wav")
    ref_rms = float(np.sqrt(np.mean(reference**2)))
    assert abs(reference.size / SAMPLE_RATE - 9.18) < 0.05
    for name in WELCOME:
        samples = decode(FIXTURES / name)
        assert samples.dtype == np.float32, name
        assert samples.ndim == 1, name
        assert abs(samples.size - reference.size) / SAMPLE_RATE < 0.1, name
        rms = float(np.sqrt(np.mean(samples**2)))
        assert abs(rms - ref_rms) / ref_rms < 0.15, (name, rms, ref_rms)
        assert float(np.max(np.abs(samples))) <= 1.0, name


def test_decoded_wav_at_16k_keeps_every_sample() -> None:
    path = FIXTURES / "cards-001.wav"
    samples = decode(path)
    raw = np.frombuffer(path.read_bytes()[44:], dtype="<i2")
    assert samples.size == raw.size == 17526
    np.testing.assert_allclose(samples, raw / 32768.0, atol=1e-6)


def test_ogg_named_mp3_decodes() -> None:
    assert abs(decode(FIXTURES / "ogg-named.mp3").size / SAMPLE_RATE - 9.18) < 0.05


def test_silence_decodes_to_zeros() -> None:
    samples = decode(FIXTURES / "silence-20s.wav")
    assert samples.size == 20 * SAMPLE_RATE
    assert float(np.max(np.abs(samples))) == 0.0


def test_duration_is_declared_length() -> None:
    assert duration(FIXTURES / "episode-12.mp3") == pytest.approx(64.34, abs=0.01)
    assert duration(FIXTURES / "welcome.wav") == pytest.approx(9.18, abs=0.01)
    assert duration(FIXTURES / "welcome.opus") == pytest.approx(9.18, abs=0.01)
    assert duration(FIXTURES / "truncated.wav") == pytest.approx(9.18, abs=0.01)  # what the header says
    assert duration(FIXTURES / "not-audio.mp3") is None
    assert duration(FIXTURES / "episode-12.txt") is None
    assert duration(FIXTURES / "lying-header.wav") is None


def test_episode_12_tags() -> None:
    tags = read_tags(FIXTURES / "episode-12.mp3")
    assert tags.title == "Episode 12: Publishing audio on the web"
    assert tags.artist == "Static Site Radio"
    assert tags.album == "Static Site Radio"
    assert tags.date == "2026-11-01"
    assert tags.duration == pytest.approx(64.34, abs=0.01)
    # Stored in the file as intro, outro, a11y; the CTOC gives the order.
    assert tags.chapters == (
        Chapter(start=0.0, title="Intro", end=9.65),
        Chapter(start=9.65, title="Accessibility", end=54.688),
        Chapter(start=54.688, title="Outro", end=64.339),
    )
    starts = [c.start for c in tags.chapters]
    assert starts == sorted(starts)


def test_untagged_files_give_empty_tags() -> None:
    for name in [*WELCOME, "cards-001.wav", "ogg-named.mp3"]:
        tags = read_tags(FIXTURES / name)
        assert (tags.title, tags.artist, tags.album, tags.date, tags.chapters) == (None, None, None, None, ()), name
        assert tags.duration == pytest.approx(9.2 if name != "cards-001.wav" else 1.1, abs=0.1), name


def test_tags_of_non_audio_are_empty_not_an_error() -> None:
    assert read_tags(FIXTURES / "not-audio.mp3") == AudioTags()
    assert read_tags(FIXTURES / "empty.mp3") == AudioTags()


def test_vorbis_comments_are_read(tmp_path: Path) -> None:
    from mutagen.flac import FLAC
    from mutagen.oggopus import OggOpus

    for name, kind in [("welcome.flac", FLAC), ("welcome.opus", OggOpus)]:
        path = tmp_path / name
        shutil.copy(FIXTURES / name, path)
        path.chmod(0o644)
        file = kind(path)
        file["title"] = "Welcome"
        file["artist"] = "Static Site Radio"
        file["album"] = "Pilot"
        file["date"] = "2025-01-02"
        file.save()
        tags = read_tags(path)
        assert (tags.title, tags.artist, tags.album, tags.date) == ("Welcome", "Static Site Radio", "Pilot", "2025-01-02")


def test_mp4_tags_are_read(tmp_path: Path) -> None:
    from mutagen.mp4 import MP4

    path = tmp_path / "welcome.m4a"
    shutil.copy(FIXTURES / "welcome.m4a", path)
    path.chmod(0o644)
    file = MP4(path)
    file["\xa9nam"] = "Welcome"
    file["\xa9ART"] = "Static Site Radio"
    file["\xa9day"] = "2025"
    file.save()
    tags = read_tags(path)
    assert (tags.title, tags.artist, tags.album, tags.date) == ("Welcome", "Static Site Radio", None, "2025")


@pytest.mark.parametrize(("name", "fmt", "codec"), [("info.wav", "wav", "pcm_s16le"), ("clip.webm", "webm", "libopus")])
def test_tags_mutagen_cannot_read_come_from_ffmpeg(tmp_path: Path, name: str, fmt: str, codec: str) -> None:
    path = tmp_path / name  # WAV LIST/INFO tags and Matroska tags
    _write_with_pyav(path, fmt, codec, {"title": "Pilot", "artist": "Static Site Radio"})
    tags = read_tags(path)
    assert (tags.title, tags.artist) == ("Pilot", "Static Site Radio")
    assert tags.duration == pytest.approx(1.1, abs=0.1)


def test_id3_chapters_without_ctoc_are_ordered_by_start(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    path = tmp_path / "episode.mp3"
    shutil.copy(FIXTURES / "episode-12.mp3", path)
    path.chmod(0o644)
    id3 = ID3(path)
    id3.delall("CTOC")
    id3.save()
    assert [c.title for c in read_tags(path).chapters] == ["Intro", "Accessibility", "Outro"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mp3", "empty file"),
        ("not-audio.mp3", "not audio (looks like text)"),
        ("episode-12.txt", "not audio (looks like text)"),
        ("truncated.mp3", "truncated: the header says 64.3 s but only 0.2 s of audio could be decoded"),
        ("truncated.wav", "truncated: the header says 9.2 s but only 0.5 s of audio could be decoded"),
        ("truncated.ogg", "truncated: the Ogg stream stops after 2.0 s without its end-of-stream page"),
        ("lying-header.wav", "broken WAV header: it claims 2,147,483,655 bytes but the file holds 16 bytes"),
    ],
)
def test_bad_files_raise_a_clear_audio_error(name: str, reason: str) -> None:
    with pytest.raises(AudioError) as caught:
        decode(FIXTURES / name)
    message = str(caught.value)
    assert name in message
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["truncated.mp3", "truncated.wav", "truncated.ogg", "lying-header.wav", "empty.mp3", "not-audio.mp3"])
def test_bad_files_raise_when_streamed_too(name: str) -> None:
    with pytest.raises(AudioError, match=name.replace(".", r"\.")):
        list(decode_chunks(FIXTURES / name, seconds=0.1))


@pytest.mark.parametrize("name", ["truncated.wav", "truncated.ogg"])
def test_truncated_wav_and_ogg_fail_before_the_first_chunk(name: str) -> None:
    chunks = decode_chunks(FIXTURES / name, seconds=0.1)
    with pytest.raises(AudioError, match="truncated"):
        next(chunks)


def test_missing_file_is_an_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"missing\.mp3: cannot read"):
        decode(tmp_path / "missing.mp3")


def test_header_without_audio(tmp_path: Path) -> None:
    head = (FIXTURES / "cards-001.wav").read_bytes()[:44]
    path = tmp_path / "header-only.wav"
    path.write_bytes(head)
    with pytest.raises(AudioError, match=r"header-only\.wav: the header claims 1\.1 s but holds no audio"):
        decode(path)


def test_streaming_wav_length_sentinel_is_not_truncation(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "cards-001.wav").read_bytes())
    assert data[36:40] == b"data"
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)  # what a writer that cannot seek back leaves
    path = tmp_path / "streamed.wav"
    path.write_bytes(bytes(data))
    assert decode(path).size == 17526
    assert duration(path) == pytest.approx(1.095, abs=0.001)


def test_truncated_flac_and_mp4(tmp_path: Path) -> None:
    flac = (FIXTURES / "welcome.flac").read_bytes()
    cut_flac = tmp_path / "cut.flac"
    cut_flac.write_bytes(flac[: len(flac) // 4])
    with pytest.raises(AudioError, match=r"cut\.flac: truncated: the header says 9\.2 s"):
        decode(cut_flac)
    m4a = (FIXTURES / "welcome.m4a").read_bytes()  # its index (moov) sits at the end
    cut_m4a = tmp_path / "cut.m4a"
    cut_m4a.write_bytes(m4a[:60000])
    with pytest.raises(AudioError, match=r"cut\.m4a: .*moov"):
        decode(cut_m4a)


def _ogg_pages(data: bytes) -> list[tuple[int, int]]:
    """(offset, header type) of each page of a plain Ogg file, walked from the start."""
    pages, at = [], 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS"
        lacing = data[at + 27 : at + 27 + data[at + 26]]
        pages.append((at, data[at + 5]))
        at += 27 + len(lacing) + sum(lacing)
    return pages


@pytest.mark.parametrize("name", ["welcome.ogg", "welcome.opus"])
def test_an_ogg_file_cut_anywhere_is_refused_as_truncated(tmp_path: Path, name: str) -> None:
    """Protection: audio._check_ogg looks for the end-of-stream page (CRC checked). Without it an
    Ogg file cut off (an interrupted upload) decodes without any error to its first seconds, and
    the transcript of a 9 s clip says what was said in 2 s, with no warning: an Ogg file has no
    header that declares its length, so the length check of MP3 and WAV cannot see it."""
    data = (FIXTURES / name).read_bytes()
    pages = _ogg_pages(data)
    assert pages[-1][1] & 0x04 and not any(kind & 0x04 for _, kind in pages[:-1])  # only the last page ends the stream
    for cut in (len(data) // 3, pages[-1][0], len(data) - 5):  # mid-page, at a page boundary, inside the last page
        path = tmp_path / f"cut-{cut}.ogg"
        path.write_bytes(data[:cut])
        with pytest.raises(AudioError, match=r"truncated: the Ogg stream stops after \d+\.\d s without its end-of-stream page"):
            decode(path)
    junk = tmp_path / "tagged.ogg"  # bytes after the last page (an ID3v1 tag some tools append) are not a cut
    junk.write_bytes(data + b"TAG" + bytes(125))
    assert decode(junk).size == decode(FIXTURES / name).size


def test_a_damaged_frame_mid_file_is_skipped(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "episode-12.mp3").read_bytes())
    rng = random.Random(1)
    for i in range(200_000, 200_400):
        data[i] = rng.randrange(256)
    path = tmp_path / "damaged.mp3"
    path.write_bytes(bytes(data))
    assert abs(decode(path).size / SAMPLE_RATE - 64.3) < 0.5


def test_decode_chunks_concatenate_to_decode() -> None:
    path = FIXTURES / "episode-12.mp3"
    whole = decode(path)
    chunks = list(decode_chunks(path, seconds=10.0))
    assert len(chunks) == 7
    assert all(c.size == 10 * SAMPLE_RATE for c in chunks[:-1])
    assert 0 < chunks[-1].size <= 10 * SAMPLE_RATE
    assert all(c.dtype == np.float32 for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), whole)


def test_decode_chunks_rejects_a_non_positive_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        next(decode_chunks(FIXTURES / "welcome.wav", seconds=0))


def test_decode_channels_keeps_each_channel() -> None:
    from jekyll_asr.audio import decode_channels

    stereo = decode_channels(FIXTURES / "speakers" / "sample-stereo.flac")
    assert stereo.shape == (2, 30 * SAMPLE_RATE) and stereo.dtype == np.float32
    left, right = stereo
    assert np.abs(left).max() > 0.01 and np.abs(right).max() > 0.01
    assert not np.allclose(left, right)  # one voice a channel
    mono = decode_channels(FIXTURES / "welcome.wav")
    assert mono.shape == (1, decode(FIXTURES / "welcome.wav").size)
    np.testing.assert_allclose(mono[0], decode(FIXTURES / "welcome.wav"), atol=1e-6)
    both = decode_channels(FIXTURES / "welcome.mp3")  # a 44.1 kHz stereo MP3, resampled like decode()
    assert both.shape[0] == 2 and abs(both.shape[1] - decode(FIXTURES / "welcome.mp3").size) <= 1


@pytest.mark.parametrize(("name", "reason"), [("empty.mp3", "empty file"), ("truncated.wav", "truncated"), ("not-audio.mp3", "not audio")])
def test_decode_channels_refuses_bad_files_as_decode_does(name: str, reason: str) -> None:
    from jekyll_asr.audio import decode_channels

    with pytest.raises(AudioError, match=reason):
        decode_channels(FIXTURES / name)
