"""Build small Jekyll sites in a temp dir from ``{path: content}`` (bytes, text or a fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


class Fixture(str):
    """A value meaning: copy this file from tests/fixtures."""


def make_site(root: Path, files: dict[str, str | bytes | Fixture]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Fixture):
            shutil.copyfile(FIXTURES / content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


CONFIG = """title: Test site
asr:
  model: tiny.en
  language: en
"""


def write_wav(path: Path, samples: object) -> None:
    """16 kHz mono 16-bit WAV of float samples in [-1, 1] (audio a test builds from fixtures)."""
    import wave

    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((np.clip(np.asarray(samples), -1, 1) * 32767).astype("<i2").tobytes())
