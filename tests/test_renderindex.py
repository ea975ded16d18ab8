"""renderindex: an unchanged site re-renders nothing, and a changed output is always noticed."""

from __future__ import annotations

import os
from pathlib import Path

from .test_site import AUDIO, quiet_build, seeded_site


def test_an_output_rewritten_at_the_same_size_with_its_mtime_put_back_is_noticed(tmp_path: Path) -> None:
    """Protection: renderindex._stamp records ctime and inode as well as size and mtime (as git's
    index does). Without them a hand edit that keeps the size and puts the old mtime back (an
    editor that preserves times, a `touch -r`) looks unchanged, the render index skips the file,
    and the build never says that its output was edited."""
    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\n"}, text="five five")
    first = quiet_build(site)
    assert first.failed == [] and "_includes/transcripts/a.md" in first.outputs
    include = site / "_includes/transcripts/a.md"
    before = include.stat()
    text = include.read_text(encoding="utf-8")
    assert "five five" in text
    include.write_text(text.replace("five five", "nine nine"), encoding="utf-8")
    os.utime(include, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert include.stat().st_size == before.st_size and include.stat().st_mtime_ns == before.st_mtime_ns

    again = quiet_build(site)
    assert any("_includes/transcripts/a.md" in w and "edited by hand" in w for w in again.warnings), again.warnings
    assert "nine nine" in include.read_text(encoding="utf-8")  # kept, as a hand edit is
