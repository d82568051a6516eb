"""Token-level scores from one confusion matrix: accuracy, micro/macro/weighted P/R/F1, per class.

Below the head because fit-head's validation reads them every epoch; `evaluate` reports them.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from extract.errors import PiiTaggerError
from extract.labels import IGNORE_LABEL, LabelScheme

AVERAGES = ("micro", "macro", "weighted")


def token_metrics(y_true, y_pred, labels: Sequence[str]) -> dict:
    """Token classification scores of `y_pred` against `y_true` (label ids indexing `labels`).

    Equal to scikit-learn with `zero_division=0`: averages and per-class rows cover the labels
    that occur in `y_true` or `y_pred`; "without O" passes the non-O ones among them. The full
    `len(labels)`-square confusion matrix (rows = gold) comes back too. Positions whose gold id
    is `IGNORE_LABEL` (-1, a token without a gold label) are dropped first, whatever was
    predicted there; `tokens` counts the others. Returns::

        {"labels": [...], "tokens": n, "accuracy": a,
         "with_o": {"micro": {"precision", "recall", "f1"}, "macro": {...}, "weighted": {...}},
         "without_o": {... same ...},
         "per_class": {label: {"precision", "recall", "f1", "support"}},  # label-id order
         "confusion_matrix": [[int, ...], ...]}
    """
    labels = _check_labels(labels)
    y_true, y_pred = _check_label_ids(y_true, y_pred, len(labels))
    matrix = _confusion(y_true, y_pred, len(labels))
    return metrics_from_confusion(matrix, labels)


def metrics_from_confusion(matrix, labels: Sequence[str]) -> dict:
    """`token_metrics` from an already counted confusion matrix (rows = gold, columns = predicted)."""
    labels = _check_labels(labels)
    matrix = np.asarray(matrix)
    if matrix.shape != (len(labels), len(labels)):
        raise PiiTaggerError(f"confusion matrix has shape {matrix.shape}, expected {(len(labels), len(labels))}")
    matrix = matrix.astype(np.int64, copy=False)
    true_count = matrix.sum(axis=1)
    pred_count = matrix.sum(axis=0)
    correct = np.diag(matrix)
    present = np.flatnonzero((true_count + pred_count) > 0)
    present_without_o = present[present != 0]
    total = int(matrix.sum())

    precision = _divide(correct, pred_count)
    recall = _divide(correct, true_count)
    # 2tp / (2tp + fp + fn), the form scikit-learn uses: 0 (not NaN) when a label never occurs.
    f1 = _divide(2 * correct, true_count + pred_count)

    return {
        "labels": list(labels),
        "tokens": total,
        "accuracy": float(correct.sum() / total) if total else 0.0,
        "with_o": _averages(present, correct, true_count, pred_count, precision, recall, f1),
        "without_o": _averages(present_without_o, correct, true_count, pred_count, precision, recall, f1),
        "per_class": {
            labels[i]: {
                "precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(true_count[i]),
            }
            for i in present
        },
        "confusion_matrix": matrix.tolist(),
    }


def type_confusion(y_true, y_pred, scheme: LabelScheme) -> tuple[np.ndarray, list[str]]:
    """Token confusion with B-X and I-X merged into X: (int64 matrix, ["O", *entity types]).

    Rows are gold. Shows which entity types the head mixes up, whatever the boundary labels.
    Positions whose gold id is `IGNORE_LABEL` are dropped, as in `token_metrics`.
    """
    if not isinstance(scheme, LabelScheme):
        raise PiiTaggerError(f"scheme must be a LabelScheme, got {type(scheme).__name__}")
    y_true, y_pred = _check_label_ids(y_true, y_pred, len(scheme.labels))
    # entity_of is -1 for O: shifting by one makes O row/column 0 and type k row/column k+1.
    type_of_label = scheme.entity_of() + 1
    names = ["O", *scheme.entity_types]
    matrix = _confusion(type_of_label[y_true], type_of_label[y_pred], len(names))
    return matrix, names


def _check_labels(labels: Sequence[str]) -> list[str]:
    if isinstance(labels, str):
        raise PiiTaggerError("labels must be a sequence of label names, not one string")
    labels = [str(label) for label in labels]
    if not labels:
        raise PiiTaggerError("labels is empty: expected at least the 'O' label")
    if labels[0] != "O":
        raise PiiTaggerError(f"labels[0] must be 'O' (the outside label), got {labels[0]!r}")
    if len(set(labels)) != len(labels):
        duplicated = sorted(label for label, n in Counter(labels).items() if n > 1)
        raise PiiTaggerError(f"labels contains duplicates: {', '.join(duplicated)}")
    return labels


def _check_label_ids(y_true, y_pred, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for name, array in (("y_true", y_true), ("y_pred", y_pred)):
        if array.ndim != 1:
            raise PiiTaggerError(f"{name} must be one-dimensional, got shape {array.shape}")
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise PiiTaggerError(f"{name} must hold integer label ids, got dtype {array.dtype}")
    if len(y_true) != len(y_pred):
        raise PiiTaggerError(f"y_true and y_pred have different lengths: {len(y_true)} and {len(y_pred)}")
    # int64 before any arithmetic: encoded labels are int16 and true * n + pred would overflow.
    y_true, y_pred = y_true.astype(np.int64, copy=False), y_pred.astype(np.int64, copy=False)
    labelled = y_true != IGNORE_LABEL  # tokens of ignore regions carry no gold label
    for name, array in (("y_true", y_true[labelled]), ("y_pred", y_pred)):
        if array.size and (array.min() < 0 or array.max() >= n_labels):
            bad = array[(array < 0) | (array >= n_labels)][0]
            raise PiiTaggerError(
                f"{name} holds label id {bad}, outside 0..{n_labels - 1} "
                f"(padding such as -100 must be removed before scoring; {IGNORE_LABEL} in y_true means "
                "no gold label)"
            )
    # A token without a gold label is neither right nor wrong, whatever was predicted there.
    if not labelled.all():
        y_true, y_pred = y_true[labelled], y_pred[labelled]
    return y_true, y_pred


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n).astype(np.int64)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise division that gives 0 where the denominator is 0 (zero_division=0)."""
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _averages(selected, correct, true_count, pred_count, precision, recall, f1) -> dict:
    if len(selected) == 0:
        zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        return {average: dict(zero) for average in AVERAGES}
    tp, n_true, n_pred = correct[selected].sum(), true_count[selected].sum(), pred_count[selected].sum()
    support = true_count[selected]
    # scikit-learn falls back to the plain mean when every selected label has zero support.
    weights = support if support.sum() > 0 else None
    return {
        "micro": {
            "precision": float(tp / n_pred) if n_pred else 0.0,
            "recall": float(tp / n_true) if n_true else 0.0,
            "f1": float(2 * tp / (n_true + n_pred)) if n_true + n_pred else 0.0,
        },
        "macro": {
            "precision": float(precision[selected].mean()),
            "recall": float(recall[selected].mean()),
            "f1": float(f1[selected].mean()),
        },
        "weighted": {
            "precision": float(np.average(precision[selected], weights=weights)),
            "recall": float(np.average(recall[selected], weights=weights)),
            "f1": float(np.average(f1[selected], weights=weights)),
        },
    }


# --------------------------------------------------------------------------------------------
# Entity level
# --------------------------------------------------------------------------------------------
