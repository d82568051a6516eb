"""Training from shards streamed through a buffer: the same weights as in memory when the buffer
holds every shard, every token once per epoch otherwise, and `fit-head` on a tiny memory budget."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from extract.span_metrics import score_corpus
from extract.cache_reader import CacheReader
from head.checkpoint import load_head
from head.data import FeatureSpec, InMemoryBatches, Standardizer, StreamingBatches
from head.trainer import Hyperparameters, Trial, class_weights_from_counts, train_trials
from head.fit import FitConfig, fit_head

CPU = torch.device("cpu")
HP = Hyperparameters(epochs=3, batch_tokens=256, class_weight="balanced", seed=11)  # dropout 0.1: masks must match too
TRIALS = [Trial(1e-2, 0.01), Trial(3e-2, 0.0)]


def providers(reader: CacheReader, spec: FeatureSpec, buffer_shards: int, block_bytes: int = 64 << 20):
    """In-memory and streaming batches, each with its own standardizer fitted the way its mode reads."""
    train = reader.read_split("train", spec.layers)
    memory_standardizer = Standardizer.fit(iter([train.features]), block_bytes=block_bytes)
    memory = InMemoryBatches(train, spec, memory_standardizer, HP.batch_tokens, HP.seed, CPU)
    stream_standardizer = Standardizer.fit((p.features for p in reader.iter_shards("train", spec.layers)),
                                           block_bytes=block_bytes)
    streaming = StreamingBatches(reader, "train", spec, stream_standardizer, HP.batch_tokens, HP.seed, CPU,
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


def test_fit_head_streams_under_a_tiny_memory_budget_and_the_head_works(tiny_cache, tmp_path):
    reader = CacheReader(tiny_cache)
    fit = dict(layers="-1", lrs=(3e-2,), hp=Hyperparameters(epochs=3, batch_tokens=256), progress=False)
    result = fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "head", max_memory="40KB", **fit))
    assert result.mode == "streaming"
    assert json.loads((tmp_path / "head" / "head.json").read_text())["data_mode"] == "streaming"
    loaded = load_head(tmp_path / "head")
    val = reader.read_split("val", loaded.spec.layers)
    tagging = loaded.tag(val.features, val.ptr, [r.text for r in val.records], val.offsets)
    assert np.isfinite(tagging.log_probs).all() and len(tagging.labels) == val.n_tokens
    found = tagging.kept(0.0)  # every decoded span
    assert any(found), "the streamed head predicts no entity at all"
    assert score_corpus([list(r.spans) for r in val.records], found, "strict").total.f1 > 0
    # It learned what the in-memory run learns from the same tokens in another order: a head fed
    # features and labels that do not belong together ends ~50% higher.
    memory = fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "memory", **fit))
    assert memory.mode == "in memory"
    streamed_loss, memory_loss = result.best.curve[-1]["train_loss"], memory.best.curve[-1]["train_loss"]
    assert streamed_loss == pytest.approx(memory_loss, rel=0.1)
    assert streamed_loss < 0.8 * result.best.curve[0]["train_loss"]
