"""Feeding cached features to the head: standardization, neighbour features, batches.

Features come from memory when they fit under `--max-memory`, otherwise shard by shard in
random order through a shuffle buffer; both give `(x [B, D'], y [B])` float32 batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from extract.cache_reader import CacheReader, SplitData


@dataclass
class Standardizer:
    """Per-feature train mean and std; `(x - mean) / std` (identity when disabled)."""

    mean: np.ndarray  # float32 [D]
    std: np.ndarray  # float32 [D]

    @classmethod
    def identity(cls, width: int) -> "Standardizer":
        return cls(np.zeros(width, dtype=np.float32), np.ones(width, dtype=np.float32))

    @classmethod
    def fit(cls, parts: Iterator[np.ndarray], eps: float = 1e-6) -> "Standardizer":
        """Mean and std in one streaming pass over feature blocks (Chan's parallel update, float64)."""
        count, mean, m2 = 0, None, None
        for block in parts:
            block = block.astype(np.float64)
            n = len(block)
            if n == 0:
                continue
            block_mean = block.mean(axis=0)
            block_m2 = ((block - block_mean) ** 2).sum(axis=0)
            if mean is None:
                count, mean, m2 = n, block_mean, block_m2
                continue
            delta = block_mean - mean
            total = count + n
            mean = mean + delta * (n / total)
            m2 = m2 + block_m2 + delta ** 2 * (count * n / total)
            count = total
        if mean is None:
            raise ValueError("cannot standardize: the train split has no tokens")
        std = np.sqrt(m2 / count)
        return cls(mean.astype(np.float32), np.maximum(std, eps).astype(np.float32))

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.as_tensor(self.mean, device=x.device)
        std = torch.as_tensor(self.std, device=x.device)
        return (x.float() - mean) / std

    def apply_(self, x: torch.Tensor) -> torch.Tensor:
        """In place, for a float32 block that is not needed raw any more (halves peak memory)."""
        return x.sub_(torch.as_tensor(self.mean, device=x.device)).div_(torch.as_tensor(self.std, device=x.device))


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

    def n_batches(self) -> int:
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
            rows = order[start:start + self.batch_tokens]
            if index is None:
                x = features[rows]
            else:
                x = with_context(features, index[rows])
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

    def n_batches(self) -> int:
        return -(-len(self.labels) // self.batch_tokens)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        yield from self._block_batches(self.features, self.labels, self.ptr, generator)


class StreamingBatches(TokenBatches):
    """Shards read in a random order, a few at a time into a shuffle buffer."""

    def __init__(self, reader: CacheReader, split: str, spec: FeatureSpec, standardizer: Standardizer,
                 batch_tokens: int, seed: int, device: torch.device, buffer_shards: int):
        super().__init__(spec, standardizer, batch_tokens, seed, device)
        self.reader, self.split, self.buffer_shards = reader, split, max(1, buffer_shards)
        self.n_shards = len(reader.shard_paths(split))
        self.n_tokens = reader.n_tokens(split)

    def n_batches(self) -> int:
        # Each buffer ends with a partial batch; count exactly per buffer for the LR schedule.
        sizes = [int(s["tokens"]) for s in self.reader.manifest["splits"][self.split]["shards"]]
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(sizes))
        total = 0
        for start in range(0, len(order), self.buffer_shards):
            tokens = sum(sizes[i] for i in order[start:start + self.buffer_shards])
            total += -(-tokens // self.batch_tokens)
        return total

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = np.random.default_rng(self.seed * 1000 + epoch)
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        order = rng.permutation(self.n_shards)
        for start in range(0, len(order), self.buffer_shards):
            parts = [self.reader.read_shard(self.reader.shard_paths(self.split)[i], self.spec.layers)
                     for i in order[start:start + self.buffer_shards]]
            features = self.standardizer.apply_(torch.from_numpy(np.concatenate([p.features for p in parts])))
            labels = torch.from_numpy(np.concatenate([p.labels for p in parts]))
            ptr = _concat_ptr([p.ptr for p in parts])
            yield from self._block_batches(features, labels, ptr, generator)


def _concat_ptr(ptrs: Sequence[np.ndarray]) -> np.ndarray:
    out = [np.zeros(1, dtype=np.int64)]
    base = 0
    for ptr in ptrs:
        out.append(ptr[1:] + base)
        base += int(ptr[-1])
    return np.concatenate(out)


def head_inputs(features: np.ndarray, ptr: np.ndarray, spec: FeatureSpec, standardizer: Standardizer,
                device: torch.device) -> torch.Tensor:
    """The head's full input for a block of examples: standardized, with neighbours. [T, D']"""
    x = standardizer.apply(torch.from_numpy(features)).to(device)
    if not spec.context_window:
        return x
    index = torch.from_numpy(neighbour_index(ptr, spec.context_window, spec.context_both_sides)).to(device)
    return with_context(x, index)
