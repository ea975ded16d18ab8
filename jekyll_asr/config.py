"""Settings from the site's ``_config.yml`` ``asr:`` block, overridden by flags.

Options are declared once, as a table; loading merges the file with the
non-None overrides, collects every problem, then stops with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .errors import ConfigError

ALWAYS_EXCLUDED = ("_site/**", ".git/**", "vendor/**", "node_modules/**", ".jekyll-cache/**", ".jekyll-asr/**", ".bundle/**")
FORMATS = ("md", "vtt", "srt", "json", "txt", "chapters")
ENGINES = ("auto", "transformers", "faster-whisper")
DEVICES = ("auto", "cpu", "cuda")
TASKS = ("transcribe", "translate")
# Front matter keys that podcast themes use to name a post's audio file.
DEFAULT_AUDIO_KEYS = ("audio", "audio_file", "audio_url", "podcast_file", "podcast_url", "enclosure", "mp3", "media", "file")


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know; ``site`` is the Jekyll source directory."""

    site: Path
    model: str = "openai/whisper-large-v3-turbo"
    model_revision: str = "main"
    engine: str = "auto"
    device: str = "auto"
    language: str | None = None
    task: str = "transcribe"
    beam_size: int = 5
    batch_size: int = 0
    vad: bool = True
    include: tuple[str, ...] = ("assets/**",)
    exclude: tuple[str, ...] = ()
    formats: tuple[str, ...] = FORMATS
    cache_dir: str = ".jekyll-asr/cache"
    includes_dir: str = "_includes/transcripts"
    captions_dir: str = "assets/transcripts"
    front_matter_key: str = "transcript"
    audio_keys: tuple[str, ...] = DEFAULT_AUDIO_KEYS
    glossary: tuple[Any, ...] = ()
    corrections_dir: str = "_transcript_corrections"
    templates_dir: str = "_asr_templates"
    paragraph_pause: float = 1.0
    # Read from the Jekyll part of _config.yml, not from the asr: block.
    baseurl: str = ""
    collections: tuple[str, ...] = ()
    jekyll_exclude: tuple[str, ...] = field(default_factory=tuple)

    @property
    def cache_path(self) -> Path:
        return self.site / self.cache_dir

    @property
    def state_path(self) -> Path:
        """Machine-local state (stat index, lock): never committed."""
        return self.site / ".jekyll-asr" / "local"

    @property
    def includes_path(self) -> Path:
        return self.site / self.includes_dir

    @property
    def captions_path(self) -> Path:
        return self.site / self.captions_dir


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _opt_str(value: Any) -> str | None:
    if value is None or value == "" or value == "auto":
        return None
    return _str(value)


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return value

    return check


def _int(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high} (got {value!r})")
        return value

    return check


def _float(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"must be a number from {low} to {high} (got {value!r})")
        return float(value)

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false (got {value!r})")
    return value


def _str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _formats(value: Any) -> tuple[str, ...]:
    items = _str_list(value)
    bad = [v for v in items if v not in FORMATS]
    if bad:
        raise ValueError(f"unknown format {', '.join(bad)}; allowed: {', '.join(FORMATS)}")
    return items


def _relative_dir(value: Any) -> str:
    text = _str(value)
    parts = Path(text).parts
    if Path(text).is_absolute() or ".." in parts:
        raise ValueError(f"must be a path inside the site (got {text!r})")
    return text


def _glossary(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ValueError("must be a list of terms or {term: ..., heard: [...]} mappings")
    for item in value:
        ok = isinstance(item, str) or (isinstance(item, dict) and isinstance(item.get("term"), str))
        if not ok:
            raise ValueError(f"entry {item!r} must be a string or a mapping with a 'term'")
    return tuple(value)


# key -> validator; the Settings field has the same name.
OPTIONS: dict[str, Callable[[Any], Any]] = {
    "model": _str,
    "model_revision": _str,
    "engine": _choice(*ENGINES),
    "device": _choice(*DEVICES),
    "language": _opt_str,
    "task": _choice(*TASKS),
    "beam_size": _int(1, 20),
    "batch_size": _int(0, 256),
    "vad": _bool,
    "include": _str_list,
    "exclude": _str_list,
    "formats": _formats,
    "cache_dir": _relative_dir,
    "includes_dir": _relative_dir,
    "captions_dir": _relative_dir,
    "front_matter_key": _str,
    "audio_keys": _str_list,
    "glossary": _glossary,
    "corrections_dir": _relative_dir,
    "templates_dir": _relative_dir,
    "paragraph_pause": _float(0.1, 30.0),
}


def read_site_config(site: Path) -> dict[str, Any]:
    """The whole ``_config.yml`` (or ``_config.yaml``); empty when the site has none."""
    for name in ("_config.yml", "_config.yaml"):
        path = site / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
            except yaml.YAMLError as exc:
                raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
            if data is None:
                return {}
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: must be a mapping of keys")
            return data
    return {}


def load_settings(site: Path | str = ".", overrides: dict[str, Any] | None = None) -> Settings:
    """Settings for ``site``: defaults < ``asr:`` block < non-None ``overrides``."""
    site = Path(site).resolve()
    if not site.is_dir():
        raise ConfigError(f"site directory {site} does not exist")
    config = read_site_config(site)
    block = config.get("asr") or {}
    if not isinstance(block, dict):
        raise ConfigError("_config.yml: 'asr' must be a mapping of options")
    merged = dict(block)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})

    errors: list[str] = []
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        check = OPTIONS.get(key)
        if check is None:
            errors.append(f"asr.{key}: unknown option; known options: {', '.join(sorted(OPTIONS))}")
            continue
        try:
            values[key] = check(raw)
        except ValueError as exc:
            errors.append(f"asr.{key}: {exc}")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))

    collections = config.get("collections") or {}
    names = tuple(collections) if isinstance(collections, (dict, list)) else ()
    jekyll_exclude = config.get("exclude") or ()
    return Settings(
        site=site,
        baseurl=str(config.get("baseurl") or "").rstrip("/"),
        collections=tuple(str(n) for n in names),
        jekyll_exclude=tuple(str(x) for x in jekyll_exclude) if isinstance(jekyll_exclude, list) else (),
        **values,
    )
