"""Caption cues cut at word boundaries and pauses, and word times kept through text fixes.

The word-timed transcript is the real model's (tests/fixtures/episode-12.words.json:
faster-whisper tiny.en with word timestamps on episode-12.mp3).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jekyll_asr.glossary import Glossary, apply
from jekyll_asr.transcript import Segment, Transcript, Word
from jekyll_asr.writers import srt
from jekyll_asr.writers.cues import MAX_LINE, Cue, cues
from jekyll_asr.writers.words import timed_words

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def episode() -> Transcript:
    return Transcript.from_dict(json.loads((FIXTURES / "episode-12.words.json").read_text(encoding="utf-8")))


def timed(text: str, start: float = 0.0, step: float = 0.3, pauses: dict[int, float] | None = None) -> Segment:
    """A segment whose words follow each other ``step`` apart, with extra silence before word i."""
    out, at = [], start
    for i, token in enumerate(text.split()):
        at += (pauses or {}).get(i, 0.0)
        out.append(Word(at, at + step, " " + token, 0.9))
        at += step
    return Segment(start, at, " " + text, tuple(out))


def cue_words(cue: Cue) -> list[str]:
    return " ".join(cue.lines).split()


@pytest.mark.parametrize("max_line", [MAX_LINE, srt.MAX_LINE])
def test_real_word_times_give_cues_that_start_and_end_on_words(episode: Transcript, max_line: int):
    out = list(cues(episode.segments, max_line=max_line))
    assert len(out) > len(episode.segments)  # long segments were cut
    assert "".join(w for c in out for w in cue_words(c)) == "".join(s.text.replace(" ", "") for s in episode.segments)
    starts = {round(w.start * 1000) for s in episode.segments for w in s.words}
    ends = {round(w.end * 1000) for s in episode.segments for w in s.words}
    assert all(c.start_ms in starts or c.start_ms == prev.end_ms for prev, c in itertools.pairwise(out))
    assert sum(c.end_ms in ends for c in out) >= len(out) - 2  # a pathological word may be cut in pieces
    for cue in out:
        assert 1 <= len(cue.lines) <= 2 and all(len(line) <= max_line for line in cue.lines), cue
    single = [c for c in out if len(cue_words(c)) == 1]
    one_word_segments = [s for s in episode.segments if len(s.text.split()) == 1]
    assert len(single) <= len(one_word_segments), single  # no orphan word of a longer segment


def test_no_orphan_word_when_the_last_word_would_not_fit():
    # Greedy filling puts 2 lines of 32 characters in the first cue and leaves "end." alone.
    seg = timed("aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll end.", step=0.2)
    greedy_last = "end."
    out = list(cues([seg], max_line=32))
    assert len(out) == 2
    assert cue_words(out[-1]) != [greedy_last] and all(len(cue_words(c)) >= 2 for c in out)


def test_cues_cut_at_a_pause_and_at_a_sentence_end():
    seg = timed("We start here and go on. After a long pause we continue", pauses={6: 1.5})
    out = list(cues([seg]))
    assert [" ".join(c.lines) for c in out] == ["We start here and go on.", "After a long pause we continue"]
    assert out[0].end_ms == round(seg.words[5].end * 1000) and out[1].start_ms == round(seg.words[6].start * 1000)


def test_a_pause_inside_one_sentence_still_cuts_when_long():
    seg = timed("one two three four five six seven eight", pauses={4: 2.0})
    out = list(cues([seg]))
    assert [" ".join(c.lines) for c in out] == ["one two three four", "five six seven eight"]


def test_fixed_text_keeps_word_times():
    seg = timed("welcome to the jackal show about all the long web")
    fixed = apply(Transcript((seg,), "en", 10, "m", "e"), Glossary.from_config([{"term": "Jekyll", "heard": ["jackal"]}]),
                  {"all the long web": "audio on the web"}).segments[0]
    assert fixed.text == " welcome to the Jekyll show about audio on the web"
    out = timed_words(fixed)
    assert [w.text for w in out] == fixed.text.split()
    old = {w.text.strip(): w for w in seg.words}
    assert (out[3].start, out[3].end) == (old["jackal"].start, old["jackal"].end)
    assert out[6].start == old["all"].start and out[9].end == old["web"].end  # "audio on the" shares "all the long"
    assert all(a.start <= b.start for a, b in itertools.pairwise(out))
    assert out[3].probability is None and out[0].probability == pytest.approx(0.9)


def test_inserted_and_dropped_words_get_times_from_their_neighbours():
    seg = timed("go forward meters", pauses={2: 0.5})
    out = timed_words(Segment(seg.start, seg.end, " go forward ten meters", seg.words))
    assert [w.text for w in out] == ["go", "forward", "ten", "meters"]
    assert out[2].start == seg.words[1].end and out[2].end == seg.words[2].start
    assert [w.text for w in timed_words(Segment(seg.start, seg.end, " go meters", seg.words))] == ["go", "meters"]
    assert timed_words(Segment(0, 1, " no words kept")) == ()


def test_glossary_fixes_on_real_words_keep_every_word_timed(episode: Transcript):
    fixed = apply(episode, Glossary.from_config(["Jekyll"]), {"all the long web": "audio on the web", "Static Site Radio": "Static Site Radio"})
    for seg in fixed.segments:
        words = timed_words(seg)
        assert [w.text for w in words] == seg.text.split()
        assert all(seg.start - 0.01 <= w.start <= w.end <= seg.end + 0.01 for w in words)
    assert any("audio on the web" in s.text for s in fixed.segments)


def test_word_pieces_without_a_space_make_one_token():
    pieces = (Word(1.0, 1.2, " Web", 0.9), Word(1.2, 1.5, "-vid", 0.3), Word(1.5, 1.9, "-le.", 0.8), Word(2.0, 2.2, " Yes", 0.7))
    out = timed_words(Segment(1.0, 2.2, " Web-vid-le. Yes", pieces))
    assert [(w.text, w.start, w.end, w.probability) for w in out] == [("Web-vid-le.", 1.0, 1.9, 0.3), ("Yes", 2.0, 2.2, 0.7)]


@settings(max_examples=80, deadline=None)
@given(st.lists(
    st.tuples(st.floats(0, 3, allow_nan=False), st.floats(0, 1.5, allow_nan=False), st.text(alphabet="ab <>&-.,é漢", min_size=1, max_size=40)),
    min_size=1, max_size=40,
))
def test_word_timed_cues_stay_valid_for_any_words(items):
    out, at = [], 0.0
    for gap, length, token in items:
        at += gap
        out.append(Word(at, at + length, " " + token, 0.5))
        at += length
    seg = Segment(out[0].start, at, "".join(w.text for w in out), tuple(out))
    for max_line in (MAX_LINE, srt.MAX_LINE):
        made = list(cues([seg], max_line=max_line))
        assert "".join(w for c in made for w in cue_words(c)) == "".join(seg.text.split())
        assert all(1 <= len(c.lines) <= 2 and all(0 < len(line) <= max_line for line in c.lines) for c in made)
        assert all(b.start_ms >= a.end_ms for a, b in itertools.pairwise(made)) and all(c.end_ms > c.start_ms for c in made)
        words_in = len(seg.text.split())
        assert words_in == 1 or all(len(cue_words(c)) >= 2 for c in made if len(cue_words(c)[0]) <= max_line // 3)  # no orphan where one is avoidable
