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
    assert spec_for("auto", [info]) == SpeakerSpec(2, ("Alice", "Bob"))
    assert not spec_for("off", [info]).wanted  # the site said off: names alone do not turn it on


def test_theme_host_and_guest_keys_name_voices_and_count_only_from_two() -> None:
    both = from_front_matter({"host": "Alice", "guests": [{"name": "Bob"}, "Carol"]})
    assert spec_for("auto", [both]) == SpeakerSpec(3, ("Alice", "Bob", "Carol"))
    host_only = from_front_matter({"hosts": ["Alice"]})
    spec = spec_for("auto", [host_only])
    assert spec.setting == "auto" and spec.names == ("Alice",)  # the guest may still speak: count found


def test_a_post_overrides_the_site_and_one_voice_needs_no_diarization() -> None:
    assert spec_for("auto", [from_front_matter({"speakers": "off"})]).wanted is False
    assert spec_for("off", [from_front_matter({"speakers": 2})]) == SpeakerSpec(2)
    assert spec_for(1, [None]).wanted is False
    assert spec_for("auto", [None, None]) == SpeakerSpec("auto")
    assert from_front_matter({"speakers": "many"}) is None  # a theme's own use of the key: the site's setting applies
    assert from_front_matter({"speakers": {"alice": {"bio": "Host"}}}) is None
    assert from_front_matter({"speakers": [{"bio": "no name"}], "host": "Alice"}) == {"names": ["Alice"], "fixed": False}


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
