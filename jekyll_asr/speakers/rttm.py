"""RTTM (who spoke when) and UEM (which stretches are scored), the NIST text formats diarization uses.

RTTM: ``SPEAKER <file> <channel> <start s> <duration s> <NA> <NA> <speaker> <NA> <NA>``;
UEM: ``<file> <channel> <start s> <end s>``. Both allow ``;;`` comments and blank lines.
"""

from __future__ import annotations

from ..errors import UsageError
from ..transcript import Turn
from ..vad import Span

_RTTM_FIELDS = 8  # the fields read; the last two <NA> are optional in practice
_UEM_FIELDS = 4


def _lines(text: str) -> list[tuple[int, list[str]]]:
    return [(number, line.split()) for number, line in enumerate(text.splitlines(), 1) if line.strip() and not line.lstrip().startswith(";;")]


def read_rttm(text: str) -> dict[str, list[Turn]]:
    """Turns per file id, in time order, speaker names as written; UsageError naming a bad line."""
    turns: dict[str, list[Turn]] = {}
    for number, fields in _lines(text):
        if fields[0] != "SPEAKER":
            continue  # other RTTM record types (SPKR-INFO, LEXEME...) say nothing about turns
        try:
            if len(fields) < _RTTM_FIELDS:
                raise ValueError("too few fields")
            start, duration = float(fields[3]), float(fields[4])
        except ValueError as exc:
            raise UsageError(f"RTTM line {number}: {exc}: expected 'SPEAKER file channel start duration <NA> <NA> speaker'") from exc
        turns.setdefault(fields[1], []).append(Turn(start, start + duration, fields[7]))
    return {file: sorted(found, key=lambda t: (t.start, t.end)) for file, found in turns.items()}


def write_rttm(file_id: str, turns: list[Turn]) -> str:
    """``turns`` as RTTM lines for ``file_id`` (no spaces allowed in it: RTTM splits on them)."""
    if not file_id or any(c.isspace() for c in file_id):
        raise UsageError(f"an RTTM file id cannot be empty or hold spaces: {file_id!r}")
    return "".join(
        f"SPEAKER {file_id} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker.replace(' ', '_')} <NA> <NA>\n" for t in turns
    )


def read_uem(text: str) -> dict[str, list[Span]]:
    """Scored stretches per file id; UsageError naming a bad line."""
    spans: dict[str, list[Span]] = {}
    for number, fields in _lines(text):
        try:
            if len(fields) < _UEM_FIELDS:
                raise ValueError("too few fields")
            span = Span(float(fields[2]), float(fields[3]))
        except ValueError as exc:
            raise UsageError(f"UEM line {number}: {exc}: expected 'file channel start end'") from exc
        spans.setdefault(fields[0], []).append(span)
    return spans
