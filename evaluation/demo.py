"""`demo`: the whole pipeline on an embedded default, offline, on a laptop CPU.

synth -> prepare -> extract (SmolLM2-135M, or a tiny random Mistral) -> fit-head (a sweep)
-> evaluate, each stage timed, ending with the figures a newcomer wants to see.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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
    layers: str = "0.5,-1"  # the middle and the last layer, concatenated by the head
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
    best_trial: str = ""  # e.g. "lr=0.01 wd=0.01"
    best_epoch: int = 0  # the best trial's best epoch
    metrics: dict = field(default_factory=dict)  # evaluate's metrics.json
    report: Path | None = None  # evaluate's report.md
    trials: list[tuple[str, float]] = field(default_factory=list)  # (trial, val span F1)


def run_demo(config: DemoConfig, log: Callable[[str], None] = print) -> DemoResult:
    """Run every stage into `config.workdir`; each stage's own outputs are the real ones."""
    if config.backbone not in BACKBONES:
        raise ValueError(f"--backbone: unknown value {config.backbone!r} (expected one of: {', '.join(BACKBONES)})")
    workdir = Path(config.workdir)
    check_can_write(workdir, config.overwrite, "--workdir")
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
        folder, gguf = smollm2_gguf()  # fails with the install command when missing
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
    head = workdir / "head"
    fitted = stage("fit-head", lambda: fit_head(FitConfig(
        cache=cache, out=head, lrs=config.lrs, hp=Hyperparameters(epochs=config.epochs, seed=config.seed),
        context_window=config.context_window, decode=config.decode, progress=config.progress)))
    evaluated = stage("evaluate", lambda: evaluate(EvaluateConfig(cache=cache, heads=(head,),
                                                                  out=workdir / "evaluation")))
    result.best_trial, result.best_epoch = fitted.best.trial.name, fitted.best.best_epoch
    result.trials = [(r.trial.name, r.best.get("span_f1", float("nan"))) for r in fitted.results]
    result.metrics = evaluated.runs[0].metrics
    result.report = evaluated.out / "report.md"
    return result
