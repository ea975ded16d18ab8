"""Lossless CTranslate2 Whisper -> transformers checkpoint converter: the writing half.

The bundled models ship only as CTranslate2 (faster-whisper) directories; the
transformers engine needs a ``WhisperForConditionalGeneration`` checkpoint.
``ct2weights`` reads ``model.bin`` and maps its tensors to transformers names;
this module turns them into a checkpoint directory: ``config.json``, the
weights, the tokenizer (CT2's ``tokenizer.json`` plus the timestamp tokens),
the generation config, and publishes it atomically. torch and transformers are
imported only when a checkpoint is written.

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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .ct2weights import Ct2Model, WhisperDims, read_model_bin, state_dict
from .errors import ModelError

__all__ = [
    "MAX_INITIAL_TIMESTAMP_INDEX",
    "N_TIMESTAMPS",
    "Ct2Model",
    "SpecialTokens",
    "WhisperDims",
    "convert_ct2_to_transformers",
    "read_model_bin",
    "special_tokens",
    "state_dict",
]

N_TIMESTAMPS = 1501  # <|0.00|> ... <|30.00|>
MAX_INITIAL_TIMESTAMP_INDEX = 50  # openai/whisper: the first timestamp is at most 1.0 s
_MULTILINGUAL_VOCAB_SIZE = 51865  # English-only Whisper models have one token fewer


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
