from pathlib import Path

import pytest

from jekyll_asr.config import load_settings
from jekyll_asr.errors import ConfigError

from .sitefactory import make_site


def test_defaults_without_config(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    assert s.model == "openai/whisper-large-v3-turbo"
    assert s.engine == "auto" and s.device == "auto"
    assert s.front_matter_key == "transcript"
    assert s.include == ("**",)


def test_asr_block_and_overrides(tmp_path: Path) -> None:
    config = "baseurl: /blog/\ncollections:\n  episodes:\n    output: true\nasr:\n  model: tiny.en\n  beam_size: 2\n  formats: [vtt, md]\n"
    make_site(tmp_path, {"_config.yml": config})
    s = load_settings(tmp_path, {"beam_size": 3, "engine": None})
    assert s.model == "tiny.en"
    assert s.beam_size == 3  # flag beats file
    assert s.engine == "auto"  # None flag does not override
    assert s.formats == ("vtt", "md")
    assert s.baseurl == "/blog"
    assert s.collections == ("episodes",)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    make_site(tmp_path, {"_config.yml": "asr:\n  modle: tiny.en\n  engine: whisperx\n  beam_size: 0\n  formats: [vtt, docx]\n  cache_dir: ../outside\n"})
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    text = str(err.value)
    assert "asr.modle: unknown option" in text
    assert "asr.engine: must be one of auto, transformers, faster-whisper" in text
    assert "asr.beam_size" in text and "asr.formats: unknown format docx" in text
    assert "asr.cache_dir: must be a path inside the site" in text
    assert err.value.exit_code == 2


def test_broken_yaml_is_a_config_error(tmp_path: Path) -> None:
    make_site(tmp_path, {"_config.yml": "asr: [unclosed\n"})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(tmp_path)


def test_missing_site(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope")


def test_the_readme_config_block_is_valid(tmp_path: Path) -> None:
    """The README documents every option; its example must load as written."""
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = re.search(r"```yaml\n(asr:.*?)```", readme, re.DOTALL).group(1)
    make_site(tmp_path, {"_config.yml": block})
    settings = load_settings(tmp_path)
    documented = set(re.findall(r"^  (\w+):", block, re.MULTILINE))
    from jekyll_asr.config import OPTIONS

    assert documented == set(OPTIONS)  # every option documented, none invented
    assert settings.model == "tiny.en"


def test_long_text_under_an_audio_sounding_key_is_not_a_folder(tmp_path: Path) -> None:
    """A real site's 468-character `podcast_summary` made every command crash (File name too long)."""
    summary = "Write the Docs is a series of conferences and a podcast about documentation. " * 6
    make_site(tmp_path, {"_config.yml": f"title: T\npodcast_summary: \"{summary}\"\npodcast:\n  audio_folder: episodes\n", "episodes/x.txt": "x"})
    settings = load_settings(tmp_path)
    assert settings.config_audio_dirs == ("episodes",)


# ---------------------------------------------------------------- a bad _config.yml is one line, exit 2


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"title: caf\xe9\nasr:\n  model: tiny.en\n", "_config.yml: not UTF-8 text: byte 0xe9 at offset 10"),
        (b"- a list\n- not a mapping\n", "_config.yml: must be a mapping of keys (got a list)"),
        (b"just text\n", "_config.yml: must be a mapping of keys (got text)"),
        (b"asr: []\n", "_config.yml: 'asr' must be a mapping of options (got a list)"),
        (b"asr: 0\n", "_config.yml: 'asr' must be a mapping of options (got a number)"),
        (b"asr: false\n", "_config.yml: 'asr' must be a mapping of options (got true/false)"),
        (b"asr: tiny.en\n", "_config.yml: 'asr' must be a mapping of options (got text)"),
        (b"asr: [unclosed\n", "_config.yml: not valid YAML at line 2, column 1"),
        (b"asr:\n  model: tiny.en\n\tbeam_size: 2\n", "_config.yml: not valid YAML at line 3, column 1"),
    ],
    ids=["latin1", "list", "text", "asr-list", "asr-number", "asr-bool", "asr-text", "unclosed", "tab"],
)
def test_a_bad_config_file_is_one_line_exit_2(tmp_path: Path, content: bytes, said: str) -> None:
    """Protection: jekyllconfig.read_site_config turns a config that is not UTF-8, not YAML or not a
    mapping (or whose ``asr:`` is not one) into one ConfigError line naming the file and where.
    Without it a Latin-1 ``_config.yml`` is a UnicodeDecodeError traceback (exit 1), and
    ``asr: []`` is silently taken as no settings at all."""
    from .integrity import cli

    make_site(tmp_path, {"_config.yml": content})
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.exit_code == 2 and said in str(err.value) and "\n" not in str(err.value)
    done = cli(tmp_path, command="status", timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr


@pytest.mark.parametrize("pattern", ["../**", "../other/*.mp3", "/home/me/audio/**", "**/../..", "assets/../../x/**"])
def test_include_outside_the_site_is_refused(tmp_path: Path, pattern: str) -> None:
    """Protection: config refuses an ``asr.include`` glob that is absolute or climbs with ``..``.
    Without it ``include: ["../**"]`` walks (and transcribes, and publishes) the folder above the site."""
    make_site(tmp_path, {"_config.yml": f"asr:\n  include: [{pattern!r}, 'assets/**']\n"})
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "asr.include:" in str(err.value) and err.value.exit_code == 2
    (tmp_path / "flag").mkdir()
    with pytest.raises(ConfigError, match=r"asr\.include:"):  # from the command line too
        load_settings(tmp_path / "flag", {"include": [pattern]})
    assert load_settings(tmp_path / "flag", {"include": ["assets/**", "**/*.mp3", "a..b/*.mp3"]}).include


@pytest.mark.parametrize("key", ["title", "layout", "date", "audio", "podcast_file", "permalink"])
def test_front_matter_key_jekyll_or_themes_use_is_refused(tmp_path: Path, key: str) -> None:
    """Protection: config.RESERVED_KEYS and the audio keys. Without it `front_matter_key: title`
    makes every build replace each post's title (or its audio link) with the tool's mapping."""
    make_site(tmp_path, {"_config.yml": f"asr:\n  front_matter_key: {key}\n"})
    with pytest.raises(ConfigError, match=r"asr\.front_matter_key") as err:
        load_settings(tmp_path)
    assert err.value.exit_code == 2


def test_front_matter_key_the_sites_documents_use_is_a_config_error(tmp_path: Path) -> None:
    """Protection: site.scan_site_documents refuses a chosen ``front_matter_key`` that the site's own
    documents hold values under which the tool did not write. Without it `front_matter_key: summary`
    on a site whose posts have a `summary:` replaces every post's summary with the tool's mapping."""
    from .integrity import cli
    from .test_site import AUDIO, seeded_site

    site = seeded_site(tmp_path, {"_posts/2026-01-01-a.md": "---\ntitle: A\n" + AUDIO + "summary: The first episode.\n---\n"})
    (site / "about.md").write_text("---\ntitle: About\nsummary: Who we are.\n---\n")
    (site / "_config.yml").write_text((site / "_config.yml").read_text() + "  front_matter_key: summary\n")
    before = (site / "_posts/2026-01-01-a.md").read_bytes()
    for command in ("build", "check", "status"):
        out = cli(site, command=command, timeout=120)
        assert out.returncode == 2, (command, out.stderr)
        (line,) = out.stderr.strip().splitlines()
        assert "asr.front_matter_key" in line and "'summary'" in line and "2026-01-01-a.md" in line, line
    assert (site / "_posts/2026-01-01-a.md").read_bytes() == before


@pytest.mark.parametrize("option", ["includes_dir", "captions_dir"])
@pytest.mark.parametrize("folder", [".", "./", "_posts", "assets", "_includes", "./_data/"])
def test_an_output_folder_must_be_the_tools_own(tmp_path: Path, option: str, folder: str) -> None:
    """Protection: config._output_dir. The tool owns its output folders (gc removes what it
    generated there; a forged outputs.json is trusted inside them). Without it ``includes_dir: .``
    makes the whole site the tool's folder, and ``captions_dir: assets`` makes every stylesheet one."""
    make_site(tmp_path, {"_config.yml": f"asr:\n  {option}: {folder!r}\n"})
    with pytest.raises(ConfigError, match=rf"asr\.{option}: must be a folder of its own") as err:
        load_settings(tmp_path)
    assert err.value.exit_code == 2
    assert getattr(load_settings(tmp_path, {option: "assets/words/"}), option) == "assets/words"


@pytest.mark.parametrize("entry", ["{term: Jekyll, heard: 3}", "{term: Jekyll, heard: [ok, {a: b}]}", "{heard: [x]}", "'  '"])
def test_a_bad_site_glossary_entry_names_asr_glossary(tmp_path: Path, entry: str) -> None:
    """Protection: config._glossary checks entries with the glossary's own parser. Without it a
    ``heard:`` that is not text passes config and stops the build later without naming the option."""
    make_site(tmp_path, {"_config.yml": f"asr:\n  glossary:\n    - Liquid\n    - {entry}\n"})
    with pytest.raises(ConfigError, match=r"asr\.glossary: .*glossary entry") as err:
        load_settings(tmp_path)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(("model", "language", "ok"), [
    ("tiny.en", "ko", False), ("openai/whisper-small.en", "de", False), ("tiny.en", "en", True),
    ("tiny.en", "auto", True), ("base", "ko", True),
])
def test_an_english_only_model_refuses_another_language(tmp_path: Path, model: str, language: str, ok: bool) -> None:
    """Protection: config._english_only. Without it ``--model tiny.en --language ko`` on a Korean
    podcast writes English words labelled ``language: en`` with no warning, and status and check
    then call the result up to date."""
    make_site(tmp_path, {"_config.yml": "title: T\n"})
    if ok:
        assert load_settings(tmp_path, {"model": model, "language": language}).model == model
        return
    with pytest.raises(ConfigError, match=r"asr\.language: .* transcribes English only") as err:
        load_settings(tmp_path, {"model": model, "language": language})
    assert err.value.exit_code == 2
