"""The settings of the demo: a plain dataclass that imports no torch, so the command line shows and
checks them without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BACKBONES = ("smollm2", "tiny")


@dataclass(kw_only=True)
class DemoConfig:
    workdir: Path = Path("demo-work")  # everything the demo writes goes under this folder
    # Synthetic texts per language (80% train, 10% val, 10% test, by template): enough for every
    # template to appear several times, few enough for the whole demo to stay a few minutes' job
    # on a laptop CPU.
    n_english: int = 800
    n_french: int = 800
    backbone: str = "smollm2"  # "smollm2": real pretrained features; "tiny": random weights, seconds
    context: str = "echo"  # echo extraction: every token sees the whole text (docs/experiments.md)
    # The middle layer alone: the best head per extraction cost, and the forward pass stops
    # halfway. `compare_layers` also caches the last layer and trains a middle+last head beside it.
    compare_layers: bool = False
    context_window: int = 1  # the next token's features too (right context, no re-extraction)
    # and the previous token's: better on the test split and on every real file (docs/results.md)
    context_both_sides: bool = True
    decode: str = "viterbi"  # valid BIO sequences only
    lrs: tuple[float, ...] = (3e-3, 1e-2, 3e-2, 1e-1)  # the sweep: trained together in one pass
    epochs: int = 20  # upper bound; each trial stops early after `patience` flat epochs
    batch_tokens: int = 2048  # forward-pass size: the sweet spot of a 2-core CPU
    dtype: str = "auto"  # backbone compute dtype (auto: bf16 on CPUs with AMX, else float32)
    # "auto": int8 Linear layers where the backbone would compute in float32 on a CPU (no AMX, no
    # GPU) whose int8 matmul measures at least 1.5x its float32 one (VNNI: about twice the float32
    # extract); float32 elsewhere (AVX2 alone: int8 is 10-20x slower). None: the loaded dtype alone;
    # "int8": always (CPU only).
    quantize: str | None = "auto"
    seed: int = 42  # synthetic data, split and head initialisation
    overwrite: bool = False  # replace an existing demo workdir (only a folder a demo wrote)
    progress: bool = True  # progress bars of each stage

    @property
    def layers(self) -> str:
        return "0.5,-1" if self.compare_layers else "0.5"

    @property
    def heads(self) -> tuple[tuple[str, str], ...]:
        """(head folder, layers it reads): the middle layer, and middle+last with `compare_layers`."""
        return (("head-middle", "0.5"),) + ((("head-middle+last", "0.5,-1"),) if self.compare_layers else ())


@dataclass(kw_only=True)
class ServeConfig:
    head: Path  # a head folder written by `fit-head`, loaded once with its backbone
    model: str | None = None  # backbone to load instead of the one named in the head (a local copy)
    gguf_file: str | None = None  # GGUF file inside `model`
    # Loopback only: other machines reach the service through a reverse proxy (docs/serve.md).
    host: str = "127.0.0.1"
    port: int = 8000  # TCP port to listen on
    max_bytes: int = 1 << 20  # a request body above this is refused (413) before it is parsed
    # Characters per request, all its texts together: the model serves one pass at a time, and
    # 100,000 characters of prose keep it busy about 25 s on a 2-core CPU (docs/serve.md).
    max_chars: int = 100_000
    # Texts of concurrent requests that arrive within this many milliseconds share one forward
    # pass (benchmarks/serve_load.py measures it against one pass per request).
    batch_wait_ms: float = 5.0
    # Padded positions per forward pass: on a 2-core CPU 2048 tags 1 KB texts 1.1-1.4x faster than 4096
    # (benchmarks/serve_load.py); raise it on a GPU.
    batch_tokens: int = 2048
    device: str = "auto"  # cuda when available, else cpu
    dtype: str = "auto"  # the head's cache dtype when this device runs it natively
    allow_other_backbone: bool = False  # accept other weights of the same shape than the head's
    salt_file: Path | None = None  # the salt of `hash`; None: $PII_TAGGER_SALT, else random per server start
