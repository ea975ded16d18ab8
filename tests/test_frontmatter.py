"""Front matter: found as Jekyll finds it, one key edited, every other byte kept.

Explicit cases first, then hypothesis properties over generated posts, then the
same properties checked against real Jekyll (Ruby + Psych) when it is installed.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jekyll_asr import frontmatter
from jekyll_asr.errors import FrontMatterError, JekyllAsrError
from jekyll_asr.frontmatter import get_key, read, set_key, split, update_file

KEY = "transcript"
VALUE = {"vtt": "/assets/ep1.vtt", "words": 120}
BLOCK = "transcript:\n  vtt: /assets/ep1.vtt\n  words: 120\n"

# Strings that must stay data: Liquid, fences, YAML indicators, HTML, breaks, Psych-typed words.
HOSTILE = [
    "{{ site.title }}", "{% include x.html %}", "{%- raw -%}", "---", "...", "--- ", ": ", "a: b", "#", "# x",
    "a #b", "<script>alert(1)</script>", "*alias", "&anchor", "!tag", "!!python/object", "'", '"', "''",
    "\n", "\r\n", "a\n---\nb", "a\n...\n", "- item", "? q", "|", ">", "@x", "`x`", "%YAML 1.2", "null",
    "~", "yes", "No", "oN", "NULL", "y", "0o17", "1e3", "1,000", "+1,5", "1:20", "0x1F", ".inf", "-.5",
    "2024-01-01", "2024-01-01 10:00:00", ":sym", ":)", "\t", " lead", "trail ", "\ufeff", "\u2028",
    "\x85", "\x00", "\x1b[0m", "é ü 日本語 🎙", "<<", "=", "[a, b]", "{a: 1}", "a\\nb", "\\", "%", "\r",
]


# --- split / read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "plain text\n", "x\n---\na: 1\n---\n", "---\nno closing fence\n", " ---\na: 1\n---\n",
     "----\na: 1\n---\n", "---x\na: 1\n---\n", "---\n", "\ufeff\ufeff---\na: 1\n---\n"],
)
def test_no_front_matter(text: str) -> None:
    assert split(text) == (None, text)
    assert get_key(text, "a") is None


def test_split_finds_the_yaml_and_the_body_like_jekyll() -> None:
    text = "---\ntitle: A\n---\nbody\n---\n{{ page.title }}\n"
    fm, body = split(text)
    assert fm is not None
    assert fm.data == {"title": "A"}
    assert text[fm.start : fm.end] == "title: A\n"
    assert body == "body\n---\n{{ page.title }}\n"
    assert text[fm.body_start :] == body
    assert fm.newline == "\n"


def test_split_closing_fence_variants() -> None:
    fm, body = split("--- \na: 1\n...  \nbody")
    assert fm is not None and fm.data == {"a": 1} and body == "body"
    # Jekyll's regex lets `\s*$\n?` after the closing fence swallow blank lines: the body starts after them.
    fm, body = split("---\na: 1\n---\n\n\nbody\n")
    assert body == "body\n"


def test_split_bom_crlf_offsets_index_the_original_text() -> None:
    text = "\ufeff---\r\ntitle: A\r\n---\r\nbody\r\n"
    fm, body = split(text)
    assert fm is not None
    assert text[fm.start : fm.end] == "title: A\r\n"
    assert fm.newline == "\r\n" and fm.data == {"title": "A"} and body == "body\r\n"


@pytest.mark.parametrize("text", ["---\n---\n", "---\n---", "---\n\n---\n", "---\n# only a comment\n---\nx"])
def test_empty_front_matter_is_an_empty_mapping(text: str) -> None:
    fm, _ = split(text)
    assert fm is not None and fm.data == {}


def test_jekyll_dates_come_back_as_dates() -> None:
    fm, _ = split("---\ndate: 2024-03-01\n---\n")
    assert fm is not None and fm.data["date"] == datetime.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("text", "words"),
    [("---\n- a\n- b\n---\n", "not a list"), ("---\njust text\n---\n", "not a single str"),
     ("---\n42\n---\n", "not a single int")],
)
def test_front_matter_that_is_not_a_mapping_is_refused(text: str, words: str) -> None:
    with pytest.raises(FrontMatterError, match=words):
        split(text)


def test_broken_yaml_names_the_file_line() -> None:
    text = "---\ntitle: ok\nlist: [a, b\nlayout: post\n---\nbody\n"
    with pytest.raises(FrontMatterError, match=r"not valid YAML at line \d+") as info:
        split(text)
    assert "line 1," not in str(info.value)  # counted from the top of the file, not of the YAML


@pytest.mark.parametrize(
    "yaml_text", ["a: 1\n\tb: 2\n", "date: 2024-13-45\n", "a: !ruby/object:Foo {}\n", "a: *nope\n"]
)
def test_other_broken_yaml_is_a_front_matter_error(yaml_text: str) -> None:
    with pytest.raises(FrontMatterError):
        split(f"---\n{yaml_text}---\n")


def test_read_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_bytes(b"---\r\ntitle: A\r\n---\r\nbody")
    fm, body = read(good)
    assert fm is not None and fm.newline == "\r\n" and body == "body"
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\ntitle: [\n---\n")
    with pytest.raises(FrontMatterError, match=r"bad\.md"):
        read(bad)
    latin = tmp_path / "latin.md"
    latin.write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    with pytest.raises(FrontMatterError, match=r"latin\.md.*UTF-8"):
        read(latin)
    with pytest.raises(JekyllAsrError, match=r"missing\.md"):
        read(tmp_path / "missing.md")


# --- set_key: explicit cases ----------------------------------------------------------------

POST = """---
# Written by hand; keep this comment.
layout:   post
title: "Episode 1: the {{ beginning }}"   # trailing comment
date: 2024-03-01 10:00:00 +0100

tags: [a, 'b']
summary: >
  Folded text
  --- not a fence (indented)
---
Body with {% include player.html %} and a fence:
---
and {{ page.title }}
"""


def test_append_keeps_every_other_byte() -> None:
    new = set_key(POST, KEY, VALUE)
    fm, _ = split(POST)
    assert fm is not None
    assert new == POST[: fm.end] + BLOCK + POST[fm.end :]
    new_fm, body = split(new)
    assert new_fm is not None and body == split(POST)[1]
    assert list(new_fm.data) == ["layout", "title", "date", "tags", "summary", KEY]
    assert new_fm.data[KEY] == VALUE


def test_remove_after_append_gives_back_the_original() -> None:
    new = set_key(POST, KEY, VALUE)
    assert set_key(new, KEY, None) == POST


def test_same_value_returns_the_same_object() -> None:
    new = set_key(POST, KEY, VALUE)
    assert set_key(new, KEY, dict(VALUE)) is new
    assert set_key(POST, KEY, None) is POST


@pytest.mark.parametrize(
    "existing",
    [
        "transcript:\n  vtt: old.vtt\n  nested:\n    - 1\n",
        "transcript: {vtt: old.vtt, words: 3}\n",
        "transcript: {vtt: old.vtt,\n  words: 3}\n",
        "transcript: old\n",
        "transcript:\n",
        "transcript: |\n  line one\n\n  line two\n",
        "transcript:\n- a\n- b\n",
        "transcript: 'it''s'   # hand-written comment\n",
        '"transcript": "quoted key"\n',
        "transcript:   # comment on the key line\n  # indented comment inside the block\n  vtt: x\n",
        "transcript: |\n  text\n\n  # not a comment: part of the text\n",
    ],
)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_replace_existing_key_in_any_style(existing: str, where: str) -> None:
    before = {"first": "", "middle": "title: A  # c\n\n", "last": "title: A\n# about layout\nlayout: post\n"}[where]
    after = {"first": "# about the title\ntitle: A\n", "middle": "# c\nlayout: post\n", "last": ""}[where]
    text = f"---\n{before}{existing}{after}---\nbody\n"
    new = set_key(text, KEY, VALUE)
    assert new == f"---\n{before}{BLOCK}{after}---\nbody\n"
    assert set_key(text, KEY, None) == f"---\n{before}{after}---\nbody\n"
    assert set_key(new, KEY, VALUE) is new


def test_comments_after_the_value_stay_with_what_follows() -> None:
    text = "---\ntranscript:\n  a: 1\n  # indented\n\n# Layout below\n  # still a comment\nlayout: post\n---\n"
    trivia = "  # indented\n\n# Layout below\n  # still a comment\n"
    assert set_key(text, KEY, {"a": 2}) == f"---\ntranscript:\n  a: 2\n{trivia}layout: post\n---\n"
    assert set_key(text, KEY, None) == f"---\n{trivia}layout: post\n---\n"


@pytest.mark.parametrize("indicator", ["|", ">-", "|+"])
def test_blank_lines_after_a_block_scalar_stay(indicator: str) -> None:
    text = f"---\ntranscript: {indicator}\n  old\n  text\n\n\ntitle: A\n---\n"
    assert set_key(text, KEY, VALUE) == f"---\n{BLOCK}\n\ntitle: A\n---\n"
    assert set_key(text, KEY, None) == "---\n\n\ntitle: A\n---\n"


def test_nested_key_of_the_same_name_is_not_touched() -> None:
    text = "---\npodcast:\n  transcript: hand-made.vtt\n  transcript_type: text/vtt\n---\n"
    new = set_key(text, KEY, VALUE)
    assert new == "---\npodcast:\n  transcript: hand-made.vtt\n  transcript_type: text/vtt\n" + BLOCK + "---\n"
    assert get_key(new, "podcast") == {"transcript": "hand-made.vtt", "transcript_type": "text/vtt"}
    assert get_key(text, KEY) is None


def test_crlf_and_bom_are_kept_and_used() -> None:
    text = "\ufeff---\r\ntitle: A\r\n---\r\nbody\r\n"
    new = set_key(text, KEY, {"text": "line 1\nline 2", "vtt": "x"})
    assert new.startswith("\ufeff---\r\ntitle: A\r\ntranscript:\r\n")
    assert new.endswith("---\r\nbody\r\n")
    assert "\n" not in new.replace("\r\n", "")
    assert get_key(new, KEY) == {"text": "line 1\nline 2", "vtt": "x"}
    assert set_key(new, KEY, None) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\n---\n", "---\n" + BLOCK + "---\n"),
        ("---\n---", "---\n" + BLOCK + "---"),
        ("---\ntitle: x\n---", "---\ntitle: x\n" + BLOCK + "---"),
        ("---\ntitle: x\n...\n", "---\ntitle: x\n" + BLOCK + "...\n"),
        ("---\ntitle: x\n# trailing comment\n\n---\n", "---\ntitle: x\n# trailing comment\n\n" + BLOCK + "---\n"),
    ],
)
def test_append_to_empty_and_bodyless_documents(text: str, expected: str) -> None:
    assert set_key(text, KEY, VALUE) == expected
    assert set_key(expected, KEY, None) == text


def test_body_with_fences_and_liquid_is_never_touched() -> None:
    body = "---\ntranscript: fake\n---\n{% raw %}{{ x }}{% endraw %}\n...\n"
    text = "---\ntitle: A\n---\n" + body
    new = set_key(text, KEY, VALUE)
    assert new.endswith("---\n" + body)
    assert split(new)[1] == body


def test_hostile_strings_stay_data() -> None:
    value = {f"k{i}": s for i, s in enumerate(HOSTILE)} | {s: i for i, s in enumerate(HOSTILE)}
    text = "---\ntitle: A\n---\nbody\n"
    new = set_key(text, KEY, value)
    fm, body = split(new)
    assert fm is not None and fm.data == {"title": "A", KEY: value} and body == "body\n"
    assert new.endswith("\n---\nbody\n")
    assert set_key(new, KEY, value) is new
    assert set_key(new, KEY, None) == text


def test_strings_psych_would_retype_are_quoted() -> None:
    # Jekyll's Psych reads these plain scalars as Symbol (a build error), Integer, true and nil.
    new = set_key("---\n---\n", KEY, {"a": ":sym", "b": "1,000", "c": "yEs", "d": "NuLL", "e": "fine"})
    assert "a: ':sym'" in new and "b: '1,000'" in new and "c: 'yEs'" in new and "d: 'NuLL'" in new
    assert "e: fine" in new
    # Psych merges on '<<' even quoted: the key is tagged !!str instead.
    new = set_key("---\n---\n", KEY, {"<<": [], "x": "<<"})
    assert "!!str '<<': []" in new and get_key(new, KEY) == {"<<": [], "x": "<<"}


def test_unicode_line_breaks_are_escaped() -> None:
    new = set_key("---\n---\n", KEY, {"text": "a\u2028b\x85c\u2029"})
    assert not any(ch in new for ch in "\u2028\x85\u2029")
    assert get_key(new, KEY) == {"text": "a\u2028b\x85c\u2029"}


def test_tabs_jekyll_accepts_are_kept() -> None:
    if frontmatter._Loader is yaml.SafeLoader:
        pytest.skip("PyYAML without libyaml refuses tabs that Jekyll accepts")
    text = "---\ntitle:\tHello\nnote: a\tb\t# tab comment\nquoted: \"x\\ty\"\n---\n"
    new = set_key(text, KEY, {"text": "tab\there"})
    assert new.startswith(text[:-4])
    assert get_key(new, "note") == "a\tb"
    assert get_key(new, KEY) == {"text": "tab\there"}


def test_indented_top_level_mapping_gets_an_indented_key() -> None:
    text = "---\n  title: A\n  tags:\n    - x\n---\n"
    new = set_key(text, KEY, {"a": [1, 2]})
    assert new == "---\n  title: A\n  tags:\n    - x\n  transcript:\n    a:\n      - 1\n      - 2\n---\n"
    assert set_key(new, KEY, None) == text


def test_duplicate_managed_keys_become_one() -> None:
    text = "---\ntranscript: a\ntitle: T\ntranscript: b\n---\n"
    assert get_key(text, KEY) == "b"
    assert set_key(text, KEY, VALUE) == "---\n" + BLOCK + "title: T\n---\n"


def test_keep_chomped_block_scalar_before_the_key() -> None:
    text = "---\nnote: |+\n  kept\n\n---\n"
    new = set_key(text, KEY, VALUE)
    assert get_key(new, "note") == "kept\n\n"
    assert set_key(new, KEY, None) == text
    # Removing a key between a '|+' scalar and blank lines would hand those lines to the scalar: refused.
    text = "---\nnote: |+\n  kept\ntranscript: x\n\nlayout: post\n---\n"
    assert set_key(text, KEY, VALUE) == "---\nnote: |+\n  kept\n" + BLOCK + "\nlayout: post\n---\n"
    with pytest.raises(FrontMatterError, match="would change other front matter data"):
        set_key(text, KEY, None)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no front matter\n", "no front matter"),
        ("---\ntitle: [\n---\n", "not valid YAML"),
        ("---\n- a\n---\n", "must be a mapping"),
        ("---\n{title: x}\n---\n", "flow mapping"),
        ("---\n? transcript\n: old\n---\n", "cannot edit safely"),
        ("---\ntranscript: &t {a: 1}\nother: *t\n---\n", "left unchanged"),
    ],
)
def test_refusals_raise_front_matter_error(text: str, words: str) -> None:
    with pytest.raises(FrontMatterError, match=words):
        set_key(text, KEY, VALUE)


def test_unrepresentable_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="transcript"):
        set_key("---\n---\n", KEY, {"x": object()})


def test_update_file_writes_only_changes_and_keeps_broken_files(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    original = "\ufeff---\r\ntitle: A\r\n---\r\nbody".encode("utf-8")
    post.write_bytes(original)
    assert update_file(post, KEY, VALUE) is True
    assert post.read_bytes() == original.replace(b"---\r\nbody", BLOCK.replace("\n", "\r\n").encode() + b"---\r\nbody")
    assert update_file(post, KEY, VALUE) is False
    assert update_file(post, KEY, None) is True
    assert post.read_bytes() == original
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"---\ntitle: [\n---\n")
    with pytest.raises(FrontMatterError, match=r"broken\.md"):
        update_file(broken, KEY, VALUE)
    assert broken.read_bytes() == b"---\ntitle: [\n---\n"



# --- hostile sizes --------------------------------------------------------------------------


def _alias_bomb(levels: int = 9) -> str:
    """"Billion laughs": each level lists the one before nine times (9**levels strings once expanded)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("yaml_text", "words"), [
    (_alias_bomb(), "aliases"),
    ("a: &a [1, *a]\n", "refers to itself"),
    ("a: &m {b: 1}\nb: {<<: *m, c: &n [*n]}\n", "refers to itself"),
    ("big: " + "x" * (frontmatter.MAX_FRONT_MATTER_BYTES + 1) + "\n", "MB"),
])
def test_front_matter_that_would_expand_without_bound_is_refused(yaml_text: str, words: str) -> None:
    """Protection: frontmatter._load counts what aliases expand to (and refuses cycles and front
    matter over MAX_FRONT_MATTER_BYTES) before anything walks the data. Without it one post with a
    "billion laughs" takes gigabytes and never finishes (every walk of the data expands it)."""
    with pytest.raises(FrontMatterError, match=words) as info:
        split(f"---\ntitle: T\n{yaml_text}---\nbody\n")
    assert "\n" not in str(info.value)


def test_an_opening_fence_without_a_closing_one_is_read_in_linear_time() -> None:
    """Protection: frontmatter.split looks for a closing fence line before trying Jekyll's regex. Without
    it a post of "---" and 200,000 blank lines takes many minutes: the regex backtracks through
    every blank line for every blank line (the subprocess's timeout is the hang guard)."""
    from .integrity import python

    code = "from jekyll_asr.frontmatter import split; print(split('---' + chr(10) * 200_000 + 'x')[0])"
    assert python(code, timeout=60).stdout == "None\n"


def test_aliases_within_bounds_still_work() -> None:
    """Jekyll's Psych reads anchors and merge keys; so does the tool, for sizes a post really has."""
    fm, _ = split("---\nbase: &b {layout: post, tags: [a, b]}\nother: {<<: *b, title: T}\nagain: *b\n" + _alias_bomb(3) + "---\n")
    assert fm is not None and fm.data["other"] == {"layout": "post", "tags": ["a", "b"], "title": "T"}
    assert fm.data["again"] == fm.data["base"] and len(fm.data["a3"]) == 9


def test_alias_bomb_in_one_post_fails_that_post_alone(tmp_path: Path) -> None:
    """Protection: a post whose front matter is refused fails alone, with one line naming it, even
    when nothing in it looks like audio. Without it the build hangs on that one post (6.5 GB, killed
    at 90 s in the adversarial run) and no other post is built."""
    import resource
    import sys

    from .integrity import report
    from .test_site import AUDIO, seeded_site

    site = seeded_site(tmp_path, {"_posts/2026-01-02-ok.md": "---\ntitle: OK\n" + AUDIO + "---\nBody.\n"})
    (site / "_posts/2026-01-01-bomb.md").write_text("---\ntitle: Bomb\n" + AUDIO + _alias_bomb() + "---\nBody.\n")
    (site / "_posts/2026-01-03-quiet-bomb.md").write_text("---\ntitle: No audio named\n" + _alias_bomb() + "---\nBody.\n")

    def bounded() -> None:  # a regression fails with MemoryError here instead of taking the machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    out = subprocess.run([sys.executable, "-m", "jekyll_asr", "build", str(site), "--json"], capture_output=True, text=True,
                         timeout=300, check=False, preexec_fn=bounded)
    assert out.returncode == 1, out.stderr
    result = report(out)
    failed = {f["path"]: f["error"] for f in result["failed"]}
    assert set(failed) == {"_posts/2026-01-01-bomb.md", "_posts/2026-01-03-quiet-bomb.md"}
    assert all("aliases" in e and "\n" not in e for e in failed.values()), failed
    assert result["documents"] == ["_posts/2026-01-02-ok.md"]


# --- generated posts ------------------------------------------------------------------------

# Fixed pools rather than from_regex: generation, not set_key, is what costs time here.
NAMES = st.sampled_from(["title", "layout", "date", "tags", "author", "summary", "image", "podcast", "audio", "x",
                         "a_b", "ep2", "no", "on", "null", "transcripts", "transcript_url", "Transcript", "_t"])
WORDS = st.builds(str.__add__, st.sampled_from("AbZq"), st.text("abcXYZ019 ,./_-", max_size=12)).map(str.rstrip)
LINE_TEXT = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=20)
SCALAR_LITERALS = ["1", "-3", "0.5", "0x1F", "1_000", ".inf", "2024-01-02", "2024-01-02 10:00:00 +01:00",
                   "true", "no", "~", "null", "", "'{{ page.title }}'", '"{% include a.html %}"']
FLOWS = ['{a: 1, b: [x, "y z"]}', "[1, 2, three]", "{}", "[]", "{x: {y: [1, {z: 2}]}}", "[1,\n  2]"]
COMMENTS = ["", "  # note", " #---", "\t# tab comment", " # transcript: fake"]
BODY_LINES = ["---", "...", "--- ", "{{ page.title }}", "{% include player.html %}", "text", "", "transcript: x",
              "# heading", "\ufeff", "<script>x</script>"]


@st.composite
def entries(draw: st.DrawFn, name: str, *, managed: bool = False) -> str:
    """One top-level ``name: value`` entry, in a randomly chosen style, LF line endings."""
    key = draw(st.sampled_from([name, f'"{name}"', f"'{name}'"])) if managed else name
    comment = draw(st.sampled_from(COMMENTS))
    style = draw(st.sampled_from(["plain", "double", "single", "literal", "flow", "map", "list", "scalar"]))
    if style == "plain":
        return f"{key}: {draw(WORDS)}{comment}\n"
    if style == "double":
        text = draw(st.text(st.characters(max_codepoint=0xFFFD, exclude_categories=("Cs",)), max_size=20))
        return f"{key}: {json.dumps(text)}{comment}\n"
    if style == "single":
        return f"{key}: '{draw(LINE_TEXT).replace(chr(39), chr(39) * 2)}'{comment}\n"
    if style == "literal":
        # not '|+': keep chomping would take in the blank lines after a removed key (set_key refuses that)
        indicator = draw(st.sampled_from(["|", ">", "|-", ">-"]))
        content = st.sampled_from(["---", "...", "# no comment", "{{ x }}", "text: y"]) | WORDS
        lines = draw(st.lists(content, min_size=1, max_size=4))
        return f"{key}: {indicator}{comment}\n" + "".join(f"  {line}\n" for line in lines)
    if style == "flow":
        return f"{key}: {draw(st.sampled_from(FLOWS))}{comment}\n"
    if style == "scalar":
        return f"{key}: {draw(st.sampled_from(SCALAR_LITERALS))}{comment}\n"
    lines, dash = [], draw(st.sampled_from(["- ", "  - "]))
    for sub in draw(st.lists(NAMES | st.just(KEY), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):  # before its item: trailing comments are not part of an entry
            lines.append("  # indented comment\n")
        if style == "map" and draw(st.booleans()):
            lines.append(f"  {sub}:\n    deeper: {draw(st.sampled_from(SCALAR_LITERALS[:6]))}\n")
        elif style == "map":
            lines.append(f"  {sub}: {draw(WORDS)}\n")
        else:
            lines.append(f"{dash}{sub}\n")
    return f"{key}:{comment}\n" + "".join(lines)


TRIVIA = st.sampled_from(["\n", "# comment\n", "#\n", "# ---\n", "# transcript: in a comment\n", "#\ttab\n"])


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, str, str]:
    """(prefix, managed entry or "", suffix) of a generated post with random fences, body, BOM, CRLF."""
    items = []
    for name in draw(st.lists(NAMES, max_size=6, unique=True)):
        items.extend(draw(st.lists(TRIVIA, max_size=1)))
        items.append(draw(entries(name)))
    items.extend(draw(st.lists(TRIVIA, max_size=2)))
    managed = draw(entries(KEY, managed=True)) if draw(st.booleans()) else ""
    at = draw(st.integers(0, len(items)))
    # The managed entry goes before a key or at the end, never between an entry and its own trivia.
    head = "\ufeff" * draw(st.booleans()) + "---" + draw(st.sampled_from(["", " ", " \t"])) + "\n"
    fence = draw(st.sampled_from(["---", "...", "--- "]))
    body = "\n".join(draw(st.lists(st.sampled_from(BODY_LINES), max_size=5)))
    tail = draw(st.sampled_from(["", "\n", "\n" + body, "\n" + body + "\n"]))
    prefix, suffix = head + "".join(items[:at]), "".join(items[at:]) + fence + tail
    if draw(st.booleans()):
        prefix, managed, suffix = (s.replace("\n", "\r\n") for s in (prefix, managed, suffix))
    return prefix, managed, suffix


YAML_TEXT = st.text(max_size=20) | st.sampled_from(HOSTILE)
SCALARS = YAML_TEXT | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False) | st.dates()
NESTED = st.recursive(
    SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(YAML_TEXT, c, max_size=3), max_leaves=8
)
VALUES = st.dictionaries(YAML_TEXT, NESTED, max_size=5) | YAML_TEXT | st.lists(SCALARS, min_size=1, max_size=3)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(text: str) -> dict:
    fm, _ = split(text)
    assert fm is not None
    return fm.data


@PROPERTY
@given(post=posts(), value=VALUES)
def test_property_only_the_managed_key_changes(post: tuple[str, str, str], value: object) -> None:
    prefix, managed, suffix = post
    text = prefix + managed + suffix
    old = _data(text)
    new = set_key(text, KEY, value)

    # (1) every byte outside the managed entry is unchanged
    if managed:
        assert new.startswith(prefix) and new.endswith(suffix)
        block = new[len(prefix) : len(new) - len(suffix)]
        assert set_key(text, KEY, None) == prefix + suffix
    else:
        end = split(text)[0].end
        assert new.startswith(text[:end]) and new.endswith(text[end:])
        block = new[end : len(new) - (len(text) - end)]
        assert set_key(new, KEY, None) == text
    assert yaml.load(block, Loader=frontmatter._Loader) == {KEY: value}
    if "\r\n" in text[:8]:
        assert "\n" not in block.replace("\r\n", "")
    # (2) the data is the old data with only the key set, in the same place
    expected = dict(old)
    expected[KEY] = value
    new_data = _data(new)
    assert new_data == expected
    assert list(new_data) == list(expected)
    assert split(new)[1] == split(text)[1]
    # (3) idempotent
    assert set_key(new, KEY, value) is new


@PROPERTY
@given(post=posts(), first=VALUES, second=VALUES)
def test_property_successive_edits_then_removal_restore_the_post(
    post: tuple[str, str, str], first: object, second: object
) -> None:
    prefix, _, suffix = post
    text = prefix + suffix
    edited = set_key(set_key(text, KEY, first), KEY, second)
    assert get_key(edited, KEY) == second
    assert set_key(edited, KEY, None) == text


# --- the same, read back by real Jekyll -----------------------------------------------------

_RUBY = r"""
require "json"
require "jekyll"
$stdout.sync = true
def norm(x)
  case x
  when Hash then ["map", x.map { |k, v| [norm(k), norm(v)] }]
  when Array then ["seq", x.map { |v| norm(v) }]
  when Integer then ["int", x.to_s]
  when Float then ["float", x]
  when Date then ["date", x.iso8601]
  when Time then ["time", x.iso8601]
  when String, true, false, nil then x
  else ["other", x.class.to_s, x.to_s]
  end
end
STDIN.each_line do |line|
  text = JSON.parse(line).delete_prefix("\uFEFF")   # Jekyll reads with encoding "bom|utf-8"
  out = if text =~ Jekyll::Document::YAML_FRONT_MATTER_REGEXP
    content = Regexp.last_match.post_match
    begin
      {"data" => norm(Jekyll::Utils.safe_load_yaml(Regexp.last_match(1))), "content" => content}
    rescue StandardError => e
      {"error" => "#{e.class}: #{e.message}"}
    end
  else
    {"none" => true, "content" => text}
  end
  puts JSON.generate(out, allow_nan: true)
end
"""


def _norm(x: object) -> object:
    """Python data in the shape the Ruby side writes."""
    if isinstance(x, dict):
        return ["map", [[_norm(k), _norm(v)] for k, v in x.items()]]
    if isinstance(x, list):
        return ["seq", [_norm(v) for v in x]]
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return ["int", str(x)]
    if isinstance(x, float):
        return ["float", x]
    if isinstance(x, datetime.date):
        return ["date", x.isoformat()]
    raise AssertionError(f"no norm for {x!r}")


@pytest.fixture(scope="module")
def jekyll():
    probe = ["ruby", "-e", 'require "jekyll"']
    has_jekyll = shutil.which("ruby") and not subprocess.run(probe, capture_output=True, check=False).returncode
    if not has_jekyll:
        pytest.skip("ruby with the jekyll gem is not installed")
    proc = subprocess.Popen(
        ["ruby", "-e", _RUBY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )

    def view(text: str) -> dict:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(text) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield view
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=10)


def _pairs(view: dict) -> list:
    return [] if view["data"] is None else view["data"][1]


@pytest.mark.jekyll
@PROPERTY
@given(post=posts(), value=VALUES)
def test_property_jekyll_reads_the_edit_as_meant(jekyll, post: tuple[str, str, str], value: object) -> None:
    prefix, managed, suffix = post
    text = prefix + managed + suffix
    before = jekyll(text)
    assume("error" not in before)  # a post Jekyll itself cannot read is not ours to judge
    after = jekyll(set_key(text, KEY, value))
    assert "error" not in after, after
    assert after["content"] == before["content"]
    assert [p for p in _pairs(after) if p[0] != KEY] == [p for p in _pairs(before) if p[0] != KEY]
    assert [p[1] for p in _pairs(after) if p[0] == KEY] == [_norm(value)]


@pytest.mark.jekyll
def test_jekyll_reads_hostile_strings_as_strings(jekyll) -> None:
    value = {f"k{i}": s for i, s in enumerate(HOSTILE)} | {s: [s] for s in HOSTILE}
    after = jekyll(set_key("---\ntitle: A\n---\nbody {{ x }}\n", KEY, value))
    assert "error" not in after, after
    assert after["content"] == "body {{ x }}\n"
    assert _pairs(after)[1] == [KEY, _norm(value)]
