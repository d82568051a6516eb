"""What fit-head chooses on val, by hand: the detection curve, the character curve over span
thresholds, and the two operating points (recall above a precision floor held with confidence,
best character F1)."""

from __future__ import annotations

import pytest

from extract.records import Span
from extract.span_metrics import char_counts
from head.decoding import ScoredSpan
import numpy as np

from head.validation import (char_curve, choose_operating_points, precision_lower_bound, span_char_tallies,
                             text_char_counts, threshold_curve)


def test_the_detection_curve_by_hand():
    gold = [[Span(0, 4, "A")], [Span(0, 3, "B")], []]
    scored = [[ScoredSpan(0, 4, "A", 0.9)], [ScoredSpan(0, 3, "B", 0.4)], [ScoredSpan(5, 9, "A", 0.2)]]
    points = {round(p["threshold"], 2): p for p in threshold_curve(scored, gold)}
    assert sorted(points) == [0.0, 0.2, 0.4, 0.9]
    assert (points[0.2]["precision"], points[0.2]["recall"]) == (2 / 3, 1.0)  # a span scoring 0.2 is kept at 0.2
    assert (points[0.4]["precision"], points[0.4]["recall"]) == (1.0, 1.0)
    assert (points[0.9]["precision"], points[0.9]["recall"]) == (1.0, 0.5)


def test_the_character_curve_by_hand_and_as_char_counts_count():
    texts = ["Jean Dupont ok", "tel 06 12", "nothing here"]
    gold = [[Span(0, 4, "FIRSTNAME"), Span(5, 11, "LASTNAME")], [Span(4, 9, "PHONENUMBER")], []]
    ignored = [[], [], [(8, 12)]]  # "here": counts on neither side
    scored = [[ScoredSpan(0, 11, "FIRSTNAME", 0.9)],  # "Jean Dupont": 10 characters, all to hide
              [ScoredSpan(0, 6, "PHONENUMBER", 0.5)],  # "tel 06": 5 characters, 2 to hide
              [ScoredSpan(0, 7, "CITY", 0.2), ScoredSpan(8, 12, "CITY", 0.1)]]  # a false alarm; one ignored
    tallies = span_char_tallies(texts, gold, ignored, scored)
    assert tallies[0] == 14  # 4 + 6 + 4 characters to hide
    curve = {p["threshold"]: p for p in char_curve(tallies, [0.0, 0.2, 0.5, 0.9, 1.0])}
    # At 0 and 0.2: hidden 10 + 5 + 7 = 22, rightly 12; at 0.5: 15, 12; at 0.9: 10, 10; at 1: nothing.
    assert (curve[0.0]["precision"], curve[0.0]["recall"]) == pytest.approx((12 / 22, 12 / 14))
    assert {**curve[0.2], "threshold": 0.0} == curve[0.0]  # the span dropped at 0.2 lay in an ignored region
    assert (curve[0.5]["precision"], curve[0.5]["recall"]) == pytest.approx((12 / 15, 12 / 14))
    assert (curve[0.9]["precision"], curve[0.9]["recall"]) == pytest.approx((1.0, 10 / 14))
    assert (curve[1.0]["precision"], curve[1.0]["recall"]) == (0.0, 0.0)
    for threshold, point in curve.items():  # the same as counting the kept spans' characters
        counts = [char_counts(t, g, [s.span for s in spans if s.score >= threshold], i)
                  for t, g, i, spans in zip(texts, gold, ignored, scored)]
        hit, pred = sum(c.hit_chars for c in counts), sum(c.pred_chars for c in counts)
        assert point["precision"] == pytest.approx(hit / pred if pred else 0.0)


def _curve(*points):
    return [{"threshold": t, "precision": p, "recall": r, "f1": 2 * p * r / (p + r), "f5": 26 * p * r / (25 * p + r)}
            for t, p, r in points]


def test_the_recall_point_has_the_best_f5_above_the_floor_and_the_precise_one_the_best_f1():
    curves = {
        (0.0, False): _curve((0.0, 0.99, 0.90), (0.5, 0.995, 0.85)),
        (1.0, False): _curve((0.0, 0.975, 0.93)),
        (2.0, False): _curve((0.0, 0.96, 0.95), (0.5, 0.976, 0.935)),
        (2.0, True): _curve((0.0, 0.955, 0.97), (0.5, 0.972, 0.94)),
        (6.0, True): _curve((0.0, 0.80, 0.99)),
    }
    points = choose_operating_points(curves, precision_floor=0.97)
    recall, precise = points["recall"], points["precise"]
    # Without a threshold, only biases 0 and 1 reach P .97: bias 1 has the better F5 (R .93). A
    # threshold would have given R .94 (bias 2, rules, 0.5): the recall point never uses one.
    assert (recall["outside_bias"], recall["rules"], recall["threshold"]) == (1.0, False, 0.0)
    assert recall["floor_reached"] and recall["val_char"]["recall"] == 0.93
    # The precise point may: of the points at P >= .975, bias 2 at 0.5 has the best F1 (.955 against .952).
    assert (precise["outside_bias"], precise["rules"], precise["threshold"]) == (2.0, False, 0.5)
    # A floor no point reaches: the best F1 without a threshold (not the best F5: bias 6, P .80), said so.
    unreachable = choose_operating_points(curves, precision_floor=0.999)["recall"]
    assert (unreachable["outside_bias"], unreachable["rules"], unreachable["threshold"]) == (2.0, True, 0.0)
    assert unreachable["floor_reached"] is False


def test_ties_go_to_precision_then_the_smaller_bias_and_rules_off():
    same = _curve((0.0, 0.98, 0.95))
    points = choose_operating_points({(1.0, True): same, (1.0, False): same, (0.5, True): same}, 0.97)
    assert (points["recall"]["outside_bias"], points["recall"]["rules"]) == (0.5, True)
    points = choose_operating_points({(1.0, True): same, (1.0, False): same}, 0.97)
    assert points["recall"]["rules"] is False and points["precise"]["rules"] is False


def test_per_text_counts_are_char_counts_and_the_precision_bound_by_hand():
    texts = ["Jean Dupont ok", "tel 06 12"]
    gold = [[Span(0, 4, "FIRSTNAME"), Span(5, 11, "LASTNAME")], [Span(4, 9, "PHONENUMBER")]]
    scored = [[ScoredSpan(0, 11, "FIRSTNAME", 0.9)], [ScoredSpan(0, 6, "PHONENUMBER", 0.5)]]
    counts = text_char_counts(span_char_tallies(texts, gold, [[], []], scored), len(texts))
    assert counts.tolist() == [[10, 10], [5, 2]]  # (hidden, hidden rightly) per text
    assert precision_lower_bound(np.array([[10, 10]] * 50)) == 1.0  # every text right: no doubt
    assert precision_lower_bound(np.array([[10, 9]] * 50)) == pytest.approx(0.9)  # the same in every text
    # 96% on the whole, but from texts that differ: the bound is under it.
    uneven = np.array([[10, 10]] * 24 + [[10, 0]])
    assert precision_lower_bound(uneven) < uneven[:, 1].sum() / uneven[:, 0].sum()
    # Draws that hide nothing are precise: a point that hides little is not excluded for it.
    assert precision_lower_bound(np.array([[0, 0]] * 30 + [[10, 10]])) == 1.0


def test_the_recall_point_needs_its_floor_with_confidence():
    curves = {(1.0, False): _curve((0.0, 0.97, 0.95)), (2.0, False): _curve((0.0, 0.953, 0.98))}
    # Bias 2: 95.3% on val, from texts whose precision varies (19 of 20 texts right, one at 6%);
    # bias 1: 97%, every text alike. Bias 2 has the better F5, but its floor may be luck.
    steady = np.array([[100, 97]] * 20)
    shaky = np.array([[100, 100]] * 19 + [[106, 6]])
    point = choose_operating_points(curves, 0.95)["recall"]  # the figures alone: bias 2
    assert point["outside_bias"] == 2.0
    point = choose_operating_points(curves, 0.95, {(1.0, False): steady, (2.0, False): shaky})["recall"]
    assert point["outside_bias"] == 1.0 and point["floor_reached"]
    assert point["floor_confident"]
    calm = np.array([[106, 101]] * 20)  # 95.3% in every text: the floor holds, bias 2 stays
    point = choose_operating_points(curves, 0.95, {(1.0, False): steady, (2.0, False): calm})["recall"]
    assert point["outside_bias"] == 2.0
    # Neither holds it with confidence: those that reach it on val's figures, said so.
    point = choose_operating_points(curves, 0.95, {(1.0, False): shaky, (2.0, False): shaky})["recall"]
    assert point["outside_bias"] == 2.0 and point["floor_reached"] and not point["floor_confident"]
