"""Entity-level matching of predicted against gold character spans.

Three modes: `strict` (same label, start and end: the older workflow's metric), `overlap`
(same label, any shared character) and `detection` (any shared character, label ignored).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from extract.errors import PiiTaggerError
from extract.records import Span

MODES = ("strict", "overlap", "detection")
ANY = "ANY"  # the single class of label-blind detection


@dataclass
class Counts:
    """Matched and total spans, counted from both sides (they differ outside strict mode)."""

    gold: int = 0  # gold spans (recall denominator)
    pred: int = 0  # predicted spans (precision denominator)
    gold_matched: int = 0  # gold spans found by some prediction (recall numerator)
    pred_matched: int = 0  # predictions that hit some gold span (precision numerator)

    def add(self, other: "Counts") -> None:
        self.gold += other.gold
        self.pred += other.pred
        self.gold_matched += other.gold_matched
        self.pred_matched += other.pred_matched

    @property
    def precision(self) -> float:
        return self.pred_matched / self.pred if self.pred else float(self.gold == 0)

    @property
    def recall(self) -> float:
        return self.gold_matched / self.gold if self.gold else float(self.pred == 0)

    def fbeta(self, beta: float = 1.0) -> float:
        """F-beta; beta > 1 weighs recall more (beta=5 for redaction). Both empty -> 1.0."""
        p, r = self.precision, self.recall
        if p == 0.0 and r == 0.0:
            return 0.0
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r)

    @property
    def f1(self) -> float:
        return self.fbeta(1.0)

    def to_json(self) -> dict:
        return {
            "precision": self.precision, "recall": self.recall, "f1": self.f1, "f5": self.fbeta(5.0),
            "gold": self.gold, "pred": self.pred,
            "gold_matched": self.gold_matched, "pred_matched": self.pred_matched,
        }


@dataclass
class SpanScores:
    """Per-label `Counts` for one matching mode, with the micro total."""

    mode: str  # one of MODES
    per_label: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))  # label (or ANY) -> counts

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.per_label.values():
            total.add(counts)
        return total

    def add(self, other: "SpanScores") -> None:
        for label, counts in other.per_label.items():
            self.per_label[label].add(counts)


def match_spans(gold: Sequence[Span], pred: Sequence[Span], mode: str = "strict") -> SpanScores:
    """Score the predicted spans of one text against its gold spans."""
    if mode not in MODES:
        raise PiiTaggerError(f"unknown span matching mode {mode!r} (expected one of: {', '.join(MODES)})")
    scores = SpanScores(mode)
    key = (lambda s: ANY) if mode == "detection" else (lambda s: s.label)
    for span in gold:
        scores.per_label[key(span)].gold += 1
    for span in pred:
        scores.per_label[key(span)].pred += 1

    if mode == "strict":
        hits = set(gold) & set(pred)
        for span in hits:
            scores.per_label[span.label].gold_matched += 1
            scores.per_label[span.label].pred_matched += 1
        return scores

    def hit(a: Span, b: Span) -> bool:
        return a.start < b.end and b.start < a.end and (mode == "detection" or a.label == b.label)

    for span in gold:
        scores.per_label[key(span)].gold_matched += any(hit(span, p) for p in pred)
    for span in pred:
        scores.per_label[key(span)].pred_matched += any(hit(span, g) for g in gold)
    return scores


def score_corpus(
    gold: Iterable[Sequence[Span]], pred: Iterable[Sequence[Span]], mode: str = "strict"
) -> SpanScores:
    """Sum `match_spans` over texts (gold and pred aligned by position)."""
    total = SpanScores(mode)
    for gold_spans, pred_spans in zip(gold, pred, strict=True):
        total.add(match_spans(gold_spans, pred_spans, mode))
    return total
