"""`demo`: the whole pipeline on an embedded default, offline, on a laptop CPU.

synth -> prepare -> extract (SmolLM2-135M, or a tiny random Mistral) -> fit-head (a learning-rate
sweep on the middle layer, and on middle+last) -> evaluate both side by side, each stage timed.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from extract.errors import PiiTaggerError
from evaluation.evaluate import EvaluateConfig, evaluate
from extract.embedded import smollm2_gguf, tiny_mistral
from extract.extractor import ExtractConfig, run_extract
from extract.files import check_can_write
from extract.prepare import PrepareConfig, prepare
from extract.synth import SynthConfig, generate, write_corpus
from head.model import Hyperparameters
from head.train import FitConfig, fit_head

BACKBONES = ("smollm2", "tiny")


@dataclass
class DemoConfig:
    workdir: Path = Path("demo-work")  # everything the demo writes goes under this folder
    n_english: int = 600  # synthetic English texts (90% train, 10% val)
    n_french: int = 600  # synthetic French texts
    backbone: str = "smollm2"  # "smollm2": real pretrained features; "tiny": random weights, seconds
    context: str = "echo"  # echo extraction: every token sees the whole text (best in the comparison)
    layers: str = "0.5,-1"  # cached: the middle and the last layer
    # One head per entry, compared by `evaluate`: the middle layer alone (best in the README's
    # comparison) and both layers concatenated.
    heads: tuple[tuple[str, str], ...] = (("head-middle", "0.5"), ("head-middle+last", "0.5,-1"))
    context_window: int = 1  # the next token's features too (right context, no re-extraction)
    decode: str = "viterbi"  # valid BIO sequences only
    lrs: tuple[float, ...] = (3e-3, 1e-2, 3e-2, 1e-1)  # the sweep: trained together in one pass
    epochs: int = 20  # upper bound; each trial stops early after `patience` flat epochs
    batch_tokens: int = 2048  # forward-pass size: the sweet spot of a 2-core CPU
    seed: int = 42  # synthetic data, split and head initialisation
    overwrite: bool = False  # replace an existing workdir
    progress: bool = True  # progress bars of each stage


@dataclass
class DemoResult:
    workdir: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)  # stage name -> wall seconds, in order
    backbone: str = ""  # what was loaded, for the summary
    best_head: str = ""  # the head with the best val strict span F1, e.g. "head-middle"
    best_trial: str = ""  # its best trial, e.g. "lr=0.01 wd=0.01"
    best_epoch: int = 0  # that trial's best epoch
    metrics: dict = field(default_factory=dict)  # evaluate's metrics.json of the best head
    report: Path | None = None  # evaluate's report.md of the best head
    comparison: Path | None = None  # evaluate's comparison.md of all heads
    trials: list[tuple[str, float]] = field(default_factory=list)  # (head: trial, val span F1)


def run_demo(config: DemoConfig, log: Callable[[str], None] = print) -> DemoResult:
    """Run every stage into `config.workdir`; each stage's own outputs are the real ones."""
    if config.backbone not in BACKBONES:
        raise PiiTaggerError(f"--backbone: unknown value {config.backbone!r} (expected one of: {', '.join(BACKBONES)})")
    workdir = Path(config.workdir)
    check_can_write(workdir, config.overwrite, "--workdir")
    if config.backbone == "smollm2":
        folder, gguf = smollm2_gguf()  # before touching the workdir: fails with the install command
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    result = DemoResult(workdir)

    def stage(name: str, action):
        log(f"== {name}")
        started = time.perf_counter()
        value = action()
        result.stage_seconds[name] = time.perf_counter() - started
        log(f"   {name}: {result.stage_seconds[name]:.1f}s")
        return value

    if config.backbone == "smollm2":
        model, gguf_file = str(folder), gguf
    else:
        model, gguf_file = str(stage("tiny backbone", lambda: tiny_mistral(workdir / "tiny-mistral"))), None
    result.backbone = f"{Path(model).name}/{gguf_file}" if gguf_file else model

    def synth():
        write_corpus(generate(SynthConfig(config.n_english, config.n_french, config.seed)), workdir / "data")

    stage("synth", synth)
    prepared = workdir / "data" / "token_classification"
    stage("prepare", lambda: prepare(PrepareConfig(data_dir=workdir / "data", out=prepared, seed=config.seed,
                                                   tokenizer=model, tokenizer_gguf_file=gguf_file)))
    cache = workdir / "cache"
    stage("extract", lambda: run_extract(ExtractConfig(
        data=prepared, out=cache, model=model, gguf_file=gguf_file, layers=config.layers, context=config.context,
        batch_tokens=config.batch_tokens, progress=config.progress)))
    fitted = {}
    for name, layers in config.heads:
        fitted[name] = stage(f"fit-head {name}", lambda: fit_head(FitConfig(
            cache=cache, out=workdir / name, layers=layers, lrs=config.lrs,
            hp=Hyperparameters(epochs=config.epochs, seed=config.seed), context_window=config.context_window,
            decode=config.decode, progress=config.progress)))
    evaluated = stage("evaluate", lambda: evaluate(EvaluateConfig(
        cache=cache, heads=tuple(workdir / name for name, _ in config.heads), out=workdir / "evaluation")))
    best = max(evaluated.runs, key=lambda run: run.metrics["entity"]["strict"]["overall"]["f1"])
    result.best_head = best.name
    result.best_trial, result.best_epoch = fitted[best.name].best.trial.name, fitted[best.name].best.best_epoch
    result.trials = [(f"{name}: {r.trial.name}", r.best.get("span_f1", float("nan")))
                     for name, fit in fitted.items() for r in fit.results]
    result.metrics = best.metrics
    result.report = evaluated.out / best.folder / "report.md"
    result.comparison = evaluated.out / "comparison.md" if len(evaluated.runs) > 1 else None
    return result
