"""The span score threshold: a precision/recall curve over thresholds, and the one chosen on val.

`fit-head` picks the threshold on val and stores it in the head; `evaluate` reports metrics at it
and plots the curve; `predict` drops spans under it. One definition of the curve serves all three.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from evaluation.spans import score_corpus
from extract.errors import PiiTaggerError
from extract.records import Span
from head.tagging import ScoredSpan

THRESHOLD_METRICS = ("f5", "f1")  # detection F-beta maximised when choosing: F5 for redaction (recall first)
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
        raise PiiTaggerError(f"--threshold-metric: unknown value {metric!r} (expected one of: "
                             f"{', '.join(THRESHOLD_METRICS)})")
    if not points:
        return 0.0
    best = max(point[metric] for point in points)
    return min(point["threshold"] for point in points if point[metric] == best)
