"""What fit-head measures on val: every epoch's span F1 (early stopping, the best trial), then the
word scores and the operating points (O bias, span threshold, rule layer) that the head keeps and
that evaluate and predict apply.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
import torch

from extract.cache_reader import SplitData
from extract.errors import PiiTaggerError
from extract.records import Span
from extract.span_metrics import CharCounts, char_counts, check_ignored, countable_chars, cover_mask, score_corpus
from extract.token_metrics import token_metrics
from head.configs import FLOOR_CONFIDENCE, OPERATING_POINTS
from head.data import FeatureSpec, Standardizer, head_inputs
from head.decoding import BlockTagging, ScoredSpan, merge_rule_spans, tag_block
from head.rules import rule_spans
from head.trainer import TrialResult, Validation

WORD_SCORE_CHOICES = ("first", "mean", "max")  # what "auto" tries on val: every way that keeps words whole
# O biases tried on val (subtracted from the O log-probability before decoding): 0 is the head as
# trained; more opens entities the head was less sure of.
OUTSIDE_BIASES = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)
MAX_CANDIDATES = 200  # thresholds tried: every distinct span score, thinned to this many quantiles
BOOTSTRAP_SAMPLES = 1000  # resamples of the val texts for the floor's lower bound (FLOOR_CONFIDENCE)
BOOTSTRAP_SEED = 0  # fixed: the same val gives the same choice
BOOTSTRAP_CELLS = 10_000_000  # texts drawn at once (resamples x texts): bounds the memory to ~80 MB


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

    def char_counts(self, kept: Sequence[Sequence[Span]]) -> CharCounts:
        """Label-blind character counts of the spans `kept` on each val text: what a redactor hides."""
        counts = CharCounts()
        for text, gold, pred, ignored in zip(self.texts, self.gold, kept, self.ignored):
            counts.add(char_counts(text, gold, pred, ignored))
        return counts

    def for_trials(self, word_scores: str) -> Validation:
        """What `train_trials` calls after every epoch: every trial's metrics from their logits."""

        def score(logits: torch.Tensor) -> list[dict]:
            log_probs = torch.log_softmax(logits.float(), dim=2).cpu().numpy()  # [Tv, K, C]
            return [self.metrics(log_probs[:, k], word_scores) for k in range(log_probs.shape[1])]

        return Validation(score, lambda: iter([self.inputs]))


class CharTallies(NamedTuple):
    """What `span_char_tallies` counts: characters to hide, and per predicted span its score, its
    characters, those of them to hide and the index of its text."""

    gold_total: int
    scores: np.ndarray  # [S]
    chars: np.ndarray  # [S]
    hits: np.ndarray  # [S]
    text_ids: np.ndarray  # [S]


def span_char_tallies(texts: Sequence[str], gold: Sequence[Sequence[Span]], ignored: Sequence,
                      scored: Sequence[Sequence[ScoredSpan]]) -> CharTallies:
    """Characters to hide, and per predicted span: its score, its characters, those of them to hide.

    Over non-whitespace characters outside ignored regions, as `char_counts` counts them; the
    spans of one text do not overlap, so any threshold's character counts are sums over the spans
    it keeps."""
    gold_total, scores, chars, hits, text_ids = 0, [], [], [], []
    for index, (text, gold_spans, ranges, spans) in enumerate(zip(texts, gold, ignored, scored)):
        countable = countable_chars(text, check_ignored(ranges, gold_spans))  # [n]
        to_hide = cover_mask(gold_spans, len(text)) & countable  # [n]
        gold_total += int(to_hide.sum())
        countable_before = np.r_[0, np.cumsum(countable)]  # [n + 1]
        hit_before = np.r_[0, np.cumsum(to_hide)]  # [n + 1]
        for span in spans:
            scores.append(span.score)
            chars.append(countable_before[span.end] - countable_before[span.start])
            hits.append(hit_before[span.end] - hit_before[span.start])
            text_ids.append(index)
    return CharTallies(gold_total, np.array(scores, dtype=np.float64), np.array(chars, np.int64),
                       np.array(hits, np.int64), np.array(text_ids, np.int64))


def char_curve(tallies: CharTallies, thresholds: np.ndarray) -> list[dict]:
    """Label-blind character precision, recall, F1 and F5 of the spans kept at each threshold."""
    gold_total, scores, chars, hits, _ = tallies
    order = np.argsort(scores)
    sorted_scores = scores[order]
    # Spans kept at t are those from the first score >= t: suffix sums of the sorted spans.
    chars_from = np.r_[np.cumsum(chars[order][::-1])[::-1], 0]  # [S + 1]
    hits_from = np.r_[np.cumsum(hits[order][::-1])[::-1], 0]
    points = []
    for threshold in thresholds:
        first = int(np.searchsorted(sorted_scores, threshold, side="left"))
        counts = CharCounts(gold_chars=gold_total, pred_chars=int(chars_from[first]), hit_chars=int(hits_from[first]))
        points.append({"threshold": float(threshold), **counts.rates()})
    return points


def text_char_counts(tallies: CharTallies, n_texts: int) -> np.ndarray:
    """[N, 2]: per text, the characters its spans hide and those of them that should be (no threshold)."""
    return np.stack([np.bincount(tallies.text_ids, weights=tallies.chars, minlength=n_texts),
                     np.bincount(tallies.text_ids, weights=tallies.hits, minlength=n_texts)], axis=1).astype(np.int64)


def precision_lower_bound(counts: np.ndarray, confidence: float = FLOOR_CONFIDENCE) -> float:
    """The character precision that per-text counts [N, 2] reach with `confidence`: the
    (1 - confidence) quantile of the precision of texts drawn again with replacement (a draw that
    hides nothing is precise, as `CharCounts` has it)."""
    if not len(counts):
        return 1.0
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    drawn = np.concatenate([counts[rng.integers(0, len(counts), (size, len(counts)))].sum(axis=1)  # [size, 2]
                            for size in _chunks(BOOTSTRAP_SAMPLES, max(1, BOOTSTRAP_CELLS // len(counts)))])
    precision = np.divide(drawn[:, 1], drawn[:, 0], out=np.ones(len(drawn)), where=drawn[:, 0] > 0)  # [B]
    return float(np.quantile(precision, 1.0 - confidence))


def _chunks(total: int, size: int) -> list[int]:
    """`total` split into sizes of at most `size`."""
    return [min(size, total - done) for done in range(0, total, size)]


def choose_operating_points(curves: dict[tuple[float, bool], list[dict]], precision_floor: float,
                            text_counts: dict[tuple[float, bool], np.ndarray] | None = None) -> dict:
    """The two points fit-head stores, from val curves keyed (O bias, rules on).

    `recall`: the best character F5 (recall weighs 25 times precision) among the points without a
    span threshold whose character precision reaches `precision_floor` (given each point's
    per-text counts, `text_char_counts`: whose precision reaches it with FLOOR_CONFIDENCE,
    `precision_lower_bound`, or where none does, on val's figures alone; where none reaches it at
    all, the best character F1 without a threshold);
    `precise`: the best character F1 among the points, thresholds included, at least as precise
    as `recall`. Ties go to higher precision, then the smaller bias, rules off and the lower
    threshold."""
    points = [{"outside_bias": bias, "rules": rules, **point}
              for (bias, rules), curve in curves.items() for point in curve]
    if not points:
        raise PiiTaggerError("no operating point to choose from: the validation curves are empty")

    def tie(point: dict) -> tuple:
        return point["precision"], -point["outside_bias"], not point["rules"], -point["threshold"]

    # Recall first, and robust: no span dropped by its score (threshold 0), the O bias alone trades
    # precision for recall; a threshold on top of a high bias fitted val and lost recall on test.
    unthresholded = [p for p in points if p["threshold"] == 0.0] or points
    above = [p for p in unthresholded if p["precision"] >= precision_floor]
    confident = above
    if text_counts is not None:  # guard: floor-with-confidence
        confident = [p for p in above if precision_lower_bound(text_counts[(p["outside_bias"], p["rules"])])
                     >= precision_floor]
    # Where no point holds the floor with confidence, those that reach it on val's figures.
    held, above = bool(confident), confident or above
    # Where no point reaches the floor, the most recall-heavy one would hide the text wholesale: the
    # balanced one (best F1) instead.
    recall = (max(above, key=lambda p: (p["f5"], p["recall"], *tie(p))) if above
              else max(unthresholded, key=lambda p: (p["f1"], *tie(p))))
    # Never less precise than the recall point: fewer false alarms is what this point is for.
    precise = max((p for p in points if p["precision"] >= recall["precision"]), key=lambda p: (p["f1"], *tie(p)))
    return {name: _point_json(point, reached=name != "recall" or bool(above), confident=name != "recall" or held)
            for name, point in zip(OPERATING_POINTS, (recall, precise))}


def _point_json(point: dict, reached: bool, confident: bool) -> dict:
    return {"outside_bias": point["outside_bias"], "threshold": point["threshold"], "rules": point["rules"],
            "val_char": {key: point[key] for key in ("precision", "recall", "f1", "f5")}, "floor_reached": reached,
            "floor_confident": confident}


def choose_decoding(valset: ValidationSet, best: TrialResult, word_scores: str, precision_floor: float,
                    outside_biases: tuple[float, ...] = OUTSIDE_BIASES) -> dict:
    """After training, for the chosen trial, on val: the word aggregation (by strict span F1), then
    the operating points (`choose_operating_points`) over O biases, span thresholds and the rule
    layer on or off, by label-blind character precision and recall: what a redactor hides."""
    log_probs = valset.log_probs(best.weight, best.bias)
    candidates = WORD_SCORE_CHOICES if word_scores == "auto" else (word_scores,)
    tried = {how: valset.metrics(log_probs, how) for how in candidates}
    chosen = max(candidates, key=lambda how: (tried[how]["span_f1"], tried[how]["token_macro_f1"]))
    found = [rule_spans(text) for text in valset.texts]  # the same for every bias
    scored: dict[tuple[float, bool], list] = {}
    for bias in outside_biases:
        spans = valset.tag(log_probs, chosen, bias).spans
        scored[(bias, False)] = spans
        scored[(bias, True)] = [merge_rule_spans(s, f) for s, f in zip(spans, found)]
    tallies = {key: span_char_tallies(valset.texts, valset.gold, valset.ignored, spans) for key, spans in scored.items()}
    curves = {key: char_curve(t, candidate_thresholds(scored[key])) for key, t in tallies.items()}
    counts = {key: text_char_counts(t, len(valset.texts)) for key, t in tallies.items()}
    points = choose_operating_points(curves, precision_floor, counts)
    for name, point in points.items():
        kept = [[s.span for s in spans if s.score >= point["threshold"]]
                for spans in scored[(point["outside_bias"], point["rules"])]]
        point["val_char"]["partial_leak_rate"] = valset.char_counts(kept).partial_leak_rate
    default = points[OPERATING_POINTS[0]]
    return {"word_scores": chosen, "word_scores_val_span_f1": {how: m["span_f1"] for how, m in tried.items()},
            "operating_point": OPERATING_POINTS[0], "precision_floor": precision_floor, "operating_points": points,
            "outside_bias": default["outside_bias"], "threshold": default["threshold"], "rules": default["rules"],
            "char_curves_val": {name: curves[(p["outside_bias"], p["rules"])] for name, p in points.items()}}
