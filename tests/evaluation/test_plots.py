"""Every evaluation plot written as a PNG that matplotlib reads back, its figure closed."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.metrics import entity_metrics
from evaluation.plots import plot_comparison, plot_confusion_matrix, plot_per_class_f1, plot_threshold_curve
from extract.labels import LabelScheme
from extract.token_metrics import token_metrics, type_confusion
from tests.helpers import REPORT_SCHEME, assert_png, sample_metrics


def test_confusion_matrix_plot_small_and_57_classes(tmp_path):
    metrics = sample_metrics()
    matrix, names = type_confusion(np.array([0, 1, 2, 3, 4, 5, 6, 0]), np.array([0, 1, 1, 3, 0, 5, 5, 2]),
                                   REPORT_SCHEME)
    small = assert_png(plot_confusion_matrix(matrix, names, tmp_path / "types.png"))
    labels = metrics["token"]["labels"]
    assert_png(plot_confusion_matrix(metrics["token"]["confusion_matrix"], labels, tmp_path / "tokens.png"))

    many = LabelScheme("bio", tuple(f"TYPE_{i:02d}" for i in range(28)))
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 57, 5000)
    y_pred = np.where(rng.random(5000) < 0.7, y_true, rng.integers(0, 57, 5000))
    big_matrix = np.array(token_metrics(y_true, y_pred, many.labels)["confusion_matrix"])
    big = assert_png(plot_confusion_matrix(big_matrix, many.labels, tmp_path / "big.png", title="57 labels"))
    assert big.shape[0] > small.shape[0]  # the figure grows with the classes


def test_confusion_matrix_plot_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
        plot_confusion_matrix(np.zeros((3, 3)), ["O", "X"], tmp_path / "bad.png")
    with pytest.raises(ValueError, match="non-negative"):
        plot_confusion_matrix(-np.ones((2, 2)), ["O", "X"], tmp_path / "bad.png")
    assert not list(tmp_path.iterdir())


def test_per_class_f1_plot(tmp_path):
    assert_png(plot_per_class_f1(sample_metrics()["entity"], tmp_path / "per_class.png"))
    empty = entity_metrics([[]], [[]], ["en"])
    assert_png(plot_per_class_f1(empty, tmp_path / "empty.png"))
    with pytest.raises(ValueError, match="'strict' entry"):
        plot_per_class_f1({}, tmp_path / "bad.png")


def test_comparison_plot_overwrites_atomically(tmp_path):
    path = tmp_path / "sub" / "comparison.png"
    runs = [("head-a", sample_metrics(0)), ("head-b", sample_metrics(1, miss_phone=False))]
    assert_png(plot_comparison(runs, path))
    assert_png(plot_comparison(runs[:1], path))  # replaces the existing file
    with pytest.raises(ValueError, match="runs is empty"):
        plot_comparison([], path)


def test_threshold_curve_plot_marks_the_chosen_threshold(tmp_path):
    # Precision rises and recall falls with the threshold, as a span-score sweep does.
    points = []
    for threshold in np.linspace(0.0, 0.95, 20):
        precision, recall = 0.5 + 0.5 * threshold, 1.0 - 0.6 * threshold**2
        points.append({"threshold": float(threshold), "precision": precision, "recall": recall,
                       "f1": 2 * precision * recall / (precision + recall),
                       "f5": 26 * precision * recall / (25 * precision + recall)})
    plain = assert_png(plot_threshold_curve(points[::-1], tmp_path / "sweep.png"))  # any order
    marked = assert_png(plot_threshold_curve(points, tmp_path / "chosen.png", chosen=0.35))
    assert plain.shape == marked.shape and not np.array_equal(plain, marked)  # the mark is drawn
    assert_png(plot_threshold_curve([{"threshold": 0.5, "precision": 1.0, "recall": 0.2}], tmp_path / "one.png"))
    with pytest.raises(ValueError, match="points is empty"):
        plot_threshold_curve([], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"points\[0\]\['recall'\] must be a finite number"):
        plot_threshold_curve([{"threshold": 0.5, "precision": 1.0, "recall": float("nan")}], tmp_path / "x.png")
    with pytest.raises(ValueError, match="chosen must be"):
        plot_threshold_curve(points, tmp_path / "x.png", chosen="best")
    assert not (tmp_path / "x.png").exists()
