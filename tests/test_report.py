"""Markdown report and comparison built from real metric dicts, and every plot written as a PNG
that matplotlib reads back.
"""

from __future__ import annotations

import re

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

from evaluation.metrics import confused_pairs, entity_metrics, error_examples
from extract.token_metrics import token_metrics, type_confusion
from evaluation.plots import plot_comparison, plot_confusion_matrix, plot_per_class_f1, plot_threshold_curve
from head.plots import plot_training_curves
from evaluation.report import HEADLINE, headline_figures, render_comparison, render_report
from extract.labels import LabelScheme
from extract.records import Span

SCHEME = LabelScheme("bio", ("EMAIL", "FIRSTNAME", "PHONE"))
# Figures reports once carried from other data ("older workflow ... 0.87–0.89, ... few-shot").
FIXED_FIGURES = re.compile(r"older workflow|few-shot|\d\.\d+\s*[–-]\s*\d\.\d+", re.IGNORECASE)
TEXTS = [
    "Write to jean@example.org or call 06 12 34 56 78.",
    "Jean called twice | then wrote to jean@example.org",
    "Nothing to see here.",
]


def _span(text: str, entity: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(entity, start + 1)
    return Span(start, start + len(entity), label)


def _metrics(seed: int = 0, *, miss_phone: bool = True) -> dict:
    gold = [
        [_span(TEXTS[0], "jean@example.org", "EMAIL"), _span(TEXTS[0], "06 12 34 56 78", "PHONE")],
        [_span(TEXTS[1], "Jean", "FIRSTNAME"), _span(TEXTS[1], "jean@example.org", "EMAIL")],
        [],
    ]
    pred = [
        [gold[0][0]] + ([_span(TEXTS[0], "06 12", "PHONE")] if miss_phone else [gold[0][1]]),
        [Span(gold[1][0].start, gold[1][0].end, "EMAIL"), gold[1][1]],
        [_span(TEXTS[2], "Nothing", "FIRSTNAME")],
    ]
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, len(SCHEME.labels), 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, len(SCHEME.labels), 500))
    return {
        "head": {"path": "runs/head-a/head.pt", "layers": [8, 12],
                 "best_trial": {"name": "lr=0.001", "lr": 0.001, "val_span_f1": 0.8123, "curve": [{"epoch": 1}]}},
        "cache": {"path": "cache/smollm2", "backbone": "SmolLM2-135M"},
        "split": "test",
        "decode": "viterbi",
        "token": token_metrics(y_true, y_pred, SCHEME.labels),
        "entity": entity_metrics(gold, pred, ["en", "fr", "en"], texts=TEXTS),
        "confused_pairs": confused_pairs(gold, pred),
        "errors": error_examples(TEXTS, gold, pred, ["a", "b", "c"]),
    }


def test_report_contains_headline_numbers_and_per_class_rows():
    metrics = _metrics()
    report = render_report(metrics)
    strict = metrics["entity"]["strict"]["overall"]
    assert f"| Strict span F1 | {strict['f1']:.3f} |" in report
    assert f"| Strict span precision | {strict['precision']:.3f} |" in report
    detection = metrics["entity"]["detection"]["overall"]
    assert f"| Detection F5 (recall-weighted) | {detection['f5']:.3f} |" in report
    token = metrics["token"]
    assert f"| Token macro F1 (without O) | {token['without_o']['macro']['f1']:.3f} |" in report
    assert f"| Token accuracy | {token['accuracy']:.3f} |" in report
    char = metrics["entity"]["char"]["overall"]
    for title, key in (("precision", "precision"), ("recall", "recall"), ("F1", "f1"), ("F5", "f5")):
        assert f"| Redaction {title} (characters) | {char[key]:.3f} |" in report
    # A generated report carries no fixed figures from other data.
    assert not FIXED_FIGURES.search(report)

    email = metrics["entity"]["strict"]["per_class"]["EMAIL"]
    assert f"| EMAIL | 2 | {email['pred']} | {email['precision']:.3f} |" in report
    for label in ("FIRSTNAME", "PHONE"):
        assert f"| {label} |" in report
    # Per class sorted by support: EMAIL (2 gold) before FIRSTNAME and PHONE (1 each).
    assert report.index("| EMAIL | 2 |") < report.index("| FIRSTNAME | 1 |") < report.index("| PHONE | 1 |")
    assert "| en |" in report and "| fr |" in report
    en = metrics["entity"]["char"]["per_language"]["en"]
    assert en["precision"] != en["recall"]  # so a swapped column shows
    en_row = next(line for line in report.splitlines() if line.startswith("| en |"))
    assert en_row.endswith(f"| {en['precision']:.3f} | {en['recall']:.3f} | {en['f1']:.3f} | {en['f5']:.3f} |")
    assert "| FIRSTNAME | EMAIL | 1 |" in report  # the confused pair
    assert "⟦06 12 34 56 78⟧" in report  # the missed phone, in context
    assert "runs/head-a/head.pt" in report and "SmolLM2-135M" in report and "viterbi" in report
    assert "curve" not in report  # trial details stay on one short line


def test_report_shows_character_recall_per_gold_label_largest_first():
    report = render_report(_metrics())
    # PHONE "06 12 34 56 78" has 10 non-whitespace characters; the prediction "06 12" hides 4.
    assert "| PHONE | 10 | 4 | 0.400 |" in report
    # Both e-mails (16 characters each) are hidden, the first one under an EMAIL span, the second one too.
    assert "| EMAIL | 32 | 32 | 1.000 |" in report
    assert report.index("| EMAIL | 32 |") < report.index("| PHONE | 10 |") < report.index("| FIRSTNAME | 4 |")


def test_headline_keys_are_stable_and_include_character_figures():
    figures = headline_figures(_metrics())
    assert list(figures) == [key for key, _, _ in HEADLINE]
    assert {"strict_precision", "strict_recall", "strict_f1", "overlap_f1", "detection_f1", "detection_f5",
            "token_macro_f1_without_o", "token_accuracy"} <= set(figures)
    char = _metrics()["entity"]["char"]["overall"]
    assert (figures["char_precision"], figures["char_recall"], figures["char_f1"], figures["char_f5"]) == (
        char["precision"], char["recall"], char["f1"], char["f5"])
    # Metrics from before character scores (no texts given) leave them empty, not wrong.
    old = _metrics()
    del old["entity"]["char"]
    assert headline_figures(old)["char_f1"] is None and "| Redaction F1 (characters) | n/a |" in render_report(old)


def test_report_keeps_tables_intact_and_lines_bounded():
    metrics = _metrics()
    metrics["confused_pairs"].append({"gold": "A|B", "pred": "C", "count": 1})  # a "|" in a cell
    report = render_report(metrics)
    assert "| A\\|B | C | 1 |" in report
    tables: list[list[str]] = [[]]
    for line in report.splitlines():
        assert len(line) < 400
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for table in filter(None, tables):  # every row of a table has as many cells as its header
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table


def test_report_survives_missing_sections():
    report = render_report({"entity": {}, "token": {}})
    assert "# PII tagger evaluation" in report
    assert "| Strict span F1 | n/a |" in report
    with pytest.raises(ValueError, match="metrics must be a dict"):
        render_report(["not", "a", "dict"])


def test_comparison_has_one_column_per_head():
    runs = [("head-a", _metrics(0)), ("head-b", _metrics(1, miss_phone=False)), ("head-c", _metrics(2))]
    table = render_comparison(runs)
    header = next(line for line in table.splitlines() if line.startswith("| Metric |"))
    assert header == "| Metric | head-a | head-b | head-c |"
    strict_row = next(line for line in table.splitlines() if line.startswith("| Strict span F1 |"))
    assert len(strict_row.strip("|").split("|")) == 1 + 3
    best = headline_figures(runs[1][1])["strict_f1"]
    assert f"**{best:.3f}**" in strict_row  # head-b found the phone: best strict F1, in bold
    char_row = next(line for line in table.splitlines() if line.startswith("| Redaction F5 (characters) |"))
    assert len(char_row.strip("|").split("|")) == 1 + 3
    assert not FIXED_FIGURES.search(table)
    class_header = next(line for line in table.splitlines() if line.startswith("| Class |"))
    assert class_header == "| Class | Support | head-a | head-b | head-c |"
    assert any(line.startswith("| PHONE | 1 |") for line in table.splitlines())


def test_comparison_rejects_bad_runs():
    with pytest.raises(ValueError, match="runs is empty"):
        render_comparison([])
    with pytest.raises(ValueError, match="unique"):
        render_comparison([("a", _metrics()), ("a", _metrics())])
    with pytest.raises(ValueError, match=r"runs\[0\] must be"):
        render_comparison([("a",)])


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _assert_png(path, min_side: int = 200) -> np.ndarray:
    assert path.is_file() and path.stat().st_size > 0
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min(image.shape[:2]) >= min_side
    assert image.std() > 0  # not a blank canvas
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # temp file renamed away
    assert plt.get_fignums() == []  # figure closed
    return image


def test_confusion_matrix_plot_small_and_57_classes(tmp_path):
    metrics = _metrics()
    matrix, names = type_confusion(np.array([0, 1, 2, 3, 4, 5, 6, 0]), np.array([0, 1, 1, 3, 0, 5, 5, 2]), SCHEME)
    small = _assert_png(plot_confusion_matrix(matrix, names, tmp_path / "types.png"))
    labels = metrics["token"]["labels"]
    _assert_png(plot_confusion_matrix(metrics["token"]["confusion_matrix"], labels, tmp_path / "tokens.png"))

    many = LabelScheme("bio", tuple(f"TYPE_{i:02d}" for i in range(28)))
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 57, 5000)
    y_pred = np.where(rng.random(5000) < 0.7, y_true, rng.integers(0, 57, 5000))
    big_matrix = np.array(token_metrics(y_true, y_pred, many.labels)["confusion_matrix"])
    big = _assert_png(plot_confusion_matrix(big_matrix, many.labels, tmp_path / "big.png", title="57 labels"))
    assert big.shape[0] > small.shape[0]  # the figure grows with the classes


def test_confusion_matrix_plot_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
        plot_confusion_matrix(np.zeros((3, 3)), ["O", "X"], tmp_path / "bad.png")
    with pytest.raises(ValueError, match="non-negative"):
        plot_confusion_matrix(-np.ones((2, 2)), ["O", "X"], tmp_path / "bad.png")
    assert not list(tmp_path.iterdir())


def test_per_class_f1_plot(tmp_path):
    _assert_png(plot_per_class_f1(_metrics()["entity"], tmp_path / "per_class.png"))
    empty = entity_metrics([[]], [[]], ["en"])
    _assert_png(plot_per_class_f1(empty, tmp_path / "empty.png"))
    with pytest.raises(ValueError, match="'strict' entry"):
        plot_per_class_f1({}, tmp_path / "bad.png")


def test_comparison_plot_overwrites_atomically(tmp_path):
    path = tmp_path / "sub" / "comparison.png"
    runs = [("head-a", _metrics(0)), ("head-b", _metrics(1, miss_phone=False))]
    _assert_png(plot_comparison(runs, path))
    _assert_png(plot_comparison(runs[:1], path))  # replaces the existing file
    with pytest.raises(ValueError, match="runs is empty"):
        plot_comparison([], path)


def test_training_curves_plot(tmp_path):
    trials = [
        {"name": f"lr={lr}", "curve": [
            {"epoch": e, "train_loss": 1.0 / (e * lr * 1000), "val_span_f1": 0.5 + 0.04 * e * lr * 1000,
             "val_token_macro_f1": 0.4 + 0.03 * e}
            for e in range(1, 9)
        ]}
        for lr in (0.001, 0.002, 0.0005)
    ]
    trials[2]["curve"][3]["val_span_f1"] = None  # a skipped validation leaves a gap, not a crash
    _assert_png(plot_training_curves(trials, tmp_path / "curves.png"))
    with pytest.raises(ValueError, match="trials is empty"):
        plot_training_curves([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="'curve' list"):
        plot_training_curves([{"name": "a"}], tmp_path / "x.png")


def test_threshold_curve_plot_marks_the_chosen_threshold(tmp_path):
    # Precision rises and recall falls with the threshold, as a span-score sweep does.
    points = []
    for threshold in np.linspace(0.0, 0.95, 20):
        precision, recall = 0.5 + 0.5 * threshold, 1.0 - 0.6 * threshold**2
        points.append({"threshold": float(threshold), "precision": precision, "recall": recall,
                       "f1": 2 * precision * recall / (precision + recall),
                       "f5": 26 * precision * recall / (25 * precision + recall)})
    plain = _assert_png(plot_threshold_curve(points[::-1], tmp_path / "sweep.png"))  # any order
    marked = _assert_png(plot_threshold_curve(points, tmp_path / "chosen.png", chosen=0.35))
    assert plain.shape == marked.shape and not np.array_equal(plain, marked)  # the mark is drawn
    _assert_png(plot_threshold_curve([{"threshold": 0.5, "precision": 1.0, "recall": 0.2}], tmp_path / "one.png"))
    with pytest.raises(ValueError, match="points is empty"):
        plot_threshold_curve([], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"points\[0\]\['recall'\] must be a finite number"):
        plot_threshold_curve([{"threshold": 0.5, "precision": 1.0, "recall": float("nan")}], tmp_path / "x.png")
    with pytest.raises(ValueError, match="chosen must be"):
        plot_threshold_curve(points, tmp_path / "x.png", chosen="best")
    assert not (tmp_path / "x.png").exists()
