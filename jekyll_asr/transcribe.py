"""Transcribe one file, outside any site: the library call behind ``jekyll-asr transcribe``."""

from __future__ import annotations

from pathlib import Path

from .config import Settings
from .transcript import Transcript


def transcribe_file(path: Path | str, settings: Settings, *, engine=None) -> Transcript:
    """Decode ``path`` and transcribe it with ``settings``' model and engine.

    Pass a loaded ``engine`` to reuse one model across many files.
    """
    from . import longform
    from .build import decode_options
    from .engines import load_engine, resolve_engine
    from .glossary import Glossary, prompt_text

    name, device = resolve_engine(settings.engine, settings.device)
    path = Path(path)
    samples = longform.load_short(path)
    if engine is None:
        engine = load_engine(name, settings.model, device=device, revision=settings.model_revision)
    options = decode_options(settings, prompt_text(Glossary.from_config(list(settings.glossary))))
    segments, language, seconds = longform.transcribe(engine, path, samples, options)
    return Transcript(tuple(segments), language, seconds, settings.model, getattr(engine, "name", name))
