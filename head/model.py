"""The linear head as a scikit-learn estimator: `fit(X, y)` on cached features, then predict.

`TokenHead` wraps one trained trial (weights, standardization, feature spec); the checkpoint,
`evaluate` and `predict` all go through it.
"""

from __future__ import annotations

import numpy as np
import torch

from extract.errors import PiiTaggerError
from head.configs import Hyperparameters
from head.data import FeatureSpec, InMemoryBatches, Standardizer, head_inputs
from head.trainer import TrialResult, Validation, check_trials, class_weights_from_counts, \
    train_trials


class TokenHead:
    """`Dropout -> Linear` token classifier on standardized features, scikit-learn style.

    `fit(X, y)` learns `coef_` [C, D'], `intercept_` [C], `mean_` and `scale_` [D]; X holds one
    row of cached features per token. With `context_window`, `ptr` gives example boundaries.
    """

    def __init__(self, lr: float = 1e-3, weight_decay: float = 0.01, epochs: int = 20, batch_tokens: int = 4096,
                 dropout: float = 0.1, class_weight: str = "none", warmup: float = 0.05, patience: int = 3,
                 standardize: bool = True, context_window: int = 0, context_both_sides: bool = False,
                 seed: int = 42, device: str = "cpu"):
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_tokens = batch_tokens
        self.dropout = dropout
        self.class_weight = class_weight
        self.warmup = warmup
        self.patience = patience
        self.standardize = standardize
        self.context_window = context_window
        self.context_both_sides = context_both_sides
        self.seed = seed
        self.device = device

    def hyperparameters(self) -> Hyperparameters:
        return Hyperparameters(epochs=self.epochs, batch_tokens=self.batch_tokens, dropout=self.dropout,
                               class_weight=self.class_weight, warmup=self.warmup, patience=self.patience,
                               seed=self.seed)

    def feature_spec(self, layers: list[int] | None = None) -> FeatureSpec:
        return FeatureSpec(layers or [], self.context_window, self.context_both_sides, self.standardize)

    def fit(self, X: np.ndarray, y: np.ndarray, ptr: np.ndarray | None = None, n_classes: int | None = None,
            validation: Validation | None = None, progress: bool = False) -> "TokenHead":
        """Train on features X [T, D] and label ids y [T] (-1: no gold label, ignored); returns self."""
        from extract.cache_reader import SplitData

        X = np.array(X, dtype=np.float32)  # a copy: standardization happens in place
        y = np.asarray(y, dtype=np.int64)
        if X.ndim != 2 or len(X) != len(y):
            raise PiiTaggerError(f"X must be [T, D] with one row per label; got X {X.shape} and y {y.shape}")
        ptr = np.array([0, len(X)], dtype=np.int64) if ptr is None else np.asarray(ptr, dtype=np.int64)
        n_classes = int(n_classes if n_classes is not None else y.max() + 1)
        trials = check_trials([self.lr], [self.weight_decay])
        standardizer = Standardizer.fit(iter([X])) if self.standardize else Standardizer.identity(X.shape[1])
        spec = self.feature_spec()
        data = SplitData(X, y, ptr, np.zeros((len(y), 2), np.int64), np.zeros(len(y), np.int64), [])
        device = torch.device(self.device)
        batches = InMemoryBatches(data, spec, standardizer, self.batch_tokens, self.seed, device)
        hp = self.hyperparameters()
        weights = class_weights_from_counts(np.bincount(y[y >= 0], minlength=n_classes), self.class_weight)
        result = train_trials(batches, validation, X.shape[1] * spec.copies, n_classes,
                              trials, hp, weights, device, progress)[0]
        return self._set_state(result, standardizer)

    def _set_state(self, result: TrialResult, standardizer: Standardizer) -> "TokenHead":
        self.coef_ = result.weight  # [C, D']
        self.intercept_ = result.bias  # [C]
        self.mean_ = standardizer.mean  # [D]
        self.scale_ = standardizer.std  # [D]
        self.classes_ = np.arange(len(result.bias))
        self.n_features_in_ = len(standardizer.mean)
        self.best_epoch_ = result.best_epoch
        self.history_ = result.curve
        return self

    @classmethod
    def from_trial(cls, result: TrialResult, standardizer: Standardizer, hp: Hyperparameters,
                   spec: FeatureSpec, device: str = "cpu") -> "TokenHead":
        head = cls(result.trial.lr, result.trial.weight_decay, hp.epochs, hp.batch_tokens, hp.dropout,
                   hp.class_weight, hp.warmup, hp.patience, spec.standardize, spec.context_window,
                   spec.context_both_sides, hp.seed, device)
        return head._set_state(result, standardizer)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise PiiTaggerError("this TokenHead is not fitted yet: call fit() or load a checkpoint")

    def decision_function(self, X: np.ndarray, ptr: np.ndarray | None = None) -> np.ndarray:
        """Logits [T, C] for cached features X [T, D]."""
        self._check_fitted()
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise PiiTaggerError(f"X must be [T, {self.n_features_in_}], got {X.shape}")
        ptr = np.array([0, len(X)], dtype=np.int64) if ptr is None else np.asarray(ptr, dtype=np.int64)
        device = torch.device(self.device)
        inputs = head_inputs(X, ptr, self.feature_spec(), Standardizer(self.mean_, self.scale_), device)  # [T, D']
        weight = torch.from_numpy(self.coef_).to(device)  # [C, D']
        bias = torch.from_numpy(self.intercept_).to(device)  # [C]
        with torch.inference_mode():
            return (inputs @ weight.T + bias).cpu().numpy()

    def predict_log_proba(self, X: np.ndarray, ptr: np.ndarray | None = None) -> np.ndarray:
        logits = torch.from_numpy(self.decision_function(X, ptr))
        return torch.log_softmax(logits, dim=1).numpy()

    def predict_proba(self, X: np.ndarray, ptr: np.ndarray | None = None) -> np.ndarray:
        return np.exp(self.predict_log_proba(X, ptr))

    def predict(self, X: np.ndarray, ptr: np.ndarray | None = None) -> np.ndarray:
        return self.decision_function(X, ptr).argmax(axis=1)
