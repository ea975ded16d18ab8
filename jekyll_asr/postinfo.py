"""What a post says about its episode besides where the audio is: the language spoken, one file per voice.

Speakers' names and count are read by speakerspec.py; audio references by references.py.
"""

from __future__ import annotations

from typing import Any


def post_language(data: dict[str, Any]) -> str | None:
    """A post's own ``language:`` (or ``lang:``, which themes set for the page) as a Whisper code.

    A value Whisper does not know (``lang: x-klingon``) is not the post's spoken language as far as
    transcription can use it: the site's setting applies.
    """
    from .languages import normalise_language

    for key in ("language", "lang"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value.strip().lower() != "auto":
            try:
                return normalise_language(value.strip())
            except ValueError:
                return None
    return None


_TRACK_FILE_KEYS = ("file", "src", "url", "path", "audio")
_TRACK_NAME_KEYS = ("speaker", "name")


def tracks_in(data: dict[str, Any]) -> list[list[str | None]]:
    """``tracks:``, one file per voice (a double-ender, a mic per speaker): [[reference, speaker name or None], ...].

    Each item is a path or URL, or a mapping with ``file`` (or ``src``, ``url``, ``path``,
    ``audio``) and ``speaker`` (or ``name``).
    """
    value = data.get("tracks")
    if not isinstance(value, list):
        return []
    out: list[list[str | None]] = []
    for item in value:
        ref = item if isinstance(item, str) else None
        name = None
        if isinstance(item, dict):
            ref = next((item[k] for k in _TRACK_FILE_KEYS if isinstance(item.get(k), str)), None)
            name = next((" ".join(item[k].split()) for k in _TRACK_NAME_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
        if ref and ref.strip():
            out.append([ref.strip(), name])
    return out
