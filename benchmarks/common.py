"""Shared set-up for the benchmarks: the demo corpus, backbones, and a bare forward pass to compare with.

Every benchmark prints ratios measured side by side in one run; absolute times drift between
machines and runs, ratios much less.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from extract.backbone import BackboneConfig, load_backbone  # noqa: E402
from extract.offline_models import smollm2_gguf, tiny_mistral  # noqa: E402
from extract.forward import batches_by_budget, collate  # noqa: E402


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
    """A prepared synthetic corpus (cached between runs in `workdir`: a copied one needs no Faker)."""
    from extract.prepare import PrepareConfig, prepare
    from extract.synth import SynthConfig, generate, write_corpus

    out = workdir / f"data-{n_english}-{n_french}-{seed}"
    prepared = out / "token_classification"
    if not (prepared / "train.jsonl").exists():
        write_corpus(generate(SynthConfig(n_english=n_english, n_french=n_french, seed=seed)), out)
        prepare(PrepareConfig(data_dir=out, out=prepared, overwrite=True))
    return prepared


def load_model(model: str, gguf_file: str | None, dtype: str = "auto", quantize: str | None = None,
               device: torch.device | None = None):
    net, compute_dtype, input_device = load_backbone(BackboneConfig(model=model, gguf_file=gguf_file, dtype=dtype, quantize=quantize),
                                                     device)
    return net, compute_dtype, input_device


# Mistral-7B-v0.1 as published in https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json
# (written out here so that the benchmark needs no hub access).
MISTRAL_7B_V01 = {
    "vocab_size": 32000,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "hidden_act": "silu",
    "max_position_embeddings": 32768,
    "rope_theta": 10000.0,
    "sliding_window": 4096,
    "rms_norm_eps": 1e-5,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "tie_word_embeddings": False,
}
CONFIGS = {"mistral-7b": MISTRAL_7B_V01}


def random_weights_model(folder: Path, config_name: str, num_layers: int | None = None, dtype: str = "bfloat16",
                         device: str = "cpu", seed: int = 0) -> Path:
    """Save a `MistralModel` of a published shape with random weights, and the offline Mistral tokenizer.

    Built on the meta device and filled with one uniform draw per tensor (std 0.02, as Hugging
    Face initialises; norms at 1): `_init_weights` on a 7B model would take minutes. Stored in
    `dtype` (bf16: 14.5 GB for Mistral-7B); `extract` computes in its own --dtype. Re-used when
    `folder` already holds the same shape. Hidden states stay small (|h| < 100 after 32 blocks),
    so the float16 cache holds them as it would a pretrained model's.
    """
    from transformers import MistralConfig, MistralModel

    from extract.offline_models import mistral_tokenizer

    settings = {**CONFIGS[config_name], **({"num_hidden_layers": num_layers} if num_layers else {})}
    stamp = {"config": config_name, **settings, "dtype": dtype, "seed": seed}
    marker = folder / "random-weights.json"
    if marker.is_file() and json.loads(marker.read_text()) == stamp and (folder / "config.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "tokenizer.model").is_file():  # a machine without mistral-common can be handed the files
        mistral_tokenizer(folder)
    config = MistralConfig(**settings)
    with torch.device("meta"):
        model = MistralModel(config)
    model = model.to(getattr(torch, dtype)).to_empty(device=device)  # no float32 copy on the way
    generator = torch.Generator(device=device).manual_seed(seed)
    bound = 0.02 * 3 ** 0.5  # uniform(-b, b) has std b / sqrt(3)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("norm.weight"):
                parameter.fill_(1.0)
            else:
                parameter.uniform_(-bound, bound, generator=generator)
    model.config.dtype = getattr(torch, dtype)
    model.save_pretrained(folder)
    marker.write_text(json.dumps(stamp))
    return folder


def decoder_depth(model, layers: list[int]) -> int:
    """How many blocks a capture of `layers` runs: the forward stops after the deepest one."""
    from extract.backbone import decoder_layers

    return min(max(layers), len(decoder_layers(model)))


@contextmanager
def first_blocks(model, depth: int | None):
    """The model with only its first `depth` blocks (None: all), so a bare forward does extract's compute."""
    from extract.backbone import decoder_layers

    blocks = decoder_layers(model)
    if depth is None or depth >= len(blocks):
        yield model
        return
    parent = next(module for module in model.modules() if any(child is blocks for child in module.children()))
    name = next(key for key, child in parent.named_children() if child is blocks)
    setattr(parent, name, nn.ModuleList(list(blocks)[:depth]))
    try:
        yield model
    finally:
        setattr(parent, name, blocks)


@torch.inference_mode()
def bare_forward_seconds(model, segment_groups, batch_tokens: int, pad_id: int, device, depth: int | None = None
                         ) -> float:
    """Time of a plain `model(...)` over the same length-bucketed batches, nothing else.

    `segment_groups`: lists of segments batched separately, as `extract` batches each shard.
    `depth`: run the first `depth` blocks only, as `extract` does when its deepest layer is `depth`.
    """
    batches = [collate(batch, pad_id) for group in segment_groups for batch in batches_by_budget(group, batch_tokens)]
    with first_blocks(model, depth):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        for ids, mask in batches:
            model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - started


def cpu_features() -> dict[str, bool | str]:
    """What decides CPU speed by dtype: AMX tiles (bf16 matmuls ~3.5x fp32), AVX-512 BF16 (~2x), VNNI (int8)."""

    def probe(name: str) -> bool:
        check = getattr(torch.cpu, name, None)
        try:
            return bool(check()) if check is not None else False
        except RuntimeError:
            return False

    return {"capability": torch.backends.cpu.get_cpu_capability(), "amx": probe("_is_amx_tile_supported"),
            "avx512_bf16": probe("_is_avx512_bf16_supported"), "vnni": probe("_is_vnni_supported")}


def cpu_name() -> str:
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    features = cpu_features()
    flags = ", ".join(f"{name} {'yes' if features[name] else 'no'}" for name in ("amx", "avx512_bf16", "vnni"))
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{cpu_name()} ({features['capability']}; {flags}), {torch.get_num_threads()} torch threads, {gpu}, "
            f"torch {torch.__version__}")
