"""How each ``asr:`` option's value is checked: one function per kind of value.

``config.OPTIONS`` names one of these for each option; a check returns the clean
value or raises ValueError with the reason, which config reports as ``asr.<key>: ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError

FORMATS = ("md", "vtt", "srt", "json", "txt", "chapters")


def nonempty(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def optional_text(value: Any) -> str | None:
    if value is None or value in {"", "auto"}:
        return None
    return nonempty(value)


def language(value: Any) -> str | None:
    """A language code Whisper knows (``en``, ``de``…), or auto; ``English`` is refused here, not at the first file."""
    code = optional_text(value)
    if code is None:
        return None
    from .languages import normalise_language

    return normalise_language(code)


def speakers(value: Any) -> str | int:
    """off, auto or a number of speakers (``speakerspec.speakers_setting``)."""
    from .speakerspec import speakers_setting

    return speakers_setting(value)


def choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return str(value)

    return check


def whole(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high} (got {value!r})")
        return value

    return check


def number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"must be a number from {low} to {high} (got {value!r})")
        return float(value)

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false (got {value!r})")
    return value


def text_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def formats(value: Any) -> tuple[str, ...]:
    items = text_list(value)
    bad = [v for v in items if v not in FORMATS]
    if bad:
        raise ValueError(f"unknown format {', '.join(bad)}; allowed: {', '.join(FORMATS)}")
    return items


def relative_dir(value: Any) -> str:
    text = nonempty(value)
    parts = Path(text).parts
    if Path(text).is_absolute() or ".." in parts:
        raise ValueError(f"must be a path inside the site (got {text!r})")
    return text


# Folders the site (or Jekyll) fills itself: an output folder there would make the tool own them.
_SHARED_FOLDERS = frozenset({"", ".", ".jekyll-asr", "_posts", "_drafts", "_layouts", "_includes", "_data", "_sass", "_plugins", "_site", "assets"})


def output_dir(value: Any) -> str:
    """A folder of the tool's own: gc may remove what it generated there, so never a shared one."""
    text = relative_dir(value).replace("\\", "/").strip("/")
    if text.removeprefix("./") in _SHARED_FOLDERS:
        raise ValueError(f"must be a folder of its own inside the site, such as '_includes/transcripts' (got {value!r})")
    return text


def site_globs(value: Any) -> tuple[str, ...]:
    """Globs relative to the site: one that is absolute or climbs with ``..`` would walk the machine."""
    items = text_list(value)
    for item in items:
        if item.startswith(("/", "\\")) or ".." in item.replace("\\", "/").split("/") or Path(item).is_absolute():
            raise ValueError(f"{item!r} must be a glob inside the site, relative to it and without '..' (e.g. 'assets/audio/**')")
    return items


def dir_list(value: Any) -> tuple[str, ...]:
    return tuple(relative_dir(v).strip("/") for v in text_list(value))


def any_dir(value: Any) -> str | None:
    return None if value is None else nonempty(value)


def mirrors(value: Any) -> tuple[tuple[str, str], ...]:
    """``{URL prefix: local folder}`` (or ``PREFIX=FOLDER`` strings from the flag)."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) and "=" in v for v in value):
        value = dict(v.split("=", 1) for v in value)
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of URL prefix to local folder (https://cdn.example.com/audio/: /home/me/episodes)")
    out = []
    for prefix, folder in value.items():
        if not isinstance(prefix, str) or not prefix.startswith(("http://", "https://")):
            raise ValueError(f"prefix {prefix!r} must be an http(s) URL prefix")
        if not isinstance(folder, str) or not folder.strip():
            raise ValueError(f"folder for {prefix!r} must be a path")
        out.append((prefix, folder.strip()))
    return tuple(out)


def glossary(value: Any) -> tuple[Any, ...]:
    """Checked by the glossary's own parser, so config and build can never disagree on an entry."""
    from .glossary import Glossary

    if not isinstance(value, list):
        raise ValueError("must be a list of terms or {term: ..., heard: [...]} mappings")
    try:
        Glossary.from_config(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    return tuple(value)
