"""The settings of evaluate and score: plain dataclasses that import no torch, so the command line
shows and checks them without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(kw_only=True)
class EvaluateConfig:
    cache: Path  # a cache folder written by `extract`
    heads: tuple[Path, ...]  # one or more head folders written by `fit-head`
    # Which cached split to score; None: test when the cache has one (val chose the head, so its
    # figures flatter it), else val.
    split: str | None = None
    out: Path | None = None  # default: HEAD/eval-SPLIT for one head, PARENT/comparison-SPLIT for several
    decode: str | None = None  # override each head's own decoding ("greedy" or "viterbi")
    examples_per_class: int = 3  # missed and spurious examples per class in the report
    overwrite: bool = False  # replace an existing output folder
    allow_other_backbone: bool = False  # accept a cache made with other weights of the same shape


@dataclass(kw_only=True)
class ScoreConfig:
    head: Path  # a head folder written by `fit-head`
    data: tuple[Path, ...]  # labelled JSONL files (any format `prepare` reads)
    out: Path | None = None  # report folder; default: HEAD/score-STEM of the first file
    label_map: str | None = None  # built-in name or JSON file: the files' labels onto the head's
    operating_point: str | None = None  # which of the head's stored points to score; None: its default
    rules: bool | None = None  # the rule layer on or off whatever the point says; None: the point's choice
    model: str | None = None  # backbone to load instead of the one named in the head (a local copy)
    gguf_file: str | None = None  # GGUF file inside `model`
    device: str = "auto"  # cuda when available, else cpu
    dtype: str = "auto"  # the head's cache dtype when this device runs it natively
    batch_tokens: int = 4096  # padded positions per forward pass
    examples_per_class: int = 3  # missed and spurious examples per class in the report
    skip_invalid: bool = False  # skip malformed lines (counted) instead of stopping
    allow_other_backbone: bool = False  # accept other weights of the same shape than the head's
    overwrite: bool = False  # replace an existing report folder this tool wrote
    progress: bool = True  # a progress bar with texts/s and ETA
