"""The documents side of a plan: each post's text once a build sets (or removes) its managed key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import frontmatter
from .config import Settings
from .errors import JekyllAsrError
from .find import SiteAudio
from .render import document_update, document_value, values_for
from .site import document_file, tool_value, user_value_problem

if TYPE_CHECKING:
    from .plan import Recording


@dataclass(frozen=True)
class DocumentChange:
    """A document using planned recordings: its new text (None: already what a build writes)."""

    path: str
    recording: str  # the first recording it uses (status names the reason there)
    new_text: str | None = None
    error: str | None = None
    kept: bool = False  # the error is "the key holds the author's own value": build warns, check fails
    text: str | None = None  # what new_text was made from: build replaces the post only while it still holds it


def plan_documents(settings: Settings, site_audio: SiteAudio, recordings: tuple[Recording, ...] | list[Recording]) -> tuple[DocumentChange, ...]:
    """Each document using recordings with values, and its text after a build sets its managed key."""
    by_key = {e.key: r.value for r in recordings if r.value is not None for e in (r.plan.encodings or (r.plan.audio,))}
    recording_of = {e.key: r.key for r in recordings for e in (r.plan.encodings or (r.plan.audio,))}
    changes = []
    for document in site_audio.documents:
        used = values_for(settings, document, by_key)
        if not used:
            continue
        doc = document.path.as_posix()
        first = next(recording_of[k] for k in document.audio if k in recording_of)
        if document.managed is not None and not tool_value(document.managed):
            changes.append(DocumentChange(doc, first, error=user_value_problem(settings), kept=True))
            continue
        if document.managed is not None and _same(document.managed, document_value(used, document.user_keys)):
            changes.append(DocumentChange(doc, first))  # the key already holds this value: not even read
            continue
        try:
            document_file(settings, document.path)  # a symlink out of the site is never written
            text, new_text = document_update(settings, document.path, used)
        except JekyllAsrError as exc:
            changes.append(DocumentChange(doc, first, error=str(exc)))
            continue
        changes.append(DocumentChange(doc, first, new_text if new_text != text else None, text=text))
    return tuple(changes) + _unlinked(settings, site_audio)


def _unlinked(settings: Settings, site_audio: SiteAudio) -> tuple[DocumentChange, ...]:
    """Documents that link no audio any more but still carry the tool's key: a build removes it.

    Only a value the tool wrote (``tool_value``); a document with a problem (a link that
    does not resolve, audio moved away) keeps its key until the author decides.
    """
    using = {d.path.as_posix() for d in site_audio.documents} | {str(path) for path, _ in site_audio.problems}
    changes = []
    for doc, value in sorted(site_audio.managed.items()):
        if doc in using or not tool_value(value):
            continue
        try:
            document_file(settings, Path(doc))
            text = (settings.site / doc).read_bytes().decode("utf-8")
            new_text = frontmatter.set_key(text, settings.front_matter_key, None)
        except (JekyllAsrError, OSError, UnicodeDecodeError) as exc:
            changes.append(DocumentChange(doc, "", error=f"cannot remove the {settings.front_matter_key!r} key it no longer needs: {exc}"))
            continue
        if new_text != text:
            changes.append(DocumentChange(doc, "", new_text, text=text))
    return tuple(changes)


def _same(current: Any, wanted: dict[str, Any]) -> bool:
    """Whether the post's managed value (as JSON keeps it) already equals ``wanted``."""
    return bool(current == json.loads(json.dumps(wanted, default=str)))
