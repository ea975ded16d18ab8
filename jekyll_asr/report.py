"""What a build did: counts, failures and the exit code, for people and for --json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TypedDict

EXIT_OK = 0
EXIT_FAILED = 1  # some file failed (or, for check, is stale); the others were still done
EXIT_USAGE = 2  # usage or configuration error


@dataclass
class Failure:
    path: str
    error: str


class FailureJson(TypedDict):
    path: str
    error: str


class ReportJson(TypedDict):
    """``build --json``: what scripts read."""

    transcribed: list[str]
    cached: list[str]
    failed: list[FailureJson]
    outputs: list[str]
    documents: list[str]
    warnings: list[str]
    skipped: list[str]
    audio_seconds: float
    model_loaded: bool
    state_error: str | None
    exit_code: int


@dataclass
class Report:
    transcribed: list[str] = field(default_factory=list)
    translated: list[str] = field(default_factory=list)  # English caption tracks made this run (translate: true)
    cached: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # files written (changed) this run
    unchanged_outputs: int = 0
    documents: list[str] = field(default_factory=list)  # posts whose managed key changed
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # other shards' files, and remote audio while asr.remote is off
    remote_off: int = 0  # how many of ``skipped`` are URLs left alone by asr.remote: off (said in one line, not per URL)
    audio_seconds: float = 0.0  # seconds of audio transcribed this run
    model_loaded: bool = False
    state_error: str | None = None  # the build's own state could not be saved (a full disk): the next build redoes work

    def fail(self, path: str, error: str) -> None:
        self.failed.append(Failure(path, error))

    def skip_remote(self, urls: list[str]) -> None:
        """Linked URLs not fetched because asr.remote is off: a choice, so skipped, never failed."""
        self.skipped += urls
        self.remote_off += len(urls)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.state_error else EXIT_OK

    def to_dict(self) -> ReportJson:
        return {
            "transcribed": self.transcribed,
            "cached": self.cached,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "outputs": self.outputs,
            "documents": self.documents,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "audio_seconds": round(self.audio_seconds, 1),
            "model_loaded": self.model_loaded,
            "state_error": self.state_error,
            "exit_code": self.exit_code,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def summary(self) -> str:
        from .scan import printable  # a document named with a newline is still one line

        lines = [f"error: {printable(f.path)}: {printable(f.error)}" for f in self.failed]
        lines += [f"warning: {w}" for w in self.warnings]
        parts = [
            f"{len(self.transcribed)} transcribed ({self.audio_seconds:.1f} s of audio)",
            f"{len(self.cached)} cached",
            f"{len(self.failed)} failed",
            f"{len(self.outputs)} files written",
        ]
        if self.translated:
            parts.append(f"{len(self.translated)} translated")
        if self.documents:
            parts.append(f"{len(self.documents)} posts updated")
        if len(self.skipped) > self.remote_off:
            parts.append(f"{len(self.skipped) - self.remote_off} left to other shards")
        if self.remote_off:
            parts.append(f"{self.remote_off} remote audio file{'s' if self.remote_off != 1 else ''} skipped (asr.remote: off)")
        lines.append("jekyll-asr: " + ", ".join(parts))
        return "\n".join(lines)

    def state_line(self) -> str | None:
        """The one line said after the report when the build's state could not be saved."""
        if self.state_error is None:
            return None
        return f"jekyll-asr: error: {self.state_error}; the files above are written, the next build checks them again"
