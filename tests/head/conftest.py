"""`fit`: fit-head with the fast settings of the tests on the separable cache."""

from __future__ import annotations

import pytest

from head.configs import Hyperparameters
from head.fit import FitConfig, fit_head

FAST = Hyperparameters(epochs=12, batch_tokens=256, patience=12)


def _fit(cache, out, **kwargs):
    params = dict(cache=cache, out=out, lrs=(3e-2,), hp=FAST, progress=False)
    params.update(kwargs)
    return fit_head(FitConfig(**params))


@pytest.fixture
def fit():
    """`fit(cache, out, **changes)`: `fit_head` with one fast trial; keyword arguments override FitConfig fields."""
    return _fit
