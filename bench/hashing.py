"""First-time hashing throughput of the scan (``statindex.hash_file``) against ``cat``.

The files are written just before they are read, so both sides read from the
page cache ("warm"): this measures what hashing costs on top of reading, which
is the part jekyll-asr controls. A cold disk is slower for both alike.
``sha256sum`` on the same files is reported too: the same work done by coreutils.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FILE_MB = 25  # a podcast episode's size
BLOCK = 1 << 20


def write_files(folder: Path, total_mb: int) -> list[Path]:
    """Random bytes (nothing compressible), ``FILE_MB`` per file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(max(1, total_mb // FILE_MB)):
        path = folder / f"episode-{i:02d}.mp3"
        with open(path, "wb") as f:
            for _ in range(FILE_MB):
                f.write(os.urandom(BLOCK))
        paths.append(path)
    return paths


def measure(folder: Path, *, total_mb: int = 200, repeats: int = 3) -> dict[str, Any]:
    from jekyll_asr.statindex import hash_file

    paths = write_files(folder, total_mb)
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    ours, cat, coreutils = [], [], []
    for _ in range(repeats):  # alternate, so a busy moment hits both sides alike
        started = time.perf_counter()
        for path in paths:
            hash_file(path)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(["cat", *map(str, paths)], stdout=subprocess.DEVNULL, check=True)
        cat.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(["sha256sum", *map(str, paths)], stdout=subprocess.DEVNULL, check=True)
        coreutils.append(time.perf_counter() - started)
    ours_s, cat_s = statistics.median(ours), statistics.median(cat)
    return {
        "files": len(paths),
        "size_mb": size_mb,
        "hash_s": ours_s,
        "cat_s": cat_s,
        "hash_mb_s": size_mb / ours_s,
        "cat_mb_s": size_mb / cat_s,
        "sha256sum_mb_s": size_mb / statistics.median(coreutils),
        "repeats": repeats,
    }


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jekyll-asr-bench-") as tmp:
        print(json.dumps(measure(Path(tmp), total_mb=int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
