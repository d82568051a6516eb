"""Token-level scores against scikit-learn (accuracy, micro/macro/weighted P/R/F1, per class,
confusion matrix), the type confusion, and tokens without a gold label left out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)

from extract.labels import IGNORE_LABEL, LabelScheme
from extract.token_metrics import token_metrics, type_confusion

SCHEME = LabelScheme("bio", ("EMAIL", "NAME", "PHONE", "ZIP"))
LABELS = list(SCHEME.labels)  # 9 labels: O + B/I of 4 types


def _random_labels(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Mostly-O arrays where some labels occur only in gold, some only in predictions, some nowhere."""
    rng = np.random.default_rng(seed)
    k = len(LABELS)
    gold_choices = np.array([0, 1, 2, 3, 4, 5, 6])  # 7, 8 never gold
    pred_choices = np.array([0, 1, 2, 3, 4, 7])  # 5, 6, 8 never predicted; 8 occurs nowhere
    y_true = np.where(rng.random(n) < 0.6, 0, rng.choice(gold_choices, n))
    # Predictions agree with gold most of the time, so scores are not all near zero.
    noise = np.where(rng.random(n) < 0.5, 0, rng.choice(pred_choices, n))
    y_pred = np.where((rng.random(n) < 0.7) & np.isin(y_true, pred_choices), y_true, noise)
    assert y_true.max() < k and y_pred.max() < k
    return y_true, y_pred


def _assert_matches_sklearn(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    result = token_metrics(y_true, y_pred, LABELS)
    present = np.union1d(y_true, y_pred)
    present_without_o = present[present != 0]

    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["tokens"] == len(y_true)
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        assert result["with_o"][average] == pytest.approx({"precision": p, "recall": r, "f1": f}), average
        if len(present_without_o):
            p, r, f, _ = precision_recall_fscore_support(
                y_true, y_pred, average=average, labels=present_without_o, zero_division=0)
            assert result["without_o"][average] == pytest.approx({"precision": p, "recall": r, "f1": f}), average

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, labels=present, zero_division=0)
    assert list(result["per_class"]) == [LABELS[i] for i in present]
    for i, label_id in enumerate(present):
        row = result["per_class"][LABELS[label_id]]
        assert row == pytest.approx({"precision": p[i], "recall": r[i], "f1": f[i], "support": s[i]})

    report = classification_report(y_true, y_pred, labels=present, target_names=[LABELS[i] for i in present],
                                   output_dict=True, zero_division=0)
    for label, row in result["per_class"].items():
        assert row["f1"] == pytest.approx(report[label]["f1-score"])
        assert row["support"] == report[label]["support"]
    assert result["with_o"]["macro"]["f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert result["with_o"]["weighted"]["f1"] == pytest.approx(report["weighted avg"]["f1-score"])

    assert result["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=range(len(LABELS))).tolist()


@pytest.mark.parametrize("seed", range(6))
def test_token_metrics_equal_sklearn_on_random_arrays(seed):
    y_true, y_pred = _random_labels(seed)
    _assert_matches_sklearn(y_true, y_pred)


def test_token_metrics_accept_int16_labels_as_encode_returns_them():
    y_true, y_pred = _random_labels(11)
    _assert_matches_sklearn(y_true.astype(np.int16), y_pred.astype(np.int16))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=40))
def test_token_metrics_equal_sklearn_on_any_small_input(pairs):
    y_true, y_pred = (np.array(column) for column in zip(*pairs))
    _assert_matches_sklearn(y_true, y_pred)


def test_weighted_without_o_when_gold_is_all_o_falls_back_to_the_mean_like_sklearn():
    y_true = np.zeros(6, dtype=int)
    y_pred = np.array([0, 1, 1, 3, 0, 0])
    _assert_matches_sklearn(y_true, y_pred)


def test_all_o_gives_zero_averages_without_o():
    result = token_metrics(np.zeros(5, dtype=int), np.zeros(5, dtype=int), LABELS)
    assert result["accuracy"] == 1.0
    assert result["with_o"]["macro"]["f1"] == 1.0
    assert result["without_o"]["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert list(result["per_class"]) == ["O"]


def test_token_metrics_on_empty_arrays_are_zero_not_nan():
    result = token_metrics(np.array([], dtype=int), np.array([], dtype=int), LABELS)
    assert result["tokens"] == 0 and result["accuracy"] == 0.0
    assert result["per_class"] == {}


@pytest.mark.parametrize(
    "y_true, y_pred, labels, message",
    [
        ([0, 1], [0], LABELS, "different lengths"),
        ([0, 9], [0, 1], LABELS, "outside 0..8"),
        ([0, 1], [0, -100], LABELS, "padding"),
        ([[0, 1]], [[0, 1]], LABELS, "one-dimensional"),
        ([0.0, 1.0], [0, 1], LABELS, "integer label ids"),
        ([0, 1], [0, 1], ["B-NAME", "O"], "labels\\[0\\] must be 'O'"),
        ([0], [0], [], "labels is empty"),
        ([0], [0], ["O", "X", "X"], "duplicates: X"),
    ],
)
def test_token_metrics_reject_bad_input(y_true, y_pred, labels, message):
    with pytest.raises(ValueError, match=message):
        token_metrics(y_true, y_pred, labels)


def test_type_confusion_merges_begin_and_inside_labels():
    label_id = SCHEME.label2id
    y_true = [label_id[t] for t in ["O", "B-NAME", "I-NAME", "B-PHONE", "I-PHONE", "O"]]
    y_pred = [label_id[t] for t in ["O", "I-NAME", "B-NAME", "B-NAME", "I-PHONE", "B-ZIP"]]
    matrix, names = type_confusion(y_true, y_pred, SCHEME)
    assert names == ["O", "EMAIL", "NAME", "PHONE", "ZIP"]
    expected = np.zeros((5, 5), dtype=int)
    expected[0, 0] = 1  # O -> O
    expected[0, 4] = 1  # O -> ZIP
    expected[2, 2] = 2  # NAME -> NAME, whatever B/I
    expected[3, 2] = 1  # PHONE -> NAME
    expected[3, 3] = 1  # PHONE -> PHONE
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(y_true)


NAME_PHONE = LabelScheme("bio", ("NAME", "PHONE"))  # O, B-NAME, I-NAME, B-PHONE, I-PHONE


def test_unlabelled_tokens_are_left_out_of_token_metrics():
    y_true = np.array([0, 1, IGNORE_LABEL, 2, IGNORE_LABEL, 3])
    y_pred = np.array([0, 1, 3, 2, 1, 0])
    kept = y_true != IGNORE_LABEL
    result = token_metrics(y_true, y_pred, NAME_PHONE.labels)
    # 4 labelled tokens, 3 right (the last one, B-PHONE, predicted O): accuracy 3/4.
    assert result["tokens"] == 4 and result["accuracy"] == 0.75
    assert result == token_metrics(y_true[kept], y_pred[kept], NAME_PHONE.labels)
    matrix, names = type_confusion(y_true, y_pred, NAME_PHONE)
    assert matrix.sum() == 4
    assert matrix[names.index("PHONE"), names.index("O")] == 1
    with pytest.raises(ValueError, match="y_pred holds label id -1"):
        token_metrics([0, 1], [0, IGNORE_LABEL], NAME_PHONE.labels)
    with pytest.raises(ValueError, match="y_true holds label id -2"):
        token_metrics([0, -2], [0, 1], NAME_PHONE.labels)
