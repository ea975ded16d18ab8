"""``--gpu``: the transformers pipeline at whisper-large-v3-turbo size, over batch sizes.

No weights are downloaded: the model is randomly initialised from the exact
large-v3-turbo dimensions, in float16 on CUDA. Random weights rarely emit
end-of-text, so every 30 s chunk decodes a fixed number of tokens
(``TOKENS``): a fair, repeatable load for comparing batch sizes, not a
transcription. The tokenizer and generation settings come from the bundled
tiny.en (English-only: no language detection); the two vocabulary ids tiny.en
lacks are suppressed.

``--gpu-smoke`` runs the same code on the CPU with a tiny model of the same
shape family, to check the code path on a machine without a GPU.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

TURBO = {  # openai/whisper-large-v3-turbo config.json
    "d_model": 1280, "encoder_layers": 32, "decoder_layers": 4, "encoder_attention_heads": 20, "decoder_attention_heads": 20,
    "encoder_ffn_dim": 5120, "decoder_ffn_dim": 5120, "num_mel_bins": 128, "vocab_size": 51866,
    "max_source_positions": 1500, "max_target_positions": 448,
}
SMOKE = dict(TURBO, d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
             decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128)
BATCHES = (1, 4, 8, 16)
TOKENS = 64
SMOKE_BATCHES, SMOKE_TOKENS = (1, 4), 4
CHUNK_S = 30


def _pipeline(dims: dict[str, int], device: str, dtype: Any, tokens: int):
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
        pipeline,
    )

    from jekyll_asr.models import transformers_checkpoint

    tiny = transformers_checkpoint("tiny.en")
    tokenizer = WhisperTokenizerFast.from_pretrained(tiny)
    generation = GenerationConfig.from_pretrained(tiny)
    config = WhisperConfig(
        **dims,
        decoder_start_token_id=generation.decoder_start_token_id,
        eos_token_id=generation.eos_token_id,
        pad_token_id=generation.pad_token_id,
        bos_token_id=generation.bos_token_id,
    )
    torch.manual_seed(0)
    with torch.device(device):
        model = WhisperForConditionalGeneration(config).to(dtype).eval()
    generation.suppress_tokens = sorted(set(generation.suppress_tokens or []) | {len(tokenizer) + i for i in range(dims["vocab_size"] - len(tokenizer))})
    generation.max_new_tokens = tokens
    generation.min_new_tokens = tokens
    model.generation_config = generation
    features = WhisperFeatureExtractor(feature_size=dims["num_mel_bins"])
    return pipeline("automatic-speech-recognition", model=model, tokenizer=tokenizer, feature_extractor=features,
                    device=device, dtype=dtype)


def measure(*, smoke: bool = False, chunks_per_batch: int = 4, repeats: int = 3) -> dict[str, Any]:
    import numpy as np
    import torch

    device, dtype = ("cpu", torch.float32) if smoke else ("cuda", torch.float16)
    if not smoke and not torch.cuda.is_available():
        return {"error": "no CUDA device visible to torch (a CPU build of torch, or no GPU): run on a GPU machine"}
    dims, batches, tokens = (SMOKE, SMOKE_BATCHES, SMOKE_TOKENS) if smoke else (TURBO, BATCHES, TOKENS)
    pipe = _pipeline(dims, device, dtype, tokens)
    rng = np.random.default_rng(0)
    rows = []
    for batch in batches:
        n = batch * (1 if smoke else chunks_per_batch)
        chunks = [(rng.standard_normal(CHUNK_S * 16000) * 0.1).astype(np.float32) for _ in range(n)]
        pipe([chunks[0]], batch_size=1)  # warm-up (kernels, allocator)
        times = []
        for _ in range(1 if smoke else repeats):
            if device == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            started = time.perf_counter()
            out = pipe(list(chunks), batch_size=batch)
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - started)
        wall = statistics.median(times)
        rows.append({
            "batch_size": batch,
            "chunks": n,
            "wall_s": wall,
            "rtf": n * CHUNK_S / wall,
            "chunks_per_s": n / wall,
            "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None,
            "outputs": len(out),
        })
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu (smoke test, tiny dims)"
    return {"device": name, "dtype": str(dtype), "dims": dims, "tokens_per_chunk": tokens, "rows": rows}


def table(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"GPU benchmark not run: {result['error']}"
    lines = [
        f"GPU: {result['device']}, {result['dtype']}, random-init whisper-large-v3-turbo dims, "
        f"{CHUNK_S} s chunks, {result['tokens_per_chunk']} tokens decoded per chunk",
        "",
        "| Batch size | Chunks | Wall (s) | Audio s / wall s | Speed-up vs batch 1 | Peak GPU memory |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    base = result["rows"][0]["rtf"]
    for r in result["rows"]:
        mem = f"{r['peak_gpu_mib']:,.0f} MiB" if r["peak_gpu_mib"] is not None else "n/a"
        lines.append(f"| {r['batch_size']} | {r['chunks']} | {r['wall_s']:.2f} | {r['rtf']:.1f} | {r['rtf'] / base:.2f} | {mem} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json

    print(json.dumps(measure(smoke="--smoke" in sys.argv), indent=2))
