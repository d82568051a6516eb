"""PNG plots of an evaluation: confusion matrix, per-class F1, head comparison, span-score
threshold sweep. Every function writes its file atomically and closes its figure.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from evaluation.report import HEADLINE, headline_figures
from extract.errors import PiiTaggerError
from head.plots import labels_as_written, plt, save_figure

ANNOTATE_MAX_CLASSES = 30


@labels_as_written
def plot_confusion_matrix(matrix, names: Sequence[str], path, title: str = "Confusion matrix") -> Path:
    """Row-normalised confusion matrix (rows = gold, each row sums to 1) with gold counts on the rows."""
    matrix = np.asarray(matrix)
    names = [str(name) for name in names]
    n = len(names)
    if n == 0:
        raise PiiTaggerError("names is empty: nothing to plot")
    if matrix.shape != (n, n):
        raise PiiTaggerError(f"matrix has shape {matrix.shape}, expected {(n, n)} for {n} names")
    if not np.issubdtype(matrix.dtype, np.number) or np.any(matrix < 0):
        raise PiiTaggerError("matrix must hold non-negative counts")
    support = matrix.sum(axis=1)
    normalised = np.zeros(matrix.shape, dtype=np.float64)
    np.divide(matrix, support[:, None], out=normalised, where=support[:, None] > 0)

    side = max(6.0, 0.3 * n + 3.5)  # ~0.3 inch per class keeps 57 labels legible
    font = 10 if n <= 15 else max(7.0, 10 - (n - 15) / 8)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    try:
        image = ax.imshow(normalised, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
        colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
        colorbar.set_label("share of the gold row")
        ax.set_xticks(range(n), names, rotation=60, ha="right", rotation_mode="anchor", fontsize=font)
        ax.set_yticks(range(n), [f"{name} ({int(count)})" for name, count in zip(names, support)], fontsize=font)
        ax.set_xlabel("Predicted")
        ax.set_ylabel("Gold (count)")
        ax.set_title(title)
        if n <= ANNOTATE_MAX_CLASSES:
            for row in range(n):
                for col in range(n):
                    value = normalised[row, col]
                    if value >= 0.005:  # blank cells read faster than a sea of 0.00
                        ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=font * 0.8,
                                color="white" if value > 0.6 else "black")
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


@labels_as_written
def plot_per_class_f1(entity_metrics: dict, path) -> Path:
    """Horizontal bars of strict and overlap span F1 per class, best at the top, support in the labels."""
    per_class = _per_class(entity_metrics, "strict")
    overlap = (entity_metrics.get("overlap") or {}).get("per_class") or {}
    labels = sorted(per_class, key=lambda label: (-float(per_class[label].get("f1", 0.0)), label))
    n = len(labels)
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.32 * n + 1.5)))
    try:
        if n == 0:
            ax.text(0.5, 0.5, "no entities in gold or predictions", ha="center", va="center")
            ax.set_axis_off()
        else:
            positions = np.arange(n)
            strict_f1 = [float(per_class[label].get("f1", 0.0)) for label in labels]
            overlap_f1 = [float((overlap.get(label) or {}).get("f1", np.nan)) for label in labels]
            strict_bars = ax.barh(positions - 0.2, strict_f1, height=0.4, label="strict F1", color="tab:blue")
            overlap_bars = ax.barh(positions + 0.2, overlap_f1, height=0.4, label="overlap F1",
                                   color="tab:orange", alpha=0.75)
            # Values at the bar ends, so a zero F1 still shows as "0.00" rather than as nothing.
            for bars, values in ((strict_bars, strict_f1), (overlap_bars, overlap_f1)):
                ax.bar_label(bars, labels=["" if math.isnan(v) else f"{v:.2f}" for v in values],
                             fontsize=7, padding=2)
            ax.set_yticks(positions, [f"{label} (n={int(per_class[label].get('gold', 0))})" for label in labels],
                          fontsize=9 if n <= 30 else 7)
            ax.set_ylim(n - 0.5, -0.5)  # best class on top, no empty margin
            ax.set_xlim(0, 1.08)  # room for the value of a perfect class
            ax.set_xlabel("F1")
            ax.grid(axis="x", alpha=0.3)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, fontsize=8)
        ax.set_title("Span F1 per class")
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


@labels_as_written
def plot_comparison(runs: Sequence[tuple[str, dict]], path) -> Path:
    """Grouped bars: each headline metric, one bar per head."""
    if not runs:
        raise PiiTaggerError("runs is empty: expected at least one (name, metrics) pair")
    for i, run in enumerate(runs):
        if not isinstance(run, (tuple, list)) or len(run) != 2 or not isinstance(run[1], dict):
            raise PiiTaggerError(f"runs[{i}] must be a (name, metrics dict) pair")
    titles = [title.split(" (")[0] for _, title, _ in HEADLINE]
    values = np.array([[np.nan if v is None else v for v in headline_figures(metrics).values()]
                       for _, metrics in runs], dtype=np.float64)
    n_runs, n_metrics = values.shape
    width = 0.8 / n_runs
    fig, ax = plt.subplots(figsize=(max(9.0, n_metrics * (0.5 + 0.3 * n_runs)), 5))
    try:
        positions = np.arange(n_metrics)
        for i, (name, _) in enumerate(runs):
            bars = ax.bar(positions - 0.4 + width * (i + 0.5), values[i], width, label=str(name))
            if n_runs <= 4:
                ax.bar_label(bars, labels=["" if math.isnan(v) else f"{v:.2f}" for v in values[i]],
                             fontsize=7, padding=1)
        ax.set_xticks(positions, titles, rotation=20, ha="right", rotation_mode="anchor")
        ax.set_ylim(0, 1.08)
        ax.set_ylabel("score")
        ax.grid(axis="y", alpha=0.3)
        ax.set_title("Head comparison")
        ax.legend(fontsize=8, ncols=min(n_runs, 4), loc="upper center", bbox_to_anchor=(0.5, -0.22))
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


THRESHOLD_CURVES = (  # (key, legend, line style): recall-weighted F5 is what redaction picks by
    ("precision", "precision", "-"),
    ("recall", "recall", "-"),
    ("f1", "F1", "--"),
    ("f5", "F5", "--"),
)


@labels_as_written
def plot_threshold_curve(points: Sequence[dict], path, chosen: float | None = None) -> Path:
    """A span-score threshold sweep: precision, recall, F1 and F5 against the threshold (left) and
    precision against recall (right), with the `chosen` threshold marked on both.

    `points` are dicts {"threshold", "precision", "recall", "f1", "f5"} in any order; F1 and F5
    may be missing (not drawn). `chosen` is marked at the point of the nearest threshold.
    """
    if isinstance(points, dict) or not points:
        raise PiiTaggerError("points is empty: expected a list of {'threshold', 'precision', 'recall', ...} dicts")
    rows = []
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            raise PiiTaggerError(f"points[{i}] must be a dict, got {type(point).__name__}")
        row = {}
        for key in ("threshold", "precision", "recall", "f1", "f5"):
            value = point.get(key)
            if value is None and key not in ("threshold", "precision", "recall"):
                row[key] = np.nan
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise PiiTaggerError(f"points[{i}][{key!r}] must be a finite number, got {value!r}")
            row[key] = float(value)
        rows.append(row)
    rows.sort(key=lambda row: row["threshold"])
    series = {key: np.array([row[key] for row in rows]) for key in ("threshold", "precision", "recall", "f1", "f5")}
    if chosen is not None and (isinstance(chosen, bool) or not isinstance(chosen, (int, float))
                               or not math.isfinite(chosen)):
        raise PiiTaggerError(f"chosen must be a finite threshold or None, got {chosen!r}")

    fig, (sweep_ax, pr_ax) = plt.subplots(1, 2, figsize=(12, 4.8))
    try:
        thresholds = series["threshold"]
        for key, legend, style in THRESHOLD_CURVES:
            if not np.all(np.isnan(series[key])):
                sweep_ax.plot(thresholds, series[key], linestyle=style, marker="." if len(rows) <= 40 else None,
                              label=legend)
        pr_ax.plot(series["recall"], series["precision"], marker=".", color="tab:gray")
        if chosen is not None:
            nearest = int(np.argmin(np.abs(thresholds - chosen)))
            sweep_ax.axvline(chosen, color="black", linewidth=1, alpha=0.6)
            sweep_ax.annotate(f"chosen {chosen:.3g}", xy=(chosen, 0.02), xytext=(4, 0),
                              textcoords="offset points", fontsize=8)
            pr_ax.plot(series["recall"][nearest], series["precision"][nearest], marker="o", markersize=9,
                       color="tab:red", linestyle="none", label=f"threshold {thresholds[nearest]:.3g}")
            pr_ax.legend(fontsize=8, loc="lower left")
        sweep_ax.set_xlabel("span score threshold")
        sweep_ax.set_ylabel("score")
        sweep_ax.set_ylim(0, 1.02)
        sweep_ax.set_title("Scores against the span threshold")
        sweep_ax.legend(fontsize=8, loc="best")
        pr_ax.set_xlabel("recall")
        pr_ax.set_ylabel("precision")
        pr_ax.set_xlim(0, 1.02)
        pr_ax.set_ylim(0, 1.02)
        pr_ax.set_title("Precision against recall over thresholds")
        for ax in (sweep_ax, pr_ax):
            ax.grid(alpha=0.3)
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


@labels_as_written
def plot_operating_points(points: dict, path) -> Path:
    """Character precision against recall over span thresholds, one curve per operating point (at
    its O bias and rule setting), each point marked where its threshold lies.

    `points` maps a name to {"threshold", "char_curve": [{"threshold", "precision", "recall"}, ...]}.
    """
    if not isinstance(points, dict) or not points:
        raise PiiTaggerError("points is empty: expected {name: {'threshold', 'char_curve'}}")
    fig, ax = plt.subplots(figsize=(6.4, 5))
    try:
        for name, point in points.items():
            curve = sorted(point.get("char_curve") or [], key=lambda row: row["threshold"])
            if not curve:
                raise PiiTaggerError(f"points[{name!r}] has no char_curve")
            recall = np.array([row["recall"] for row in curve])
            precision = np.array([row["precision"] for row in curve])
            line, = ax.plot(recall, precision, marker="." if len(curve) <= 40 else None, label=f"{name} (curve)")
            nearest = int(np.argmin(np.abs(np.array([row["threshold"] for row in curve]) - point["threshold"])))
            ax.plot(recall[nearest], precision[nearest], marker="o", markersize=9, linestyle="none",
                    color=line.get_color(), label=f"{name}: P {precision[nearest]:.3f}, R {recall[nearest]:.3f}")
        ax.set_xlabel("character recall (hidden / to hide)")
        ax.set_ylabel("character precision")
        ax.set_title("Operating points: what is hidden, over span thresholds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def _per_class(entity_metrics: dict, mode: str) -> dict:
    if not isinstance(entity_metrics, dict) or not isinstance(entity_metrics.get(mode), dict):
        raise PiiTaggerError(f"entity_metrics must be the output of entity_metrics() with a {mode!r} entry")
    return entity_metrics[mode].get("per_class") or {}
