"""The fused multi-trial trainer against its textbook definition: separate `nn.Linear` heads
trained with autograd and `torch.optim.AdamW`, one per trial."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from extract.cache_reader import SplitData
from head.data import FeatureSpec, InMemoryBatches, Standardizer
from head.trainer import (
    FusedAdamW,
    Hyperparameters,
    Trial,
    _clip_per_trial,
    _loss_gradients,
    class_weights_from_counts,
    initial_weights,
    train_trials,
)


TRIALS = [Trial(1e-2, 0.0), Trial(3e-2, 0.1), Trial(1e-3, 0.01)]


def reference_heads(weight: torch.Tensor, bias: torch.Tensor, trials: list[Trial]):
    """One nn.Linear per trial with the fused parameters' values, each with its own AdamW
    (weight decay on the weight only, as the fused optimizer does)."""
    heads, optimizers = [], []
    for k, trial in enumerate(trials):
        head = torch.nn.Linear(weight.shape[0], weight.shape[2])
        with torch.no_grad():
            head.weight.copy_(weight[:, k, :].T)
            head.bias.copy_(bias[k])
        heads.append(head)
        optimizers.append(torch.optim.AdamW([{"params": [head.weight], "weight_decay": trial.weight_decay},
                                             {"params": [head.bias], "weight_decay": 0.0}], lr=trial.lr))
    return heads, optimizers


def reference_step(head, optimizer, x, y, class_weights, lr, max_norm) -> tuple[float, float]:
    """The textbook step; returns (loss, gradient norm before clipping)."""
    loss = torch.nn.functional.cross_entropy(head(x), y, weight=class_weights)
    optimizer.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(head.parameters(), max_norm)
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.step()
    return loss.item(), norm.item()


@pytest.mark.parametrize("class_weight", ["none", "balanced"])
def test_fused_gradients_clipping_and_adamw_equal_separate_autograd_heads(class_weight):
    d, c, k = 12, 5, len(TRIALS)
    rng = torch.Generator().manual_seed(0)
    # Each trial starts from its own weights, so a mix-up between trials cannot go unseen.
    weight = torch.randn(d, k, c, generator=rng) * 0.3  # [D, K, C]
    bias = torch.randn(k, c, generator=rng) * 0.3  # [K, C]
    heads, optimizers = reference_heads(weight, bias, TRIALS)
    fused = FusedAdamW(weight, bias)
    base_lr = torch.tensor([t.lr for t in TRIALS])
    weight_decay = torch.tensor([t.weight_decay for t in TRIALS])
    labels = torch.randint(0, c, (400,), generator=rng)
    labels[labels == 3] = 0  # an unbalanced label set, one label absent
    class_weights = class_weights_from_counts(np.bincount(labels.numpy(), minlength=c), class_weight)
    max_norm = 0.5
    clipped = 0
    for step in range(6):
        rows = torch.randint(0, len(labels), (64,), generator=rng)
        x = torch.randn(64, d, generator=rng) * 0.05 * 4 ** step  # growing inputs: the later steps get clipped
        y = labels[rows]
        factor = [0.5, 1.0, 0.8, 0.6, 0.4, 0.2][step]  # a warm-up and decay schedule
        loss, grad_weight, grad_bias = _loss_gradients(x, y, weight, bias, class_weights)
        for i, (head, optimizer) in enumerate(zip(heads, optimizers)):
            head.zero_grad()
            reference_loss = torch.nn.functional.cross_entropy(head(x), y, weight=class_weights)
            reference_loss.backward()
            assert float(loss[i]) == pytest.approx(reference_loss.item(), rel=1e-5, abs=1e-6)
            torch.testing.assert_close(grad_weight[:, i, :].T, head.weight.grad, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(grad_bias[i], head.bias.grad, rtol=1e-5, atol=1e-6)
        _clip_per_trial(grad_weight, grad_bias, max_norm)
        fused.step(grad_weight, grad_bias, base_lr * factor, weight_decay)
        for i, (head, optimizer) in enumerate(zip(heads, optimizers)):
            _, norm = reference_step(head, optimizer, x, y, class_weights, TRIALS[i].lr * factor, max_norm)
            clipped += norm > max_norm
            torch.testing.assert_close(weight[:, i, :].T, head.weight.detach(), rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(bias[i], head.bias.detach(), rtol=1e-5, atol=1e-5)
    assert 0 < clipped < 6 * k  # clipping was exercised, and so were unclipped steps


@pytest.mark.parametrize("class_weight", ["none", "balanced"])
def test_tokens_without_gold_label_weigh_nothing(class_weight):
    rng = torch.Generator().manual_seed(3)
    weight, bias = torch.randn(6, 2, 4, generator=rng), torch.randn(2, 4, generator=rng)
    x, y = torch.randn(40, 6, generator=rng), torch.randint(0, 4, (40,), generator=rng)
    ignored = torch.zeros(40, dtype=torch.bool)
    ignored[::3] = True
    class_weights = class_weights_from_counts(np.bincount(y[~ignored].numpy(), minlength=4), class_weight)
    with_ignored = _loss_gradients(x, torch.where(ignored, -1, y), weight, bias, class_weights)
    without = _loss_gradients(x[~ignored], y[~ignored], weight, bias, class_weights)
    for a, b in zip(with_ignored, without):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    loss, grad_weight, grad_bias = _loss_gradients(x[:3], torch.full((3,), -1), weight, bias, class_weights)
    assert torch.equal(loss, torch.zeros(2)) and not grad_weight.any() and not grad_bias.any()


def test_a_stopped_trial_is_left_untouched():
    weight, bias = torch.randn(4, 2, 3), torch.randn(2, 3)
    fused = FusedAdamW(weight, bias)
    before_w, before_b = weight.clone(), bias.clone()
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    _, grad_weight, grad_bias = _loss_gradients(x, y, weight, bias, None)
    fused.step(grad_weight, grad_bias, torch.tensor([1e-2, 0.0]), torch.tensor([0.1, 0.1]))
    assert torch.equal(weight[:, 1], before_w[:, 1]) and torch.equal(bias[1], before_b[1])
    assert not torch.equal(weight[:, 0], before_w[:, 0])


@pytest.mark.parametrize("class_weight", ["none", "balanced"])
def test_train_trials_equals_a_textbook_loop_per_trial(class_weight):
    """The whole of `train_trials` (schedule, clipping, AdamW, batches) against K separate loops."""
    rng = np.random.default_rng(1)
    n, d, c = 500, 10, 5
    centers = rng.normal(size=(c, d))
    y = rng.choice(c, size=n, p=[0.6, 0.2, 0.1, 0.07, 0.03])
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    ptr = np.array([0, 200, n])
    data = SplitData(x.copy(), y.astype(np.int64), ptr, np.zeros((n, 2), np.int64), np.zeros(n, np.int64), [])
    hp = Hyperparameters(epochs=3, batch_tokens=64, dropout=0.0, class_weight=class_weight, warmup=0.2, seed=5)
    batches = InMemoryBatches(data, FeatureSpec([0]), Standardizer.identity(d), hp.batch_tokens, hp.seed,
                              torch.device("cpu"))
    class_weights = class_weights_from_counts(np.bincount(y, minlength=c), class_weight)
    results = train_trials(batches, None, d, c, TRIALS, hp, class_weights, progress=False)

    epochs = [list(batches.epoch(e)) for e in range(1, hp.epochs + 1)]  # the same batches, in the same order
    total = sum(map(len, epochs))
    warmup = round(hp.warmup * total)
    weight0, bias0 = initial_weights(d, c, hp.seed)  # nn.Linear's initialisation, shared by every trial
    for trial, result in zip(TRIALS, results):
        head = torch.nn.Linear(d, c)
        with torch.no_grad():
            head.weight.copy_(weight0.T)
            head.bias.copy_(bias0)
        optimizer = torch.optim.AdamW([{"params": [head.weight], "weight_decay": trial.weight_decay},
                                       {"params": [head.bias], "weight_decay": 0.0}], lr=trial.lr)
        step = 0
        for epoch, batch_list in enumerate(epochs):
            losses = []
            for xb, yb in batch_list:
                # linear warm-up over the first `warmup` steps, then linear decay to 0 at the end
                factor = (step + 1) / warmup if step < warmup else (total - step) / (total - warmup)
                losses.append(reference_step(head, optimizer, xb, yb, class_weights, trial.lr * factor,
                                             hp.max_grad_norm)[0])
                step += 1
            assert result.curve[epoch]["train_loss"] == pytest.approx(np.mean(losses), rel=1e-5)
        np.testing.assert_allclose(result.weight, head.weight.detach().numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(result.bias, head.bias.detach().numpy(), rtol=1e-5, atol=1e-5)
        assert result.best_epoch == hp.epochs  # without validation the last epoch is kept

