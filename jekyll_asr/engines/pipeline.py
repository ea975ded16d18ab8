"""Audio to transcript around any engine: what every engine used to re-implement, once.

For each file: VAD finds the speech (vad.py) and long silences are cut short
(``vad.pack``), the languages are settled (given, "en" for an English-only
model, else detected per stretch of speech: engines/spoken_languages.py), and the
speech is grouped into windows of at most 30 s that never mix two languages.
Then ``decode_windows_many`` runs its rounds (engines/windows.py): every
pending window of every file goes to the engine, one ``Engine.decode`` call
per language, and a window whose speech the model stopped short of is
decoded again from where it stopped, in that window's language.
Last, times go back to the original timeline (``Packed.restore``, words
too) and the loop guard (engines/guards.py) drops what Whisper wrote while
looping. A file's language is the one spoken longest; a segment in another
says which (``Segment.language``). With ``task: translate`` that is still the
language spoken (the source of the English text): Whisper's translate needs it.

Files given together share the engine's batches, and a file's transcript is
the same alone or in company: the rounds are per file, and an engine's
``decode`` answers each job on its own. With ``vad: false`` the engine's own
long-form loop decodes the whole file (``Engine.decode_unsegmented``; it
decides the language as that loop always has), and only the loop guard runs here.

Cheap to import: numpy, torch and the engines' libraries load on first use.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import EngineError
from ..vad import Packed, Span, pack, speech_spans, speech_windows
from .guards import drop_loops
from .spoken_languages import span_languages
from .windows import Job, WindowJob, decode_windows_many

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from ..transcript import Segment
    from . import DecodeOptions, Engine

# What an engine's libraries raise when a decode fails; anything else is a bug and propagates.
_ENGINE_FAILURES = (RuntimeError, ValueError, TypeError)


@dataclass(frozen=True)
class _File:
    """One file's part of a pipeline call: its packed speech, windows and languages."""

    packed: Packed | None  # None: no samples at all
    windows: list[Span]
    language: str  # the file's: the one spoken longest
    silences: tuple[tuple[float, float], ...] = ()  # pauses between VAD spans, packed timeline
    window_languages: tuple[str, ...] = ()  # per window; empty: all in ``language``

    def job(self, index: int, window: Span) -> WindowJob:
        assert self.packed is not None, "a file without samples has no windows"
        return WindowJob(index, window, self.packed.audio, self.silences)

    def language_of(self, span: Span) -> str:
        """The language of the window ``span`` lies in (a retried tail lies in the window it came from)."""
        if not self.window_languages:
            return self.language
        at = bisect_right([w.start for w in self.windows], span.start) - 1
        return self.window_languages[max(0, at)]


def transcribe(engine: Engine, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
    """Segments in time order (original timeline) and the language code of one file."""
    return transcribe_many(engine, [audio], options)[0]


def transcribe_many(
    engine: Engine, audios: list[NDArray[np.float32]], options: DecodeOptions
) -> list[tuple[list[Segment], str]]:
    """(segments, language) per file; the windows of all of them share the engine's batches."""
    import numpy as np

    audios = [np.ascontiguousarray(a, dtype=np.float32) for a in audios]
    try:
        if not options.vad:
            return [_unsegmented(engine, audio, options) for audio in audios]
        files = [_prepare(engine, audio, options) for audio in audios]
        found = decode_windows_many(
            [(f.windows, f.packed.spans if f.packed else []) for f in files],
            lambda jobs: _decode_round(engine, files, jobs, options),
        )
    except _ENGINE_FAILURES as exc:
        raise EngineError(f"{engine.name} failed while transcribing: {exc}") from exc
    results = []
    for f, segments in zip(files, found, strict=True):
        restored = [f.packed.restore(s) for s in segments] if f.packed else []
        results.append((_guarded(restored, options), f.language))
    return results


def fallback_language(engine: Engine, options: DecodeOptions) -> str:
    """The language of a file nobody listened to: "en" for English-only models, else the given one or "und"."""
    return (options.language or "und") if engine.multilingual else "en"


def _prepare(engine: Engine, audio: NDArray[np.float32], options: DecodeOptions) -> _File:
    """VAD, packing, languages (when not given) and windows: everything decided per file."""
    language = fallback_language(engine, options)
    if audio.shape[0] == 0:
        return _File(None, [], language)
    packed = pack(audio, speech_spans(audio))
    silences = tuple((a.end, b.start) for a, b in itertools.pairwise(packed.spans))
    if not packed.spans or options.language is not None or not engine.multilingual:
        return _File(packed, speech_windows(packed.spans), language, silences)
    languages, language = span_languages(engine, packed.audio, packed.spans)
    windows: list[Span] = []
    window_languages: list[str] = []
    for spoken, run in itertools.groupby(zip(packed.spans, languages, strict=True), key=lambda pair: pair[1]):
        found = speech_windows([span for span, _ in run])  # one language: the windows of a monolingual file as before
        windows += found
        window_languages += [spoken] * len(found)
    return _File(packed, windows, language, silences, tuple(window_languages))


def _decode_round(engine: Engine, files: list[_File], jobs: list[Job], options: DecodeOptions) -> list[list[Segment]]:
    """Segments (packed timeline) per job of one round: one engine call per language, in job order.

    A segment in another language than its file's says which (``Segment.language``).
    """
    out: list[list[Segment]] = [[] for _ in jobs]
    spoken = [files[i].language_of(window) for i, window in jobs]
    for language in dict.fromkeys(spoken):
        picked = [k for k, lang in enumerate(spoken) if lang == language]
        work = [files[jobs[k][0]].job(*jobs[k]) for k in picked]
        decoded = engine.decode(work, language, options)
        if len(decoded) != len(work):
            raise EngineError(f"{engine.name} answered {len(decoded)} windows for {len(work)}")
        for k, segments in zip(picked, decoded, strict=True):
            other = language != files[jobs[k][0]].language
            out[k] = [replace(s, language=language) for s in segments] if other else segments
    return out


def _unsegmented(engine: Engine, audio: NDArray[np.float32], options: DecodeOptions) -> tuple[list[Segment], str]:
    """``vad: false``: the engine's long-form loop over the whole file, then the loop guard."""
    if audio.shape[0] == 0:
        return [], fallback_language(engine, options)
    segments, language = engine.decode_unsegmented(audio, options)
    return _guarded(segments, options), language


def _guarded(segments: list[Segment], options: DecodeOptions) -> list[Segment]:
    return drop_loops(segments, max_compression_ratio=options.max_compression_ratio, max_repeats=options.max_repeats)
