"""``jekyll-asr review FILE``: the words the model was unsure of, and the line that fixes each.

Reads the cache the way ``status`` does (never transcribes, never loads a model):
FILE is one of the site's audio files (as a path, or as the site path a post links),
or a cache entry file. Glossary and corrections fixes are applied first, so a word a
fix already replaced is not listed again. Each word comes with its time and a line
for the corrections file (``_transcript_corrections/<slug>.yml`` by default): the
word, widened with its neighbours until the phrase is unique in the transcript, so
the fix changes this place only.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from . import add_site_arguments, settings_from_args

if TYPE_CHECKING:
    from ..cache import CacheEntry
    from ..config import Settings
    from ..render import RenderPlan
    from ..transcript import Transcript

_WIDEST = 3  # neighbours on each side at most


@dataclass(frozen=True)
class Doubt:
    """One word below the threshold: when, how sure, and the corrections-file line that fixes it."""

    start: float
    probability: float
    word: str
    phrase: str

    def line(self) -> str:
        quoted = '"' + self.phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{quoted}: {quoted}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="one of the site's audio files, or a cache entry (.json)")
    parser.add_argument("--below", type=float, default=0.5, help="list words the model gave less than this probability (default: 0.5)")
    add_site_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..paragraphs import format_timestamp

    if not 0 < args.below <= 1:
        raise UsageError(f"--below {args.below}: give a probability between 0 and 1, e.g. --below 0.5")
    settings = settings_from_args(args)
    transcript, where = _reviewed(settings, args.file)
    found = doubts(transcript, args.below)
    if transcript.is_empty:
        print(f"{args.file}: the transcript has no words (no speech was detected)")
        return 0
    if not any(w.probability is not None for s in transcript.segments for w in s.words):
        print(f"{args.file}: this transcript has no word probabilities (made before they were kept, or by an engine without them)")
        return 0
    print(f"{args.file}: {len(found)} word{'s' if len(found) != 1 else ''} below {args.below:g}")
    for d in found:
        print(f"{format_timestamp(d.start)}  {d.probability:.2f}  {d.word:<16}  {d.line()}")
    if found:
        print(f"To fix one, put its line under 'corrections:' in {where} and change the right-hand side.")
    return 0


def doubts(transcript: Transcript, below: float) -> list[Doubt]:
    """Every timed word under ``below``, in order, each with a phrase unique in the transcript."""
    from ..writers.words import timed_words

    timed = [w for seg in transcript.segments for w in timed_words(seg)]
    texts = [w.text for w in timed]
    full = " ".join(texts)
    out = []
    for i, word in enumerate(timed):
        if word.probability is not None and word.probability < below:
            out.append(Doubt(word.start, word.probability, word.text, _unique_phrase(texts, i, full)))
    return out


def _unique_phrase(texts: list[str], i: int, full: str) -> str:
    """``texts[i]`` with as few neighbours as make it occur once (as whole words, any case)."""
    phrase = texts[i]
    for width in range(_WIDEST + 1):
        phrase = " ".join(texts[max(0, i - width) : i + width + 1])
        pattern = r"(?<!\w)" + re.escape(phrase) + r"(?!\w)"
        if len(re.findall(pattern, full, re.IGNORECASE)) <= 1:
            break
    return phrase


def _reviewed(settings: Settings, file: str) -> tuple[Transcript, str]:
    """The transcript the site renders for ``file`` (fixes applied) and its corrections file."""
    from ..cache import TranscriptCache

    path = Path(file)
    if path.suffix == ".json" and path.is_file():
        sha = path.name.split("-", 1)[0]
        entry = TranscriptCache(path.parent.parent).get_at(path, sha, report=False)
        if entry is None:
            raise UsageError(f"{file}: not a readable cache entry (a file from .jekyll-asr/cache/ or the user cache)")
        return entry.transcript, "the episode's corrections file"
    plan, entry = _cached(settings, file)
    from ..render import render_context

    ctx = render_context(settings, plan, entry)
    return ctx.transcript, f"{settings.corrections_dir}/{plan.slug}.yml"


def _cached(settings: Settings, file: str) -> tuple[RenderPlan, CacheEntry]:
    """The site's recording that ``file`` names, and its cache entry (as status finds them)."""
    from ..find import scan_site
    from ..plan import make_plan
    from ..render import plan_outputs
    from ..store import Store

    store = Store(settings)
    site_audio = scan_site(settings, store.stat_index(), urls=store.urls())
    plans = plan_outputs(settings, site_audio.files, site_audio.documents, store.names())
    plan = make_plan(settings, store=store, site_audio=site_audio, plans=plans, render=False)
    wanted = {file.lstrip("/"), _site_relative(settings, file)}
    for recording in plan.recordings:
        keys = {recording.plan.audio.key, *(e.key for e in recording.plan.encodings), *(u.as_posix() for u in recording.plan.users)}
        if not keys & wanted:  # an audio file, one of its encodings, or a post that uses it
            continue
        decision = recording.cache
        entry = decision.entry
        if entry is None and decision.kind == "fresh" and decision.in_use:
            cache = store.cache()
            entry = cache.get_at(cache.root / decision.in_use[0], recording.plan.audio.sha256, report=False)
        if entry is None:
            raise UsageError(f"{file} has no transcript for these settings (model {settings.model}): build it, or pass the --model it was built with")
        return recording.plan, entry
    raise UsageError(f"{file}: neither one of the site's audio files nor a post that uses one (see `jekyll-asr status {settings.site}`)")


def _site_relative(settings: Settings, file: str) -> str:
    try:
        return Path(file).resolve().relative_to(Path(settings.site).resolve()).as_posix()
    except ValueError:
        return file
