"""The settings of the backbone and of the extract stage, with their choices: plain dataclasses that
import no torch, so the command line shows and checks them without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extract.layers import DEFAULT_LAYERS

DTYPES = ("auto", "bfloat16", "float16", "float32")
DEVICES = ("auto", "cpu", "cuda")
QUANTIZE = ("int8",)
FEATURE_DTYPES = ("float16", "float32")  # how cached features are stored


@dataclass(kw_only=True)
class BackboneConfig:
    model: str  # hub name (mistralai/Mistral-7B-v0.1) or local folder
    gguf_file: str | None = None  # a .gguf file inside `model` (dequantized on load)
    revision: str | None = None  # hub branch, tag or commit; recorded in the cache fingerprint
    dtype: str = "auto"  # auto: bf16 on GPUs that have it, fp16 on older ones (T4, P100); CPU: bf16 with AMX, else fp32
    device: str = "auto"  # auto: cuda when available, else cpu
    device_map: str | None = None  # "auto" spreads a large model over several small GPUs (accelerate)
    trust_remote_code: bool = False  # never run a repository's own code unless asked
    quantize: str | None = None  # "int8": the blocks' Linear layers compute in int8 (CPU only); None: as loaded


@dataclass(kw_only=True)
class ExtractConfig:
    data: Path  # a folder written by `prepare` (train.jsonl, val.jsonl, label_mappings.json)
    out: Path  # the cache folder
    model: str  # hub name or local folder of the backbone
    gguf_file: str | None = None  # a .gguf file inside `model`
    revision: str | None = None  # hub revision, recorded in the fingerprint
    dtype: str = "auto"  # compute dtype: bf16 / fp16 on GPUs; bf16 on CPUs with AMX, else fp32
    device: str = "auto"  # cuda when available, else cpu
    device_map: str | None = None  # "auto": spread the model over several GPUs (accelerate)
    trust_remote_code: bool = False  # off: never run a repository's own code unless asked
    layers: str = DEFAULT_LAYERS  # the middle and the last layer: middle layers probe best
    max_length: int = 512  # positions per model input; longer texts are windowed
    stride: int = 128  # left-context tokens repeated at the start of each next window
    context: str = "plain"  # "echo": read each window twice, keep the second copy's states
    batch_tokens: int = 4096  # padded positions per forward pass: fits a T4 next to Mistral-7B in fp16
    shard_tokens: int = 32768  # rows per shard: a quarter GB per layer at Mistral-7B's width in fp16
    feature_dtype: str = "float16"  # float16 halves the cache; overflow is an error, not inf
    splits: tuple[str, ...] = ()  # default: every split the prepared folder has
    overwrite: bool = False  # start afresh in an existing cache folder
    progress: bool = True  # tqdm bar with tokens/s and ETA
    quantize: str | None = None  # "int8": the backbone's Linear layers in int8 (CPU only); in the fingerprint

    def backbone(self) -> BackboneConfig:
        return BackboneConfig(model=self.model, gguf_file=self.gguf_file, revision=self.revision, dtype=self.dtype,
                              device=self.device, device_map=self.device_map,
                              trust_remote_code=self.trust_remote_code, quantize=self.quantize)
