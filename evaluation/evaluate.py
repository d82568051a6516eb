"""`evaluate`: score one or several heads on a cached split, from the cache and heads alone.

Writes `metrics.json`, `report.md` and plots per head, plus a side-by-side comparison when
several heads are given. No backbone and no raw data are needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evaluation.configs import EvaluateConfig
from evaluation.metrics import confused_pairs, entity_metrics, error_examples
from evaluation.plots import (plot_comparison, plot_confusion_matrix, plot_operating_points, plot_per_class_f1,
                              plot_threshold_curve)
from evaluation.report import headline_figures, render_comparison, render_report
from evaluation.report_html import render_report_html
from extract.cache_format import features_fingerprint
from extract.cache_reader import CacheReader
from extract.errors import PiiTaggerError
from extract.files import atomic_write_json, atomic_write_text, check_can_write, check_disjoint, output_folder
from extract.labels import IGNORE_LABEL, LabelScheme
from extract.records import Record
from extract.token_metrics import token_metrics, type_confusion
from head.checkpoint import LoadedHead, load_head
from head.decoding import DECODERS, BlockTagging, ScoredSpan
from head.validation import candidate_thresholds, char_curve, span_char_tallies, threshold_curve


@dataclass
class HeadEvaluation:
    name: str  # the head folder's name, made unique
    head: Path
    metrics: dict  # what metrics.json holds
    folder: str  # sub-folder of the output (empty for a single head)


@dataclass
class EvaluateResult:
    out: Path
    split: str = "val"  # the split that was scored
    runs: list[HeadEvaluation] = field(default_factory=list)  # one per --head, in order
    warnings: list[str] = field(default_factory=list)  # label-set differences, for the user


def label_mapping(head_scheme: LabelScheme, cache_scheme: LabelScheme) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                                  list[str]]:
    """A common label list for a head and a cache whose label sets differ, mapped by name.

    Returns (labels, head id -> common id, cache id -> common id, warnings).
    """
    labels = list(head_scheme.labels) + [lab for lab in cache_scheme.labels if lab not in head_scheme.labels]
    index = {label: i for i, label in enumerate(labels)}
    notes = []
    if head_scheme.scheme != cache_scheme.scheme:
        raise PiiTaggerError(f"the head uses the {head_scheme.scheme} scheme and the cache the {cache_scheme.scheme} scheme")
    only_gold = sorted(set(cache_scheme.entity_types) - set(head_scheme.entity_types))
    if only_gold:  # a head knowing more labels than a gold file uses is ordinary: no warning for that
        notes.append(f"the gold labels {only_gold} are not labels of the head, which cannot predict them; "
                     "their entities count as missed (map them onto the head's labels with a label map)")
    return (labels, np.array([index[lab] for lab in head_scheme.labels]),
            np.array([index[lab] for lab in cache_scheme.labels]), notes)


@dataclass
class Predictions:
    """What a head predicted on labelled texts, next to their gold truth: the input of every metric.

    `evaluate` fills it from a cache, `score` from raw texts through the backbone.
    """

    records: list[Record] = field(default_factory=list)
    gold_tokens: list[np.ndarray] = field(default_factory=list)  # per block, ids of the gold scheme, IGNORE_LABEL kept
    pred_tokens: list[np.ndarray] = field(default_factory=list)  # per block, ids of the head's scheme
    spans: list[list[ScoredSpan]] = field(default_factory=list)  # per text, every decoded span with its score

    def add(self, records: list[Record], gold_tokens: np.ndarray, tagging: BlockTagging) -> None:
        self.records += records
        self.gold_tokens.append(gold_tokens)
        self.pred_tokens.append(tagging.labels)
        self.spans += tagging.spans


def predictions_from_cache(reader: CacheReader, loaded: LoadedHead, split: str, decode: str | None = None,
                           allow_other_backbone: bool = False) -> Predictions:
    """Run a head over a cached split, shard by shard."""
    loaded.check_features(features_fingerprint(reader.fingerprint), f"the cache {reader.path}", allow_other_backbone)
    missing = [layer for layer in loaded.spec.layers if layer not in reader.layers]
    if missing:
        raise PiiTaggerError(f"the head {loaded.path} reads layers {loaded.spec.layers} but the cache {reader.path} "
                             f"holds {reader.layers}")
    predictions = Predictions()
    for part in reader.iter_shards(split, loaded.spec.layers):
        tagging = loaded.tag(part.features, part.ptr, [r.text for r in part.records], part.offsets, decode)
        predictions.add(part.records, part.labels, tagging)
    return predictions


def prediction_metrics(predictions: Predictions, loaded: LoadedHead, gold_scheme: LabelScheme, split: str,
                       decode: str | None = None, examples_per_class: int = 3) -> tuple[dict, list[str]]:
    """Every metric of one head's predictions, at the head's span threshold, as a JSON-ready dict."""
    labels, head_to_common, gold_to_common, notes = label_mapping(loaded.scheme, gold_scheme)
    gold_ids = np.concatenate(predictions.gold_tokens) if predictions.gold_tokens else np.zeros(0, np.int64)
    y_true = np.where(gold_ids == IGNORE_LABEL, IGNORE_LABEL, gold_to_common[np.maximum(gold_ids, 0)])
    y_pred = head_to_common[np.concatenate(predictions.pred_tokens)] if predictions.pred_tokens else gold_ids
    records = predictions.records
    texts, ids, languages = [r.text for r in records], [r.id for r in records], [r.language for r in records]
    gold_spans, ignored = [list(r.spans) for r in records], [list(r.ignored) for r in records]
    pred_spans = [[s.span for s in spans if s.score >= loaded.threshold] for spans in predictions.spans]
    common = LabelScheme(loaded.scheme.scheme, tuple(sorted(set(loaded.scheme.entity_types)
                                                            | set(gold_scheme.entity_types))))
    # Type confusion needs ids in a scheme's own order: re-map the common list onto `common`.
    to_common_scheme = np.array([common.label2id[lab] for lab in labels])
    scored = y_true != IGNORE_LABEL
    matrix, names = type_confusion(to_common_scheme[y_true[scored]], to_common_scheme[y_pred[scored]], common)
    metrics = {
        "split": split,
        "decode": decode or loaded.decode,
        "word_scores": loaded.word_scores,
        "outside_bias": loaded.outside_bias,
        "threshold": loaded.threshold,
        "rules": loaded.rules,
        "operating_point": loaded.operating_point,
        "head": {"path": str(loaded.path), "layers": loaded.spec.layers, "best_trial": loaded.meta.get("best_trial"),
                 "best_epoch": loaded.meta.get("best_epoch"), "context_window": loaded.spec.context_window,
                 "features_fingerprint": loaded.features_fingerprint},
        "examples": len(texts),
        "ignored_regions": sum(len(regions) for regions in ignored),
        "token": token_metrics(y_true, y_pred, labels),
        "entity": entity_metrics(gold_spans, pred_spans, languages, texts=texts, ignored=ignored),
        "threshold_curve": threshold_curve(predictions.spans, gold_spans, ignored),
        "type_confusion": {"names": names, "matrix": matrix.tolist()},
        "confused_pairs": confused_pairs(gold_spans, pred_spans),
        "errors": error_examples(texts, gold_spans, pred_spans, ids, per_class=examples_per_class),
        "warnings": notes,
    }
    return metrics, notes


def point_figures(predictions: Predictions, loaded: LoadedHead, entity: dict | None = None) -> dict:
    """One operating point on a split: its settings, character figures, strict F1 and character
    precision/recall curve over span thresholds (at its O bias and rule setting). `entity`: its
    `entity_metrics` when already computed (the head's own point)."""
    records = predictions.records
    texts, gold, ignored = [r.text for r in records], [list(r.spans) for r in records], [list(r.ignored) for r in records]
    if entity is None:
        kept = [[s.span for s in spans if s.score >= loaded.threshold] for spans in predictions.spans]
        entity = entity_metrics(gold, kept, [r.language for r in records], texts=texts, ignored=ignored)
    tallies = span_char_tallies(texts, gold, ignored, predictions.spans)
    return {"outside_bias": loaded.outside_bias, "threshold": loaded.threshold, "rules": loaded.rules,
            "char": entity["char"]["overall"], "strict_f1": entity["strict"]["overall"]["f1"],
            "char_curve": char_curve(tallies, candidate_thresholds(predictions.spans))}


def evaluate_head(reader: CacheReader, loaded: LoadedHead, split: str, decode: str | None = None,
                  examples_per_class: int = 3, allow_other_backbone: bool = False) -> tuple[dict, list[str]]:
    """Every metric of one head on one split of the cache, as a JSON-ready dict, and each of its
    operating points' figures."""
    predictions = predictions_from_cache(reader, loaded, split, decode, allow_other_backbone)
    metrics, notes = prediction_metrics(predictions, loaded, reader.scheme, split, decode, examples_per_class)
    metrics["operating_points"] = {
        name: point_figures(predictions, loaded, metrics["entity"]) if name == loaded.operating_point
        else point_figures(predictions_from_cache(reader, loaded.at_point(name), split, decode, allow_other_backbone),
                           loaded.at_point(name))
        for name in loaded.operating_points}
    metrics["cache"] = {"path": str(reader.path), "fingerprint_id": reader.fingerprint_id,
                        "backbone": reader.fingerprint["backbone"]["name_or_path"],
                        "features_fingerprint": features_fingerprint(reader.fingerprint)}
    return metrics, notes


def evaluate(config: EvaluateConfig) -> EvaluateResult:
    """Evaluate every head of `config` and write the reports."""
    if not config.heads:
        raise PiiTaggerError("give at least one `head`")
    if config.decode is not None and config.decode not in DECODERS:
        raise PiiTaggerError(f"`decode`: unknown value {config.decode!r} (expected one of: {', '.join(DECODERS)})")
    reader = CacheReader(config.cache)
    split = config.split or ("test" if "test" in reader.splits else "val")
    if split not in reader.splits:
        raise PiiTaggerError(f"`split` {split}: the cache {reader.path} has splits {', '.join(reader.splits)}")
    heads = [load_head(path) for path in config.heads]
    out = Path(config.out) if config.out else (
        Path(config.heads[0]) / f"eval-{split}" if len(heads) == 1
        else Path(config.heads[0]).parent / f"comparison-{split}")
    check_disjoint(out, [config.cache])
    check_disjoint(out, config.heads, allow_inside=True)  # the default report folder lives in the head
    check_can_write(out, config.overwrite, kind="evaluation")
    names = _unique_names([Path(h).name or "head" for h in config.heads])
    result = EvaluateResult(out, split=split)
    runs = []
    for name, loaded in zip(names, heads):
        metrics, notes = evaluate_head(reader, loaded, split, config.decode, config.examples_per_class,
                                       config.allow_other_backbone)
        result.warnings += [f"{name}: {note}" for note in notes + trained_on_warning(loaded.meta, split)]
        runs.append(HeadEvaluation(name, loaded.path, metrics, "" if len(heads) == 1 else name))
    with output_folder(out, config.overwrite, kind="evaluation") as staging:
        for run in runs:
            folder = staging / run.folder
            folder.mkdir(parents=True, exist_ok=True)
            write_head_outputs(folder, run.metrics, config.examples_per_class)
        if len(runs) > 1:
            pairs = [(run.name, run.metrics) for run in runs]
            atomic_write_text(staging / "comparison.md", render_comparison(pairs))
            plot_comparison(pairs, staging / "comparison.png")
            atomic_write_json(staging / "comparison.json", {run.name: headline_figures(run.metrics) for run in runs})
    result.runs = runs
    return result


def trained_on_warning(meta: dict, split: str) -> list[str]:
    """A note when `split` is one the head learned from: train, and val after fit-head's refit."""
    refit = meta.get("refit") or {}
    if split != "train" and split not in refit.get("splits", ()):  # guard: trained-split-warned
        return []
    how = "its refit learned from train + val" if split == "val" else "it learned from it"
    return [f"{split} is no held-out split for this head ({how}): these figures are not those of unseen text"]


def write_head_outputs(folder: Path, metrics: dict, examples_per_class: int = 3) -> None:
    atomic_write_json(folder / "metrics.json", metrics)
    atomic_write_text(folder / "report.md", render_report(metrics, examples_per_kind=examples_per_class))
    head = Path((metrics.get("head") or {}).get("path", "head")).name
    atomic_write_text(folder / "report.html", render_report_html(metrics, f"{head}: {metrics.get('split', 'report')}"))
    confusion = metrics["type_confusion"]
    plot_confusion_matrix(np.array(confusion["matrix"]), confusion["names"], folder / "confusion_matrix.png",
                          title="Entity types, token level (rows: gold, normalized)")
    plot_per_class_f1(metrics["entity"], folder / "per_class_f1.png")
    if metrics.get("threshold_curve"):
        plot_threshold_curve(metrics["threshold_curve"], folder / "threshold_curve.png", chosen=metrics["threshold"])
    if metrics.get("operating_points"):
        plot_operating_points(metrics["operating_points"], folder / "operating_points.png")


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out
