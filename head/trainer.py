"""The fused multi-trial trainer of the linear head `Dropout -> Linear(D, C)` on cached features.

`train_trials` trains a grid of learning rates and weight decays in one pass: each batch is
read once and feeds every trial through one fused matmul; each trial has its own AdamW state,
schedule and early stopping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from extract.errors import PiiTaggerError
from head.configs import Hyperparameters
from head.data import TokenBatches

DENORMAL_GUARD = 1e-30  # gradients smaller than this are zeroed (see `_loss_gradients`)


@dataclass(frozen=True)
class Trial:
    lr: float
    weight_decay: float

    @property
    def name(self) -> str:
        return f"lr={self.lr:g} wd={self.weight_decay:g}"


def check_trials(lrs, weight_decays) -> list[Trial]:
    """The grid lr x weight decay, refusing values that cannot train."""
    lrs, weight_decays = list(lrs), list(weight_decays)
    if not lrs or not weight_decays:
        raise PiiTaggerError("give at least one `lr` and one `weight_decay`")
    for lr in lrs:
        if not lr > 0 or not np.isfinite(lr):
            raise PiiTaggerError(f"`lr` must be positive, got {lr}")
    for wd in weight_decays:
        if not wd >= 0 or not np.isfinite(wd):
            raise PiiTaggerError(f"`weight_decay` must be zero or positive, got {wd}")
    return [Trial(lr, wd) for lr in lrs for wd in weight_decays]


@dataclass
class TrialResult:
    """A trained trial: its best weights, when they were reached, and its curve."""

    trial: Trial
    weight: np.ndarray  # float32 [C, D'] at the best epoch
    bias: np.ndarray  # float32 [C]
    best_epoch: int
    best: dict  # validation metrics at the best epoch
    curve: list[dict] = field(default_factory=list)  # per epoch: loss, F1s, learning rate
    stopped_at: int | None = None  # epoch at which early stopping ended it
    diverged_at: int | None = None  # epoch whose training made its weights or loss non-finite: never chosen


class Validation:
    """Scores every trial on the validation split: strict span F1 and token macro F1."""

    def __init__(self, score: Callable[[torch.Tensor], list[dict]], inputs: Callable[[], Iterator[torch.Tensor]]):
        self._score = score  # logits of all trials [Tv, K, C] -> one metrics dict per trial
        self._inputs = inputs  # yields head inputs [N, D'] of validation blocks in order

    def __call__(self, weight: torch.Tensor, bias: torch.Tensor) -> list[dict]:
        logits = torch.cat([fused_logits(x, weight, bias) for x in self._inputs()])  # [Tv, K, C]
        return self._score(logits)


def fused_logits(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Every trial's logits in one matmul. x: [B, D], weight: [D, K, C], bias: [K, C] -> [B, K, C]."""
    d, k, c = weight.shape
    return (x @ weight.reshape(d, k * c) + bias.reshape(k * c)).reshape(len(x), k, c)


def initial_weights(n_inputs: int, n_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.Linear's default initialisation, from the seed alone (so every trial starts equal)."""
    generator = torch.Generator().manual_seed(seed)
    bound = 1.0 / np.sqrt(n_inputs)
    weight = (torch.rand(n_inputs, n_classes, generator=generator) * 2 - 1) * bound  # [D, C]
    bias = (torch.rand(n_classes, generator=generator) * 2 - 1) * bound  # [C]
    return weight, bias


def learning_rate_factor(step: int, total: int, warmup_steps: int) -> float:
    """Linear warm-up to 1, then linear decay to 0 at the last step."""
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total - step) / max(1, total - warmup_steps))


def class_weights_from_counts(counts: np.ndarray, mode: str) -> torch.Tensor | None:
    """None, or scikit-learn's 'balanced' weights n / (C * count); unseen labels weigh 1."""
    if mode == "none":
        return None
    counts = np.asarray(counts, dtype=np.float64)
    present = counts > 0
    weights = np.ones_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return torch.as_tensor(weights, dtype=torch.float32)


def _loss_gradients(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                    class_weights: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weighted cross-entropy of every trial and its gradients, in closed form (no autograd).

    Tokens labelled IGNORE_LABEL (-1: no gold label there) weigh nothing.
    Returns (loss [K], grad_weight [D, K, C], grad_bias [K, C]).
    """
    logits = fused_logits(x, weight, bias)  # [B, K, C]
    log_probs = torch.log_softmax(logits, dim=2)  # [B, K, C]
    labelled = y >= 0  # [B]
    y = y.clamp(min=0)  # any valid index; an ignored token's weight is 0 below
    sample_weight = class_weights[y] if class_weights is not None else torch.ones_like(y, dtype=x.dtype)  # [B]
    sample_weight = sample_weight * labelled
    norm = sample_weight.sum().clamp(min=torch.finfo(x.dtype).tiny)  # a batch with no label at all: zero loss
    picked = log_probs.gather(2, y[:, None, None].expand(-1, logits.shape[1], 1)).squeeze(2)  # [B, K]
    loss = -(picked * sample_weight[:, None]).sum(0) / norm  # [K]
    grad_logits = log_probs.exp_()  # softmax, [B, K, C]
    grad_logits.scatter_add_(2, y[:, None, None].expand(-1, logits.shape[1], 1),
                             grad_logits.new_full((len(y), logits.shape[1], 1), -1.0))  # minus one-hot
    grad_logits *= (sample_weight / norm)[:, None, None]
    # A confident head has probabilities near float32's smallest normal; they and their products
    # in the matmul below become denormals, which slow x86 CPUs down by orders of magnitude.
    # Their gradient contribution is nil.
    grad_logits.masked_fill_(grad_logits.abs() < DENORMAL_GUARD, 0.0)
    d, k, c = weight.shape
    grad_weight = (x.T @ grad_logits.reshape(len(y), k * c)).reshape(d, k, c)  # [D, K, C]
    grad_bias = grad_logits.sum(0)  # [K, C]
    return loss, grad_weight, grad_bias


def _clip_per_trial(grad_weight: torch.Tensor, grad_bias: torch.Tensor, max_norm: float) -> None:
    """Scale each trial's gradient to at most `max_norm` (in place)."""
    norms = (grad_weight.pow(2).sum((0, 2)) + grad_bias.pow(2).sum(1)).sqrt()  # [K]
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)  # [K]
    grad_weight.mul_(scale[None, :, None])
    grad_bias.mul_(scale[:, None])


class FusedAdamW:
    """AdamW over the stacked parameters of K trials, each with its own lr and weight decay.

    Decoupled weight decay applies to the weights, not the biases. A trial whose lr is 0
    (stopped early) is left untouched.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, betas=(0.9, 0.999), eps: float = 1e-8):
        self.weight, self.bias = weight, bias
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in (weight, bias)]
        self.steps = 0

    def reset(self, trials: torch.Tensor) -> None:
        """Zero the parameters and moments of `trials` ([K] bool): a diverged trial, once reset, can
        no longer put NaN into the fused logits that every trial's validation shares."""
        for param, (m, v) in zip((self.weight, self.bias), self.state):
            index = (slice(None), trials) if param.dim() == 3 else (trials,)
            for tensor in (param, m, v):
                tensor[index] = 0.0

    def step(self, grad_weight: torch.Tensor, grad_bias: torch.Tensor, lr: torch.Tensor, weight_decay: torch.Tensor):
        """lr, weight_decay: [K]."""
        self.steps += 1
        correction1 = 1 - self.beta1 ** self.steps
        correction2 = 1 - self.beta2 ** self.steps
        self.weight.mul_(1 - (lr * weight_decay)[None, :, None])
        for param, grad, (m, v), step_lr in ((self.weight, grad_weight, self.state[0], lr[None, :, None]),
                                             (self.bias, grad_bias, self.state[1], lr[:, None])):
            m.mul_(self.beta1).add_(grad, alpha=1 - self.beta1)
            v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            denom = (v / correction2).sqrt_().add_(self.eps)
            param.addcdiv_(m * (step_lr / correction1), denom, value=-1.0)


def _dropout(x: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Inverted dropout with an explicit generator: the same masks for every trial of a seed.

    On CPU the mask comes from the raw bits of 64-bit random integers, four 15-bit draws each
    (p exact to 1/32768): much faster than `bernoulli_`, whose mask would otherwise cost more than
    the head's own matmuls.
    """
    if p == 0.0:
        return x
    if x.device.type == "cpu":
        n = x.numel()
        draws = torch.empty((n + 3) // 4, dtype=torch.int64).random_(generator=generator)  # [0, 2^63)
        lanes = draws.view(torch.int16)[:n].view(x.shape).bitwise_and_(0x7FFF)  # uniform in [0, 32768)
        keep = lanes >= round(p * 32768)
    else:
        keep = torch.empty_like(x).bernoulli_(1.0 - p, generator=generator).bool()
    return torch.where(keep, x, 0.0).mul_(1.0 / (1.0 - p))


def _selection_key(metrics: dict) -> tuple[float, float]:
    return (metrics.get("span_f1", -1.0), metrics.get("token_macro_f1", -1.0))


def train_trials(batches: TokenBatches, validation: Validation | None, n_inputs: int, n_classes: int,
                 trials: list[Trial], hp: Hyperparameters, class_weights: torch.Tensor | None = None,
                 device: torch.device = torch.device("cpu"), progress: bool = True) -> list[TrialResult]:
    """Train every trial together; keep each trial's best epoch (by validation span F1).

    Without `validation`, every trial trains all epochs and its last epoch is kept.
    """
    hp.check()
    k = len(trials)
    weight0, bias0 = initial_weights(n_inputs, n_classes, hp.seed)
    weight = weight0[:, None, :].repeat(1, k, 1).to(device)  # [D, K, C]
    bias = bias0[None, :].repeat(k, 1).to(device)  # [K, C]
    optimizer = FusedAdamW(weight, bias)
    base_lr = torch.tensor([t.lr for t in trials], dtype=torch.float32, device=device)  # [K]
    weight_decay = torch.tensor([t.weight_decay for t in trials], dtype=torch.float32, device=device)  # [K]
    active = torch.ones(k, dtype=torch.bool, device=device)
    class_weights = class_weights.to(device) if class_weights is not None else None
    dropout_generator = torch.Generator(device=device).manual_seed(hp.seed + 1)

    total_steps = sum(batches.n_batches(epoch) for epoch in range(1, hp.epochs + 1))
    warmup_steps = int(round(hp.warmup * total_steps))
    results = [TrialResult(t, weight0.T.numpy().copy(), bias0.numpy().copy(), 0,
                           {"span_f1": -1.0, "token_macro_f1": -1.0}) for t in trials]
    waited = [0] * k
    step = 0
    for epoch in range(1, hp.epochs + 1):
        started = time.perf_counter()
        loss_sum = torch.zeros(k, dtype=torch.float64, device=device)
        n_steps = 0
        bar = tqdm(batches.epoch(epoch), total=batches.n_batches(epoch), desc=f"epoch {epoch}/{hp.epochs}",
                   unit="batch", disable=not progress, leave=False, dynamic_ncols=True)
        for x, y in bar:
            x = _dropout(x, hp.dropout, dropout_generator)  # [B, D]
            loss, grad_weight, grad_bias = _loss_gradients(x, y, weight, bias, class_weights)
            _clip_per_trial(grad_weight, grad_bias, hp.max_grad_norm)
            lr = base_lr * learning_rate_factor(step, total_steps, warmup_steps) * active  # [K]
            optimizer.step(grad_weight, grad_bias, lr, weight_decay)
            loss_sum += loss.double()
            n_steps += 1
            step += 1
        bar.close()
        train_seconds = time.perf_counter() - started
        _drop_diverged(results, optimizer, loss_sum, active, epoch)
        scores = validation(weight, bias) if validation is not None else [{} for _ in trials]
        for i, (result, metrics) in enumerate(zip(results, scores)):
            if not bool(active[i]):
                continue
            point = {"epoch": epoch, "train_loss": float(loss_sum[i] / max(1, n_steps)),
                     "val_span_f1": metrics.get("span_f1"), "val_token_macro_f1": metrics.get("token_macro_f1"),
                     "train_seconds": train_seconds}
            result.curve.append(point)
            improved = validation is None or _selection_key(metrics) > _selection_key(result.best)
            if improved:
                result.weight = weight[:, i, :].T.cpu().numpy().copy()
                result.bias = bias[i].cpu().numpy().copy()
                result.best_epoch, result.best, waited[i] = epoch, {**metrics, "train_loss": point["train_loss"]}, 0
            else:
                waited[i] += 1
                if waited[i] >= hp.patience:
                    active[i] = False
                    result.stopped_at = epoch
        if progress and validation is None:  # a refit: nothing to compare, the loss says it learns
            tqdm.write(f"epoch {epoch:>3}: train loss {float(loss_sum.min() / max(1, n_steps)):.4f}, "
                       f"{train_seconds:.2f}s")
        elif progress:
            best = best_trial(results)
            tqdm.write(f"epoch {epoch:>3}: {int(active.sum())}/{k} trials running, "
                       f"best so far {best.trial.name} span F1 {best.best.get('span_f1', float('nan')):.4f} "
                       f"(epoch {best.best_epoch}), {train_seconds:.2f}s")
        if not bool(active.any()):
            break
    return results


def _drop_diverged(results: list[TrialResult], optimizer: FusedAdamW, loss_sum: torch.Tensor,
                   active: torch.Tensor, epoch: int) -> None:
    """Stop the trials whose weights or loss turned non-finite this epoch (a learning rate too
    high for the features): the others train on, and such a trial is never chosen."""
    finite = (torch.isfinite(optimizer.weight).all(dim=2).all(dim=0) & torch.isfinite(optimizer.bias).all(dim=1)
              & torch.isfinite(loss_sum))  # [K]
    diverged = ~finite  # guard: drop-diverged-trial
    if not bool(diverged.any()):
        return
    for i in torch.nonzero(diverged).flatten().tolist():
        if results[i].diverged_at is None:
            results[i].diverged_at = epoch
    optimizer.reset(diverged)
    active &= ~diverged


def best_trial(results: list[TrialResult]) -> TrialResult:
    """Highest validation span F1, then token macro F1, then the earliest in the grid; a diverged
    trial only if every one diverged (the caller refuses that)."""
    return max(results, key=lambda r: (r.diverged_at is None, _selection_key(r.best)))
