"""Readable paragraphs from Whisper segments, and the chapters they fall under.

Whisper segments are caption-sized and their end times are imprecise: without
word timestamps a segment usually runs on through the silence after it, so the
gap to the next segment is often zero even at a 1.5 s pause. Two signals are
combined to find where a speaker paused:

* the measured gap between one segment's end and the next one's start, and
* the segment's *excess* duration: how much longer it lasted than its text
  needs at this transcript's own speaking rate (characters per second).
  A segment that absorbed a trailing pause is that much longer. This is
  only used when the segments are contiguous (median gap under 0.1 s); when
  they show real gaps (word timestamps), the gaps alone are more reliable.

A paragraph ends at every speaker turn and language change (a paragraph has one
voice and one ``lang``), after a segment that ends a sentence and is followed by a
pause of at least ``pause`` seconds (measured or estimated), after any measured
gap of ``2 * pause`` (even mid-sentence), at the first sentence end once it
holds ``max_words`` words, and in any case at ``2 * max_words`` words.

Measured with faster-whisper tiny.en on episode-12 (six paragraphs, 1.5 s
pauses): with word timestamps the gaps at paragraph breaks are 1.24-1.98 s and
between sentences of one paragraph 0.68-0.70 s, so a sentence-end threshold of
0.6 s would split paragraphs; with VAD (500 ms) and segment timestamps the
gaps are all zero and the excess is 1.2-2.1 s at the breaks and <= 0.64 s
elsewhere. Both give the six paragraphs at the default ``pause=1.0``. On
episode-40 (twelve paragraphs, 1.2-3.2 s pauses) they find 12/12 breaks with
1 extra (VAD segments) and 11/12 with none extra (word timestamps).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .transcript import Chapter, Segment, Transcript

# Languages written without spaces between words: segment texts are joined as is.
_UNSPACED = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})
_SENTENCE_END = re.compile(r"""[.!?…。！？]['"’”»)\]]*\s*$""")
_MIN_RATE_SEGMENTS = 4  # fewer usable segments give no trustworthy speaking rate
_MIN_RATE_CHARS = 20
_MIN_RATE_SECONDS = 0.2  # shorter segments give no trustworthy rate either
_MIN_WORDS_FOR_ESTIMATE = 8  # an estimated pause never leaves a paragraph this short
_CONTIGUOUS_GAP = 0.1  # median gap below this: segment ends run on through silences


@dataclass(frozen=True)
class Paragraph:
    """Consecutive segments read as one block; times in seconds."""

    start: float
    end: float
    text: str
    segments: tuple[Segment, ...]
    speaker: str | None = None  # the label of who speaks it (a paragraph never holds two speakers)
    language: str | None = None  # set only when it differs from the transcript's (a bilingual episode)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def format_timestamp(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` from one hour on; rounded down like a player's clock."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with sentence punctuation (closing quotes allowed)."""
    return bool(_SENTENCE_END.search(text))


def join_texts(texts: Sequence[str], language: str = "") -> str:
    """Segment texts as one string: spaced for most languages, unspaced for CJK/Thai."""
    parts = [t.strip() for t in texts if t.strip()]
    sep = "" if _unspaced(language) else " "
    return re.sub(r"\s+", " ", sep.join(parts)).strip()


def _word_count(text: str, language: str) -> int:
    """Words, or for scripts without spaces about two characters a word."""
    if _unspaced(language):
        return (len("".join(text.split())) + 1) // 2
    return len(text.split())


def _unspaced(language: str) -> bool:
    return language.split("-", maxsplit=1)[0].lower() in _UNSPACED


def _speaking_rate(segments: Sequence[Segment]) -> float | None:
    """Characters per second of speech: the upper quartile of per-segment rates.

    Segments that swallowed a pause read slow, so the median underestimates
    how fast this speaker talks; the upper quartile does not.
    """
    rates = sorted(
        len(s.text.strip()) / (s.end - s.start)
        for s in segments
        if len(s.text.strip()) >= _MIN_RATE_CHARS and s.end - s.start > _MIN_RATE_SECONDS
    )
    if len(rates) < _MIN_RATE_SEGMENTS:
        return None
    return rates[int(0.75 * (len(rates) - 1))]


def _pauses_after(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    """(measured gap, estimated trailing silence) after each segment."""
    gaps = [max(0.0, b.start - a.end) for a, b in itertools.pairwise(segments)] + [0.0]
    measured = gaps[:-1]  # the last segment has no next one
    contiguous = not measured or statistics.median(measured) < _CONTIGUOUS_GAP
    rate = _speaking_rate(segments) if contiguous else None
    out = []
    for seg, gap in zip(segments, gaps, strict=True):
        excess = (seg.end - seg.start) - len(seg.text.strip()) / rate if rate else 0.0
        out.append((gap, max(0.0, excess)))
    return out


def build_paragraphs(
    transcript: Transcript, *, pause: float = 1.0, max_words: int = 120, breaks: Sequence[float] = (), tolerance: float = 0.5
) -> list[Paragraph]:
    """Group segments into paragraphs at pauses and, when long, at sentence ends.

    ``breaks`` (chapter starts) always end a paragraph, so a chapter heading
    never lands in the middle of one; ``tolerance`` absorbs imprecise starts.
    """
    segments = [s for s in transcript.segments if s.text.strip()]
    if not segments:
        return []
    pauses = _pauses_after(segments)
    next_starts = [s.start for s in segments[1:]] + [float("inf")]
    voices = [(s.speaker, s.language or transcript.language) for s in segments]
    turn_after = [a != b for a, b in itertools.pairwise(voices)] + [False]
    paragraphs: list[Paragraph] = []
    current: list[Segment] = []
    words = 0
    for seg, (gap, excess), next_start, turn in zip(segments, pauses, next_starts, turn_after, strict=True):
        current.append(seg)
        words += _word_count(seg.text, transcript.language)
        sentence = ends_sentence(seg.text)
        chapter_break = any(current[0].start + tolerance < b <= next_start + tolerance for b in breaks)
        if (
            chapter_break
            or turn
            or gap >= 2 * pause
            or (sentence and gap >= pause)
            or (sentence and excess >= pause and words >= _MIN_WORDS_FOR_ESTIMATE)
            or (sentence and words >= max_words)
            or words >= 2 * max_words
        ):
            paragraphs.append(_paragraph(current, transcript.language))
            current, words = [], 0
    if current:
        paragraphs.append(_paragraph(current, transcript.language))
    return paragraphs


def _paragraph(segments: list[Segment], language: str) -> Paragraph:
    own = segments[0].language or language
    return Paragraph(
        start=segments[0].start,
        end=max(s.end for s in segments),
        text=join_texts([s.text for s in segments], own),
        segments=tuple(segments),
        speaker=segments[0].speaker,
        language=own if own != language else None,
    )


def place_chapters(
    paragraphs: Sequence[Paragraph], chapters: Sequence[Chapter], *, tolerance: float = 0.5
) -> list[tuple[Chapter | None, list[Paragraph]]]:
    """Each paragraph under the last chapter that starts at or before it.

    ``tolerance`` absorbs Whisper's imprecise starts: a paragraph that begins up
    to that many seconds before a chapter mark belongs to the new chapter.
    Paragraphs before the first chapter go under ``None`` (only listed when
    there are some); chapters without paragraphs are kept so headings still
    show the episode's structure.
    """
    ordered = sorted(chapters, key=lambda c: c.start)
    groups: list[tuple[Chapter | None, list[Paragraph]]] = [(None, [])]
    groups += [(c, []) for c in ordered]
    for p in paragraphs:
        index = 0
        for i, chapter in enumerate(ordered, start=1):
            if chapter.start <= p.start + tolerance:
                index = i
        groups[index][1].append(p)
    return [g for g in groups if g[0] is not None or g[1]]


def turn_names(paragraphs: Sequence[Paragraph], names: Mapping[str, str]) -> list[str | None]:
    """Per paragraph, the speaker's name where it starts that speaker's turn, else None
    (the include's label and the text file's "Alice:" are shown there, once a turn)."""
    out: list[str | None] = []
    previous = None
    for p in paragraphs:
        name = names.get(p.speaker) if p.speaker is not None and p.speaker != previous else None
        out.append(name if name and name.strip() else None)
        previous = p.speaker
    return out
