"""The training-curve figure fit-head writes, read back as a PNG."""

from __future__ import annotations

import pytest

from head.plots import plot_training_curves
from tests.helpers import assert_png


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
    assert_png(plot_training_curves(trials, tmp_path / "curves.png"))
    with pytest.raises(ValueError, match="trials is empty"):
        plot_training_curves([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="'curve' list"):
        plot_training_curves([{"name": "a"}], tmp_path / "x.png")
