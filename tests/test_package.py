"""The library surface the README shows."""

from __future__ import annotations

import importlib
import subprocess
import sys


def test_build_is_the_function_even_after_its_module_is_imported() -> None:
    """`from jekyll_asr import build` once gave the submodule whenever jekyll_asr.build had been imported."""
    code = (
        "import jekyll_asr.state, jekyll_asr.build\n"
        "from jekyll_asr import build, load_settings\n"
        "assert callable(build) and build.__module__ == 'jekyll_asr.build', build\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
    assert hasattr(importlib.import_module("jekyll_asr.build"), "scan_site")  # the module is still importable


def test_every_guarantee_names_tests_that_exist() -> None:
    """The README's Guarantees section names the test behind each promise: a renamed or deleted
    test must not leave a promise that nothing checks any more."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Guarantees\n", 1)[1].split("\n## ", 1)[0]
    promises = re.split(r"\n- ", section)[1:]
    assert len(promises) >= 20
    defined = {m.group(1) for path in (root / "tests").glob("test_*.py") for m in re.finditer(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)}
    for promise in promises:
        named = re.findall(r"\b(test_\w+)\b", promise)
        assert named, f"a promise without a test: {promise[:80]!r}"
        missing = [name for name in named if name not in defined]
        assert not missing, f"the Guarantees name tests that do not exist: {missing}"
