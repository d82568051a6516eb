"""`demo`: the whole pipeline on an embedded default, offline, on a laptop CPU.

synth -> prepare (train/val/test by template) -> extract (SmolLM2-135M, or a tiny random Mistral)
-> fit-head (a learning-rate sweep on the middle layer) -> evaluate on test, each stage timed.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from evaluation.configs import EvaluateConfig
from evaluation.evaluate import evaluate
from evaluation.report import summary_rows
from extract.backbone import INT8_MIN_SPEEDUP, check_quantize, cpu_int8_speedup, resolve_device, resolve_dtype
from extract.configs import ExtractConfig
from extract.errors import PiiTaggerError
from extract.extractor import run_extract
from extract.files import check_can_write, raise_write_error, write_marker
from extract.leftovers import hidden_prefix
from extract.offline_models import smollm2_gguf, tiny_mistral
from extract.prepare import PrepareConfig, prepare
from extract.synth import SynthConfig, generate, write_corpus
from head.configs import FitConfig, Hyperparameters
from head.fit import fit_head
from tools.configs import BACKBONES, DemoConfig


def demo_quantize(quantize: str | None, dtype: str) -> str | None:
    """Resolve `quantize="auto"`: int8 where the backbone would otherwise compute in float32 on a CPU
    whose integer matmul is clearly faster than its float32 one (VNNI); float32 elsewhere."""
    if quantize != "auto":
        return quantize
    device = resolve_device("auto")
    if device.type != "cpu" or resolve_dtype(dtype, device) != torch.float32:
        return None
    if cpu_int8_speedup() < INT8_MIN_SPEEDUP:  # guard: int8-only-where-faster
        return None
    return "int8"


@dataclass
class DemoResult:
    workdir: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)  # stage name -> wall seconds, in order
    backbone: str = ""  # what was loaded, for the summary
    quantize: str | None = None  # the quantization the backbone ran with ("int8" or None)
    best_head: str = ""  # the head with the best val strict span F1, e.g. "head-middle"
    best_trial: str = ""  # its best trial, e.g. "lr=0.01 wd=0.01"
    best_epoch: int = 0  # that trial's best epoch
    decoding: dict = field(default_factory=dict)  # word scores and threshold chosen on val
    refit: bool = False  # the chosen head was trained again on train + val (fit-head's `refit`)
    metrics: dict = field(default_factory=dict)  # evaluate's metrics.json of the chosen head, on test
    report: Path | None = None  # evaluate's report.md of the chosen head
    comparison: Path | None = None  # evaluate's comparison.md of all heads (with compare_layers)
    trials: list[tuple[str, float]] = field(default_factory=list)  # (head: trial, val span F1)
    setup: str = ""  # context, layers, context window and decoding, for the summary

    def tables(self) -> list[tuple[str, bool]]:
        """(line, is a header): every trial's val span F1, then the test figures per class."""
        lines = [(f"{'head: trial':<40} {'val span F1':>11}", True)]
        lines += [(f"{name:<40} {f1:>11.4f}", False) for name, f1 in sorted(self.trials, key=lambda t: -t[1])]
        lines += [("", False), (f"{'class (test split)':<18} {'support':>7} {'strict P':>8} {'strict R':>8} "
                                f"{'strict F1':>9}", True)]
        per_class = self.metrics["entity"]["strict"]["per_class"]
        for label, row in sorted(per_class.items(), key=lambda kv: -kv[1]["gold"]):
            lines.append((f"{label:<18} {row['gold']:>7} {row['precision']:>8.3f} {row['recall']:>8.3f} "
                          f"{row['f1']:>9.3f}", False))
        return lines

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        stages = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in self.stage_seconds.items())
        return [
            ("backbone", f"{self.backbone}{' in int8' if self.quantize else ''} ({self.setup})"),
            ("chosen on val", f"{self.best_head}, {self.best_trial}, epoch {self.best_epoch}, word scores "
                              f"{self.decoding['word_scores']}, O bias {self.decoding['outside_bias']:g}, "
                              f"threshold {self.decoding['threshold']:.3f}"
                              f"{'; then trained again on train + val' if self.refit else ''}"),
            *summary_rows(self.metrics),
            ("time", f"{sum(self.stage_seconds.values()):.0f}s ({stages})"),
            ("report", str(self.report)),
            *([("comparison", str(self.comparison))] if self.comparison else []),
        ]


def run_demo(config: DemoConfig, log: Callable[[str], None] = print) -> DemoResult:
    """Run every stage into `config.workdir`; each stage's own outputs are the real ones.

    Everything that chooses (epochs, trials, word scores, threshold, the head) reads val; the
    figures reported are evaluate's on the test split, whose templates no head saw.
    """
    if config.backbone not in BACKBONES:
        raise PiiTaggerError(f"`backbone`: unknown value {config.backbone!r} (expected one of: {', '.join(BACKBONES)})")
    workdir = Path(config.workdir)
    check_can_write(workdir, config.overwrite, "workdir", kind="demo")
    # Resolved and checked before touching the workdir: a bad dtype or int8 on a GPU fails here.
    quantize = demo_quantize(config.quantize, config.dtype)
    check_quantize(quantize, resolve_device("auto"))
    if config.backbone == "smollm2":
        folder, gguf = smollm2_gguf()  # before touching the workdir: fails with the install command
    # A previous demo (check_can_write allowed only that) is moved aside, and removed only once
    # this one is complete; if this one fails, it is put back.
    replaced = None
    if workdir.exists() and any(workdir.iterdir()):
        target = Path(os.path.abspath(workdir))  # "x/.." has no name of its own to hide a copy under
        replaced = target.with_name(f"{hidden_prefix(target)}replaced-{os.getpid()}")
        os.replace(target, replaced)
    workdir.mkdir(parents=True, exist_ok=True)
    write_marker(workdir, "demo")
    result = DemoResult(workdir, quantize=quantize, setup=f"{config.context} context, layers {config.layers} cached, "
                        f"context window {config.context_window}{' both sides' if config.context_both_sides else ''}, "
                        f"{config.decode} decoding")

    def stage(name: str, action):
        log(f"== {name}")
        started = time.perf_counter()
        value = action()
        result.stage_seconds[name] = time.perf_counter() - started
        log(f"   {name}: {result.stage_seconds[name]:.1f}s")
        return value

    try:
        if config.backbone == "smollm2":
            model, gguf_file = str(folder), gguf
        else:
            model, gguf_file = str(stage("tiny backbone", lambda: tiny_mistral(workdir / "tiny-mistral"))), None
        result.backbone = f"{Path(model).name}/{gguf_file}" if gguf_file else Path(model).name

        def synth():
            write_corpus(generate(SynthConfig(n_english=config.n_english, n_french=config.n_french, seed=config.seed)), workdir / "data")

        stage("synth", synth)
        prepared = workdir / "data" / "token_classification"
        stage("prepare", lambda: prepare(PrepareConfig(data_dir=workdir / "data", out=prepared, seed=config.seed,
                                                       tokenizer=model, tokenizer_gguf_file=gguf_file)))
        cache = workdir / "cache"
        stage("extract", lambda: run_extract(ExtractConfig(
            data=prepared, out=cache, model=model, gguf_file=gguf_file, layers=config.layers, context=config.context,
            batch_tokens=config.batch_tokens, dtype=config.dtype, quantize=result.quantize,
            progress=config.progress)))
        fitted = {}
        for name, layers in config.heads:
            fitted[name] = stage(f"fit-head {name}", lambda: fit_head(FitConfig(
                cache=cache, out=workdir / name, layers=layers, lrs=config.lrs,
                hp=Hyperparameters(epochs=config.epochs, seed=config.seed), context_window=config.context_window,
                context_both_sides=config.context_both_sides,
                decode=config.decode, progress=config.progress)))
        # The head is chosen on val (its best trial's val strict span F1), never on test.
        chosen = max(fitted, key=lambda name: fitted[name].best.best.get("span_f1", -1.0))
        evaluated = stage("evaluate", lambda: evaluate(EvaluateConfig(
            cache=cache, heads=tuple(workdir / name for name, _ in config.heads), split="test",
            out=workdir / "evaluation")))
    except BaseException as err:
        shutil.rmtree(workdir, ignore_errors=True)
        if replaced is not None:
            os.replace(replaced, workdir)
        raise_write_error(err, workdir)  # a full disk, met by a library's own writer, as one line
        raise
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    run = next(run for run in evaluated.runs if run.name == chosen)
    result.best_head = chosen
    result.best_trial, result.best_epoch = fitted[chosen].best.trial.name, fitted[chosen].best.best_epoch
    result.decoding, result.refit = fitted[chosen].decoding, fitted[chosen].refit is not None
    result.trials = [(f"{name}: {r.trial.name}", r.best.get("span_f1", float("nan")))
                     for name, fit in fitted.items() for r in fit.results]
    result.metrics = run.metrics
    result.report = workdir / "evaluation" / run.folder / "report.md"
    result.comparison = workdir / "evaluation" / "comparison.md" if len(evaluated.runs) > 1 else None
    return result
