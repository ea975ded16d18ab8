"""Settings from the site's ``_config.yml`` ``asr:`` block, overridden by flags.

Each option is declared once, in ``OPTIONS``: name, check, help and flag. The
``Settings`` defaults, validation (every problem at once, naming ``asr.<key>``)
and the command-line flags with their ``--help`` all come from that table.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .jekyllconfig import asr_block, jekyll_settings, read_site_config

__all__ = ["OPTIONS", "Option", "Settings", "jekyll_settings", "load_settings", "read_site_config"]

ALWAYS_EXCLUDED = ("_site/**", ".git/**", "vendor/**", "node_modules/**", ".jekyll-cache/**", ".jekyll-asr/**", ".bundle/**", ".sass-cache/**")
FORMATS = ("md", "vtt", "srt", "json", "txt", "chapters")
ENGINES = ("auto", "transformers", "faster-whisper")
DEVICES = ("auto", "cpu", "cuda")
TASKS = ("transcribe", "translate")
REMOTE_MODES = ("download", "mirror", "off")
# Front matter keys that podcast themes use to name an episode's audio (a path, a URL, or a
# mapping/list of them). A value is used only when it resolves to audio: a local file whose
# content is audio, or a URL that names audio (see references.py), so a generic key such as
# `link:` or `file:` pointing at a web page or a PDF is harmless.
DEFAULT_AUDIO_KEYS = (
    "audio", "audio_file", "audio_files", "audio_url", "audio_link", "audio_path", "audio_src",
    "podcast", "podcast_file", "podcast_url", "podcast_link", "podcast_audio", "podcast_mp3",
    "episode_file", "episode_url", "episode_audio", "enclosure", "enclosure_url",
    "mp3", "mp3_url", "m4a", "ogg", "opus", "media", "media_url", "media_file", "file", "link", "sound", "track",
)  # fmt: skip
# Folders themes keep episode audio in: a bare file name (`ep1.mp3`) is looked up here too.
DEFAULT_AUDIO_DIRS = (
    "episodes", "podcasts", "podcast", "audio", "audios", "media", "mp3", "mp3s", "sounds", "files", "uploads",
    "assets/episodes", "assets/podcasts", "assets/podcast", "assets/audio", "assets/media", "assets/mp3", "assets/sounds",
    "assets/files", "assets/uploads", "assets",
)  # fmt: skip


def user_cache() -> Path:
    """$JEKYLL_ASR_HOME, else the XDG cache dir: downloads and converted models live here."""
    if home := os.environ.get("JEKYLL_ASR_HOME"):
        return Path(home).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "jekyll-asr"
    return Path.home() / ".cache" / "jekyll-asr"


@dataclass(frozen=True)
class Settings:
    """Everything a build needs to know; ``site`` is the Jekyll source directory.

    The defaults are the option table's defaults; ``OPTIONS`` below says how
    each one is checked and which flag sets it.
    """

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
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    formats: tuple[str, ...] = FORMATS
    cache_dir: str = ".jekyll-asr/cache"
    includes_dir: str = "_includes/transcripts"
    captions_dir: str = "assets/transcripts"
    front_matter_key: str = "transcript"
    audio_keys: tuple[str, ...] = ()
    replace_audio_keys: bool = False
    audio_dirs: tuple[str, ...] = ()
    remote: str = "download"
    mirrors: tuple[tuple[str, str], ...] = ()
    downloads_dir: str | None = None
    keep_downloads: bool = False
    revalidate: bool = False
    max_download_mb: int = 2048
    glossary: tuple[Any, ...] = ()
    corrections_dir: str = "_transcript_corrections"
    templates_dir: str = "_asr_templates"
    paragraph_pause: float = 1.0
    # Read from the Jekyll part of _config.yml, not from the asr: block.
    baseurl: str = ""
    url: str = ""
    destination: str = "_site"
    collections: tuple[str, ...] = ()
    jekyll_exclude: tuple[str, ...] = field(default_factory=tuple)
    config_audio_dirs: tuple[str, ...] = ()  # folders the site's own config names for its audio
    config_audio_hosts: tuple[str, ...] = ()  # URL prefixes the site's config names for audio hosted elsewhere

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

    @property
    def all_audio_keys(self) -> tuple[str, ...]:
        """The front matter keys read for audio: the defaults plus ``audio_keys`` (or only those)."""
        if self.replace_audio_keys:
            return self.audio_keys
        return tuple(dict.fromkeys(DEFAULT_AUDIO_KEYS + self.audio_keys))

    @property
    def all_audio_dirs(self) -> tuple[str, ...]:
        """Folders a bare file name is looked up in: the site's own, the configured, the usual."""
        return tuple(dict.fromkeys(self.config_audio_dirs + self.audio_dirs + DEFAULT_AUDIO_DIRS))

    @property
    def downloads_path(self) -> Path:
        """Where downloaded remote audio is kept while it is transcribed (outside the site)."""
        if self.downloads_dir is None:
            return user_cache() / "downloads"
        path = Path(self.downloads_dir).expanduser()
        return path if path.is_absolute() else self.site / path

    @property
    def urls_path(self) -> Path:
        """The URL index (URL -> content hash): small, text, committed beside the cache."""
        return self.site / ".jekyll-asr" / "urls.json"

    @property
    def excluded(self) -> tuple[str, ...]:
        """Globs never scanned for audio: Jekyll's destination, VCS and dependency folders."""
        dest = self.destination.strip("/")
        extra = (f"{dest}/**",) if dest and dest != "_site" else ()
        return ALWAYS_EXCLUDED + extra


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _opt_str(value: Any) -> str | None:
    if value is None or value in {"", "auto"}:
        return None
    return _str(value)


def _language(value: Any) -> str | None:
    """A language code Whisper knows (``en``, ``de``…), or auto; ``English`` is refused here, not at the first file."""
    code = _opt_str(value)
    if code is None:
        return None
    from .languages import normalise_language

    return normalise_language(code)


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return str(value)

    return check


def _int(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
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


# Folders the site (or Jekyll) fills itself: an output folder there would make the tool own them.
_SHARED_FOLDERS = frozenset({"", ".", ".jekyll-asr", "_posts", "_drafts", "_layouts", "_includes", "_data", "_sass", "_plugins", "_site", "assets"})


def _output_dir(value: Any) -> str:
    """A folder of the tool's own: gc may remove what it generated there, so never a shared one."""
    text = _relative_dir(value).replace("\\", "/").strip("/")
    if text.removeprefix("./") in _SHARED_FOLDERS:
        raise ValueError(f"must be a folder of its own inside the site, such as '_includes/transcripts' (got {value!r})")
    return text


def _site_globs(value: Any) -> tuple[str, ...]:
    """Globs relative to the site: one that is absolute or climbs with ``..`` would walk the machine."""
    items = _str_list(value)
    for item in items:
        if item.startswith(("/", "\\")) or ".." in item.replace("\\", "/").split("/") or Path(item).is_absolute():
            raise ValueError(f"{item!r} must be a glob inside the site, relative to it and without '..' (e.g. 'assets/audio/**')")
    return items


def _dir_list(value: Any) -> tuple[str, ...]:
    return tuple(_relative_dir(v).strip("/") for v in _str_list(value))


def _any_dir(value: Any) -> str | None:
    return None if value is None else _str(value)


def _mirrors(value: Any) -> tuple[tuple[str, str], ...]:
    """``{URL prefix: local folder}`` (or ``PREFIX=FOLDER`` strings from the flag)."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) and "=" in v for v in value):
        value = dict(v.split("=", 1) for v in value)
    if not isinstance(value, dict):
        raise ValueError("must be a mapping of URL prefix to local folder (https://cdn.example.com/audio/: /home/me/episodes)")
    out = []
    for prefix, folder in value.items():
        if not isinstance(prefix, str) or not prefix.startswith(("http://", "https://")):
            raise ValueError(f"prefix {prefix!r} must be an http(s) URL prefix")
        if not isinstance(folder, str) or not folder.strip():
            raise ValueError(f"folder for {prefix!r} must be a path")
        out.append((prefix, folder.strip()))
    return tuple(out)


def _glossary(value: Any) -> tuple[Any, ...]:
    """Checked by the glossary's own parser, so config and build can never disagree on an entry."""
    from .glossary import Glossary

    if not isinstance(value, list):
        raise ValueError("must be a list of terms or {term: ..., heard: [...]} mappings")
    try:
        Glossary.from_config(value)
    except ConfigError as exc:
        raise ValueError(str(exc)) from exc
    return tuple(value)


@dataclass(frozen=True)
class Option:
    """One ``asr:`` option: how it is checked, what it means, how the flag takes it."""

    name: str
    check: Callable[[Any], Any]
    help: str
    flag: dict[str, Any] | None = field(default_factory=dict)  # argparse kwargs; None: no flag
    commands: str = "site"  # "site": build/status/check/gc/hook; "all": also `transcribe`

    def __call__(self, value: Any) -> Any:
        return self.check(value)

    @property
    def flag_name(self) -> str:
        return "--" + self.name.replace("_", "-")

    def default(self) -> Any:
        return {f.name: f.default for f in fields(Settings)}[self.name]


_BOOL = {"action": argparse.BooleanOptionalAction}
_LIST = {"metavar": "A,B"}

OPTIONS: dict[str, Option] = {
    o.name: o
    for o in (
        Option("model", _str, "hub id, local directory, or a bundled name (tiny.en, base)", commands="all"),
        Option("model_revision", _str, "hub revision (branch, tag or commit); part of the cache key", commands="all"),
        Option("engine", _choice(*ENGINES), "which engine transcribes", {"choices": ENGINES}, commands="all"),
        Option("device", _choice(*DEVICES), "where the model runs", {"choices": DEVICES}, commands="all"),
        Option("language", _language, "language code, or auto to detect per file", commands="all"),
        Option("task", _choice(*TASKS), "transcribe, or translate to English", {"choices": TASKS}, commands="all"),
        Option("beam_size", _int(1, 20), "beam search width", {"type": int}, commands="all"),
        Option("batch_size", _int(0, 256), "0 lets the engine pick what measured fastest", {"type": int}, commands="all"),
        Option("vad", _bool, "skip non-speech with Silero VAD (silence and music give no words)", _BOOL, commands="all"),
        Option("include", _site_globs, "globs of audio files to transcribe even when no document links them", {"metavar": "GLOB,..."}),
        Option("exclude", _str_list, "globs never scanned for audio", {"metavar": "GLOB,..."}),
        Option("formats", _formats, f"output formats, from {','.join(FORMATS)}", _LIST),
        Option("cache_dir", _relative_dir, "transcript cache (commit it)"),
        Option("includes_dir", _output_dir, "where the Markdown transcript includes go"),
        Option("captions_dir", _output_dir, "where captions and transcript files go"),
        Option("front_matter_key", _str, "the one front matter key the tool owns"),
        Option("audio_keys", _str_list, "front matter keys naming audio, added to the built-in ones", _LIST),
        Option("replace_audio_keys", _bool, "audio_keys replaces the built-in keys instead of adding to them", _BOOL),
        Option("audio_dirs", _dir_list, "folders where bare audio file names are looked up, added to the usual ones", _LIST),
        Option("remote", _choice(*REMOTE_MODES), "audio linked by URL: download it, use mirrors only, or skip it", {"choices": REMOTE_MODES}),
        Option("mirrors", _mirrors, "URL prefix=local folder: use local copies instead of downloading", {"action": "append", "metavar": "PREFIX=FOLDER"}),
        Option("downloads_dir", _any_dir, "where downloads are kept while transcribed (default: the user cache)"),
        Option("keep_downloads", _bool, "keep downloaded audio after transcribing it", _BOOL),
        Option("revalidate", _bool, "ask servers whether linked audio changed (conditional requests)", _BOOL),
        Option("max_download_mb", _int(1, 1 << 20), "refuse remote audio larger than this", {"type": int}),
        Option("glossary", _glossary, "terms to bias and fix (site-wide)", None),
        Option("corrections_dir", _relative_dir, "per-episode corrections files"),
        Option("templates_dir", _relative_dir, "the site's own transcript templates"),
        Option("paragraph_pause", _float(0.1, 30.0), "seconds of silence that start a new paragraph", {"type": float}),
    )
}

# Keys Jekyll, themes and feeds already give a meaning: the tool must not take one over.
RESERVED_KEYS = frozenset(
    "layout title date categories category tags permalink published excerpt excerpt_separator slug author authors "
    "description image lang language audio url path id collection content output draft".split()
)


def add_option_flags(group: argparse._ArgumentGroup, *, commands: str = "site") -> None:
    """One flag per option that has one; ``--help`` shows its help and default."""
    for option in OPTIONS.values():
        if option.flag is None or (commands == "all" and option.commands != "all"):
            continue
        kwargs = dict(option.flag)
        default = option.default()
        shown = ",".join(default) if isinstance(default, tuple) and all(isinstance(d, str) for d in default) else default
        kwargs["help"] = f"{option.help} (default: {shown if shown not in ((), '', None) else 'none'})"
        group.add_argument(option.flag_name, dest=option.name, default=None, **kwargs)


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The options the command line set (None: not given)."""
    return {name: getattr(args, name, None) for name in OPTIONS}


def load_settings(site: Path | str = ".", overrides: dict[str, Any] | None = None) -> Settings:
    """Settings for ``site``: defaults < ``asr:`` block < non-None ``overrides``."""
    site = Path(site).resolve()
    if not site.is_dir():
        raise ConfigError(f"site directory {site} does not exist")
    config = read_site_config(site)
    merged = dict(asr_block(config))
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})

    errors: list[str] = []
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        option = OPTIONS.get(key)
        if option is None:
            errors.append(f"asr.{key}: unknown option; known options: {', '.join(sorted(OPTIONS))}")
            continue
        try:
            values[key] = option(raw)
        except ValueError as exc:
            errors.append(f"asr.{key}: {exc}")
    key = values.get("front_matter_key", OPTIONS["front_matter_key"].default())
    if key in RESERVED_KEYS or key in set(values.get("audio_keys", ())) | set(DEFAULT_AUDIO_KEYS):
        errors.append(f"asr.front_matter_key: {key!r} already means something to Jekyll, themes or feeds; choose another (default: transcript)")
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    return Settings(site=site, **jekyll_settings(site, config), **values)
