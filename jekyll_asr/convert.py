"""Lossless CTranslate2 Whisper -> transformers checkpoint converter.

The bundled models ship only as CTranslate2 (faster-whisper) directories; the
transformers engine needs a ``WhisperForConditionalGeneration`` checkpoint. We
read ``model.bin`` ourselves (layout of ``ctranslate2/specs/model_spec.py``
``_serialize``) and invert ``ctranslate2.converters.transformers.WhisperLoader``:
fused self-attention q|k|v and cross-attention k|v are split, the all-zero k
bias CT2 adds is dropped, aliases (the output projection is the token
embedding) are resolved and int8/int16 weights are dequantised with their
``*_scale``.

Weights keep the float dtype they have in ``model.bin`` (float16 for the
bundled models: an exact copy, half the size of float32); quantised weights
become float32. ``config.json`` says ``dtype: float32`` so a plain
``from_pretrained`` upcasts (exactly) to float32, which runs ~2x faster on CPU
than float16.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from .errors import ModelError

_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SUPPORTED_BINARY_VERSIONS = (5, 6)
N_TIMESTAMPS = 1501  # <|0.00|> ... <|30.00|>
MAX_INITIAL_TIMESTAMP_INDEX = 50  # openai/whisper: the first timestamp is at most 1.0 s
_MULTILINGUAL_VOCAB_SIZE = 51865  # English-only Whisper models have one token fewer
_FUSED_QKV = 3  # projections fused in self-attention's linear_0 (cross-attention fuses k|v: 2)


@dataclass(frozen=True)
class Ct2Model:
    """The variables of a CTranslate2 ``model.bin`` with every alias resolved."""

    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]  # alias -> the variable it names (already resolved in ``variables``)


class WhisperDims(TypedDict):
    """Whisper's dimensions, read from the tensor shapes: ``WhisperConfig`` keyword arguments."""

    d_model: int
    num_mel_bins: int
    vocab_size: int
    max_source_positions: int
    max_target_positions: int
    encoder_layers: int
    decoder_layers: int
    encoder_ffn_dim: int
    decoder_ffn_dim: int
    encoder_attention_heads: int
    decoder_attention_heads: int


def read_model_bin(path: Path) -> Ct2Model:
    """Parse ``model.bin``: version, spec name, revision, variables, aliases."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from exc
    view = memoryview(data)
    pos = 0

    def take(fmt: str) -> Any:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        length = take("<H")
        text = bytes(view[pos : pos + length - 1]).decode("utf-8")
        pos += length
        return text

    try:
        version = take("<I")
        if version not in _SUPPORTED_BINARY_VERSIONS:
            raise ModelError(f"{path} is not a CTranslate2 model.bin this tool can read "
                             f"(binary version {version})")
        spec = string()
        revision = take("<I")
        variables: dict[str, np.ndarray] = {}
        aliases: dict[str, str] = {}
        for _ in range(take("<I")):
            name = string()
            shape = tuple(take("<I") for _ in range(take("<B")))
            dtype = _DTYPES[take("<B")]
            nbytes = take("<I")
            raw = view[pos : pos + nbytes]
            pos += nbytes
            variables[name] = _array(raw, dtype, shape)
        for _ in range(take("<I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
            aliases[alias] = target
    except (struct.error, IndexError, KeyError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path} is not a valid CTranslate2 model.bin ({exc})") from exc
    return Ct2Model(spec=spec, revision=revision, variables=variables, aliases=aliases)


def _array(raw: memoryview, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bfloat16":  # numpy has no bfloat16: widen the bits to float32 (exact)
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def _weights(model: Ct2Model) -> dict[str, np.ndarray]:
    """Float weights: quantised ones divided by their scale, scalars and scales dropped."""
    v = model.variables
    out: dict[str, np.ndarray] = {}
    for name, value in v.items():
        if name.endswith("_scale") or value.ndim == 0:
            continue
        scale = v.get(name + "_scale")
        if scale is None and name in model.aliases:  # int8 projection: alias of the embedding
            scale = v.get(model.aliases[name] + "_scale")
        if scale is not None:
            q = value.astype(np.float32)
            if scale.ndim == 0:  # int16: one scale for the tensor
                out[name] = q / scale.astype(np.float32)
            else:  # int8: one scale per output row (conv weights flattened per row)
                out[name] = q / scale.astype(np.float32).reshape((-1,) + (1,) * (q.ndim - 1))
        elif value.dtype.kind != "f":
            raise ModelError(f"unexpected {value.dtype} tensor {name} without a scale")
        else:
            out[name] = value
    return out


def _scalar(model: Ct2Model, name: str) -> int:
    try:
        return int(model.variables[name])
    except KeyError as exc:
        raise ModelError(f"model.bin has no {name}: not a Whisper model") from exc


def state_dict(model: Ct2Model) -> tuple[dict[str, np.ndarray], WhisperDims]:
    """Transformers-named tensors and the dimensions read from their shapes."""
    if model.spec != "WhisperSpec":
        raise ModelError(f"model.bin holds a {model.spec}, not a Whisper model")
    w = _weights(model)
    d_model = w["encoder/conv1/weight"].shape[0]
    dims: WhisperDims = {
        "d_model": d_model,
        "num_mel_bins": w["encoder/conv1/weight"].shape[1],
        "vocab_size": w["decoder/embeddings/weight"].shape[0],
        "max_source_positions": w["encoder/position_encodings/encodings"].shape[0],
        "max_target_positions": w["decoder/position_encodings/encodings"].shape[0],
        "encoder_layers": _count_layers(w, "encoder"),
        "decoder_layers": _count_layers(w, "decoder"),
        "encoder_ffn_dim": w["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        "decoder_ffn_dim": w["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        "encoder_attention_heads": _scalar(model, "encoder/num_heads"),
        "decoder_attention_heads": _scalar(model, "decoder/num_heads"),
    }
    sd: dict[str, np.ndarray] = {}
    for side, layers in (("encoder", dims["encoder_layers"]), ("decoder", dims["decoder_layers"])):
        prefix = f"model.{side}"
        sd[f"{prefix}.embed_positions.weight"] = w[f"{side}/position_encodings/encodings"]
        _layer_norm(sd, f"{prefix}.layer_norm", w, f"{side}/layer_norm")
        for i in range(layers):
            src, dst = f"{side}/layer_{i}", f"{prefix}.layers.{i}"
            _attention(sd, f"{dst}.self_attn", w, f"{src}/self_attention", fused=3, d=d_model)
            _layer_norm(sd, f"{dst}.self_attn_layer_norm", w, f"{src}/self_attention/layer_norm")
            if side == "decoder":
                _attention(sd, f"{dst}.encoder_attn", w, f"{src}/attention", fused=2, d=d_model)
                _layer_norm(sd, f"{dst}.encoder_attn_layer_norm", w, f"{src}/attention/layer_norm")
            _linear(sd, f"{dst}.fc1", w, f"{src}/ffn/linear_0")
            _linear(sd, f"{dst}.fc2", w, f"{src}/ffn/linear_1")
            _layer_norm(sd, f"{dst}.final_layer_norm", w, f"{src}/ffn/layer_norm")
    for conv in ("conv1", "conv2"):
        _linear(sd, f"model.encoder.{conv}", w, f"encoder/{conv}")
    sd["model.decoder.embed_tokens.weight"] = w["decoder/embeddings/weight"]
    projection = w.get("decoder/projection/weight", w["decoder/embeddings/weight"])
    if not np.array_equal(projection, w["decoder/embeddings/weight"]):
        raise ModelError("model.bin has an output projection that differs from the token embedding")
    return sd, dims


def _count_layers(w: dict[str, np.ndarray], side: str) -> int:
    n = 0
    while f"{side}/layer_{n}/ffn/linear_0/weight" in w:
        n += 1
    return n


def _layer_norm(sd: dict[str, np.ndarray], dst: str, w: dict[str, np.ndarray], src: str) -> None:
    sd[f"{dst}.weight"] = w[f"{src}/gamma"]
    sd[f"{dst}.bias"] = w[f"{src}/beta"]


def _linear(sd: dict[str, np.ndarray], dst: str, w: dict[str, np.ndarray], src: str) -> None:
    sd[f"{dst}.weight"] = w[f"{src}/weight"]
    sd[f"{dst}.bias"] = w[f"{src}/bias"]


def _attention(sd: dict[str, np.ndarray], dst: str, w: dict[str, np.ndarray], src: str, *, fused: int, d: int) -> None:
    """Split CT2's fused projections; Whisper's k_proj has no bias (CT2 stores zeros)."""
    names = ("q_proj", "k_proj", "v_proj")
    parts: list[tuple[tuple[str, ...], str]]
    if fused == _FUSED_QKV:  # self-attention: linear_0 = q|k|v, linear_1 = out
        parts = [(names, f"{src}/linear_0")]
        out = f"{src}/linear_1"
    else:  # cross-attention: linear_0 = q, linear_1 = k|v, linear_2 = out
        parts = [(names[:1], f"{src}/linear_0"), (names[1:], f"{src}/linear_1")]
        out = f"{src}/linear_2"
    for group, name in parts:
        weight, bias = w[f"{name}/weight"], w[f"{name}/bias"]
        for j, proj in enumerate(group):
            sd[f"{dst}.{proj}.weight"] = weight[j * d : (j + 1) * d]
            if proj == "k_proj":
                if np.any(bias[j * d : (j + 1) * d]):
                    raise ModelError(f"{name} has a non-zero key bias; Whisper has none")
            else:
                sd[f"{dst}.{proj}.bias"] = bias[j * d : (j + 1) * d]
    _linear(sd, f"{dst}.out_proj", w, out)


@dataclass(frozen=True)
class SpecialTokens:
    """Ids of the Whisper control tokens, looked up by name in the CT2 vocabulary."""

    eot: int
    sot: int
    translate: int
    transcribe: int
    prev_sot: int
    no_timestamps: int
    languages: dict[str, int]

    @property
    def timestamp_begin(self) -> int:
        return self.no_timestamps + 1


def special_tokens(vocab: list[str]) -> SpecialTokens:
    index = {token: i for i, token in enumerate(vocab)}
    try:
        ids = {k: index[f"<|{k}|>"] for k in ("endoftext", "startoftranscript", "translate",
                                              "transcribe", "startofprev", "notimestamps")}
    except KeyError as exc:
        raise ModelError(f"vocabulary.txt lacks the Whisper token {exc}") from exc
    languages = {vocab[i]: i for i in range(ids["startoftranscript"] + 1, ids["translate"])}
    return SpecialTokens(ids["endoftext"], ids["startoftranscript"], ids["translate"],
                         ids["transcribe"], ids["startofprev"], ids["notimestamps"], languages)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def _vocabulary(ct2_dir: Path, vocab_size: int) -> list[str]:
    path = ct2_dir / "vocabulary.txt"
    try:
        if path.is_file():
            vocab = path.read_text(encoding="utf-8").split("\n")
            if vocab and vocab[-1] == "":
                vocab.pop()
        else:  # older conversions: vocabulary.json
            path = ct2_dir / "vocabulary.json"
            vocab = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{ct2_dir} needs vocabulary.txt (or vocabulary.json) next to model.bin: {exc}") from exc
    if len(vocab) != vocab_size:
        raise ModelError(f"{path} has {len(vocab)} tokens, the model {vocab_size}")
    return vocab


def _tokenizer(ct2_dir: Path, vocab: list[str], tokens: SpecialTokens, work: Path) -> Any:
    """WhisperTokenizer from CT2's tokenizer.json plus the 1,501 timestamp tokens.

    Timestamp tokens are added as non-special tokens after ``<|notimestamps|>``:
    transformers finds them as ``all_special_ids[-1] + 1``.
    """
    from tokenizers import AddedToken
    from transformers import WhisperTokenizer

    source = _read_json(ct2_dir / "tokenizer.json")
    added = sorted(source.get("added_tokens", []), key=lambda t: t["id"])
    specials = [t["content"] for t in added if t["content"] != "<|endoftext|>"]
    src_dir = work / "tokenizer-src"
    src_dir.mkdir()
    (src_dir / "tokenizer.json").write_text(json.dumps(source), encoding="utf-8")
    (src_dir / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "WhisperTokenizer", "model_max_length": 1024, "errors": "replace",
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>", "add_prefix_space": False}), encoding="utf-8")
    tok = WhisperTokenizer.from_pretrained(str(src_dir))
    tok.add_special_tokens({"additional_special_tokens": specials})
    stamps = vocab[tokens.timestamp_begin : tokens.timestamp_begin + N_TIMESTAMPS]
    tok.add_tokens([AddedToken(s, lstrip=False, rstrip=False, normalized=False, special=False)
                    for s in stamps])
    for i in (tokens.eot, tokens.sot, tokens.no_timestamps, tokens.timestamp_begin, len(vocab) - 1):
        if tok.convert_ids_to_tokens(i) != vocab[i]:
            raise ModelError(f"tokenizer.json and vocabulary.txt disagree on token {i}")
    if len(tok) != len(vocab) or tok.all_special_ids[-1] + 1 != tokens.timestamp_begin:
        raise ModelError(f"tokenizer has {len(tok)} tokens, the model {len(vocab)}")
    return tok


def _generation_config(tokens: SpecialTokens, ct2_config: dict[str, Any], dims: WhisperDims, multilingual: bool) -> Any:
    from transformers import GenerationConfig

    heads = ct2_config.get("alignment_heads") or [
        [layer, head]
        for layer in range(dims["decoder_layers"] // 2, dims["decoder_layers"])
        for head in range(dims["decoder_attention_heads"])
    ]
    extra: dict[str, Any] = {}
    if multilingual:
        extra["lang_to_id"] = dict(tokens.languages)
        extra["task_to_id"] = {"transcribe": tokens.transcribe, "translate": tokens.translate}
        # Without a task (or the deprecated forced_decoder_ids) transformers prompts
        # <|sot|><|lang|> with no task token and the model babbles.
        extra["task"] = "transcribe"
    return GenerationConfig(  # type: ignore[no-untyped-call]
        alignment_heads=[list(h) for h in heads],
        begin_suppress_tokens=list(ct2_config.get("suppress_ids_begin", [220, tokens.eot])),
        suppress_tokens=list(ct2_config.get("suppress_ids", [])),
        bos_token_id=tokens.eot,
        eos_token_id=tokens.eot,
        pad_token_id=tokens.eot,
        decoder_start_token_id=tokens.sot,
        no_timestamps_token_id=tokens.no_timestamps,
        prev_sot_token_id=tokens.prev_sot,
        max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
        is_multilingual=multilingual,
        max_length=dims["max_target_positions"],
        return_timestamps=False,
        **extra,
    )


def convert_ct2_to_transformers(ct2_dir: Path, out_dir: Path) -> None:
    """Write a transformers Whisper checkpoint (model, processor, generation config) to ``out_dir``.

    Built in a temp dir next to ``out_dir`` and moved into place with
    ``os.replace``: readers see no checkpoint or a complete one.
    """
    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    ct2 = read_model_bin(ct2_dir / "model.bin")  # a bad model fails here, before torch is imported
    weights, dims = state_dict(ct2)
    ct2_config = _read_json(ct2_dir / "config.json") if (ct2_dir / "config.json").is_file() else {}
    vocab = _vocabulary(ct2_dir, dims["vocab_size"])
    tokens = special_tokens(vocab)
    multilingual = bool(tokens.languages) and dims["vocab_size"] >= _MULTILINGUAL_VOCAB_SIZE

    from transformers.utils import logging as hf_logging

    bars_were_on = hf_logging.is_progress_bar_enabled()
    if bars_were_on:  # "Writing model shards" bars mean nothing to a site builder
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        _write_checkpoint(
            weights, dims, ct2_dir=ct2_dir, ct2_config=ct2_config, vocab=vocab, tokens=tokens, multilingual=multilingual, out_dir=out_dir
        )
    finally:
        if bars_were_on:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def _write_checkpoint(weights: dict[str, np.ndarray], dims: WhisperDims, *, ct2_dir: Path, ct2_config: dict[str, Any],
                      vocab: list[str], tokens: SpecialTokens, multilingual: bool, out_dir: Path) -> None:
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperProcessor

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        config = WhisperConfig(
            **dims,
            pad_token_id=tokens.eot, bos_token_id=tokens.eot, eos_token_id=tokens.eot,
            decoder_start_token_id=tokens.sot,
            suppress_tokens=list(ct2_config.get("suppress_ids", [])),
            begin_suppress_tokens=list(ct2_config.get("suppress_ids_begin", [220, tokens.eot])),
            scale_embedding=False, tie_word_embeddings=True,
        )
        with torch.device("meta"):
            model = WhisperForConditionalGeneration(config)
        sd = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
        sd["proj_out.weight"] = sd["model.decoder.embed_tokens.weight"]
        model.load_state_dict(sd, strict=True, assign=True)
        model.tie_weights()
        model.generation_config = _generation_config(tokens, ct2_config, dims, multilingual)
        checkpoint = work / "checkpoint"
        model.save_pretrained(checkpoint, safe_serialization=True)
        _set_default_dtype(checkpoint / "config.json", "float32")
        processor = WhisperProcessor(  # type: ignore[no-untyped-call]
            feature_extractor=WhisperFeatureExtractor(feature_size=dims["num_mel_bins"]),  # type: ignore[no-untyped-call]
            tokenizer=_tokenizer(ct2_dir, vocab, tokens, work),
        )
        processor.save_pretrained(checkpoint)
        _drop_keys(checkpoint / "tokenizer_config.json", ("is_local", "local_files_only"))
        _publish(checkpoint)
        _replace_dir(checkpoint, out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _set_default_dtype(config_path: Path, dtype: str) -> None:
    """Make ``dtype="auto"`` loads float32: float16 is 2x slower on CPU (the weights stay float16)."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["dtype"] = dtype
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _drop_keys(path: Path, keys: tuple[str, ...]) -> None:
    """Remove load-time bookkeeping transformers writes back (where it loaded the source from)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in keys:
        data.pop(key, None)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _publish(directory: Path) -> None:
    """Temp dirs and some writers create owner-only files; a shared cache needs the umask's modes."""
    umask = os.umask(0)
    os.umask(umask)
    directory.chmod(0o777 & ~umask)
    for path in directory.iterdir():
        path.chmod(0o666 & ~umask)


def _replace_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``; an older ``dst`` is moved aside first, then removed."""
    old = None
    if dst.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dst.name}.old.", dir=dst.parent))
        os.replace(dst, old / dst.name)
    os.replace(src, dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
