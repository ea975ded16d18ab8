"""Paragraphs from segments: pauses, sentence ends, length; chapter placement."""

from __future__ import annotations

import pytest

from jekyll_asr.paragraphs import (
    Paragraph,
    build_paragraphs,
    ends_sentence,
    format_timestamp,
    join_texts,
    place_chapters,
)
from jekyll_asr.transcript import Chapter, Segment, Transcript

# faster-whisper tiny.en on episode-12.mp3 (six paragraphs, 1.5 s pauses), measured:
# VAD (min silence 500 ms), segment timestamps: every gap is zero, pauses hide inside segments.
EP12_VAD = [
    (0.0, 4.72, " Hello and welcome to episode 12 on the static site radio podcast."),
    (4.72, 11.66, " I am your host, and today we are going to talk about publishing audio on the web."),
    (11.66, 14.18, " The first topic is accessibility."),
    (14.18, 20.14, " Audio without a transcript leaves out people who cannot hear it, and certain engines cannot"),
    (20.14, 23.82, " index what they cannot read."),
    (23.82, 25.98, " The second topic is speed."),
    (25.98, 31.54, " A site generator should reveal in seconds, so any expensive step must be cached and"),
    (31.54, 35.55, " skipped when nothing has changed."),
    (35.55, 38.07, " Our third topic is captions."),
    (38.07, 43.39, " Web video text tracks and router shows the words in time with the audio, and the same"),
    (43.39, 48.54, " typing can link each paragraph to its moment in the player."),
    (48.54, 54.74, " Finally, a word about privacy, running the speech model on your own machine means your recording"),
    (54.74, 57.86, " never leave it."),
    (57.86, 59.7, " That's it all for today."),
    (59.7, 62.38, " Thank you for listening and see you next week."),
]
# Same file with word timestamps: tight segment ends, real gaps (0.68-0.70 s inside a paragraph).
EP12_WORDS = [
    (0.0, 4.46, " Hello and welcome to episode 12 and the static site radio podcast."),
    (5.16, 9.76, " I am your host, and today we are going to talk about publishing all along the web."),
    (11.74, 13.72, " The first topic is accessibility."),
    (14.4, 22.16, " All along without a transcript leaves out people who cannot hear it, and search engines"
                  " cannot index what they cannot read."),
    (23.4, 33.64, " The second topic is speed. A site generator should reveal in seconds, so any expensive step"
                  " must be cached and skipped when nothing has changed."),
    (35.5, 47.08, " Our third topic is captions. Web video text tracks a browser show the words in time with the"
                  " audio, and the same timing can link each paragraph to its moment in the player."),
    (48.64, 56.08, " Finally, a word about privacy, running the speech model on your own machine means your"
                   " recordings never leave it."),
    (57.84, 62.56, " That is all for today. Thank you for listening and see you next week."),
]
# faster-whisper tiny.en, VAD (500 ms), segment timestamps, on long/episode-40.mp3 (12 paragraphs).
EP40_VAD = [
    (11.63, 16.03, " Welcome back to static site radio episode 40."),
    (16.03, 20.43, " This week we are talking about what happened after you press publish and why the boring"),
    (20.43, 25.99, " parts of a website, the wheel, the cache and the feed, decide whether people can find"),
    (25.99, 28.45, " what you made."),
    (28.45, 30.17, " Let us start with the wheel."),
    (30.17, 35.53, " A static site generator reads your posts, your layouts and your data files and write"),
    (35.53, 36.53, " plain pages."),
    (36.53, 42.47, " Because the output is plain, it is fast to serve and cheap to host, but every step in the"),
    (42.47, 50.28, " wheel has to be quick, or writing a short post starts to feel like waiting for a train."),
    (50.28, 52.60, " That is where caching comes in."),
    (52.60, 57.32, " If a step gives the same answer for the same input, you can remember the answer."),
    (57.32, 59.44, " The trick is choosing the right key."),
    (59.44, 65.54, " A file name is hard enough, because files get renamed and over it and the content itself"),
    (65.54, 71.32, " hashed in a key that never lies."),
    (71.32, 74.64, " Our guest today runs a weekly show about gardening."),
    (74.64, 80.08, " She records in the kitchen, edits on the laptop, and publishes with a static site."),
    (80.08, 83.44, " She told us the hardest part was never recording."),
    (83.44, 89.46, " It was writing show notes and transcript site on every single week."),
    (89.46, 91.66, " Transcripts matter for three reasons."),
    (91.66, 95.94, " First, people who cannot hear the episode can still read it."),
    (95.94, 102.06, " Second, search engines index words, not sound, third, many listeners give a transcript"),
    (102.06, 107.88, " to decide whether an episode is worth a hour on their time."),
    (107.88, 112.00, " Speech recognition has become good enough to do most of this work."),
    (112.00, 117.24, " Modern models are trained on hundreds of thousands of hours on audio, and a handle accent,"),
    (117.24, 129.53, " background noise, and fast talkers far better than the system of ten years ago."),
    (129.53, 130.89, " They are not perfect."),
    (130.89, 137.21, " Although names are hard, product names are harder, and a model that hears silence or music"),
    (137.21, 143.01, " will sometimes invent a sentence like a light thank you for watching that nobody ever"),
    (143.01, 144.84, " said."),
    (144.84, 146.92, " So a good tool does three things."),
    (146.92, 149.72, " It only listens where someone is speaking."),
    (149.72, 154.80, " It lets you teach it the names matter to your show, and it never overwrites the corrections"),
    (154.80, 158.57, " you made my hand."),
    (158.57, 165.09, " A quick word about feeds, podcast app, read the RSS feed, and the feed can point to"
     " transcript"),
    (165.09, 170.53, " files and chapter files for each episode, app, snap support, and then show the words in"),
    (170.53, 177.02, " time with the audio, which listeners love."),
    (177.02, 182.06, " Captions on the web work the same way, a caption file lists short pieces of text with"),
    (182.06, 184.10, " a start and an end time."),
    (184.10, 189.06, " The browser shows each piece while the audio plays, and the same timing lets a read a click"),
    (189.06, 193.64, " a paragraph and dump straight to that moment."),
    (193.64, 198.52, " Before we finish, we're done privacy, running the model on your own machine, or in your"),
    (198.52, 203.04, " own will, means the recordings of your guests ever leave your hands."),
    (203.04, 208.79, " For some shows that is not a detail, it is the full point."),
    (208.79, 212.87, " At this all-for episode 40, thank you for listening."),
    (212.87, 218.39, " If you have questions, send them in, and we will answer the best ones next week, until"),
    (218.39, 219.91, " then keep publishing."),
]
# Where its paragraphs start to be spoken (end of each pause).
EP40_STARTS = [11.6, 28.4, 50.3, 71.3, 89.5, 107.9, 129.5, 144.8, 158.0, 177.0, 193.6, 208.8]
# Where each paragraph of episode-12 starts to be spoken (end of the 1.5 s pauses), roughly.
EP12_STARTS = [0.0, 11.6, 23.4, 35.5, 48.5, 57.8]
EP12_CHAPTERS = (Chapter(0.0, "Intro", 9.65), Chapter(9.65, "Accessibility", 54.688), Chapter(54.688, "Outro", 64.339))


def transcript(segments, language: str = "en") -> Transcript:
    segs = tuple(Segment(s, e, t) for s, e, t in segments)
    return Transcript(segs, language, segs[-1].end if segs else 0.0, "test", "test")


def sentences(start: float, count: int, *, gap: float = 0.0, seconds: float = 3.0, words: int = 8):
    """``count`` back-to-back sentences of ``words`` words, ``gap`` seconds apart."""
    out = []
    t = start
    for i in range(count):
        text = " " + " ".join(["word"] * (words - 1) + [f"end{i}."])
        out.append((t, t + seconds, text))
        t += seconds + gap
    return out


@pytest.mark.parametrize("segments", [EP12_VAD, EP12_WORDS], ids=["vad-segments", "word-timestamps"])
def test_episode_12_gives_six_paragraphs_starting_at_the_pauses(segments):
    paragraphs = build_paragraphs(transcript(segments))
    assert len(paragraphs) == 6
    for p, expected in zip(paragraphs, EP12_STARTS, strict=True):
        assert abs(p.start - expected) < 1.0
    assert paragraphs[1].text.startswith("The first topic")
    assert paragraphs[-1].text.endswith("see you next week.")


def test_episode_40_breaks_at_its_pauses():
    paragraphs = build_paragraphs(transcript(EP40_VAD))
    found = [p.start for p in paragraphs]
    hits = [t for t in EP40_STARTS if any(abs(f - t) < 1.0 for f in found)]
    assert len(hits) == len(EP40_STARTS)
    assert len(found) <= len(EP40_STARTS) + 1
    assert all(p.word_count >= 8 for p in paragraphs)


def test_segments_with_real_gaps_are_not_split_by_estimated_pauses():
    # Word-timestamp style: 0.3 s gaps everywhere, one slow segment: gaps are trusted, no break.
    segs = [*sentences(0, 3, gap=0.3), (9.9, 16.0, " This one was said very slowly indeed, ok.")]
    segs += sentences(16.3, 3, gap=0.3)
    assert len(build_paragraphs(transcript(segs))) == 1
    # The same speech with contiguous times: the slow segment hides a pause.
    contiguous = [(s, e + 0.3, t) for s, e, t in segs]
    assert len(build_paragraphs(transcript(contiguous))) == 2


def test_episode_12_paragraphs_fall_under_three_chapters():
    groups = place_chapters(build_paragraphs(transcript(EP12_VAD)), EP12_CHAPTERS)
    assert [c.title for c, _ in groups] == ["Intro", "Accessibility", "Outro"]
    assert [len(ps) for _, ps in groups] == [1, 4, 1]


def test_pauses_after_sentence_ends_break_paragraphs():
    segs = sentences(0, 3) + sentences(10.5, 2) + sentences(18.0, 2)  # 1.5 s pauses before 10.5 and 18
    paragraphs = build_paragraphs(transcript(segs))
    assert [len(p.segments) for p in paragraphs] == [3, 2, 2]
    assert [p.start for p in paragraphs] == [0.0, 10.5, 18.0]
    assert paragraphs[0].end == 9.0


def test_short_pauses_between_sentences_do_not_break():
    paragraphs = build_paragraphs(transcript(sentences(0, 6, gap=0.7)))
    assert len(paragraphs) == 1
    assert len(paragraphs[0].segments) == 6


def test_never_one_paragraph_per_segment_in_continuous_speech():
    paragraphs = build_paragraphs(transcript(sentences(0, 12)))
    assert len(paragraphs) == 1
    assert paragraphs[0].word_count == 96


def test_mid_sentence_pause_breaks_only_when_long():
    segs = [(0, 3, " we went to the"), (4.5, 7, " shop and then home."), (7, 9, " It was"), (11.5, 13, " late.")]
    paragraphs = build_paragraphs(transcript(segs))
    assert [p.text for p in paragraphs] == ["we went to the shop and then home. It was", "late."]


def test_long_paragraph_breaks_at_next_sentence_end():
    segs = [(i * 3.0, i * 3.0 + 3.0, " one two three four five six seven eight nine ten" + ("." if i % 2 else ","))
            for i in range(10)]
    paragraphs = build_paragraphs(transcript(segs), max_words=25)
    assert [p.word_count for p in paragraphs] == [40, 40, 20]
    assert all(p.text.endswith(".") for p in paragraphs)


def test_text_without_punctuation_still_breaks_at_twice_max_words():
    segs = [(i * 2.0, i * 2.0 + 2.0, " and so on and so forth") for i in range(20)]  # 6 words each
    paragraphs = build_paragraphs(transcript(segs), max_words=10)
    assert [p.word_count for p in paragraphs] == [24] * 5


def test_pause_threshold_is_a_parameter():
    segs = sentences(0, 2) + sentences(7.8, 2)  # 1.8 s pause
    assert len(build_paragraphs(transcript(segs), pause=1.0)) == 2
    assert len(build_paragraphs(transcript(segs), pause=2.0)) == 1


def test_empty_segments_are_skipped_and_empty_transcript_has_no_paragraphs():
    assert build_paragraphs(transcript([])) == []
    paragraphs = build_paragraphs(transcript([(0, 1, "  "), (1, 2, " Hi."), (2, 3, "")]))
    assert paragraphs == [Paragraph(1, 2, "Hi.", (Segment(1, 2, " Hi."),))]


def test_unspaced_scripts_still_break_long_paragraphs():
    segs = [(i * 3.0, i * 3.0 + 3.0, "这是一个很长的句子，我们一直在说话。") for i in range(12)]  # 17 characters
    paragraphs = build_paragraphs(transcript(segs, "zh"), max_words=30)
    assert [len(p.segments) for p in paragraphs] == [4, 4, 4]
    assert paragraphs[0].text == "这是一个很长的句子，我们一直在说话。" * 4


def test_join_texts_spaces_words_except_in_unspaced_scripts():
    assert join_texts([" Hello", "world. ", "  "], "en") == "Hello world."
    assert join_texts(["你好，", "世界。"], "zh") == "你好，世界。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Done.", True), ("Really?!", True), ('He said "stop."', True), ("それです。", True),
     ("and then", False), ("a, b,", False), ("", False)],
)
def test_ends_sentence(text, expected):
    assert ends_sentence(text) is expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "00:00"), (12.9, "00:12"), (59.999, "00:59"), (61, "01:01"), (3599.9, "59:59"),
     (3600, "1:00:00"), (3725.5, "1:02:05"), (36000, "10:00:00"), (-1, "00:00")],
)
def test_format_timestamp(seconds, expected):
    assert format_timestamp(seconds) == expected


def _p(start: float) -> Paragraph:
    return Paragraph(start, start + 5, f"at {start}", ())


def test_place_chapters_before_first_chapter_goes_under_none():
    paragraphs = [_p(0), _p(20), _p(40)]
    groups = place_chapters(paragraphs, [Chapter(30, "Second"), Chapter(15, "First")])
    assert [(c.title if c else None, [p.start for p in ps]) for c, ps in groups] == [
        (None, [0]), ("First", [20]), ("Second", [40])
    ]


def test_place_chapters_keeps_empty_chapters_and_tolerates_early_starts():
    groups = place_chapters([_p(0), _p(9.3)], [Chapter(0, "A"), Chapter(9.65, "B"), Chapter(50, "C")])
    assert [(c.title, [p.start for p in ps]) for c, ps in groups] == [("A", [0]), ("B", [9.3]), ("C", [])]
    strict = place_chapters([_p(0), _p(9.3)], [Chapter(0, "A"), Chapter(9.65, "B")], tolerance=0.0)
    assert [len(ps) for _, ps in strict] == [2, 0]


def test_place_chapters_without_chapters_is_one_untitled_group():
    paragraphs = [_p(0), _p(10)]
    assert place_chapters(paragraphs, []) == [(None, paragraphs)]
    assert place_chapters([], []) == []


def test_chapter_starts_always_break_paragraphs() -> None:
    from jekyll_asr.paragraphs import build_paragraphs, place_chapters
    from jekyll_asr.transcript import Chapter, Segment, Transcript

    segs = tuple(Segment(i * 2.0, i * 2.0 + 1.9, f"Sentence number {i} goes here.") for i in range(10))
    t = Transcript(segs, "en", 20.0, "m", "e")
    assert len(build_paragraphs(t)) == 1  # no pauses: one paragraph
    paragraphs = build_paragraphs(t, breaks=[9.7])  # a chapter starting near segment 5 (10.0 s)
    assert [p.start for p in paragraphs] == [0.0, 10.0]
    groups = place_chapters(paragraphs, [Chapter(0.0, "A"), Chapter(9.7, "B")])
    assert [(c.title if c else None, [p.start for p in ps]) for c, ps in groups if c or ps] == [("A", [0.0]), ("B", [10.0])]


def test_a_new_paragraph_at_every_speaker_turn_and_language_change():
    segs = (
        Segment(0.0, 2.0, " Hello there, and", speaker="1"),
        Segment(2.0, 4.0, " welcome.", speaker="1"),  # same speaker, no pause: one paragraph
        Segment(4.0, 5.0, " Thanks", speaker="2"),  # mid-sentence, no pause, but another voice
        Segment(5.0, 6.0, " for having me.", speaker="2"),
        Segment(6.0, 8.0, " Ich spreche auch Deutsch.", speaker="2", language="de"),
        Segment(8.0, 9.0, " Great.", speaker="1"),
    )
    paragraphs = build_paragraphs(Transcript(segs, "en", 9.0, "m", "e"))
    assert [(p.speaker, p.language, p.text) for p in paragraphs] == [
        ("1", None, "Hello there, and welcome."),
        ("2", None, "Thanks for having me."),
        ("2", "de", "Ich spreche auch Deutsch."),
        ("1", None, "Great."),
    ]
    unlabelled = build_paragraphs(Transcript(tuple(Segment(s.start, s.end, s.text) for s in segs), "en", 9.0, "m", "e"))
    assert len(unlabelled) == 1 and unlabelled[0].speaker is None  # without speakers the old rules alone
