"""Feeding cached features to the head: standardization, neighbour features, batches.

Features come from memory when they fit under `max_memory`, otherwise shard by shard in
random order through a shuffle buffer; both give batches of float32 `x [B, D']`, int64 `y [B]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from extract.errors import PiiTaggerError
from extract.cache_reader import CacheReader, SplitData, concat_ptr


@dataclass
class Standardizer:
    """Per-feature train mean and std; `(x - mean) / std` (identity when disabled)."""

    mean: np.ndarray  # float32 [D]
    std: np.ndarray  # float32 [D]

    @classmethod
    def identity(cls, width: int) -> "Standardizer":
        return cls(np.zeros(width, dtype=np.float32), np.ones(width, dtype=np.float32))

    @classmethod
    def fit(cls, parts: Iterator[np.ndarray], block_bytes: int = 64 << 20) -> "Standardizer":
        """Mean and std in one streaming pass over feature blocks (Chan's parallel update, float64).

        Blocks are cut at fixed rows of the whole sequence (about `block_bytes` in float64 each),
        whatever the parts: the whole split at once or shard by shard give the same floats.
        A feature that is constant in train gets scale 1, as in scikit-learn's StandardScaler.
        """
        count, mean, m2 = 0, None, None
        for block in _row_blocks(parts, block_bytes):
            count, mean, m2 = _merge_moments(count, mean, m2, block)
        if mean is None:
            raise PiiTaggerError("cannot standardize: the train split has no tokens")
        variance = m2 / count
        std = np.sqrt(variance)
        # scikit-learn's test (`_is_constant_feature`): a variance within the rounding error bound
        # of its computation is zero; dividing by it would blow rounding noise up to huge values.
        eps = np.finfo(np.float64).eps
        constant = variance <= count * eps * variance + (count * mean * eps) ** 2
        # A variance too small for float32 is constant to the head too.
        std = np.where(constant | (std.astype(np.float32) == 0), 1.0, std).astype(np.float32)  # guard: constant-scale
        return cls(mean.astype(np.float32), std)

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.as_tensor(self.mean, device=x.device)
        std = torch.as_tensor(self.std, device=x.device)
        return (x.float() - mean) / std

    def apply_(self, x: torch.Tensor) -> torch.Tensor:
        """In place, for a float32 block that is not needed raw any more (halves peak memory)."""
        return x.sub_(torch.as_tensor(self.mean, device=x.device)).div_(torch.as_tensor(self.std, device=x.device))


def _row_blocks(parts: Iterator[np.ndarray], block_bytes: int) -> Iterator[np.ndarray]:
    """float64 blocks of a fixed number of rows from consecutive parts (the last one shorter).

    One buffer is refilled for every block: use a block before asking for the next.
    """
    rows, pending, filled = None, None, 0
    for part in parts:
        if rows is None:
            rows = max(1, block_bytes // max(1, part.shape[1] * 8))
            pending = np.empty((rows, part.shape[1]), dtype=np.float64)
        start = 0
        while start < len(part):
            take = min(rows - filled, len(part) - start)
            pending[filled:filled + take] = part[start:start + take]
            filled, start = filled + take, start + take
            if filled == rows:
                yield pending
                filled = 0
    if filled:
        yield pending[:filled]


def _merge_moments(count: int, mean, m2, block: np.ndarray):
    """Chan et al.'s update of (count, mean, sum of squared deviations) with a new block."""
    n = len(block)
    if n == 0:
        return count, mean, m2
    block_mean = block.mean(axis=0)
    block_m2 = ((block - block_mean) ** 2).sum(axis=0)
    if mean is None:
        return n, block_mean, block_m2
    delta = block_mean - mean
    total = count + n
    return total, mean + delta * (n / total), m2 + block_m2 + delta ** 2 * (count * n / total)


def neighbour_index(ptr: np.ndarray, window: int, both_sides: bool) -> np.ndarray:
    """For each token, the rows of its context tokens in the same example (-1 past an edge).

    Returns int64 [T, 1 + window * (2 if both_sides else 1)]: the token itself, the next
    `window` tokens, then (with `both_sides`) the previous `window` tokens.
    """
    total = int(ptr[-1])
    rows = np.arange(total, dtype=np.int64)
    example_end = np.repeat(ptr[1:], np.diff(ptr))  # [T]
    example_start = np.repeat(ptr[:-1], np.diff(ptr))  # [T]
    columns = [rows]
    for step in range(1, window + 1):
        nxt = rows + step
        columns.append(np.where(nxt < example_end, nxt, -1))
    if both_sides:
        for step in range(1, window + 1):
            prev = rows - step
            columns.append(np.where(prev >= example_start, prev, -1))
    return np.stack(columns, axis=1)


def with_context(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Concatenate each row with its neighbours; -1 gives a zero block (the standardized mean).

    x: [N, D] standardized features of a whole block, index: [B, K] rows into x -> [B, K * D].
    """
    gathered = x[index.clamp(min=0)]  # [B, K, D]
    gathered.mul_((index >= 0).unsqueeze(-1))  # past an example's edge: zeros
    return gathered.reshape(len(index), -1)


@dataclass
class FeatureSpec:
    """How a head's input vector is built from the cache: layers, neighbours, normalization."""

    layers: list[int]  # absolute layer indices, concatenated in this order
    context_window: int = 0  # next K tokens' features appended to each token's
    context_both_sides: bool = False  # also the previous K tokens'
    standardize: bool = True  # subtract the train mean, divide by the train std

    @property
    def copies(self) -> int:
        return 1 + self.context_window * (2 if self.context_both_sides else 1)


class TokenBatches:
    """Shuffled training batches of standardized (and context-widened) features."""

    def __init__(self, spec: FeatureSpec, standardizer: Standardizer, batch_tokens: int, seed: int,
                 device: torch.device):
        self.spec, self.standardizer, self.batch_tokens, self.seed = spec, standardizer, batch_tokens, seed
        self.device = device

    def n_batches(self, epoch: int) -> int:
        """Optimizer steps in `epoch` (the learning-rate schedule is built from these)."""
        raise NotImplementedError

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        raise NotImplementedError

    def _block_batches(self, features: torch.Tensor, labels: torch.Tensor, ptr: np.ndarray,
                       generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches from one in-memory block: a permutation of its rows, context gathered per batch."""
        order = torch.randperm(len(labels), generator=generator)
        index = None
        if self.spec.context_window:
            index = torch.from_numpy(neighbour_index(ptr, self.spec.context_window, self.spec.context_both_sides))
        for start in range(0, len(order), self.batch_tokens):
            rows = order[start:start + self.batch_tokens]  # [B]
            x = features[rows] if index is None else with_context(features, index[rows])  # [B, D']
            yield x.to(self.device, non_blocking=True), labels[rows].to(self.device, non_blocking=True)


class InMemoryBatches(TokenBatches):
    """All training features in memory, standardized once."""

    def __init__(self, data: SplitData, spec: FeatureSpec, standardizer: Standardizer, batch_tokens: int,
                 seed: int, device: torch.device):
        super().__init__(spec, standardizer, batch_tokens, seed, device)
        features = np.asarray(data.features, dtype=np.float32)  # no copy when the reader gave float32
        self.features = standardizer.apply_(torch.from_numpy(features))  # [T, D], standardized in place
        self.labels = torch.from_numpy(data.labels)
        self.ptr = data.ptr

    def n_batches(self, epoch: int) -> int:
        return -(-len(self.labels) // self.batch_tokens)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        yield from self._block_batches(self.features, self.labels, self.ptr, generator)


class StreamingBatches(TokenBatches):
    """Shards read in a random order, a few at a time into a shuffle buffer."""

    def __init__(self, reader: CacheReader, splits: tuple[str, ...], spec: FeatureSpec, standardizer: Standardizer,
                 batch_tokens: int, seed: int, device: torch.device, buffer_shards: int):
        super().__init__(spec, standardizer, batch_tokens, seed, device)
        self.reader, self.buffer_shards = reader, max(1, buffer_shards)
        self.paths = [path for split in splits for path in reader.shard_paths(split)]
        self.sizes = [int(s["tokens"]) for split in splits for s in reader.manifest["splits"][split]["shards"]]  # rows

    def _buffers(self, epoch: int) -> list[np.ndarray]:
        """The epoch's random shard order, cut into groups of `buffer_shards` shards.

        Within a group the shards stay in example order (the permutation of the group's rows does
        the shuffling): with every shard in one group, an epoch is exactly the in-memory one.
        """
        order = np.random.default_rng(self.seed * 1000 + epoch).permutation(len(self.paths))
        return [np.sort(order[start:start + self.buffer_shards]) for start in range(0, len(order), self.buffer_shards)]

    def n_batches(self, epoch: int) -> int:
        # Each buffer ends with a partial batch, so the count depends on the epoch's grouping.
        return sum(-(-sum(self.sizes[i] for i in group) // self.batch_tokens) for group in self._buffers(epoch))

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        width = self.reader.feature_width(self.spec.layers)
        for group in self._buffers(epoch):
            features = None  # the previous group's buffer goes before the next one is filled
            # Shards are read straight into one buffer: no second copy for a concatenation.
            buffer = np.empty((sum(self.sizes[i] for i in group), width), dtype=np.float32)  # [N, D]
            parts, row = [], 0
            for i in group:
                parts.append(self.reader.read_shard(self.paths[i], self.spec.layers,
                                                    out=buffer[row:row + self.sizes[i]]))
                row += self.sizes[i]
            features = self.standardizer.apply_(torch.from_numpy(buffer))  # [N, D], standardized in place
            del buffer
            labels = torch.from_numpy(np.concatenate([p.labels for p in parts]))  # [N]
            ptr = concat_ptr([p.ptr for p in parts])
            del parts  # their features are views of the buffer; the rest is small
            yield from self._block_batches(features, labels, ptr, generator)


def head_inputs(features: np.ndarray, ptr: np.ndarray, spec: FeatureSpec, standardizer: Standardizer,
                device: torch.device) -> torch.Tensor:
    """The head's full input for a block of examples: standardized, with neighbours. [T, D']"""
    # One float32 copy, standardized in place: `apply` would hold two full-size temporaries.
    x = standardizer.apply_(torch.tensor(features, dtype=torch.float32)).to(device)  # [T, D]
    if not spec.context_window:
        return x
    index = torch.from_numpy(neighbour_index(ptr, spec.context_window, spec.context_both_sides)).to(device)
    return with_context(x, index)
