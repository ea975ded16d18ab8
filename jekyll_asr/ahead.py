"""Audio read ahead of the model: a worker thread decodes the next files while the model runs.

Remote audio is fetched here too (a kept copy, a mirror, or a download), so a
download also overlaps the model's work on the files before it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .errors import AudioError
from .length import known_duration
from .scan import AudioFile
from .statindex import Stat, hash_file
from .transcript import AudioTags

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .remote import Fetcher
    from .render import RenderPlan


def local_path(settings: Settings, audio: AudioFile, fetcher: Fetcher | None) -> Path:
    """A file on this machine with the audio's bytes: the site's file, or the remote audio's copy."""
    if audio.url is None:
        return settings.site / audio.path
    if fetcher is None:
        from .remote import RemoteError

        raise RemoteError(f"{audio.url}: remote audio is off (asr.remote: off)")
    return Path(fetcher.bytes_for(audio.url, audio.sha256))


def declared_seconds(settings: Settings, audio: AudioFile) -> float:
    """The length a file's header declares (0 for remote audio not on this machine yet)."""
    return 0.0 if audio.url is not None else known_duration(settings.site / audio.path) or 0.0


@dataclass
class Decoded:
    """A file read ahead of the model: samples (None: long, streamed later), tags, length."""

    samples: NDArray[np.float32] | None
    tags: AudioTags
    seconds: float | None
    path: Path = Path()  # the local file the samples came from (a download for remote audio)
    stat: Stat | None = None  # of ``path``, taken before a byte of it was read for decoding

    @property
    def short_seconds(self) -> float | None:
        """Length of a file decoded whole; None for a long one (it goes alone)."""
        return None if self.samples is None else self.seconds


def check_unchanged(decoded: Decoded, sha256: str) -> None:
    """Refuse words that may not be those of the audio ``sha256`` names.

    The hash was taken when the site was scanned, the samples later: a file
    replaced or rewritten in between (an upload, a sync) would store the new
    audio's words under the old audio's hash, served again once the old file is
    back. The file must still have the stat it had before decoding began (ctime
    included: no write since) and the content the hash names.

    Not checked (``stat`` None): remote audio, whose copy the fetcher verified by
    its hash just before decoding, in a store where another download of the
    same bytes may replace it (a new inode, the same content).
    """
    if decoded.stat is None:
        return
    try:
        same = Stat.of(decoded.path) == decoded.stat and hash_file(decoded.path) == sha256
    except OSError:
        same = False
    if not same:
        raise AudioError(f"{decoded.path}: changed during the build (replaced or rewritten after it was hashed); its words were not stored: build again")


@dataclass
class Job:
    """One content hash to transcribe: its plans, and what decoding it gave."""

    ident: tuple[str, str]
    group: list[RenderPlan]  # of one content hash
    decoded: Decoded | None = None
    error: Exception | None = None


def decoded_ahead(
    todo: list[tuple[tuple[str, str], list[RenderPlan]]], decode: Callable[[RenderPlan], Decoded], *, ahead: int
) -> Generator[Job, None, None]:
    """``todo`` as jobs in order, each decoded on a worker thread ``ahead`` files before it is needed."""
    from collections import deque

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jekyll-asr-decode")
    waiting: deque[tuple[Job, Future[Decoded]]] = deque()
    items = iter(todo)

    def refill() -> None:
        while len(waiting) < ahead:
            nxt = next(items, None)
            if nxt is None:
                return
            job = Job(nxt[0], nxt[1])
            waiting.append((job, pool.submit(decode, job.group[0])))

    try:
        refill()
        while waiting:
            job, future = waiting.popleft()
            refill()  # the worker decodes the next files while the model runs on this one
            try:
                job.decoded = future.result()
            except Exception as exc:  # reported for this file only
                job.error = exc
            yield job
    finally:  # the build stopped early (no model): decode nothing more
        pool.shutdown(wait=True, cancel_futures=True)
