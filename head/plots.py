"""The figures fit-head writes (training curves), and the headless, atomic PNG writing that every
plot of the project shares (evaluation's plots import `plt` and `save_figure` from here).
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import matplotlib

# Agg before pyplot: training and evaluation run headless (servers, Kaggle, CI) and never open a window.
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from extract.errors import PiiTaggerError  # noqa: E402

DPI = 110
# Labels and trial names are data, not markup: a "$" in a label prints, never parses as mathtext.
AS_WRITTEN = {"text.parse_math": False}  # guard: plots-no-mathtext


def labels_as_written(plot: Callable) -> Callable:
    """Draw with `AS_WRITTEN` (only inside the plot: a library must not change its users' matplotlib)."""
    @functools.wraps(plot)
    def drawn(*args, **kwargs):
        with plt.rc_context(AS_WRITTEN):
            return plot(*args, **kwargs)

    return drawn


@labels_as_written
def plot_training_curves(trials: Sequence[dict], path) -> Path:
    """Two panels per epoch: training loss, and validation span F1 (solid) / token macro F1 (dashed)."""
    if not trials:
        raise PiiTaggerError("trials is empty: expected at least one {'name', 'curve'} dict")
    for i, trial in enumerate(trials):
        if not isinstance(trial, dict) or not isinstance(trial.get("curve"), (list, tuple)):
            raise PiiTaggerError(f"trials[{i}] must be a dict with a 'curve' list of per-epoch dicts")
    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(13, 5))
    try:
        colours = plt.get_cmap("tab10" if len(trials) <= 10 else "tab20")
        for i, trial in enumerate(trials):
            colour = colours(i % colours.N)
            name = str(trial.get("name", f"trial {i}"))
            curve = trial["curve"]
            epochs = [point.get("epoch", k + 1) for k, point in enumerate(curve)]
            loss_ax.plot(epochs, series(curve, "train_loss"), marker=".", color=colour, label=name)
            f1_ax.plot(epochs, series(curve, "val_span_f1"), marker=".", color=colour, label=name)
            f1_ax.plot(epochs, series(curve, "val_token_macro_f1"), linestyle="--", color=colour)
        loss_ax.set_title("Training loss")
        loss_ax.set_xlabel("epoch")
        loss_ax.set_ylabel("loss")
        f1_ax.set_title("Validation F1: span (solid), token macro (dashed)")
        f1_ax.set_xlabel("epoch")
        f1_ax.set_ylabel("F1")
        f1_ax.set_ylim(0, 1.02)
        for ax in (loss_ax, f1_ax):
            ax.grid(alpha=0.3)
        # Outside the axes: with a dozen trials an inside legend hides the curves.
        f1_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
        fig.tight_layout()
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def series(curve: Sequence[dict], key: str) -> list[float]:
    return [float(point[key]) if point.get(key) is not None else np.nan for point in curve]


def save_figure(fig, path) -> Path:
    """Write the figure as PNG under a temp name in the same folder, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fig.savefig(temporary, format="png", dpi=DPI)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
