"""How many speakers an episode has and what they are called: the ``speakers`` option and front matter.

The site sets ``speakers: auto`` (find how many), ``off``, or a number in its
``asr:`` block; a post may override it with ``speakers:`` in its own front
matter, either the same values or the names (``speakers: [Alice, Bob]``),
which the author wrote for this purpose: they fix the count and name the
voices in the order they first really speak. The keys podcast themes use for who is
on the show (``hosts``, ``host``, ``guests``, ``guest``) are rosters, not
speaking orders: real sites list Twitter handles, guest-page slugs, or a host
the theme keeps elsewhere. Their names are used only when they look like
names (a capital or a space: "Nic Steenhout", not ``robert-jolly``) and
exactly as many voices were found; otherwise the voices are "Speaker 1",
"Speaker 2" (never a guess presented as fact), and they never fix the count.
The diarization's cache key holds the count, never the names, so renaming
costs nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_SPEAKERS = 20
NAME_KEYS = ("hosts", "host", "guests", "guest")  # in this order: hosts usually speak first
_MAX_NAME = 80


def speakers_setting(value: Any) -> str | int:
    """``off``, ``auto`` or a whole number (YAML's ``off``/``no`` arrive as False); ValueError otherwise."""
    if value is False or (isinstance(value, str) and value.strip().lower() in {"off", "no", "none", "false"}):
        return "off"
    if value is True or value is None or (isinstance(value, str) and value.strip().lower() in {"auto", "on", "yes", "true", ""}):
        return "auto"
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SPEAKERS:
        return value
    raise ValueError(f"must be off, auto or a number of speakers from 1 to {MAX_SPEAKERS} (got {value!r})")


def _names(value: Any) -> list[str]:
    """Names from a string, a list of strings, or a list of mappings with a ``name`` (themes' guest lists)."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            out.append(" ".join(name.split())[:_MAX_NAME])
    return out


def _looks_like_name(name: str) -> bool:
    """A display name, not a handle or a slug (``@carleecomm``, ``dhh``, ``robert-jolly``)."""
    return not name.startswith("@") and (" " in name or any(c.isupper() for c in name))


def from_front_matter(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a post says about its speakers, JSON-able for the document memo (None: nothing).

    A ``speakers:`` value that is none of ours (a theme's mapping of bios, free text) is left to
    the theme: the site's setting applies, and the post is transcribed as any other.
    """
    out: dict[str, Any] = {}
    own = data.get("speakers")
    if isinstance(own, list) and _names(own):
        out["names"], out["fixed"] = _names(own), True
    elif isinstance(own, (str, int, bool)):
        with contextlib.suppress(ValueError):  # a theme's own use of the key (free text): not ours to refuse
            out["setting"] = speakers_setting(own)
    if "names" not in out:
        names = [n for key in NAME_KEYS if key in data for n in _names(data[key]) if _looks_like_name(n)]
        if names:
            out["names"], out["fixed"] = list(dict.fromkeys(names)), False
    return out or None


@dataclass(frozen=True)
class SpeakerSpec:
    """One recording's speakers: ``setting`` is off, auto or a count; ``names`` for the voices in order."""

    setting: str | int = "auto"
    names: tuple[str, ...] = ()
    sure: bool = False  # the names are the post's own `speakers:` (else a theme's roster: used only when the count matches)

    def names_for(self, voices: int) -> tuple[str, ...]:
        """The names to give ``voices`` voices in the order they first speak (empty: "Speaker N")."""
        return self.names if self.sure or len(self.names) == voices else ()

    @property
    def count(self) -> int | None:
        """The number of voices to find; None: find how many."""
        return self.setting if isinstance(self.setting, int) else None

    @property
    def wanted(self) -> bool:
        """Whether diarization runs at all (off, or one speaker known: nothing to tell apart)."""
        return self.setting not in {"off", 1}

    def key(self) -> str:
        """The part of the diarization cache key that depends on this spec (the count)."""
        return "auto" if self.count is None else str(self.count)


def spec_for(site_setting: str | int, posts: list[dict[str, Any] | None]) -> SpeakerSpec:
    """The spec of a recording from the site's option and its posts' front matter (the first that says)."""
    setting: str | int = site_setting
    for info in posts:
        if not info:
            continue
        names, sure = tuple(info.get("names") or ()), bool(info.get("fixed"))
        if "setting" in info:
            setting = info["setting"]
        elif names and sure and setting != "off":
            setting = len(names)
        return SpeakerSpec(setting, names, sure)
    return SpeakerSpec(setting)
