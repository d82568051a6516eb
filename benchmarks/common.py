"""Shared set-up for the benchmarks: the demo corpus, backbones, and a bare forward pass to compare with.

Every benchmark prints ratios measured side by side in one run; absolute times drift between
machines and runs, ratios much less.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from extract.backbone import BackboneConfig, load_backbone  # noqa: E402
from extract.embedded import smollm2_gguf, tiny_mistral  # noqa: E402
from extract.extractor import batches_by_budget, collate  # noqa: E402
from extract.prepare import PrepareConfig, prepare  # noqa: E402
from extract.synth import SynthConfig, generate, write_corpus  # noqa: E402


def backbone_source(name: str, workdir: Path) -> tuple[str, str | None]:
    """(model path, gguf file) for 'tiny' or 'smollm2'."""
    if name == "smollm2":
        folder, gguf = smollm2_gguf()
        return str(folder), gguf
    folder = workdir / "tiny-mistral"
    if not (folder / "config.json").exists():
        tiny_mistral(folder)
    return str(folder), None


def synthetic_prepared(workdir: Path, n_english: int, n_french: int, seed: int = 42) -> Path:
    """A prepared synthetic corpus (cached between runs in `workdir`)."""
    out = workdir / f"data-{n_english}-{n_french}-{seed}"
    prepared = out / "token_classification"
    if not (prepared / "train.jsonl").exists():
        write_corpus(generate(SynthConfig(n_english, n_french, seed)), out)
        prepare(PrepareConfig(data_dir=out, out=prepared, overwrite=True))
    return prepared


def load_model(model: str, gguf_file: str | None, dtype: str = "auto"):
    net, compute_dtype, device = load_backbone(BackboneConfig(model, gguf_file, dtype=dtype))
    return net, compute_dtype, device


@torch.inference_mode()
def bare_forward_seconds(model, segment_groups, batch_tokens: int, pad_id: int, device) -> float:
    """Time of a plain `model(...)` over the same length-bucketed batches, nothing else.

    `segment_groups`: lists of segments batched separately, as `extract` batches each shard.
    """
    batches = [collate(batch, pad_id) for group in segment_groups for batch in batches_by_budget(group, batch_tokens)]
    started = time.perf_counter()
    for ids, mask in batches:
        model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def machine() -> str:
    import platform

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, {gpu}"
