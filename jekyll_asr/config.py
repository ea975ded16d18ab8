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

from . import optioncheck as check
from .errors import ConfigError
from .jekyllconfig import asr_block, jekyll_settings, read_site_config
from .optioncheck import FORMATS
from .speakers import DIARIZERS

__all__ = ["OPTIONS", "Option", "Settings", "jekyll_settings", "load_settings", "read_site_config"]

ALWAYS_EXCLUDED = ("_site/**", ".git/**", "vendor/**", "node_modules/**", ".jekyll-cache/**", ".jekyll-asr/**", ".bundle/**", ".sass-cache/**")
ENGINES = ("auto", "transformers", "faster-whisper")
DIARIZER_NAMES = tuple(DIARIZERS)  # speakers/__init__.py: the registry
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
    speakers: str | int = "auto"
    diarizer: str = "resemblyzer"
    translate: bool = False
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
    def english_only(self) -> bool:
        """The model hears English only (``tiny.en``, ``openai/whisper-base.en``): no other language, no translation."""
        return english_only_model(self.model)

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
        Option("model", check.nonempty, "hub id, local directory, or a bundled name (tiny.en, base)", commands="all"),
        Option("model_revision", check.nonempty, "hub revision (branch, tag or commit); part of the cache key", commands="all"),
        Option("engine", check.choice(*ENGINES), "which engine transcribes", {"choices": ENGINES}, commands="all"),
        Option("device", check.choice(*DEVICES), "where the model runs", {"choices": DEVICES}, commands="all"),
        Option("language", check.language, "language code, or auto to detect it per speech window", commands="all"),
        Option("task", check.choice(*TASKS), "transcribe, or translate to English", {"choices": TASKS}, commands="all"),
        Option("beam_size", check.whole(1, 20), "beam search width", {"type": int}, commands="all"),
        Option("batch_size", check.whole(0, 256), "0 lets the engine pick what measured fastest", {"type": int}, commands="all"),
        Option("vad", check.boolean, "skip non-speech with Silero VAD (silence and music give no words)", _BOOL, commands="all"),
        Option("speakers", check.speakers, "who is speaking: off, auto (find how many), or a number of speakers", {"metavar": "off|auto|N"}, commands="all"),
        Option(
            "diarizer", check.choice(*DIARIZER_NAMES), "who-spoke-when model: resemblyzer (offline, CPU) or pyannote (HF token)",
            {"choices": DIARIZER_NAMES}, commands="all",
        ),
        Option("translate", check.boolean, "also write an English caption track (<slug>.en.vtt) translated by Whisper", _BOOL),
        Option("include", check.site_globs, "globs of audio files to transcribe even when no document links them", {"metavar": "GLOB,..."}),
        Option("exclude", check.text_list, "globs never scanned for audio", {"metavar": "GLOB,..."}),
        Option("formats", check.formats, f"output formats, from {','.join(FORMATS)}", _LIST),
        Option("cache_dir", check.relative_dir, "transcript cache (commit it)"),
        Option("includes_dir", check.output_dir, "where the Markdown transcript includes go"),
        Option("captions_dir", check.output_dir, "where captions and transcript files go"),
        Option("front_matter_key", check.nonempty, "the one front matter key the tool owns"),
        Option("audio_keys", check.text_list, "front matter keys naming audio, added to the built-in ones", _LIST),
        Option("replace_audio_keys", check.boolean, "audio_keys replaces the built-in keys instead of adding to them", _BOOL),
        Option("audio_dirs", check.dir_list, "folders where bare audio file names are looked up, added to the usual ones", _LIST),
        Option("remote", check.choice(*REMOTE_MODES), "audio linked by URL: download it, use mirrors only, or skip it", {"choices": REMOTE_MODES}),
        Option("mirrors", check.mirrors, "URL prefix=local folder: use local copies instead of downloading", {"action": "append", "metavar": "PREFIX=FOLDER"}),
        Option("downloads_dir", check.any_dir, "where downloads are kept while transcribed (default: the user cache)"),
        Option("keep_downloads", check.boolean, "keep downloaded audio after transcribing it", _BOOL),
        Option("revalidate", check.boolean, "ask servers whether linked audio changed (conditional requests)", _BOOL),
        Option("max_download_mb", check.whole(1, 1 << 20), "refuse remote audio larger than this", {"type": int}),
        Option("glossary", check.glossary, "terms to bias and fix (site-wide)", None),
        Option("corrections_dir", check.relative_dir, "per-episode corrections files"),
        Option("templates_dir", check.relative_dir, "the site's own transcript templates"),
        Option("paragraph_pause", check.number(0.1, 30.0), "seconds of silence that start a new paragraph", {"type": float}),
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
    errors += _english_only(values)
    if errors:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(errors))
    return Settings(site=site, **jekyll_settings(site, config), **values)


def english_only_model(model: str) -> bool:
    """Whisper's English-only checkpoints end in ``.en`` (a local directory may end in a slash)."""
    return model.rstrip("/").endswith(".en")


def _english_only(values: dict[str, Any]) -> list[str]:
    """An English-only model (``*.en``) asked for another language would write English words
    labelled as that language (or a translation nobody asked for): refused before any file."""
    model = str(values.get("model", OPTIONS["model"].default())).rstrip("/")
    language = values.get("language")
    if not english_only_model(model):
        return []
    if values.get("translate"):
        return [f"asr.translate: model {model!r} knows English only and cannot translate; choose a multilingual model (base, or openai/whisper-large-v3-turbo)"]
    if language in (None, "en"):
        return []
    return [
        f"asr.language: {language!r}, but model {model!r} transcribes English only; "
        "choose a multilingual model (base, or openai/whisper-large-v3-turbo with network), or language: en"
    ]
