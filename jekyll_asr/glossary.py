"""Site vocabulary: a prompt that nudges Whisper, and fixes applied at render time.

The glossary comes from ``_config.yml`` (``asr: glossary:``) and a post's front
matter. Each entry is a term, or a term with the ways Whisper mishears it::

    glossary:
      - Liquid
      - term: Jekyll
        heard: [jackal, jekel]

Render-time fixes replace, case-insensitively and only as whole words, every
``heard`` variant and every case variant of the term ("jekyll" -> "Jekyll").
They run on every build, so a new glossary entry fixes old transcripts without
re-transcribing.

Per-transcript corrections
--------------------------
A human fix to one transcript lives in its own YAML file (the build looks for
``_transcript_corrections/<slug>.yml``), never in the generated files, so it
survives re-transcription with another model::

    # _transcript_corrections/episode-12.yml
    corrections:
      "static site radio": "Static Site Radio"
      "all along the web": "audio on the web"

Each key is a phrase as the transcript has it, the value what it should say.
Matching is case-insensitive, whole words only, any run of spaces matches
any other; a phrase is matched inside one Whisper segment (caption line), not
across two. When the text matched starts with a capital and the replacement
does not, the replacement is capitalised, so a fix works at a sentence start
too. Longer phrases win over shorter ones; replacements are not re-scanned.
Corrections take precedence over glossary fixes. A file of only
``{wrong: right}`` pairs at the top level is accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .transcript import AudioTags, Transcript

PROMPT_PREFIX = "Glossary: "
# Whisper's prompt window is 224 tokens; stay well inside it (about 4 characters a token).
PROMPT_MAX_CHARS = 600


@dataclass(frozen=True)
class Term:
    """One glossary entry: the spelling to use and what the model hears instead."""

    term: str
    heard: tuple[str, ...] = ()


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()

    @classmethod
    def from_config(cls, entries: list[Any] | tuple[Any, ...] | None) -> Glossary:
        """Terms from config/front matter entries; duplicates keep the first spelling."""
        terms: list[Term] = []
        seen: set[str] = set()
        for entry in entries or ():
            term = _term(entry)
            if term.term.casefold() in seen:
                continue
            seen.add(term.term.casefold())
            terms.append(term)
        return cls(tuple(terms))

    def __bool__(self) -> bool:
        return bool(self.terms)


def _term(entry: Any) -> Term:
    if isinstance(entry, str) and entry.strip():
        return Term(entry.strip())
    if isinstance(entry, Mapping) and isinstance(entry.get("term"), str) and entry["term"].strip():
        heard = entry.get("heard") or ()
        if isinstance(heard, str):
            heard = (heard,)
        if not isinstance(heard, (list, tuple)) or not all(isinstance(h, str) for h in heard):
            raise ConfigError(f"glossary entry {entry!r}: 'heard' must be a string or a list of strings")
        return Term(entry["term"].strip(), tuple(h.strip() for h in heard if h.strip()))
    raise ConfigError(
        f"glossary entry {entry!r} must be a term or a mapping like {{term: Jekyll, heard: [jackal]}}"
    )


def prompt_text(glossary: Glossary) -> str | None:
    """Whisper's initial prompt ("Glossary: Jekyll, Liquid."), or None without terms.

    Terms that would push the prompt past ``PROMPT_MAX_CHARS`` are left out.
    """
    names: list[str] = []
    length = len(PROMPT_PREFIX) + 1
    for term in glossary.terms:
        extra = len(term.term) + (2 if names else 0)
        if length + extra > PROMPT_MAX_CHARS:
            break
        names.append(term.term)
        length += extra
    return f"{PROMPT_PREFIX}{', '.join(names)}." if names else None


def hotwords(glossary: Glossary) -> tuple[str, ...]:
    """The terms themselves, for engines that bias decoding (faster-whisper ``hotwords``)."""
    return tuple(t.term for t in glossary.terms)


def _corrections_file(path: Path) -> Any:
    """The parsed YAML of a corrections file; None when absent or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read corrections file {path}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"corrections file {path} is not valid YAML: {exc}") from exc


def _structured(data: Any) -> bool:
    """A file with sections (``corrections:``, ``speakers:`` renames), not a flat list of fixes."""
    return isinstance(data, Mapping) and ("corrections" in data or isinstance(data.get("speakers"), Mapping))


def load_corrections(path: Path) -> dict[str, str]:
    """``{wrong: right}`` from a corrections file; an absent file means no corrections."""
    data = _corrections_file(path)
    if data is None:
        return {}
    if _structured(data):
        data = data.get("corrections") or {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"corrections file {path} must hold 'corrections:' with \"wrong phrase\": \"right phrase\" pairs"
        )
    out: dict[str, str] = {}
    for wrong, right in data.items():
        if not isinstance(wrong, str) or not wrong.strip() or not isinstance(right, (str, int, float)):
            raise ConfigError(
                f"corrections file {path}: entry {wrong!r}: {right!r} must map a phrase to its replacement text"
            )
        out[wrong.strip()] = str(right)
    return out


def load_speaker_renames(path: Path) -> dict[str, str]:
    """``speakers: {Speaker 2: Carol}`` from a corrections file: names applied when rendering, no re-run."""
    data = _corrections_file(path)
    if isinstance(data, Mapping) and isinstance(data.get("speakers"), list):
        raise ConfigError(f"corrections file {path}: 'speakers' must map a speaker to a name, e.g. speakers: {{Speaker 2: Carol}}")
    if not _structured(data) or data.get("speakers") is None:
        return {}
    out: dict[str, str] = {}
    for old, new in data["speakers"].items():
        if not isinstance(old, (str, int)) or not isinstance(new, str) or not new.strip():
            raise ConfigError(f"corrections file {path}: speakers entry {old!r}: {new!r} must map a speaker to a name")
        out[str(old).strip()] = " ".join(new.split())
    return out


def _pattern(phrase: str) -> str:
    words = (re.escape(w) for w in phrase.split())
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def _key(text: str) -> str:
    return " ".join(text.lower().split())


_Compiled = tuple[re.Pattern[str], dict[str, tuple[str, bool]]]


def _replacements(glossary: Glossary, corrections: Mapping[str, str]) -> _Compiled | None:
    """One regex for every phrase, and phrase key -> (replacement, follow capitalisation)."""
    table: dict[str, tuple[str, bool]] = {}
    for wrong, right in corrections.items():
        table.setdefault(_key(wrong), (right, True))
    for term in glossary.terms:
        for phrase in (term.term, *term.heard):
            table.setdefault(_key(phrase), (term.term, False))
    table = {k: v for k, v in table.items() if k}
    if not table:
        return None
    phrases = sorted(table, key=len, reverse=True)
    return re.compile("|".join(_pattern(p) for p in phrases), re.IGNORECASE), table


def fix_text(text: str, glossary: Glossary, corrections: Mapping[str, str] | None = None) -> str:
    """``text`` with corrections and glossary fixes applied in one pass."""
    compiled = _replacements(glossary, corrections or {})
    return _fix(text, compiled) if compiled else text


def _fix(text: str, compiled: _Compiled) -> str:
    pattern, table = compiled

    def swap(match: re.Match[str]) -> str:
        found = match.group(0)
        if _key(found) not in table:  # a case pair regex folds but str.lower() does not
            return found
        right, follow_case = table[_key(found)]
        if follow_case and right[:1].islower() and found[:1].isupper():
            right = right[:1].upper() + right[1:]
        return right

    return pattern.sub(swap, text)


# C0 control characters but tab and newline, and DEL: a model or a corrections file may emit them; no
# page, include or JSON reader wants them. A space each, as the captions always had (writers/cues.py).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_tags(tags: AudioTags) -> AudioTags:
    """The audio's own tags as every writer sees them: control characters gone, as from the words.

    Titles and chapter names come from whoever made the file, so they are as untrusted as its words.
    """

    def clean(text: str | None) -> str | None:
        return None if text is None else _CONTROL.sub(" ", text)

    chapters = tuple(replace(c, title=_CONTROL.sub(" ", c.title)) for c in tags.chapters)
    return replace(tags, title=clean(tags.title), artist=clean(tags.artist), album=clean(tags.album), date=clean(tags.date), chapters=chapters)


def apply(transcript: Transcript, glossary: Glossary, corrections: Mapping[str, str] | None = None) -> Transcript:
    """The transcript every writer sees: fixes applied to each segment's text, control characters gone.

    ``render_context`` calls this for every transcript it renders, so this is the one
    place the text is cleaned; the cache keeps what the model said.
    """
    compiled = _replacements(glossary, corrections or {})
    segments = tuple(replace(s, text=_CONTROL.sub(" ", _fix(s.text, compiled) if compiled else s.text)) for s in transcript.segments)
    if all(new.text == old.text for new, old in zip(segments, transcript.segments, strict=True)):
        return transcript
    return replace(transcript, segments=segments)
