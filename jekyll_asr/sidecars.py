"""What a recording needs beside its words: who spoke when, and an English caption track.

Both are decided by the planner from files alone (one stat, at most one small
read), stored beside the transcripts, and made after them: turning speakers or
translation on for an archive never transcribes its words again.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import CacheEntry, TranscriptCache
from .config import Settings
from .turnstore import TurnsCache, TurnsEntry, turns_key

if TYPE_CHECKING:
    from .plan import CacheDecision, Ident, _Keys
    from .render import RenderPlan


@dataclass(frozen=True)
class TurnsDecision:
    """Who spoke when for one recording: not wanted (speakers off, or one voice known), stored, or missing."""

    wanted: bool = False
    key: str | None = None  # where the turns are (or will be) stored: turnstore.turns_key
    path: Path | None = None  # the stored file (a stat: a no-op build reads no turns)
    entry: TurnsEntry | None = None  # read when the recording is rendered

    @property
    def missing(self) -> bool:
        """Wanted and not stored yet: a build diarizes the recording (its words need not be transcribed again)."""
        return self.wanted and self.path is None


@dataclass(frozen=True)
class TranslationDecision:
    """The English caption track of one recording (``translate: true``): not wanted, stored, or missing."""

    wanted: bool = False
    ident: Ident | None = None
    words: dict[str, Any] | None = None
    path: Path | None = None  # the entry file, when stored
    entry: CacheEntry | None = None  # read when the recording is rendered

    @property
    def missing(self) -> bool:
        return self.wanted and self.path is None


def decide_turns(plan: RenderPlan, turns_cache: TurnsCache, diarizer: str) -> TurnsDecision:
    """Whether the recording's speakers are wanted and stored; reads at most one small file."""
    if not plan.speakers.wanted:
        return TurnsDecision()
    key = _turns_key(diarizer, plan.speakers.key())
    where = os.path.join(turns_cache.cache_root, turns_cache.relative(plan.audio.sha256, key))  # strings: one stat per file on a no-op build
    return TurnsDecision(True, key, Path(where) if os.path.exists(where) else None)


def read_turns(turns: TurnsDecision, turns_cache: TurnsCache, sha: str) -> TurnsDecision:
    """The stored turns read, to render; a damaged file counts as missing (diarized again)."""
    if turns.path is None or turns.key is None:
        return turns
    entry = turns_cache.get(sha, turns.key)
    return replace(turns, entry=entry, path=None if entry is None else turns.path)


@functools.cache
def _turns_key(diarizer: str, count: str) -> str:
    """Once per build and count: the diarizer's identity reads package metadata."""
    from .speakers import diarizer_key

    return turns_key(diarizer_key(diarizer), count)


MIN_SPEAKERS_S = 10.0  # a recording shorter than this is one voice as far as a transcript page can tell


def speakers_to_find(duration: float, words: int) -> bool:
    """Whether a transcript this long with this many words can hold voices worth telling apart
    (the one rule for the planner, the transcriber and ``transcribe``)."""
    return duration >= MIN_SPEAKERS_S and words > 0


def settle_turns(turns: TurnsDecision, decision: CacheDecision) -> TurnsDecision:
    """Not wanted after all when the transcript is known to be short or wordless (a clip, music, silence)."""
    if not turns.wanted:
        return turns
    if decision.entry is not None:
        duration, words = decision.entry.transcript.duration, decision.entry.transcript.word_count
    elif decision.value is not None:
        duration, words = decision.value.get("duration") or 0.0, decision.value.get("words") or 0
    else:
        return turns  # not transcribed yet: decided once it is (Transcriber._speakers)
    return turns if speakers_to_find(duration, words) else TurnsDecision()


def decide_translation(settings: Settings, plan: RenderPlan, *, cache: TranscriptCache, keys: _Keys, engine: str, refresh: bool) -> TranslationDecision:
    """Where the English caption track is (or will be) stored: one stat. The source language is
    detected again by the translating run, so the key does not wait for the transcript."""
    if not plan.translates(settings) or plan.tracks or settings.task == "translate":
        return TranslationDecision()
    words, key = keys.get(engine, plan.prompt, plan.language, "translate")
    path = cache.find(plan.audio.sha256, key, words, compatible=not refresh)
    return TranslationDecision(True, (plan.audio.sha256, key), words, path if path.exists() else None)


def settle_translation(translation: TranslationDecision, decision: CacheDecision, cache: TranscriptCache) -> TranslationDecision:
    """Not wanted for an English (or wordless) episode; read when the recording is rendered."""
    if not translation.wanted:
        return translation
    language: Any
    if decision.entry is not None:
        language, words = decision.entry.transcript.language, decision.entry.transcript.word_count
    elif decision.value is not None:
        language, words = decision.value.get("language"), decision.value.get("words") or 0
    else:
        return translation  # not transcribed yet
    if language in {"en", "und"} or not words:
        return TranslationDecision()
    if decision.entry is not None and translation.path is not None and translation.ident is not None:
        entry = cache.get_at(translation.path, translation.ident[0])  # damaged: translated again
        return replace(translation, entry=entry, path=None if entry is None else translation.path)
    return translation


def turns_file(turns: TurnsDecision | None) -> Path | None:
    """The turns file rendering reads (its stamp is in the render fingerprint), None when speakers are not wanted."""
    if turns is None:
        return None
    return turns.path  # None: not wanted, or not found yet (rendered without speakers, the same again once found)
