"""`fit-head`: train a grid of linear heads on cached features and keep the best one.

Reads the chosen layers once (in memory when they fit under `max_memory`, else streamed),
standardizes them, trains every trial together, and writes the head folder atomically.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from extract.backbone import resolve_device
from extract.cache_format import features_fingerprint
from extract.cache_reader import CacheReader
from extract.errors import NonFiniteError, PiiTaggerError
from extract.files import atomic_write_json, check_can_write, check_disjoint, output_folder, parse_bytes
from extract.labels import IGNORE_LABEL
from extract.weights import portable_backbone
from head.checkpoint import check_finite_tensors, save_head
from head.configs import FLOOR_CONFIDENCE, FitConfig
from head.data import FeatureSpec, InMemoryBatches, Standardizer, StreamingBatches, TokenBatches
from head.decoding import AGGREGATIONS, DECODERS
from head.model import TokenHead
from head.plots import plot_training_curves
from head.trainer import TrialResult, best_trial, check_trials, class_weights_from_counts, \
    train_trials
from head.validation import ValidationSet, choose_decoding

REFIT_SPLITS = ("train", "val")  # what the kept head learns from when `refit` is on


@dataclass
class FitResult:
    out: Path
    best: TrialResult
    results: list[TrialResult]
    layers: list[int]
    mode: str  # "in memory" or "streaming"
    train_tokens: int
    seconds: float
    epoch_seconds: list[float]  # training time of each epoch (validation excluded)
    decoding: dict = field(default_factory=dict)  # decode, word scores and threshold chosen on val
    refit: dict | None = None  # the head kept was trained again on train + val (`refit_trial`)

    def trial_table(self) -> list[str]:
        """A header line, then one line per trial, best first."""
        lines = [f"{'trial':<24} {'best epoch':>10} {'span F1':>8} {'token F1':>8} {'loss':>8}"]
        for r in sorted(self.results, key=lambda r: (r.diverged_at is not None, -r.best.get("span_f1", -1))):
            if r.diverged_at is not None:
                lines.append(f"{r.trial.name:<24} diverged at epoch {r.diverged_at}: dropped")
                continue
            lines.append(f"{r.trial.name:<24} {r.best_epoch:>10} {r.best.get('span_f1', float('nan')):>8.4f} "
                         f"{r.best.get('token_macro_f1', float('nan')):>8.4f} "
                         f"{r.best.get('train_loss', float('nan')):>8.4f}")
        return lines

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        mean_epoch = sum(self.epoch_seconds) / max(1, len(self.epoch_seconds))
        decoding = self.decoding
        return [
            ("best", f"{self.best.trial.name}, epoch {self.best.best_epoch}: "
                     f"val strict span F1 {self.best.best['span_f1']:.4f}"),
            ("decoding", f"{decoding['decode']}, word scores {decoding['word_scores']}"),
            *[(f"{name} point", point_summary(point, decoding["precision_floor"] if name == "recall" else None))
              for name, point in decoding["operating_points"].items()],
            *([("dropped", f"diverged (non-finite weights or loss): {diverged_names(self.results)}")]
              if any(r.diverged_at is not None for r in self.results) else []),
            *([("refit", f"{self.best.trial.name} on train + val ({self.refit['tokens']} tokens), "
                         f"{self.refit['epochs']} epochs, {self.refit['seconds']:.1f}s: the head written")]
              if self.refit else []),
            ("data", f"{self.train_tokens} train tokens, layers {self.layers}, {self.mode}"),
            ("time", f"{self.seconds:.1f}s in all, {mean_epoch:.2f}s per epoch for {len(self.results)} trials"),
            ("wrote", f"{self.out}/ (head.safetensors, head.json, trials.json, training_curve.png)"),
        ]


def _check(config: FitConfig) -> None:
    """Every option, before anything is read: a typo should not wait for a pass over the cache."""
    config.hp.check()
    resolve_device(config.device)
    parse_bytes(config.max_memory)
    if config.decode not in DECODERS:
        raise PiiTaggerError(f"`decode`: unknown value {config.decode!r} (expected one of: {', '.join(DECODERS)})")
    if config.context_window < 0:
        raise PiiTaggerError(f"`context_window` must be zero or positive, got {config.context_window}")
    if config.word_scores not in ("auto", *AGGREGATIONS):
        raise PiiTaggerError(f"`word_scores`: unknown value {config.word_scores!r} (expected one of: auto, "
                             f"{', '.join(AGGREGATIONS)})")
    if not 0.0 <= config.precision_floor <= 1.0:
        raise PiiTaggerError(f"`precision_floor` must be in [0, 1], got {config.precision_floor}")


def split_label_counts(reader: CacheReader) -> dict[str, np.ndarray]:
    """Label counts of the train and val splits; refuses an empty train split and val-only labels."""
    scheme = reader.scheme
    counts = {}
    for split in ("train", "val"):
        total = np.zeros(len(scheme.labels), dtype=np.int64)
        for part in reader.iter_shards(split, layers=None):
            total += np.bincount(part.labels[part.labels != IGNORE_LABEL], minlength=len(scheme.labels))
        counts[split] = total
    if counts["train"].sum() == 0:
        raise PiiTaggerError(f"`cache` {reader.path}: the train split is empty")
    entity = scheme.entity_of()
    seen_train = {scheme.entity_types[entity[i]] for i in np.flatnonzero(counts["train"]) if entity[i] >= 0}
    seen_val = {scheme.entity_types[entity[i]] for i in np.flatnonzero(counts["val"]) if entity[i] >= 0}
    missing = sorted(seen_val - seen_train)
    if missing:
        raise PiiTaggerError(f"`cache` {reader.path}: labels {missing} occur in val but never in train; the head "
                         "could not learn them (re-split with `cli.py prepare` or add training data)")
    return counts


def fit_head(config: FitConfig) -> FitResult:
    """Train the grid of `config` on `config.cache` and write the best head to `config.out`."""
    started = time.perf_counter()
    _check(config)
    trials = check_trials(config.lrs, config.weight_decays)
    reader = CacheReader(config.cache)
    for split in ("train", "val"):
        if split not in reader.splits:
            raise PiiTaggerError(f"`cache` {reader.path} has no {split!r} split; fit-head needs train to learn and val "
                             "to pick the best epoch and trial (prepare with a validation fraction above 0)")
    layers = reader.resolve_layers(config.layers if config.layers else reader.layers, "layers")
    check_disjoint(config.out, [config.cache])
    check_can_write(config.out, config.overwrite, kind="head")  # before the long part, not after
    label_counts = split_label_counts(reader)
    device = resolve_device(config.device)
    spec = FeatureSpec(layers, config.context_window, config.context_both_sides, config.standardize)
    batches, standardizer, mode, train_tokens = training_batches(config, reader, ("train",), spec, device)
    valset = ValidationSet(reader.read_split("val", layers), spec, standardizer, reader.scheme, config.decode, device)
    width = reader.feature_width(layers)
    weights = class_weights_from_counts(label_counts["train"], config.hp.class_weight)
    during_training = "first" if config.word_scores == "auto" else config.word_scores
    results = train_trials(batches, valset.for_trials(during_training), width * spec.copies,
                           len(reader.scheme.labels), trials, config.hp, weights, device, config.progress)
    best = best_trial(results)
    if best.diverged_at is not None:  # best_trial prefers any trial that did not diverge
        raise NonFiniteError(f"every trial diverged (non-finite weights or loss): {diverged_names(results)}; "
                             "lower the learning rate (`lrs`)")
    # Before the decoding is chosen on it and before anything is written.
    check_finite_tensors({"weight": best.weight, "bias": best.bias}, f"fit-head: the best trial ({best.trial.name})")
    decoding = choose_decoding(valset, best, config.word_scores, config.precision_floor)
    del batches, valset  # the refit reads its own
    head, refit = (refit_trial(config, reader, spec, best, label_counts["train"] + label_counts["val"], device)
                   if config.refit else (TokenHead.from_trial(best, standardizer, config.hp, spec), None))
    epoch_seconds = [point["train_seconds"] for point in max(results, key=lambda r: len(r.curve)).curve]
    meta = head_metadata(config, reader, spec, best, results, mode)
    meta["decoding"] = {"decode": config.decode, **decoding}
    meta["refit"] = refit
    with output_folder(config.out, config.overwrite, kind="head") as staging:
        save_head(staging, head, meta)
        atomic_write_json(staging / "trials.json", trial_rows(results))
        plot_training_curves([{"name": r.trial.name, "curve": r.curve} for r in results],
                             staging / "training_curve.png")
    return FitResult(Path(config.out), best, results, layers, meta["data_mode"], train_tokens,
                     time.perf_counter() - started, epoch_seconds, meta["decoding"], refit)


def training_batches(config: FitConfig, reader: CacheReader, splits: tuple[str, ...], spec: FeatureSpec,
                     device) -> tuple[TokenBatches, Standardizer, str, int]:
    """Batches over `splits` (in memory when they fit under `max_memory`, else streamed shard by
    shard), the standardizer fitted on them, the mode's name and their token count."""
    width = reader.feature_width(spec.layers)
    tokens = sum(reader.n_tokens(split) for split in splits)
    budget = parse_bytes(config.max_memory)
    in_memory = tokens * width * 4 <= budget
    data = reader.read_splits(splits, spec.layers) if in_memory else None
    if not config.standardize:
        standardizer = Standardizer.identity(width)
    elif in_memory:
        standardizer = Standardizer.fit(iter([data.features]))
    else:
        standardizer = Standardizer.fit(part.features for split in splits
                                        for part in reader.iter_shards(split, spec.layers))
    if in_memory:
        return (InMemoryBatches(data, spec, standardizer, config.hp.batch_tokens, config.hp.seed, device),
                standardizer, "in memory", tokens)
    shards = sum(len(reader.shard_paths(split)) for split in splits)
    shard_bytes = max(1, tokens // max(1, shards)) * width * 4
    # Shards are read straight into one buffer (no concatenation copy): the whole budget is the buffer.
    return (StreamingBatches(reader, splits, spec, standardizer, config.hp.batch_tokens, config.hp.seed, device,
                             buffer_shards=max(1, budget // shard_bytes)), standardizer, "streaming", tokens)


def refit_trial(config: FitConfig, reader: CacheReader, spec: FeatureSpec, best: TrialResult,
                label_counts: np.ndarray, device) -> tuple[TokenHead, dict]:
    """The chosen trial trained again on train + val for the epochs it took to reach its best.

    Everything was chosen on val before (trial, epochs, word scores, operating points); the head
    that is kept has also seen val's templates: text it was never shown is what it is for.
    """
    started = time.perf_counter()
    batches, standardizer, mode, tokens = training_batches(config, reader, REFIT_SPLITS, spec, device)
    epochs = max(1, best.best_epoch)
    if config.progress:
        tqdm.write(f"refit: {best.trial.name} on {' + '.join(REFIT_SPLITS)} ({tokens} tokens), {epochs} epochs")
    # A whole run of the best epoch count, its schedule warming up and decaying over those epochs:
    # the usual way to retrain on all the data once validation has said how long to train.
    hp = replace(config.hp, epochs=epochs)
    (result,) = train_trials(batches, None, reader.feature_width(spec.layers) * spec.copies,
                             len(reader.scheme.labels), [best.trial], hp,
                             class_weights_from_counts(label_counts, hp.class_weight), device, config.progress)
    if result.diverged_at is not None:
        raise NonFiniteError(f"the refit of {best.trial.name} on train + val diverged at epoch {result.diverged_at} "
                             "(non-finite weights or loss); fit again with `refit` off")
    check_finite_tensors({"weight": result.weight, "bias": result.bias}, "fit-head: the refit head")
    return TokenHead.from_trial(result, standardizer, config.hp, spec), {
        "splits": list(REFIT_SPLITS), "epochs": epochs, "tokens": tokens, "data_mode": mode,
        "seconds": round(time.perf_counter() - started, 1)}


def point_summary(point: dict, floor: float | None) -> str:
    """One operating point in a line: its settings and its val character figures."""
    val = point["val_char"]
    held = f", held with {FLOOR_CONFIDENCE:.0%} confidence" if point.get("floor_confident", True) else (
        f"; none holds it with {FLOOR_CONFIDENCE:.0%} confidence")
    aim = "best val character F1" if floor is None else (
        f"best val character F5 at precision >= {floor:g}{held}" if point["floor_reached"]
        else f"no point reaches precision {floor:g} on val: the best F1")
    return (f"O bias {point['outside_bias']:g}, span threshold {point['threshold']:.3f}, rules "
            f"{'on' if point['rules'] else 'off'}: val character P {val['precision']:.3f} R {val['recall']:.3f}, "
            f"partial leaks {val['partial_leak_rate']:.1%} ({aim})")


def diverged_names(results: list[TrialResult]) -> str:
    return ", ".join(f"{r.trial.name} (epoch {r.diverged_at})" for r in results if r.diverged_at is not None)


def trial_rows(results: list[TrialResult]) -> list[dict]:
    """One row per trial, best first."""
    rows = [{"trial": r.trial.name, "lr": r.trial.lr, "weight_decay": r.trial.weight_decay,
             "best_epoch": r.best_epoch, "stopped_at": r.stopped_at, "diverged_at": r.diverged_at,
             **{f"val_{k}": v for k, v in r.best.items()}, "curve": r.curve} for r in results]
    return sorted(rows, key=lambda row: (row["diverged_at"] is not None, -row.get("val_span_f1", -1),
                                         -row.get("val_token_macro_f1", -1)))


def head_metadata(config: FitConfig, reader: CacheReader, spec: FeatureSpec, best: TrialResult,
                  results: list[TrialResult], mode: str) -> dict:
    layers = spec.layers
    spec_names = {layer["index"]: layer.get("specs", []) for layer in reader.manifest.get("layers", [])}
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "labels": reader.scheme.to_json(),
        "layers": layers,
        "layer_specs": {str(layer): spec_names.get(layer, []) for layer in layers},
        "features": {"context_window": config.context_window, "context_both_sides": config.context_both_sides,
                     "standardize": config.standardize, "hidden_size": reader.hidden_size,
                     "input_width": reader.feature_width(layers) * spec.copies},
        "features_fingerprint": features_fingerprint(reader.fingerprint),
        # By identity, never by a path of this machine: the head works wherever it is copied.
        "backbone": {**reader.fingerprint["backbone"],
                     **portable_backbone(reader.fingerprint["backbone"]["name_or_path"])},
        "cache": {"path": reader.path.name if reader.path.is_absolute() else str(reader.path),
                  "fingerprint_id": reader.fingerprint_id,
                  "feature_dtype": reader.fingerprint["feature_dtype"]},
        "hyperparameters": {**asdict(config.hp), "lr": best.trial.lr, "weight_decay": best.trial.weight_decay,
                            "grid": {"lr": list(config.lrs), "weight_decay": list(config.weight_decays)}},
        "data_mode": mode,
        "best_trial": best.trial.name,
        "best_epoch": best.best_epoch,
        "validation": best.best,
        "curve": best.curve,
        "trials": trial_rows(results),
    }
