"""The speakers option and what posts say about their speakers."""

from __future__ import annotations

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.errors import ConfigError
from jekyll_asr.postinfo import post_language, tracks_in
from jekyll_asr.speakerspec import SpeakerSpec, from_front_matter, speakers_setting, spec_for


@pytest.mark.parametrize(
    ("value", "expected"),
    [("auto", "auto"), (None, "auto"), (True, "auto"), (False, "off"), ("off", "off"), ("OFF", "off"), (2, 2), ("3", 3)],
)
def test_speakers_setting_reads_what_yaml_gives(value: object, expected: object) -> None:
    assert speakers_setting(value) == expected


@pytest.mark.parametrize("value", [0, -1, 21, "two", 2.5, [1]])
def test_speakers_setting_refuses_nonsense(value: object) -> None:
    with pytest.raises(ValueError, match="off, auto or a number"):
        speakers_setting(value)


def test_speakers_option_is_checked_when_the_config_loads(tmp_path) -> None:
    (tmp_path / "_config.yml").write_text("asr:\n  speakers: lots\n")
    with pytest.raises(ConfigError, match=r"asr\.speakers"):
        load_settings(tmp_path)
    (tmp_path / "_config.yml").write_text("asr:\n  speakers: off\n")  # YAML's off is False
    assert load_settings(tmp_path).speakers == "off"
    assert load_settings(tmp_path, {"speakers": "3"}).speakers == 3  # the --speakers flag


def test_names_from_speakers_fix_the_count() -> None:
    info = from_front_matter({"speakers": ["Alice", {"name": "Bob"}]})
    assert info == {"names": ["Alice", "Bob"], "fixed": True}
    assert spec_for("auto", [info]) == SpeakerSpec(2, ("Alice", "Bob"), sure=True)
    assert not spec_for("off", [info]).wanted  # the site said off: names alone do not turn it on


def test_theme_rosters_name_voices_only_when_they_look_like_names_and_never_fix_the_count() -> None:
    both = from_front_matter({"host": "Alice Smith", "guests": [{"name": "Bob"}, "Carol"]})
    spec = spec_for("auto", [both])
    assert spec == SpeakerSpec("auto", ("Alice Smith", "Bob", "Carol"))  # the count is found from the audio
    assert spec.names_for(3) == ("Alice Smith", "Bob", "Carol")
    assert spec.names_for(2) == ()  # three names, two voices: "Speaker 1", "Speaker 2", never a guess
    handles = from_front_matter({"hosts": ["carleecomm", "@jaredmorgs"], "guests": ["robert-jolly", "dhh"]})
    assert handles is None  # handles and slugs are not names to print
    own = spec_for("auto", [from_front_matter({"speakers": ["alice", "bob"]})])
    assert own.setting == 2 and own.names_for(3) == ("alice", "bob")  # the post's own list: as written


def test_a_post_overrides_the_site_and_one_voice_needs_no_diarization() -> None:
    assert spec_for("auto", [from_front_matter({"speakers": "off"})]).wanted is False
    assert spec_for("off", [from_front_matter({"speakers": 2})]) == SpeakerSpec(2)
    assert spec_for(1, [None]).wanted is False
    assert spec_for("auto", [None, None]) == SpeakerSpec("auto")
    assert from_front_matter({"speakers": "many"}) is None  # a theme's own use of the key: the site's setting applies
    assert from_front_matter({"speakers": {"alice": {"bio": "Host"}}}) is None
    assert from_front_matter({"speakers": [{"bio": "no name"}], "host": "Alice"}) == {"names": ["Alice"], "fixed": False}
    assert spec_for("auto", [from_front_matter({"host": "Alice"})]).names_for(2) == ()


def test_post_language_takes_codes_and_names_and_ignores_what_whisper_does_not_know() -> None:
    assert post_language({"lang": "de-DE"}) == "de"
    assert post_language({"language": "German"}) == "de"
    assert post_language({"lang": "auto"}) is None
    assert post_language({"lang": "x-klingon"}) is None
    assert post_language({}) is None


def test_tracks_take_paths_or_mappings_with_speakers() -> None:
    data = {"tracks": ["/a.flac", {"file": "/b.flac", "speaker": " Bob  Smith "}, {"speaker": "nobody"}, 3]}
    assert tracks_in(data) == [["/a.flac", None], ["/b.flac", "Bob Smith"]]
    assert tracks_in({"tracks": "/a.flac"}) == []


def test_a_post_in_another_language_under_an_english_only_model_is_warned_about(tmp_path) -> None:
    from jekyll_asr.find import scan_site
    from jekyll_asr.statindex import StatIndex

    from .sitefactory import Fixture, make_site

    site = make_site(
        tmp_path,
        {
            "_config.yml": "asr:\n  model: tiny.en\n",
            "a.wav": Fixture("cards-001.wav"),
            "_posts/2026-01-01-de.md": "---\nlang: de-DE\naudio: /a.wav\n---\n",
            "_posts/2026-01-02-en.md": "---\nlang: en-US\naudio: /a.wav\n---\n",
        },
    )
    settings = load_settings(site)
    warnings = scan_site(settings, StatIndex(tmp_path / "index.json")).warnings
    assert [w for w in warnings if "English only" in w] == [
        "_posts/2026-01-01-de.md: its language is 'de', but model 'tiny.en' transcribes English only: it is transcribed as English; "
        "set asr.model to a multilingual model (base, or openai/whisper-large-v3-turbo)"
    ]
