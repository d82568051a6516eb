"""Feeding cached features to the head: the standardizer against scikit-learn and whatever the
parts, neighbour features built by hand, and shards streamed through a buffer giving the
in-memory batches (exactly when the buffer holds every shard)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from extract.cache_reader import CacheReader
from head.configs import Hyperparameters
from head.data import FeatureSpec, InMemoryBatches, Standardizer, StreamingBatches, _row_blocks, head_inputs
from head.trainer import Trial, class_weights_from_counts, train_trials

CPU = torch.device("cpu")
HP = Hyperparameters(epochs=3, batch_tokens=256, class_weight="balanced", seed=11)  # dropout 0.1: masks must match too
TRIALS = [Trial(1e-2, 0.01), Trial(3e-2, 0.0)]

# --- standardization --------------------------------------------------------------------------


def test_standardizer_equals_sklearn_and_a_constant_feature_gets_scale_one():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(loc=3.0, scale=2.0, size=(1000, 6)).astype(np.float32)
    x[:, 2] = 7.25  # constant in train
    x[:, 4] = 0.0
    fitted = Standardizer.fit(iter([x]))
    sklearn = StandardScaler().fit(x.astype(np.float64))
    np.testing.assert_allclose(fitted.mean, sklearn.mean_, rtol=1e-6)
    np.testing.assert_allclose(fitted.std, sklearn.scale_, rtol=1e-6)
    assert fitted.std[2] == 1.0 and fitted.std[4] == 1.0
    standardized = fitted.apply(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(standardized[:, 2], 0.0)  # x - mean, not rounding noise x 1e6
    assert np.all(np.abs(standardized) < 10)


def test_standardizer_gives_the_same_floats_whatever_the_parts():
    """Streaming fits shard by shard, in-memory fits the whole split: the float64 blocks, and so
    every rounding, must be the same, or the two modes could not train identical heads."""
    rng = np.random.default_rng(1)
    x = rng.normal(loc=5.0, size=(1003, 7)).astype(np.float32)
    block_bytes = 100 * 7 * 8  # blocks of 100 rows
    cuts = [0, 37, 300, 301, 777, 1003]
    parts = [x[a:b] for a, b in zip(cuts, cuts[1:])]
    whole_blocks = [block.copy() for block in _row_blocks(iter([x]), block_bytes)]
    part_blocks = [block.copy() for block in _row_blocks(iter(parts), block_bytes)]
    assert [len(b) for b in whole_blocks] == [100] * 10 + [3]
    assert all(np.array_equal(a, b) for a, b in zip(whole_blocks, part_blocks, strict=True))
    whole = Standardizer.fit(iter([x]), block_bytes=block_bytes)
    pieces = Standardizer.fit(iter(parts), block_bytes=block_bytes)
    assert np.array_equal(whole.mean, pieces.mean) and np.array_equal(whole.std, pieces.std)


# --- neighbour features ----------------------------------------------------------------------


def test_context_window_features_equal_a_hand_built_concatenation():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(7, 3)).astype(np.float32)
    ptr = np.array([0, 4, 7])  # two examples: rows 0-3 and 4-6
    spec = FeatureSpec([1], context_window=1, context_both_sides=True)
    built = head_inputs(features, ptr, spec, Standardizer.identity(3), CPU).numpy()
    zero = np.zeros(3, dtype=np.float32)
    expected = []
    for row in range(7):
        start, end = (0, 4) if row < 4 else (4, 7)
        nxt = features[row + 1] if row + 1 < end else zero
        prev = features[row - 1] if row - 1 >= start else zero
        expected.append(np.concatenate([features[row], nxt, prev]))
    np.testing.assert_array_equal(built, np.stack(expected))


# --- streaming -------------------------------------------------------------------------------


def providers(reader: CacheReader, spec: FeatureSpec, buffer_shards: int, block_bytes: int = 64 << 20):
    """In-memory and streaming batches, each with its own standardizer fitted the way its mode reads."""
    train = reader.read_split("train", spec.layers)
    memory_standardizer = Standardizer.fit(iter([train.features]), block_bytes=block_bytes)
    memory = InMemoryBatches(train, spec, memory_standardizer, HP.batch_tokens, HP.seed, CPU)
    stream_standardizer = Standardizer.fit((p.features for p in reader.iter_shards("train", spec.layers)),
                                           block_bytes=block_bytes)
    streaming = StreamingBatches(reader, ("train",), spec, stream_standardizer, HP.batch_tokens, HP.seed, CPU,
                                 buffer_shards=buffer_shards)
    return memory, memory_standardizer, streaming, stream_standardizer


@pytest.mark.parametrize("context_window", [0, 1])
def test_streaming_with_every_shard_buffered_gives_the_in_memory_weights_exactly(tiny_cache, context_window):
    reader = CacheReader(tiny_cache)
    n_shards = len(reader.shard_paths("train"))
    assert n_shards >= 3  # otherwise the shard order could not matter
    spec = FeatureSpec(reader.layers, context_window, context_both_sides=True)
    # Blocks of 700 rows: the standardizer's blocks straddle shard boundaries.
    memory, memory_std, streaming, stream_std = providers(reader, spec, n_shards,
                                                          block_bytes=700 * reader.feature_width(spec.layers) * 8)
    assert np.array_equal(memory_std.mean, stream_std.mean) and np.array_equal(memory_std.std, stream_std.std)
    for epoch in (1, 2):
        assert streaming.n_batches(epoch) == memory.n_batches(epoch)
        for (xm, ym), (xs, ys) in zip(memory.epoch(epoch), streaming.epoch(epoch), strict=True):
            assert torch.equal(xm, xs) and torch.equal(ym, ys)

    labels = reader.read_split("train").labels
    weights = class_weights_from_counts(np.bincount(labels[labels >= 0], minlength=len(reader.scheme.labels)),
                                        HP.class_weight)
    width = reader.feature_width(spec.layers) * spec.copies
    in_memory = train_trials(memory, None, width, len(reader.scheme.labels), TRIALS, HP, weights, progress=False)
    streamed = train_trials(streaming, None, width, len(reader.scheme.labels), TRIALS, HP, weights, progress=False)
    for a, b in zip(in_memory, streamed, strict=True):
        assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)
        assert [p["train_loss"] for p in a.curve] == [p["train_loss"] for p in b.curve]


def test_a_small_buffer_still_shows_every_token_once_per_epoch(tiny_cache):
    reader = CacheReader(tiny_cache)
    spec = FeatureSpec(reader.layers)
    memory, _, streaming, _ = providers(reader, spec, buffer_shards=2)
    for epoch in (1, 2):
        seen = [(x, y) for x, y in streaming.epoch(epoch)]
        assert len(seen) == streaming.n_batches(epoch)
        rows = torch.cat([x for x, _ in seen])
        expected = memory.features
        # The same rows, in another order: compare the sorted multisets of rows.
        assert rows.shape == expected.shape
        assert torch.equal(rows[np.lexsort(rows.numpy().T[::-1])], expected[np.lexsort(expected.numpy().T[::-1])])
        assert torch.equal(torch.cat([y for _, y in seen]).sort().values, memory.labels.sort().values)
