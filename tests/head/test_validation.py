"""The span-score threshold chosen on val: the precision/recall curve and its choice, by hand."""

from __future__ import annotations

import pytest

from extract.records import Span
from head.decoding import ScoredSpan
from head.validation import choose_threshold, threshold_curve


def test_the_threshold_curve_and_its_choice_by_hand():
    gold = [[Span(0, 4, "A")], [Span(0, 3, "B")], []]
    scored = [[ScoredSpan(0, 4, "A", 0.9)], [ScoredSpan(0, 3, "B", 0.4)], [ScoredSpan(5, 9, "A", 0.2)]]
    points = {round(p["threshold"], 2): p for p in threshold_curve(scored, gold)}
    assert sorted(points) == [0.0, 0.2, 0.4, 0.9]
    assert (points[0.2]["precision"], points[0.2]["recall"]) == (2 / 3, 1.0)  # a span scoring 0.2 is kept at 0.2
    assert (points[0.4]["precision"], points[0.4]["recall"]) == (1.0, 1.0)
    assert (points[0.9]["precision"], points[0.9]["recall"]) == (1.0, 0.5)
    assert choose_threshold(list(points.values()), "f1") == choose_threshold(list(points.values()), "f5") == 0.4


def test_f5_keeps_low_scoring_hits_that_f1_would_drop():
    # Three entities; hits score 0.9, 0.4 and 0.1, three false alarms score 0.3, 0.2 and 0.15.
    gold = [[Span(0, 1, "A")], [Span(0, 1, "A")], [Span(0, 1, "A")], [], [], []]
    scored = [[ScoredSpan(0, 1, "A", 0.9)], [ScoredSpan(0, 1, "A", 0.4)], [ScoredSpan(0, 1, "A", 0.1)],
              [ScoredSpan(0, 1, "A", 0.3)], [ScoredSpan(0, 1, "A", 0.2)], [ScoredSpan(0, 1, "A", 0.15)]]
    points = threshold_curve(scored, gold)
    # At 0: P 3/6, R 1, F1 .667, F5 26 * .5 / (25 * .5 + 1) = .963; at .4: P 1, R 2/3, F1 .8, F5 .675.
    assert choose_threshold(points, "f1") == 0.4
    assert choose_threshold(points, "f5") == 0.0
    with pytest.raises(ValueError, match="`threshold_metric`"):
        choose_threshold(points, "f2")
