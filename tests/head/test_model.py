"""`TokenHead`, the linear head as a scikit-learn estimator on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from head.model import TokenHead


def test_sklearn_style_head_on_arrays():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 16)) * 4
    y = rng.integers(0, 3, size=3000)
    X = centers[y] + rng.normal(size=(3000, 16))
    head = TokenHead(lr=3e-2, epochs=5, batch_tokens=256)
    assert head.fit(X, y) is head
    assert head.coef_.shape == (3, 16) and head.intercept_.shape == (3,) and head.mean_.shape == (16,)
    assert (head.predict(X) == y).mean() > 0.95
    with pytest.raises(ValueError, match="not fitted"):
        TokenHead().predict(X)
