"""Keep tests away from the user's real caches and the network."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# Converted models are kept for the whole session (conversion costs seconds, not minutes),
# in a temp dir, never in the user's ~/.cache.
_HOME = Path(os.environ.get("JEKYLL_ASR_TEST_HOME") or tempfile.mkdtemp(prefix="jekyll-asr-test-home-"))
os.environ["JEKYLL_ASR_HOME"] = str(_HOME)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: runs a real Whisper model (CI runs these too)")
    config.addinivalue_line("markers", "jekyll: runs Debian's jekyll")
    config.addinivalue_line("markers", "browser: runs headless Chromium")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _no_real_home(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A test that writes to ~/.cache by mistake writes to a temp dir instead."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    monkeypatch.setenv("JEKYLL_ASR_HOME", str(_HOME))


@pytest.fixture
def built_site(tmp_path: Path) -> Path:
    """A site rendered from a seeded cache (tests/test_state.SITE): outputs and front matter, no model."""
    from .sitefactory import make_site
    from .test_state import SITE, render_site, seed_cache

    site = make_site(tmp_path / "site", SITE)
    seed_cache(site)
    report = render_site(site)
    assert report.failed == [] and report.outputs
    return site


@pytest.fixture
def browser(tmp_path: Path):
    """Headless Chromium driven over the DevTools protocol (tests/test_jekyll.Chromium)."""
    pytest.importorskip("websocket", reason="pip install websocket-client")
    from .test_jekyll import Chromium, need

    chromium = Chromium(need("chromium"), tmp_path / "profile")
    yield chromium
    chromium.close()
