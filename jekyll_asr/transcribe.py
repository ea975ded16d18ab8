"""Transcribe files outside any site: the library calls behind ``jekyll-asr transcribe``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .config import Settings
from .errors import JekyllAsrError
from .interrupt import exit_on_interrupt
from .transcript import Segment, Transcript

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .engines import Engine


def transcribe_file(path: Path | str, settings: Settings, *, engine: Engine | None = None) -> Transcript:
    """Decode ``path`` and transcribe it with ``settings``' model and engine.

    Pass a loaded ``engine`` to reuse one model across many files.
    """
    (_, result), = transcribe_files([path], settings, engine=engine)
    if isinstance(result, Exception):
        raise result
    return result


def transcribe_files(
    paths: Sequence[Path | str], settings: Settings, *, engine: Engine | None = None
) -> Iterator[tuple[Path, Transcript | Exception]]:
    """Each file's transcript, or the error that stopped it, in order.

    Short files go to the engine in groups (batching.py), so many clips cost
    fewer model calls; a file's words are the same alone or in a group. The
    model is loaded (once) only when a file needs it; an error loading it is
    raised, since every file would fail the same way.
    """
    from . import batching, longform
    from .audio import SAMPLE_RATE
    from .engines import load_engine, resolve_engine
    from .glossary import Glossary, prompt_text
    from .plan import decode_options

    name, device = resolve_engine(settings.engine, settings.device)
    options = decode_options(settings, prompt_text(Glossary.from_config(list(settings.glossary))))
    loaded: list[Engine | None] = [engine]

    def model() -> Engine:
        current = loaded[0]
        if current is None:
            with exit_on_interrupt():
                current = loaded[0] = load_engine(name, settings.model, device=device, revision=settings.model_revision)
        return current

    def read(path: Path) -> tuple[Path, NDArray[np.float32] | None] | tuple[Path, JekyllAsrError]:
        try:
            return path, longform.load_short(path)
        except JekyllAsrError as exc:
            return path, exc

    def done(found: tuple[list[Segment], str, float]) -> Transcript:
        segments, language, seconds = found
        return Transcript(tuple(segments), language, seconds, settings.model, getattr(loaded[0], "name", name))

    def seconds(item: tuple[Path, NDArray[np.float32] | None] | tuple[Path, JekyllAsrError]) -> float | None:
        samples = item[1]
        return None if samples is None or isinstance(samples, Exception) else samples.size / SAMPLE_RATE

    for group in batching.groups((read(Path(p)) for p in paths), seconds=seconds, options=lambda item: options):
        if isinstance(group[0][1], Exception):  # it could not be decoded
            yield group[0]
            continue
        # ``seconds`` is None for a file that could not be decoded: it is a group of its own, so none is here.
        decoded = cast("list[tuple[Path, NDArray[np.float32] | None]]", group)
        results = batching.transcribe_batch(model(), decoded, options)
        for (path, samples), result in zip(decoded, results, strict=True):
            yield path, result if isinstance(result, Exception) else with_speakers(path, done(result), settings, samples)


def with_speakers(path: Path, transcript: Transcript, settings: Settings, samples: NDArray[np.float32] | None = None) -> Transcript | Exception:
    """The transcript with each segment's speaker, when ``speakers`` wants them and the file is long enough to tell.

    Labels are "1", "2"... in order of first appearance (a site build names them from the posts).
    """
    from .diarizing import FAILURES, find_turns
    from .sidecars import speakers_to_find
    from .speakerspec import SpeakerSpec

    spec = SpeakerSpec(settings.speakers)
    if not spec.wanted or not speakers_to_find(transcript.duration, transcript.word_count):
        return transcript
    from .turns import assign_speakers

    try:
        turns, _ = find_turns(path, spec, samples, diarizer=settings.diarizer)
    except FAILURES as exc:
        return exc
    return assign_speakers(transcript, turns)
