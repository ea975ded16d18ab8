"""``init``: give a Jekyll site an ``asr:`` block and the files that show transcripts.

The ``asr:`` block is appended as text: the user's ``_config.yml`` keeps every
byte, comment and key order it had (YAML is never re-dumped). Shipped files
(``templates/site/``: includes, script, stylesheet, feed, optional plugin) are
copied only where the site has no file of that name, or with ``force``; a
second run changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path, PurePosixPath

import yaml

from .config import OPTIONS, Settings, read_site_config
from .errors import ConfigError, UsageError
from .fsutil import atomic_write

CONFIG_NAMES = ("_config.yml", "_config.yaml")
FEED = "feed.xml"
PLUGINS_DIR = "_plugins"
INCLUDES_DIR = "_includes"


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

    @property
    def changed(self) -> bool:
        return self.config_appended or bool(self.written)

    def summary(self) -> str:
        lines = [f"{self.config_file}: " + ("asr: block appended" if self.config_appended else "already has an asr: block; left as it is")]
        lines += [f"wrote {p}" for p in self.written]
        lines += [f"kept {p} (the site's own version differs; --force replaces it)" for p in self.kept]
        lines += [f"skipped {p}: {why}" for p, why in self.skipped]
        if self.unchanged:
            lines.append(f"{len(self.unchanged)} file(s) already up to date")
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


def config_block(*, model: str, language: str, newline: str = "\n") -> str:
    """The ``asr:`` block ``init`` appends: the keys a user changes first, commented."""
    lines = [
        "",
        "# jekyll-asr: transcripts and captions for the site's audio (added by `jekyll-asr init`).",
        "# Every option has a default; `jekyll-asr build --help` lists them.",
        "asr:",
        f"  model: {_yaml_scalar(model)}  # a Hugging Face id, a local folder, or tiny.en / base (bundled, offline)",
        f"  language: {_yaml_scalar(language)}  # a language code, or auto to detect it per file",
        "  include:",
        '    - "assets/**"  # where audio lives; audio that posts link to is found anywhere',
        "  formats: [md, vtt, srt, json, txt, chapters]",
        "",
    ]
    return newline.join(lines)


def _yaml_scalar(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value) else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _site_language(config: dict) -> str:
    lang = config.get("lang") or config.get("locale")
    m = re.match(r"([A-Za-z]{2,3})(?:[-_]|$)", str(lang)) if lang else None
    return m.group(1).lower() if m else "auto"


def uses_jekyll_feed(site: Path, config: dict) -> bool:
    """Whether the site builds its feed with jekyll-feed (its config or Gemfile names it)."""
    for key in ("plugins", "gems"):
        names = config.get(key)
        if isinstance(names, list) and "jekyll-feed" in names:
            return True
    gemfile = site / "Gemfile"
    try:
        return "jekyll-feed" in gemfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def append_config(site: Path, *, model: str | None = None, language: str | None = None) -> tuple[str, bool]:
    """Append the ``asr:`` block unless the config has one. Returns (file name, appended)."""
    path = next((site / n for n in CONFIG_NAMES if (site / n).is_file()), None)
    if path is None:
        raise UsageError(f"{site} has no _config.yml: run init in the Jekyll site's source folder (or name it: jekyll-asr init SITE)")
    config = read_site_config(site)
    if "asr" in config:
        return path.name, False
    original = path.read_bytes()
    text = original.decode("utf-8-sig", errors="strict") if original else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = config_block(model=model or str(_default("model")), language=language or _site_language(config), newline=newline)
    prefix = b"" if not original or original.endswith(b"\n") else newline.encode()
    new = original + prefix + block.encode("utf-8")
    _check_appended(path, new)
    atomic_write(path, new)
    return path.name, True


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


def _destination(rel: PurePosixPath, config: dict) -> PurePosixPath:
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
) -> InitResult:
    """Set a site up for jekyll-asr. ``feed=None`` installs ``feed.xml`` unless the site
    uses jekyll-feed; ``plugin`` adds ``_plugins/jekyll_asr.rb`` (runs the build from Jekyll)."""
    site = Path(site)
    if not site.is_dir():
        raise UsageError(f"site folder {site} does not exist")
    config_file, appended = append_config(site, model=model, language=language)
    config = read_site_config(site)
    if feed is None:
        feed = not uses_jekyll_feed(site, config)
        feed_why = "the site uses jekyll-feed; --feed installs a podcast feed.xml that takes its place"
    else:
        feed_why = "--no-feed"
    root = site_templates()
    written, unchanged, kept, skipped = [], [], [], []
    for rel in shipped_files():
        dest_rel = _destination(rel, config)
        dest = site / dest_rel
        data = (root / rel).read_bytes()
        optional = None
        if rel.parts[0] == PLUGINS_DIR and not plugin:
            optional = "the Jekyll plugin is optional (--plugin adds it)"
        elif rel.as_posix() == FEED and not feed:
            optional = feed_why
        if optional and not (dest.is_file() and dest.read_bytes() == data):
            skipped.append((dest_rel.as_posix(), optional))
            continue
        if dest.is_file() and dest.read_bytes() == data:
            unchanged.append(dest_rel.as_posix())
        elif dest.exists() and not force:
            kept.append(dest_rel.as_posix())
        else:
            atomic_write(dest, data)
            written.append(dest_rel.as_posix())
    return InitResult(site, config_file, appended, tuple(written), tuple(unchanged), tuple(kept), tuple(skipped))
