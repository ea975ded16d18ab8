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
