"""Jekyll front matter, found exactly as Jekyll finds it, edited one key at a time.

The tool owns one top-level key of a post's front matter. Everything else in the
file belongs to the author: comments, key order, quoting, blank lines, CRLF line
endings, a BOM, ``---`` lines and Liquid in the body. So instead of re-dumping the
whole mapping we splice: YAML node positions tell where the managed key's lines
are, only those bytes are replaced, and the result is parsed again and compared
with what it must mean before anyone writes it.

Parsing uses libyaml (``yaml.CSafeLoader``) when PyYAML has it, the same parser
Jekyll's Psych uses, so tabs and other corners are accepted or refused as Jekyll
would; pure-Python ``SafeLoader`` otherwise. Front matter over
``MAX_FRONT_MATTER_BYTES``, aliases that expand to more than ``MAX_ALIAS_EXPANSION``
extra values ("billion laughs") and aliases that refer to themselves are refused
before anything walks the data: Jekyll reads such a post in a second, but every
walk of its data (references, the memo's JSON, the edit check) would expand it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import FrontMatterError, FrontMatterTooLarge, JekyllAsrError
from .fsutil import write_if_changed

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FRONT_MATTER_BYTES = 1 << 20  # a real post's front matter is a few kB; a 1 MB one is a mistake or an attack
MAX_ALIAS_EXPANSION = 100_000  # values aliases may add once expanded (anchors a real post shares: a handful)

# Jekyll's Document::YAML_FRONT_MATTER_REGEXP, %r!\A(---\s*\n.*?\n?)^((---|\.\.\.)\s*$\n?)!m,
# with Ruby's \s spelled out ([ \t\r\n\f\v]) and \A left to ``match`` so a BOM can be skipped.
_FRONT_MATTER = re.compile(r"---[ \t\r\n\f\v]*\n.*?\n?^((?:---|\.\.\.)[ \t\r\n\f\v]*$\n?)", re.S | re.M)
# A closing fence line anywhere: without one that regex cannot match, and trying costs time quadratic in the
# blank lines after the opening fence (a post of "---" and 40,000 empty lines took 33 s).
_CLOSING_FENCE = re.compile(r"^(?:---|\.\.\.)", re.M)

# YAML 1.1 line breaks (what PyYAML and libyaml count as a new line), CRLF first.
_BREAKS = "\r\n\x85\u2028\u2029"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True)
class FrontMatter:
    """A document's front matter: its data and where its YAML lies in the text.

    ``text[start:end]`` is the YAML between the fences (without them);
    ``text[body_start:]`` is the content Jekyll renders. ``newline`` is the
    ending of the opening fence line, used for lines the tool writes.
    """

    data: dict[str, Any]
    start: int
    end: int
    body_start: int
    newline: str = "\n"


def split(text: str) -> tuple[FrontMatter | None, str]:
    """``(front matter, body)``, or ``(None, text)`` when Jekyll would see none.

    Raises FrontMatterError when the fences are there but the YAML between them
    is broken or is not a mapping (Jekyll would fail on that post too).
    """
    offset = 1 if text.startswith("\ufeff") else 0
    if _CLOSING_FENCE.search(text, offset + 3) is None:
        return None, text
    match = _FRONT_MATTER.match(text, offset)
    if match is None:
        return None, text
    start = text.index("\n", offset) + 1
    end = match.start(1)
    newline = "\r\n" if text[start - 2 : start] == "\r\n" else "\n"
    size = len(text[start:end].encode("utf-8", "surrogatepass"))
    if size > MAX_FRONT_MATTER_BYTES:
        raise FrontMatterTooLarge(
            f"front matter is {size / (1 << 20):.1f} MB, over the {MAX_FRONT_MATTER_BYTES >> 20} MB jekyll-asr reads; "
            "move the data to _data/ or the body"
        )
    data = _load(text[start:end], first_line=text.count("\n", 0, start) + 1)
    return FrontMatter(data=data, start=start, end=end, body_start=match.end(), newline=newline), text[match.end() :]


def read(path: Path) -> tuple[FrontMatter | None, str]:
    """``split`` of a file read as UTF-8 bytes (no newline translation)."""
    text = _read_text(Path(path))
    try:
        return split(text)
    except FrontMatterError as exc:
        raise FrontMatterError(f"{path}: {exc}") from exc


def get_key(text: str, key: str) -> Any:
    """The value of top-level ``key``, or None (no front matter, or no such key)."""
    fm, _ = split(text)
    return None if fm is None else fm.data.get(key)


def set_key(text: str, key: str, value: Any) -> str:
    """``text`` with top-level ``key`` set to ``value`` (None removes it); every other byte kept.

    The key's existing lines (key line, indented value lines, whatever style) are
    replaced in place; a new key goes at the end of the front matter. Returns
    ``text`` itself when nothing changes, so callers can skip the write. Raises
    FrontMatterError (and changes nothing) when the document has no front matter,
    its YAML is broken, or the edit could not be made without touching other data.
    """
    fm, _ = split(text)
    if fm is None:
        raise FrontMatterError(
            f"no front matter: the file does not start with a '---' line, so Jekyll does not render it "
            f"and jekyll-asr will not add a {key!r} key to it"
        )
    old_yaml = text[fm.start : fm.end]
    spans, indent = _key_spans(old_yaml, key)
    if value is None and not spans:
        return text
    block = "" if value is None else _dump(key, value, indent, fm.newline)
    if spans:
        pieces, cursor = [], 0
        for i, (lo, hi) in enumerate(spans):
            pieces.append(old_yaml[cursor:lo])
            if i == 0:
                pieces.append(block)
            cursor = hi
        new_yaml = "".join(pieces) + old_yaml[cursor:]
    else:
        new_yaml = old_yaml + block
    new_text = text[: fm.start] + new_yaml + text[fm.end :]
    if new_text == text:
        return text
    _check_edit(text, fm, new_text, key, value)
    return new_text


def update_file(path: Path, key: str, value: Any) -> bool:
    """Set ``key`` in the file at ``path`` (atomic write); True when the file changed."""
    path = Path(path)
    text = _read_text(path)
    try:
        new_text = set_key(text, key, value)
    except FrontMatterError as exc:
        raise FrontMatterError(f"{path}: {exc}") from exc
    if new_text is text:
        return False
    return write_if_changed(path, new_text.encode("utf-8"))


# --- parsing -------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JekyllAsrError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrontMatterError(
            f"{path}: not UTF-8 (bad byte at offset {exc.start}); Jekyll reads posts as UTF-8, re-save it as UTF-8"
        ) from exc


def _load(yaml_text: str, *, first_line: int) -> dict[str, Any]:
    """The YAML between the fences as a dict; ``first_line`` turns YAML line numbers into file lines."""
    loader = _Loader(yaml_text)  # CSafeLoader/SafeLoader only
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise FrontMatterError(_yaml_message(exc, first_line)) from exc
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # ValueError/OverflowError: a timestamp like 2024-13-45 that matches YAML's pattern
        raise FrontMatterError(f"front matter is not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"front matter must be a mapping of keys to values (like 'title: ...'), not a {_yaml_kind(data)}"
        )
    return data


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past ``MAX_ALIAS_EXPANSION`` extra values, or into themselves.

    One pass over the distinct nodes (aliases are shared nodes here), sizes summed
    bottom-up: the cost is the document's size, never the expansion's.
    """
    expanded: dict[int, int] = {}  # id(node) -> how many values it holds once expanded
    open_nodes: set[int] = set()  # the path from the root to the node being visited
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
            if expanded[key] - distinct > MAX_ALIAS_EXPANSION:  # a lower bound of what aliases add
                raise FrontMatterTooLarge(
                    f"front matter aliases (*name) expand to over {MAX_ALIAS_EXPANSION:,} values "
                    "(a \"billion laughs\"?); jekyll-asr refuses it: write the values out or drop the aliases"
                )
        elif key in open_nodes:
            raise FrontMatterTooLarge("front matter refers to itself through an alias (*name); jekyll-asr refuses it")
        elif key not in expanded:
            open_nodes.add(key)
            distinct += 1
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _yaml_message(exc: yaml.MarkedYAMLError, first_line: int) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    where = f" at line {mark.line + first_line}, column {mark.column + 1}" if mark is not None else ""
    return f"front matter is not valid YAML{where}: {problem or exc}"


def _yaml_kind(data: object) -> str:
    return "list" if isinstance(data, list) else f"single {type(data).__name__} value"


# --- finding the managed key's lines -------------------------------------------------------


def _key_spans(yaml_text: str, key: str) -> tuple[list[tuple[int, int]], int]:
    """Offsets ``[lo, hi)`` of each top-level ``key`` entry (whole lines), and the top-level indentation.

    An entry runs from the start of its key's line to the end of the line where
    its value ends. Blank lines and comments after that belong to what follows
    and stay, whatever their indentation. Duplicate keys are all found.
    """
    node = yaml.compose(yaml_text, Loader=_Loader)  # split() already parsed it: cannot fail
    if node is None:
        return [], 0
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        raise FrontMatterError(
            "front matter is written as one flow mapping ({...}); jekyll-asr only edits block-style "
            "front matter (one 'key: value' per line)"
        )
    if not node.value:
        return [], 0
    starts = [_line_start(yaml_text, k.start_mark.index) for k, _ in node.value]
    first_line = yaml_text[starts[0] :]
    indent = len(first_line) - len(first_line.lstrip(" "))
    spans = []
    for i, (k, v) in enumerate(node.value):
        if not (isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:str" and k.value == key):
            continue
        lo = starts[i]
        if yaml_text[lo : k.start_mark.index].strip(" "):
            raise FrontMatterError(
                f"the {key!r} key is written in a form jekyll-asr cannot edit safely "
                f"(it must start its own line as '{key}:'); the file was left unchanged"
            )
        hi = starts[i + 1] if i + 1 < len(starts) else len(yaml_text)
        end = _content_end(v)
        while end > k.start_mark.index and yaml_text[end - 1] in _BREAKS + " \t":
            end -= 1  # a block scalar's end mark lies past the blank lines after it
        spans.append((lo, min(hi, _line_end(yaml_text, max(end - 1, k.start_mark.index)))))
    return spans, indent


def _content_end(node: yaml.Node) -> int:
    """Where a value's own text ends: a block collection's end mark lies at the next token, past any
    comments, so descend to its last entry; scalars and flow collections end exactly."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node.end_mark.index


def _line_start(text: str, index: int) -> int:
    return max(text.rfind(ch, 0, index) for ch in _BREAKS) + 1


def _line_end(text: str, index: int) -> int:
    """Just past the line break at or after ``index`` (the end of the text if there is none)."""
    match = _BREAK.search(text, index)
    return len(text) if match is None else match.end()


# --- writing the managed key ---------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style with sequences indented under their key (never a '- ' line at the key's column)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        # Psych merges on a '<<' key even when it is quoted; an explicit !!str tag stops it.
        if kind is yaml.ScalarNode and value == "<<":
            return "tag:yaml.org,2002:merge"
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        return tag


# Plain scalars Jekyll's Psych reads as something other than the string PyYAML meant:
# ':x' is a Symbol (safe_load refuses it: the post fails to build), '1,000' and '+1,5' are
# integers, 'yEs'/'oN'/'NULL' are booleans/nil in any case. Quoting them costs nothing.
_PSYCH_TYPED = re.compile(r"[-+.:~0-9]|(?:y|n|yes|no|true|false|on|off|null)\Z", re.IGNORECASE)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = None
    if _PSYCH_TYPED.match(data):
        style = "'"  # the emitter falls back to double quotes where single ones cannot hold it
    if any(ch in data for ch in "\x85\u2028\u2029"):
        # line breaks to YAML, not to editors, git or Jekyll's fence regex: write \N, \L, \P escapes
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(key: str, value: Any, indent: int, newline: str) -> str:
    """``key: value`` as block YAML lines, indented like the other top-level keys."""
    try:
        block = yaml.dump(
            {key: value}, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True
        )
    except yaml.representer.RepresenterError as exc:
        raise TypeError(f"front matter value for {key!r} is not plain YAML data: {exc}") from exc
    if indent:
        block = "".join(" " * indent + line if line.strip("\n") else line for line in block.splitlines(True))
    return block.replace("\n", newline) if newline != "\n" else block


# --- the safety net ------------------------------------------------------------------------


def _check_edit(old_text: str, fm: FrontMatter, new_text: str, key: str, value: Any) -> None:
    """Refuse an edit that would change anything but ``key``: a corrupted post is worse than none."""
    delta = len(new_text) - len(old_text)
    try:
        new_fm, _ = split(new_text)
    except FrontMatterError as exc:
        raise FrontMatterError(
            f"setting {key!r} would break the front matter ({exc}); the file was left unchanged"
        ) from exc
    if new_fm is None or new_fm.start != fm.start or new_fm.end != fm.end + delta:
        raise FrontMatterError(f"setting {key!r} would move the end of the front matter; the file was left unchanged")
    expected = dict(fm.data)
    if value is None:
        expected.pop(key, None)
    else:
        expected[key] = value
    if not _same(new_fm.data, expected):
        raise FrontMatterError(
            f"setting {key!r} would change other front matter data (an anchor, alias or merge key "
            f"shared with {key!r}?); the file was left unchanged"
        )


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True and lets NaN equal NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
