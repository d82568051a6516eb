"""What fit-head measures on val: every epoch's span F1 (early stopping, the best trial), then the
word scores, O bias and span threshold that the head keeps and that evaluate and predict apply.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from extract.cache_reader import SplitData
from extract.errors import PiiTaggerError
from extract.records import Span
from extract.span_metrics import CharCounts, char_counts, score_corpus
from extract.token_metrics import token_metrics
from head.configs import THRESHOLD_METRICS
from head.data import FeatureSpec, Standardizer, head_inputs
from head.decoding import BlockTagging, ScoredSpan, tag_block
from head.trainer import TrialResult, Validation

WORD_SCORE_CHOICES = ("first", "mean", "max")  # what "auto" tries on val: every way that keeps words whole
# O biases tried on val (subtracted from the O log-probability before decoding): 0 is the head as
# trained; more opens entities the head was less sure of.
OUTSIDE_BIASES = (0.0, 0.5, 1.0, 2.0, 3.0)
MAX_CANDIDATES = 200  # thresholds tried: every distinct span score, thinned to this many quantiles


def candidate_thresholds(scored: Sequence[Sequence[ScoredSpan]]) -> np.ndarray:
    """0 (keep everything), then span scores in increasing order, at most MAX_CANDIDATES of them."""
    scores = np.unique([s.score for spans in scored for s in spans])
    if len(scores) > MAX_CANDIDATES:
        scores = np.unique(np.quantile(scores, np.linspace(0, 1, MAX_CANDIDATES)))
    return np.unique(np.r_[0.0, scores])


def threshold_curve(scored: Sequence[Sequence[ScoredSpan]], gold: Sequence[Sequence[Span]],
                    ignored: Sequence[Sequence[tuple[int, int]]] | None = None,
                    thresholds: Sequence[float] | None = None) -> list[dict]:
    """Label-blind detection precision, recall, F1 and F5 of the spans kept at each threshold."""
    points = []
    for threshold in candidate_thresholds(scored) if thresholds is None else thresholds:
        kept = [[s.span for s in spans if s.score >= threshold] for spans in scored]
        counts = score_corpus(gold, kept, "detection", ignored).total
        points.append({"threshold": float(threshold), "precision": counts.precision, "recall": counts.recall,
                       "f1": counts.f1, "f5": counts.fbeta(5.0),
                       "predicted": sum(len(spans) for spans in kept)})
    return points


def choose_threshold(points: list[dict], metric: str = "f5") -> float:
    """The threshold with the best `metric` on val; the lowest such one on ties (recall first)."""
    if metric not in THRESHOLD_METRICS:
        raise PiiTaggerError(f"`threshold_metric`: unknown value {metric!r} (expected one of: "
                             f"{', '.join(THRESHOLD_METRICS)})")
    if not points:
        return 0.0
    best = max(point[metric] for point in points)
    return min(point["threshold"] for point in points if point[metric] == best)


class ValidationSet:
    """The val split, ready to score any head weights on: what chooses epochs, trials, decoding, threshold."""

    def __init__(self, val: SplitData, spec: FeatureSpec, standardizer: Standardizer, scheme, decode: str,
                 device: torch.device):
        self.inputs = head_inputs(val.features, val.ptr, spec, standardizer, device)  # [Tv, D'], built once
        val.features = None  # the raw copy is not needed any more
        self.data, self.scheme, self.decode = val, scheme, decode
        self.texts = [r.text for r in val.records]
        self.gold = [list(r.spans) for r in val.records]
        self.ignored = [list(r.ignored) for r in val.records]

    def log_probs(self, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """[Tv, C] for one head's weight [C, D'] and bias [C]."""
        with torch.inference_mode():
            logits = self.inputs @ torch.from_numpy(weight).to(self.inputs.device).T \
                + torch.from_numpy(bias).to(self.inputs.device)  # [Tv, C]
            return torch.log_softmax(logits.float(), dim=1).cpu().numpy()

    def tag(self, log_probs: np.ndarray, word_scores: str, outside_bias: float = 0.0) -> BlockTagging:
        return tag_block(log_probs, self.data.ptr, self.texts, self.data.offsets, self.scheme, self.decode,
                         word_scores, outside_bias)

    def metrics(self, log_probs: np.ndarray, word_scores: str) -> dict:
        """Strict span F1 of every decoded span (no threshold) and token macro F1 without O."""
        tagging = self.tag(log_probs, word_scores)
        strict = score_corpus(self.gold, tagging.kept(0.0), "strict", self.ignored).total
        tokens = token_metrics(self.data.labels, tagging.labels, self.scheme.labels)
        return {"span_f1": strict.f1, "span_precision": strict.precision, "span_recall": strict.recall,
                "token_macro_f1": tokens["without_o"]["macro"]["f1"], "token_accuracy": tokens["accuracy"]}

    def char_f1(self, tagging: BlockTagging) -> float:
        """Label-blind character-level F1 of every decoded span: what a redactor hides."""
        counts = CharCounts()
        for text, gold, pred, ignored in zip(self.texts, self.gold, tagging.kept(0.0), self.ignored):
            counts.add(char_counts(text, gold, pred, ignored))
        return counts.f1

    def for_trials(self, word_scores: str) -> Validation:
        """What `train_trials` calls after every epoch: every trial's metrics from their logits."""

        def score(logits: torch.Tensor) -> list[dict]:
            log_probs = torch.log_softmax(logits.float(), dim=2).cpu().numpy()  # [Tv, K, C]
            return [self.metrics(log_probs[:, k], word_scores) for k in range(log_probs.shape[1])]

        return Validation(score, lambda: iter([self.inputs]))


def choose_decoding(valset: ValidationSet, best: TrialResult, word_scores: str, metric: str,
                    outside_biases: tuple[float, ...] = OUTSIDE_BIASES) -> dict:
    """After training, for the chosen trial, on val: the word aggregation (by strict span F1), the O
    bias (by character-level redaction F1: what is hidden against what should be, balanced) and the
    span threshold (by detection F-beta `metric`); all are stored in the head and used everywhere."""
    log_probs = valset.log_probs(best.weight, best.bias)
    candidates = WORD_SCORE_CHOICES if word_scores == "auto" else (word_scores,)
    tried = {how: valset.metrics(log_probs, how) for how in candidates}
    chosen = max(candidates, key=lambda how: (tried[how]["span_f1"], tried[how]["token_macro_f1"]))
    taggings = {bias: valset.tag(log_probs, chosen, bias) for bias in outside_biases}
    char_f1 = {bias: valset.char_f1(tagging) for bias, tagging in taggings.items()}
    bias = min(b for b in outside_biases if char_f1[b] == max(char_f1.values()))  # the smallest on ties
    curve = threshold_curve(taggings[bias].spans, valset.gold, valset.ignored)
    return {"word_scores": chosen, "word_scores_val_span_f1": {how: m["span_f1"] for how, m in tried.items()},
            "outside_bias": bias, "outside_bias_val_char_f1": {str(b): f1 for b, f1 in char_f1.items()},
            "threshold": choose_threshold(curve, metric), "threshold_metric": metric, "threshold_curve_val": curve}
