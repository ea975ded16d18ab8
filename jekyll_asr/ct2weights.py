"""Reading a CTranslate2 Whisper ``model.bin`` and naming its tensors as transformers does.

The bundled models ship only as CTranslate2 (faster-whisper) directories. We
read ``model.bin`` ourselves (layout of ``ctranslate2/specs/model_spec.py``
``_serialize``) and invert ``ctranslate2.converters.transformers.WhisperLoader``:
fused self-attention q|k|v and cross-attention k|v are split, the all-zero k
bias CT2 adds is dropped, aliases (the output projection is the token
embedding) are resolved and int8/int16 weights are dequantised with their
``*_scale``.

This half needs numpy only: the torch encoder loads its weights from here
without writing a checkpoint, and ``convert`` writes the transformers
checkpoint (config, tokenizer, generation config) from what it returns.
Weights keep the float dtype they have in ``model.bin`` (float16 for the
bundled models: an exact copy); quantised weights become float32.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from .errors import ModelError

_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SUPPORTED_BINARY_VERSIONS = (5, 6)
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
