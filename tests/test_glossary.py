"""Glossary prompt, render-time fixes and per-transcript corrections."""

from __future__ import annotations

import pytest

from jekyll_asr.errors import ConfigError
from jekyll_asr.glossary import (
    PROMPT_MAX_CHARS,
    Glossary,
    Term,
    apply,
    fix_text,
    hotwords,
    load_corrections,
    prompt_text,
)
from jekyll_asr.transcript import Segment, Transcript

GLOSSARY = Glossary.from_config(
    ["Liquid", {"term": "Jekyll", "heard": ["jackal", "jekel"]}, {"term": "GitHub Pages", "heard": "git hub pages"}]
)


def transcript(*texts: str) -> Transcript:
    segs = tuple(Segment(i * 2.0, i * 2.0 + 2.0, t) for i, t in enumerate(texts))
    return Transcript(segs, "en", len(texts) * 2.0, "m", "e")


def test_from_config_reads_strings_and_mappings_and_drops_duplicates():
    g = Glossary.from_config(
        ["Jekyll", {"term": "jekyll", "heard": ["x"]}, {"term": " Liquid ", "heard": ["liquit", " "]}]
    )
    assert g.terms == (Term("Jekyll"), Term("Liquid", ("liquit",)))
    assert Glossary.from_config(None).terms == ()
    assert not Glossary.from_config([])


@pytest.mark.parametrize(
    "entry", [3, "", {"heard": ["x"]}, {"term": "A", "heard": [1]}, {"term": "A", "heard": {"a": 1}}]
)
def test_from_config_rejects_bad_entries_with_the_entry_named(entry):
    with pytest.raises(ConfigError, match="glossary entry"):
        Glossary.from_config([entry])


def test_prompt_text_and_hotwords():
    assert prompt_text(GLOSSARY) == "Glossary: Liquid, Jekyll, GitHub Pages."
    assert prompt_text(Glossary()) is None
    assert hotwords(GLOSSARY) == ("Liquid", "Jekyll", "GitHub Pages")


def test_prompt_text_stays_inside_whisper_prompt_window():
    big = Glossary.from_config([f"Term{i:04d}" for i in range(500)])
    text = prompt_text(big)
    assert text is not None and len(text) <= PROMPT_MAX_CHARS
    assert text.startswith("Glossary: Term0000, Term0001") and text.endswith(".")


def test_heard_variants_and_case_variants_become_the_term():
    fixed = fix_text("I built it with jekel and JEKYLL and a jackal, on git hub  pages.", GLOSSARY)
    assert fixed == "I built it with Jekyll and Jekyll and a Jekyll, on GitHub Pages."


def test_fixes_are_whole_words_only():
    text = "jekyllish jekelton liquidity jekyll's"
    assert fix_text(text, GLOSSARY) == "jekyllish jekelton liquidity Jekyll's"


def test_apply_returns_a_new_transcript_with_times_kept():
    original = transcript(" Welcome to jekel radio.", " We talk liquid templates.", "")
    fixed = apply(original, GLOSSARY, {})
    assert [s.text for s in fixed.segments] == [" Welcome to Jekyll radio.", " We talk Liquid templates.", ""]
    assert [(s.start, s.end) for s in fixed.segments] == [(s.start, s.end) for s in original.segments]
    assert original.segments[0].text == " Welcome to jekel radio."
    assert (fixed.language, fixed.model, fixed.duration) == (original.language, original.model, original.duration)


def test_apply_without_glossary_or_corrections_is_identity():
    original = transcript(" nothing to fix")
    assert apply(original, Glossary(), None) is original


def test_corrections_are_case_insensitive_and_follow_sentence_capitals():
    corrections = {"all along": "audio", "static site radio": "Static Site Radio"}
    original = transcript(" All along without a transcript.", " publishing all along the web on static  site radio.")
    fixed = apply(original, Glossary(), corrections)
    assert [s.text for s in fixed.segments] == [
        " Audio without a transcript.",
        " publishing audio the web on Static Site Radio.",
    ]


def test_longest_phrase_wins_and_replacements_are_not_rescanned():
    corrections = {"site": "website", "static site": "static site generator", "website": "WRONG"}
    assert fix_text("a static site and a site", Glossary(), corrections) == "a static site generator and a website"


def test_corrections_take_precedence_over_the_glossary():
    g = Glossary.from_config([{"term": "Jekyll", "heard": ["jackal"]}])
    assert fix_text("a jackal howls", g, {"jackal": "jackal"}) == "a jackal howls"
    assert fix_text("use jackal", g, {}) == "use Jekyll"


def test_phrases_with_punctuation_match_exactly():
    assert fix_text("version 2.0 (beta) ships", Glossary(), {"2.0 (beta)": "2.0"}) == "version 2.0 ships"
    assert fix_text("version 2x0 (beta) ships", Glossary(), {"2.0 (beta)": "2.0"}) == "version 2x0 (beta) ships"


def test_load_corrections_reads_the_documented_format(tmp_path):
    path = tmp_path / "episode-12.yml"
    path.write_text(
        '# fixes\ncorrections:\n  "static site radio": "Static Site Radio"\n  twelve: 12\n', encoding="utf-8"
    )
    assert load_corrections(path) == {"static site radio": "Static Site Radio", "twelve": "12"}


def test_load_corrections_accepts_plain_pairs_and_missing_or_empty_files(tmp_path):
    plain = tmp_path / "plain.yml"
    plain.write_text("jekel: Jekyll\n", encoding="utf-8")
    assert load_corrections(plain) == {"jekel": "Jekyll"}
    empty = tmp_path / "empty.yml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert load_corrections(empty) == {}
    assert load_corrections(tmp_path / "absent.yml") == {}
    (tmp_path / "none.yml").write_text("corrections:\n", encoding="utf-8")
    assert load_corrections(tmp_path / "none.yml") == {}


@pytest.mark.parametrize("content", ["corrections: [a, b]\n", "- a\n", "corrections:\n  a: [1]\n", "a: {b\n"])
def test_load_corrections_rejects_bad_files_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yml"):
        load_corrections(path)


def test_control_characters_never_reach_a_writer():
    """Protection: glossary.apply (which render_context runs on every transcript before any writer)
    turns C0 control characters but tab and newline into spaces. Without it NUL and ESC from a
    transcript reach the include, the JSON and the page's HTML (captions dropped them on their own)."""
    original = transcript("a\x00b\x1b[31mred\x7f", "tab\tand\nnewline\r\x0b\x0c end")
    for fixed in (apply(original, Glossary(), None), apply(original, GLOSSARY, {"red": "blue"})):
        texts = [s.text for s in fixed.segments]
        assert not any(ch in t for t in texts for ch in "\x00\x1b\x7f\r\x0b\x0c"), texts
        assert "\t" in texts[1] and "\n" in texts[1]


def test_control_characters_are_not_in_any_output_of_a_build(tmp_path):
    """Protection: the same, through a whole build: every generated file is free of NUL and ESC."""
    from .test_site import AUDIO, quiet_build, seeded_site

    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "---\n"}, text="five\x00 five \x1b[2Jcleared")
    result = quiet_build(site)
    assert result.failed == [] and len(result.outputs) == 5
    for rel in result.outputs:
        data = (site / rel).read_bytes()
        assert b"\x00" not in data and b"\x1b" not in data and b"\\u001b" not in data and b"\\u0000" not in data, rel
    assert "five" in (site / "_includes/transcripts/a.md").read_text()


def test_control_characters_in_the_audios_own_tags_reach_no_output(tmp_path):
    """Protection: glossary.clean_tags, applied by render_context and managed_value. Titles, artists
    and chapter names come from whoever made the audio file; without it an ESC or NUL in an ID3
    title reaches the include, the chapters JSON and the post's front matter."""
    from jekyll_asr.transcript import AudioTags, Chapter

    from .sitefactory import Fixture, make_site
    from .test_site import AUDIO, CONFIG, quiet_build, seed

    site = make_site(tmp_path, {"_config.yml": CONFIG, "assets/audio/a.wav": Fixture("cards-004.wav"), "_posts/2026-01-01-a.md": "---\n" + AUDIO + "---\n"})
    hostile = AudioTags(title="Ep\x1b[2J one", artist="A\x00B", chapters=(Chapter(0.0, "Intro\x07", 0.5), Chapter(0.5, "Ne\x1bws", 1.0)))
    seed(site, tags=hostile)
    result = quiet_build(site)
    assert result.failed == [] and any(rel.endswith(".chapters.json") for rel in result.outputs)
    for rel in [*result.outputs, "_posts/2026-01-01-a.md"]:
        data = (site / rel).read_bytes()
        for bad in (b"\x00", b"\x1b", b"\x07", b"\\u001b", b"\\u0000", b"\\u0007", b"\\e", b"\\0", b"\\a"):
            assert bad not in data, (rel, bad)
    assert "Ne ws" in (site / next(r for r in result.outputs if r.endswith(".chapters.json"))).read_text()
