"""speakers/der.py and speakers/rttm.py: DER on hand-made turns whose errors are worked out by hand."""

from __future__ import annotations

import pytest

from jekyll_asr.errors import UsageError
from jekyll_asr.speakers.der import der
from jekyll_asr.speakers.rttm import read_rttm, read_uem, write_rttm
from jekyll_asr.transcript import Turn
from jekyll_asr.vad import Span

A_THEN_B = [Turn(0, 10, "A"), Turn(10, 20, "B")]


def test_a_perfect_hypothesis_scores_zero_whatever_its_names():
    score = der(A_THEN_B, [Turn(0, 10, "2"), Turn(10, 20, "1")], collar=0)
    assert score.der == 0
    assert score.total == 20
    assert dict(score.mapping) == {"2": "A", "1": "B"}


def test_missed_speech():
    score = der([Turn(0, 10, "A")], [Turn(0, 5, "1")], collar=0)
    assert (score.missed, score.false_alarm, score.confusion, score.total) == (5, 0, 0, 10)
    assert score.der == pytest.approx(0.5)


def test_false_alarm_outside_the_reference_counts_without_a_uem():
    score = der([Turn(0, 10, "A")], [Turn(0, 12, "1")], collar=0)
    assert score.false_alarm == pytest.approx(2)
    assert score.der == pytest.approx(0.2)


def test_confusion_uses_the_best_one_to_one_mapping():
    # "1" overlaps A for 10 s and B for 5 s: it is A; "2" is B; 10-15 s is B heard as "1".
    score = der(A_THEN_B, [Turn(0, 15, "1"), Turn(15, 20, "2")], collar=0)
    assert score.confusion == pytest.approx(5)
    assert score.der == pytest.approx(0.25)


def test_one_found_speaker_cannot_stand_for_two():
    score = der(A_THEN_B, [Turn(0, 20, "1")], collar=0)
    assert score.confusion == pytest.approx(10)
    assert score.der == pytest.approx(0.5)


def test_the_collar_leaves_boundaries_unscored():
    late = [Turn(0, 10.2, "1"), Turn(10.2, 20, "2")]
    assert der(A_THEN_B, late, collar=0).der == pytest.approx(0.2 / 20)
    with_collar = der(A_THEN_B, late, collar=0.25)
    assert with_collar.der == 0
    assert with_collar.total == pytest.approx(20 - 4 * 0.25)  # 0.25 s each side of 10 s, inside of 0 s and 20 s


def test_overlapping_speech_is_scored():
    reference = [Turn(0, 10, "A"), Turn(5, 10, "B")]
    score = der(reference, [Turn(0, 10, "1")], collar=0)
    assert score.total == pytest.approx(15)
    assert score.missed == pytest.approx(5)
    assert score.der == pytest.approx(5 / 15)
    both = der(reference, [Turn(0, 10, "1"), Turn(5, 10, "2")], collar=0)
    assert both.der == 0


def test_the_uem_limits_what_is_scored():
    hypothesis = [Turn(0, 10, "1"), Turn(20, 30, "2")]
    assert der([Turn(0, 10, "A")], hypothesis, collar=0).false_alarm == pytest.approx(10)
    assert der([Turn(0, 10, "A")], hypothesis, collar=0, uem=[Span(0, 10)]).der == 0


def test_empty_reference_and_hypothesis():
    assert der([], [], collar=0).der == 0
    assert der([], [Turn(0, 1, "1")], collar=0).der == float("inf")
    assert der([Turn(0, 4, "A")], [], collar=0).der == pytest.approx(1.0)


RTTM = """;; a comment
SPEAKER sample 1 6.690 0.430 <NA> <NA> speaker90 <NA> <NA>
SPEAKER sample 1 7.550 0.800 <NA> <NA> speaker91 <NA> <NA>

SPEAKER other 1 1.000 2.000 <NA> <NA> x <NA> <NA>
"""


def test_read_rttm_groups_by_file_and_keeps_names():
    turns = read_rttm(RTTM)
    assert set(turns) == {"sample", "other"}
    assert turns["sample"] == [Turn(6.69, 6.69 + 0.43, "speaker90"), Turn(7.55, 7.55 + 0.8, "speaker91")]
    assert turns["other"] == [Turn(1.0, 3.0, "x")]


def test_write_then_read_rttm_round_trips():
    turns = [Turn(0.5, 2.25, "1"), Turn(2.25, 4.0, "2")]
    text = write_rttm("episode-1", turns)
    assert text.splitlines()[0] == "SPEAKER episode-1 1 0.500 1.750 <NA> <NA> 1 <NA> <NA>"
    assert read_rttm(text) == {"episode-1": turns}


def test_bad_rttm_and_uem_lines_name_the_line():
    with pytest.raises(UsageError, match="line 2"):
        read_rttm("SPEAKER a 1 0 1 <NA> <NA> x\nSPEAKER a 1 zero 1 <NA> <NA> x\n")
    with pytest.raises(UsageError, match="line 1"):
        read_uem("trn00 NA 0.000\n")
    with pytest.raises(UsageError, match="spaces"):
        write_rttm("two words", [])


def test_read_uem():
    assert read_uem("trn00 NA 0.000 30.000\ntrn01 NA 5 10\n") == {"trn00": [Span(0, 30)], "trn01": [Span(5, 10)]}
