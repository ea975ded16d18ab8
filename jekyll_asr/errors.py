"""The errors jekyll-asr raises, each with a message a user can act on.

Everything the tool expects to go wrong is a ``JekyllAsrError``; the CLI turns
one into a single readable line (and exit code), anything else is a bug.
"""

from __future__ import annotations


class JekyllAsrError(Exception):
    """Base class: the message is shown to the user as it is."""

    exit_code = 1


class ConfigError(JekyllAsrError):
    """A bad ``asr:`` block or flag; the message names the key and what is allowed."""

    exit_code = 2


class UsageError(JekyllAsrError):
    """A command line that cannot be acted on."""

    exit_code = 2


class AudioError(JekyllAsrError):
    """A file that cannot be decoded (empty, not audio, truncated, lying header)."""


class ModelError(JekyllAsrError):
    """A model that cannot be found, downloaded or loaded."""


class EngineError(JekyllAsrError):
    """An engine that is not installed or failed while transcribing."""


class FrontMatterError(JekyllAsrError):
    """A document whose front matter cannot be parsed; it is left untouched."""


class FrontMatterTooLarge(FrontMatterError):
    """Front matter Jekyll reads but the tool refuses (too large, aliases that expand without bound):
    reported even for a document that names no audio, since Jekyll still renders it."""


class ChangedMeanwhile(JekyllAsrError):
    """A file someone saved while the tool was about to replace it: their bytes are kept."""


class PathError(JekyllAsrError):
    """A path that resolves outside the site, or an output name that would escape."""


class OutputConflict(JekyllAsrError):
    """A generated file was edited by hand since the tool wrote it; it is kept."""


class LockError(JekyllAsrError):
    """Another build holds the site's lock."""


class CacheError(JekyllAsrError):
    """A cache entry that is missing, corrupt or fails its checksum."""


def without_names(message: str, *names: object) -> str:
    """``message`` without a leading ``"<path>: "``: the report line names the file already."""
    for name in names:
        prefix = f"{name}: "
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def one_line(exc: BaseException, *names: object) -> str:
    """A file's error as its report line says it: an expected error's message, a bug's type too."""
    text = str(exc) if isinstance(exc, JekyllAsrError) else f"{type(exc).__name__}: {exc}"
    return without_names(text, *names)


class SpeakerError(JekyllAsrError):
    """Speaker detection that cannot run: its weights or its package are missing, or it failed."""
