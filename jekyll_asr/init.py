"""``init``: give a Jekyll site an ``asr:`` block and the files that show transcripts.

The ``asr:`` block is appended as text: the user's ``_config.yml`` keeps every
byte, comment and key order it had (YAML is never re-dumped). It holds only what
the defaults would get wrong for this site (``detect.py``: its own audio keys and
folders, the podcast's language). Shipped files (``templates/site/``: includes,
script, stylesheet, optional feed and plugin) are copied only where the site has
no file of that name, or with ``force``; the site's own feeds are never replaced,
``init`` says where the transcript tags go in each (``feeds.py``), first saying so
when no document links audio yet. A second run changes nothing; ``dry_run`` changes
nothing and says what a run would append and write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .config import OPTIONS, Settings, read_site_config
from .detect import Conventions, detect_conventions, links_audio
from .errors import ConfigError, UsageError
from .feeds import Feed, feed_notes, feed_plugins, find_feeds, uses_jekyll_feed
from .fsutil import atomic_write

CONFIG_NAMES = ("_config.yml", "_config.yaml")
FEED = "feed.xml"
PLUGINS_DIR = "_plugins"
INCLUDES_DIR = "_includes"
NO_URL = "has no url: feeds then carry relative URLs podcast apps cannot fetch; set url: https://your.domain"
NO_AUDIO = "no document links audio yet: see README 'Sites you already have'"


@dataclass(frozen=True)
class InitResult:
    """What ``init_site`` did, path by path (site-relative POSIX paths)."""

    site: Path
    config_file: str
    config_appended: bool
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # the site's own different file, left alone (use force)
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (path, why)
    detected: tuple[str, ...] = ()  # what the appended block says about this site, one line each
    notes: tuple[str, ...] = ()  # the site's feeds: where the transcript tags go
    warnings: tuple[str, ...] = ()
    dry_run: bool = False  # nothing was changed: config_appended and written say what would be
    block: str = ""  # the text appended (or, in a dry run, that would be)

    @property
    def changed(self) -> bool:
        return not self.dry_run and (self.config_appended or bool(self.written))

    def summary(self) -> str:
        if self.dry_run:
            return self._dry_summary()
        lines = [f"{self.config_file}: " + ("asr: block appended" if self.config_appended else "already has an asr: block; left as it is")]
        lines += [f"  {line}" for line in self.detected]
        lines += [f"wrote {p}" for p in self.written]
        lines += [f"kept {p} (the site's own version differs; --force replaces it)" for p in self.kept]
        lines += [f"skipped {p}: {why}" for p, why in self.skipped]
        if self.unchanged:
            lines.append(f"{len(self.unchanged)} file(s) already up to date")
        lines += list(self.notes)
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _dry_summary(self) -> str:
        lines = ["dry run: nothing was changed"]
        if self.config_appended:
            lines.append(f"would append to {self.config_file}:")
            lines += self.block.replace("\r\n", "\n").strip("\n").split("\n")
        else:
            lines.append(f"{self.config_file}: already has an asr: block; would leave it as it is")
        lines += [f"would write {p}" for p in self.written]
        lines += [f"would keep {p} (the site's own version differs; --force replaces it)" for p in self.kept]
        lines += [f"would skip {p}: {why}" for p, why in self.skipped]
        lines += list(self.notes)
        lines += [f"warning: {w}" for w in self.warnings]
        if self.config_appended or self.written:
            lines.append("run it without --dry-run to make these changes")
        return "\n".join(lines)


def site_templates() -> Path:
    """The folder of files ``init`` copies into a site (package data, or the repository's)."""
    try:
        packaged = Path(str(resources.files("jekyll_asr.templates") / "site"))
        if packaged.is_dir():
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[1] / "templates" / "site"


def _default(name: str) -> object:
    return {f.name: f.default for f in fields(Settings)}[name]


def config_block(*, model: str, language: str, conventions: Conventions | None = None, newline: str = "\n") -> str:
    """The ``asr:`` block ``init`` appends: the model, the language, and what the defaults miss on this site."""
    found = conventions or Conventions()
    if language != "auto" and found.language == language and found.language_from:
        why = f"from {_one_line(found.language_from)}; a Whisper language code, or auto to detect it per speech window"
    elif language != "auto":
        why = "a Whisper language code, or auto to detect it per speech window"
    else:
        ui = f" ({_one_line(found.ui_language)} is the language of the site's pages, not necessarily its audio's)" if found.ui_language else ""
        why = f"no podcast language declared: detected per file{ui}; or a code such as en"
    lines = [
        "",
        "# jekyll-asr: transcripts and captions for the site's audio (added by `jekyll-asr init`).",
        "# Every option has a default; `jekyll-asr build --help` lists them.",
        "asr:",
        "  # The default model is multilingual and best on a GPU; on a CPU `base` (any language) or",
        "  # `tiny.en` (English only) is much faster, and both are bundled (no download).",
        f"  model: {_yaml_scalar(model)}  # a Hugging Face id, a local folder, or tiny.en / base",
        f"  language: {_yaml_scalar(language)}  # {why}",
    ]
    if found.audio_keys:
        lines.append(f"  audio_keys: {_yaml_list(found.audio_keys)}  # front matter keys naming audio on this site, besides the built-in ones")
    if found.audio_dirs:
        lines.append(f"  audio_dirs: {_yaml_list(found.audio_dirs)}  # where its bare file names (file: ep1.mp3) are, besides the usual folders")
    if found.front_matter_key:
        lines.append(f"  front_matter_key: {found.front_matter_key}  # the one key the tool writes; this site's posts use transcript: for their own values")
    lines += ["  formats: [md, vtt, srt, json, txt, chapters]", ""]
    return newline.join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _yaml_scalar(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value) else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_yaml_scalar(v) for v in values) + "]"


def detected_lines(conventions: Conventions, language: str) -> list[str]:
    """What the appended block says about the site, for the summary."""
    if language == "auto":
        lines = ["language: auto (no podcast language declared; detected per file)"]
    elif conventions.language == language and conventions.language_from:
        lines = [f"language: {language} (from {_one_line(conventions.language_from)})"]
    else:
        lines = [f"language: {language}"]
    if conventions.audio_keys:
        lines.append(f"audio_keys: {', '.join(conventions.audio_keys)} (front matter keys naming audio that the built-in keys miss)")
    if conventions.audio_dirs:
        lines.append(f"audio_dirs: {', '.join(conventions.audio_dirs)} (folders of audio the documents name by bare file name)")
    if conventions.front_matter_key:
        lines.append(f"front_matter_key: {conventions.front_matter_key} ({conventions.key_in_use_by} uses transcript: for a value of its own)")
    return lines


def config_path(site: Path) -> Path:
    path = next((site / n for n in CONFIG_NAMES if (site / n).is_file()), None)
    if path is None:
        raise UsageError(f"{site} has no _config.yml: run init in the Jekyll site's source folder (or name it: jekyll-asr init SITE)")
    return path


def append_config(
    site: Path, *, model: str | None = None, language: str | None = None, conventions: Conventions | None = None, dry_run: bool = False
) -> tuple[str, str, list[str]]:
    """Append the ``asr:`` block unless the config has one (``dry_run``: only check it would).

    Returns (file name, the block appended, "" when none, summary lines)."""
    path = config_path(site)
    config = read_site_config(site)
    if "asr" in config:
        return path.name, "", []
    found = conventions or Conventions()
    language = language or found.language or "auto"
    original = path.read_bytes()
    text = original.decode("utf-8-sig", errors="strict") if original else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = config_block(model=model or str(_default("model")), language=language, conventions=found, newline=newline)
    prefix = b"" if not original or original.endswith(b"\n") else newline.encode()
    new = original + prefix + block.encode("utf-8")
    _check_appended(path, new)
    if not dry_run:
        atomic_write(path, new)
    return path.name, block, detected_lines(found, language)


def _check_appended(path: Path, data: bytes) -> None:
    """Refuse to write a config that would not parse, or whose asr: block is not ours."""
    manual = "add the asr: block by hand (see `jekyll-asr init --help`)"
    try:
        parsed = yaml.safe_load(data.decode("utf-8-sig"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: appending the asr: block would not give valid YAML ({exc}); {manual}") from exc
    block = parsed.get("asr") if isinstance(parsed, dict) else None
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: the appended asr: block would not be read (a '...' or '---' line ends the file's YAML?); {manual}")
    errors = []
    for key, value in block.items():
        try:
            OPTIONS[key](value)
        except (KeyError, ValueError) as exc:
            errors.append(f"asr.{key}: {exc}")
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors))


def _destination(rel: PurePosixPath, config: dict[str, Any]) -> PurePosixPath:
    """Where a shipped file goes: honours Jekyll's own ``includes_dir`` and ``plugins_dir``."""
    top = rel.parts[0]
    if top == INCLUDES_DIR and isinstance(config.get("includes_dir"), str):
        return PurePosixPath(config["includes_dir"], *rel.parts[1:])
    if top == PLUGINS_DIR and isinstance(config.get("plugins_dir"), str):
        return PurePosixPath(config["plugins_dir"], *rel.parts[1:])
    return rel


def shipped_files() -> list[PurePosixPath]:
    root = site_templates()
    return sorted(
        PurePosixPath(p.relative_to(root).as_posix())
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", "~"))
    )


def init_site(
    site: Path | str = ".",
    *,
    force: bool = False,
    plugin: bool = False,
    feed: bool | None = None,
    model: str | None = None,
    language: str | None = None,
    dry_run: bool = False,
) -> InitResult:
    """Set a site up for jekyll-asr. ``feed=None`` installs ``feed.xml`` only when the site has no feed of its
    own, no plugin that makes one and no jekyll-feed; ``plugin`` adds ``_plugins/jekyll_asr.rb``;
    ``dry_run`` changes nothing and says what would be appended and written."""
    site = Path(site)
    if not site.is_dir():
        raise UsageError(f"site folder {site} does not exist")
    config_path(site)
    config = read_site_config(site)
    feeds = find_feeds(site, config)
    conventions = None
    if "asr" not in config:
        conventions = detect_conventions(site, config, [f.language for f in feeds if f.podcast and f.language])
    config_file, block, detected = append_config(site, model=model, language=language, conventions=conventions, dry_run=dry_run)
    config = read_site_config(site)
    own = [f for f in feeds if not (f.path == FEED and _is_shipped(site, FEED))]
    jekyll_feed, plugins = uses_jekyll_feed(site, config), feed_plugins(site, config)
    install_feed, feed_why = _feed_choice(feed, own, jekyll_feed, plugins)
    written, unchanged, kept, skipped = _copy_files(site, config, force=force, plugin=plugin, feed=install_feed, feed_why=feed_why, dry_run=dry_run)
    no_audio = links_audio(site, conventions) is False
    notes = [NO_AUDIO] * no_audio + feed_notes(own, jekyll_feed=jekyll_feed, plugins=plugins, short=no_audio)
    has_url = bool(str(config.get("url") or "").strip())
    return InitResult(
        site, config_file, bool(block), tuple(written), tuple(unchanged), tuple(kept), tuple(skipped),
        detected=tuple(detected),
        notes=tuple(notes),
        warnings=() if has_url else (f"{config_file} {NO_URL}",),
        dry_run=dry_run,
        block=block,
    )  # fmt: skip


def _is_shipped(site: Path, rel: str) -> bool:
    try:
        return (site / rel).read_bytes() == (site_templates() / rel).read_bytes()
    except OSError:
        return False


def _feed_choice(feed: bool | None, own: list[Feed], jekyll_feed: bool, plugins: list[str]) -> tuple[bool, str]:
    """Whether to add jekyll-asr's feed.xml, and why not: never beside a feed of the site's own unless asked."""
    if feed is not None:
        return feed, "--no-feed"
    if own:
        names = ", ".join(f.path for f in own)
        return False, f"the site has its own feed ({names}); --feed adds jekyll-asr's podcast feed.xml anyway"
    if plugins:
        makes = f"the {' and '.join(plugins)} plugin{'s make' if len(plugins) > 1 else ' makes'} this site's feed"
        return False, f"{makes}; --feed adds jekyll-asr's podcast feed.xml anyway"
    if jekyll_feed:
        return False, "the site uses jekyll-feed; --feed installs a podcast feed.xml that takes its place"
    return True, ""


def _copy_files(
    site: Path, config: dict[str, Any], *, force: bool, plugin: bool, feed: bool, feed_why: str, dry_run: bool = False
) -> tuple[list[str], list[str], list[str], list[tuple[str, str]]]:
    """Copy the shipped files (``dry_run``: only say which): (written, unchanged, kept, skipped)."""
    root = site_templates()
    written: list[str] = []
    unchanged: list[str] = []
    kept: list[str] = []
    skipped: list[tuple[str, str]] = []
    for rel in shipped_files():
        dest_rel = _destination(rel, config)
        dest = site / dest_rel
        data = (root / rel).read_bytes()
        optional = None
        if rel.parts[0] == PLUGINS_DIR and not plugin:
            optional = "the Jekyll plugin is optional (--plugin adds it)"
        elif rel.as_posix() == FEED and not feed:
            optional = feed_why
        same = dest.is_file() and dest.read_bytes() == data
        if optional and not same:
            skipped.append((dest_rel.as_posix(), optional))
        elif same:
            unchanged.append(dest_rel.as_posix())
        elif dest.exists() and not force:
            kept.append(dest_rel.as_posix())
        else:
            if not dry_run:
                atomic_write(dest, data)
            written.append(dest_rel.as_posix())
    return written, unchanged, kept, skipped
