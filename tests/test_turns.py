"""Speaker turns laid over words, and the names shown for them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jekyll_asr.errors import ConfigError
from jekyll_asr.transcript import Segment, Transcript, Turn, Word
from jekyll_asr.turns import assign_speakers, labels_in_order, load_speaker_renames, names_for, speaker_at, speaker_names


def words(*items: tuple[float, float, str]) -> tuple[Word, ...]:
    return tuple(Word(a, b, t, 0.9) for a, b, t in items)


def transcript(*segments: Segment) -> Transcript:
    return Transcript(tuple(segments), "en", 30.0, "m", "e")


QUESTION_AND_ANSWER = Segment(
    0.0, 4.0, " How are you? Fine, thanks.",
    words((0.0, 0.4, " How"), (0.4, 0.6, " are"), (0.6, 1.0, " you?"), (2.0, 2.5, " Fine,"), (2.6, 3.2, " thanks.")),
)


def test_a_segment_is_split_where_the_speaker_changes_at_word_boundaries():
    turns = [Turn(0.0, 1.2, "1"), Turn(1.8, 4.0, "2")]
    out = assign_speakers(transcript(QUESTION_AND_ANSWER), turns)
    assert [(s.speaker, s.text, s.start, s.end) for s in out.segments] == [
        ("1", " How are you?", 0.0, 1.0),
        ("2", " Fine, thanks.", 2.0, 3.2),
    ]
    assert [len(s.words) for s in out.segments] == [3, 2]


def test_each_word_goes_to_the_turn_it_overlaps_most_else_the_nearest():
    turns = [Turn(0.0, 0.45, "1"), Turn(0.45, 3.5, "2")]  # "are" (0.4-0.6) overlaps 2 more than 1
    out = assign_speakers(transcript(QUESTION_AND_ANSWER), turns)
    assert [s.text for s in out.segments] == [" How", " are you? Fine, thanks."]
    assert speaker_at(10.0, 11.0, turns) == "2"  # after every turn: the nearest
    assert speaker_at(-2.0, -1.0, [Turn(0, 1, "a"), Turn(5, 6, "b")]) == "a"
    assert speaker_at(0.0, 1.0, []) is None


def test_a_segment_without_words_takes_the_speaker_of_most_overlap_whole():
    old = Segment(0.0, 4.0, " How are you? Fine, thanks.")
    turns = [Turn(0.0, 1.5, "1"), Turn(1.5, 4.5, "2"), Turn(4.5, 6.0, "1")]
    out = assign_speakers(transcript(old, Segment(5.0, 6.0, " Bye.")), turns)
    assert [(s.speaker, s.text) for s in out.segments] == [("2", old.text), ("1", " Bye.")]
    assert len(out.segments) == 2


def test_one_speaker_keeps_no_labels():
    out = assign_speakers(transcript(QUESTION_AND_ANSWER), [Turn(0.0, 4.0, "1")])
    assert [s.speaker for s in out.segments] == [None]
    assert out.segments[0].words == QUESTION_AND_ANSWER.words
    assert labels_in_order(out) == []


def test_names_in_order_of_first_appearance_given_then_default_then_renamed():
    assert speaker_names(["2", "1"], [], {}) == {"2": "Speaker 1", "1": "Speaker 2"}
    assert speaker_names(["2", "1", "3"], ["Alice", "Bob"], {}) == {"2": "Alice", "1": "Bob", "3": "Speaker 3"}
    assert speaker_names(["a", "b"], ["Alice"], {"Speaker 2": "Carol"}) == {"a": "Alice", "b": "Carol"}
    assert speaker_names(["a", "b"], ["Alice", "Bob"], {"a": "  Ann  Lee "}) == {"a": "Ann Lee", "b": "Bob"}
    assert speaker_names(["a"], ["Alice"], {}) == {}  # a monologue is not labelled


def test_renames_come_from_the_corrections_file(tmp_path):
    path = tmp_path / "ep.yml"
    path.write_text("corrections:\n  jackal: Jekyll\nspeakers:\n  Speaker 2: Carol\n", encoding="utf-8")
    assert load_speaker_renames(path) == {"Speaker 2": "Carol"}
    assert load_speaker_renames(tmp_path / "absent.yml") == {}
    t = assign_speakers(transcript(QUESTION_AND_ANSWER), [Turn(0.0, 1.2, "1"), Turn(1.8, 4.0, "2")])
    assert names_for(t, ["Alice"], path) == {"1": "Alice", "2": "Carol"}
    path.write_text("speakers: [Carol]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="speakers: \\{Speaker 2: Carol\\}"):
        load_speaker_renames(path)


@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 10), st.sampled_from("abc")), min_size=1, max_size=30),
    st.floats(0, 120),
    st.floats(0, 3),
)
def test_speaker_at_by_bisection_agrees_with_a_scan_of_every_turn(raw, start, length):
    """The reach index finds what comparing the word with every turn finds (turns may overlap)."""
    turns = [Turn(round(a, 3), round(a + d, 3), who) for a, d, who in raw]
    end = start + length

    def scan() -> str:
        best = max(turns, key=lambda t: (min(end, t.end) - max(start, t.start), -t.start))
        if min(end, best.end) - max(start, best.start) > 0:
            return best.speaker
        middle = (start + end) / 2
        return min(turns, key=lambda t: (max(t.start - middle, middle - t.end, 0.0), t.start)).speaker

    found = speaker_at(start, end, turns)
    overlapping = [t for t in turns if min(end, t.end) - max(start, t.start) > 0]
    if overlapping:  # the most overlapping turn (of equal ones, either)
        most = {t.speaker: max(min(end, u.end) - max(start, u.start) for u in turns if u.speaker == t.speaker) for t in turns}
        assert most[found] == most[scan()] == max(most.values())
    else:  # no overlap: the nearest turn by distance (ties may pick either of equally near turns)
        middle = (start + end) / 2
        distance = {t.speaker: min(max(u.start - middle, middle - u.end, 0.0) for u in turns if u.speaker == t.speaker) for t in turns}
        assert distance[found] == min(distance.values())


def test_names_follow_the_first_real_turn_not_an_interjection():
    from jekyll_asr.turns import by_first_turn

    turns = [Turn(0.0, 0.8, "2"), Turn(0.8, 9.0, "1"), Turn(9.0, 15.0, "2")]  # "Hello?" from the guest, then the host's opening
    assert by_first_turn(["2", "1"], turns) == ["1", "2"]
    assert speaker_names(by_first_turn(["2", "1"], turns), ["Host", "Guest"], {}) == {"1": "Host", "2": "Guest"}
    assert by_first_turn(["a", "b"], [Turn(0, 1, "a"), Turn(1, 2, "b")]) == ["a", "b"]  # no long turn: first appearance
