"""What jekyll-asr reads from ``_config.yml``: the file itself, and its Jekyll part (not the ``asr:`` block).

The file must be a UTF-8 YAML mapping; anything else is one line naming it and where (exit 2).

From the Jekyll part: the baseurl and url (links to the site's own files), the destination and
``exclude:`` (never scanned), collections (published folders), and what the
site's own config says about its audio: a folder (``podcast: {audio_folder:}``)
or a host (Octopod's ``download_url``, jekyll-podcast's ``remote_episode_host``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

_FOLDER_MAX_CHARS = 200  # longer text is prose (a summary, a description), not a folder name


def read_site_config(site: Path) -> dict[str, Any]:
    """The whole ``_config.yml`` (or ``_config.yaml``); empty when the site has none.

    Anything else than a UTF-8 YAML mapping is one ConfigError line (exit 2) saying where.
    """
    for name in ("_config.yml", "_config.yaml"):
        path = site / name
        if path.is_file():
            return _parse_config(path)
    return {}


def _parse_config(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        line = data[:at].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text: byte 0x{data[at]:02x} at offset {at} (line {line}); save it as UTF-8") from exc
    try:
        config = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {' '.join(str(exc.problem or exc.context).split())}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: must be a mapping of keys (got {_kind(config)})")
    return config


def asr_block(config: dict[str, Any]) -> dict[str, Any]:
    """The ``asr:`` block; empty when there is none (or it is empty), refused when it is not a mapping."""
    block = config.get("asr")
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise ConfigError(f"_config.yml: 'asr' must be a mapping of options (got {_kind(block)})")
    return block


def _kind(value: Any) -> str:
    """What a YAML value is, in the words of a config file's author."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else type(value).__name__


def jekyll_settings(site: Path, config: dict[str, Any]) -> dict[str, Any]:
    """What the tool reads from the Jekyll part of ``_config.yml``."""
    collections = config.get("collections") or {}
    names = tuple(collections) if isinstance(collections, (dict, list)) else ()
    jekyll_exclude = config.get("exclude") or ()
    destination = config.get("destination")
    return {
        "baseurl": str(config.get("baseurl") or "").strip().rstrip("/"),
        "url": str(config.get("url") or "").strip().rstrip("/"),
        "destination": _relative_destination(site, destination) if isinstance(destination, str) else "_site",
        "collections": tuple(str(n) for n in names),
        "jekyll_exclude": tuple(str(x) for x in jekyll_exclude) if isinstance(jekyll_exclude, list) else (),
        "config_audio_dirs": _config_audio_dirs(site, config),
        "config_audio_hosts": _config_audio_hosts(config),
    }


def _folder_like(text: str) -> bool:
    """A value that could name a folder: short, one line, no URL, no ``..`` (a podcast summary is not)."""
    return bool(text) and len(text) < _FOLDER_MAX_CHARS and "\n" not in text and "://" not in text and ".." not in text.split("/")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, or not a name at all
        return False


def _config_audio_hosts(config: dict[str, Any]) -> tuple[str, ...]:
    """Where the site's config says its audio is hosted (Octopod's ``download_url``, ``remote_episode_host``…).

    An http(s) URL at the top level or one mapping down, under a key that speaks
    of downloads, hosts or CDNs: a bare file name no local folder has is fetched from there.
    """
    found: list[str] = []
    for key, value in config.items():
        items = value.items() if isinstance(value, dict) and key != "asr" else [(key, value)]
        for sub, item in items:
            name = str(sub).lower()
            if isinstance(item, str) and item.startswith(("http://", "https://")) and any(
                w in name for w in ("download", "host", "cdn", "media_url", "audio_url", "episodes_url", "base_url", "mp3_url")
            ):
                found.append(item.strip().rstrip("/"))
    return tuple(dict.fromkeys(found))


def _relative_destination(site: Path, destination: str) -> str:
    """``destination:`` as a site-relative folder ('' when it lies outside the source)."""
    path = (site / destination).resolve()
    try:
        return path.relative_to(site.resolve()).as_posix()
    except ValueError:
        return ""


def _config_audio_dirs(site: Path, config: dict[str, Any]) -> tuple[str, ...]:
    """Folders the site's own config names for its audio (``podcast: {folder: episodes}``, ``audio_path: /media/``).

    A string value, at the top level or one mapping down, whose key speaks of
    audio and that names an existing folder of the site.
    """
    found: list[str] = []

    def visit(mapping: dict[str, Any], depth: int, parent: str) -> None:
        for key, value in mapping.items():
            name = f"{parent}{key}".lower()
            if isinstance(value, dict) and depth == 0:
                visit(value, 1, f"{key}.")
            elif isinstance(value, str) and any(w in name for w in ("audio", "podcast", "episode", "media", "mp3", "sound")):
                rel = value.strip().strip("/")
                for prefix in ("{{site.url}}", "{{ site.url }}", "{{site.baseurl}}", "{{ site.baseurl }}"):
                    rel = rel.replace(prefix, "").strip("/")
                if _folder_like(rel) and _is_dir(site / rel):
                    found.append(rel)

    visit({k: v for k, v in config.items() if k != "asr"}, 0, "")
    return tuple(dict.fromkeys(found))
