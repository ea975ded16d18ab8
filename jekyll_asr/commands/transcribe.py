"""``jekyll-asr transcribe FILE...``: print transcripts of files outside a site."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import add_option_flags, overrides_from
from ..errors import UsageError, one_line

if TYPE_CHECKING:
    from ..transcript import Transcript


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (short ones are batched together)")
    parser.add_argument("--format", default="txt", choices=["txt", "md", "json", "vtt", "srt", "rttm"],
                        help="output format (rttm: who spoke when, one SPEAKER line per segment)")
    parser.add_argument("--site", default=None, help="read settings from this site's _config.yml (default: . when it has one)")
    add_option_flags(parser.add_argument_group("settings"), commands="all")


def run(args: argparse.Namespace) -> int:
    import sys

    from ..config import load_settings
    from ..transcribe import transcribe_files

    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    site = Path(args.site) if args.site else (Path(".") if Path("_config.yml").is_file() else None)
    overrides = overrides_from(args)
    if site is None:
        import tempfile

        with tempfile.TemporaryDirectory() as empty:
            settings = load_settings(empty, overrides)
    else:
        settings = load_settings(site, overrides)
    failed = 0
    for n, (path, result) in enumerate(transcribe_files(paths, settings)):
        if isinstance(result, Exception):
            failed += 1
            print(f"error: {path}: {one_line(result, path)}", file=sys.stderr, flush=True)
            continue
        if len(paths) > 1:  # as head(1) and tail(1) do
            print(("\n" if n else "") + f"==> {path} <==")
        print(render(result, args.format, path), flush=True)
    return 1 if failed else 0


def rttm(transcript: Transcript, file_id: str) -> str:
    """The NIST RTTM who-spoke-when lines of ``transcript`` (scoring tools read them): one
    ``SPEAKER`` line per segment with speech, the speaker's label ("1" when one voice)."""
    name = "_".join(file_id.split()) or "audio"
    lines = []
    for seg in transcript.segments:
        if seg.text.strip():
            speaker = "_".join((seg.speaker or "1").split()) or "1"
            lines.append(f"SPEAKER {name} 1 {seg.start:.3f} {max(0.0, seg.end - seg.start):.3f} <NA> <NA> {speaker} <NA> <NA>")
    return "\n".join(lines)


def render(transcript: Transcript, fmt: str, path: Path) -> str:
    if fmt == "rttm":
        return rttm(transcript, path.stem)
    if fmt == "json":
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False)
    if fmt == "txt":
        from ..paragraphs import build_paragraphs

        return "\n\n".join(p.text for p in build_paragraphs(transcript)) if not transcript.is_empty else ""
    from ..paragraphs import build_paragraphs
    from ..render import FORMAT_WRITERS
    from ..transcript import AudioTags
    from ..turns import labels_in_order, speaker_names
    from ..writers import WRITERS, RenderContext

    ctx = RenderContext(
        transcript=transcript, tags=AudioTags(), slug=path.stem, title=path.stem, audio_url=path.name,
        language=transcript.language, paragraphs=build_paragraphs(transcript), chapters=(), captions={}, templates_dir=None,
        speaker_names=speaker_names(labels_in_order(transcript), (), {}),
    )
    return WRITERS[FORMAT_WRITERS[fmt]].render(ctx).rstrip("\n")
