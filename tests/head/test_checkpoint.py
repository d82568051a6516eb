"""Head checkpoints: a head loaded back predicts exactly as trained, with its standardization
stored and applied."""

from __future__ import annotations

import numpy as np
from safetensors.numpy import load_file

from extract.cache_reader import CacheReader
from head.checkpoint import load_head


def test_checkpoint_round_trip_predicts_identically(separable_cache, tmp_path, fit):
    result = fit(separable_cache, tmp_path / "head")
    loaded = load_head(tmp_path / "head")
    val = CacheReader(separable_cache).read_split("val", loaded.spec.layers)
    np.testing.assert_array_equal(loaded.head.coef_, result.best.weight)
    logits = loaded.head.decision_function(val.features, val.ptr)
    assert logits.shape == (val.n_tokens, len(loaded.scheme.labels))
    tagging = loaded.tag(val.features, val.ptr, [r.text for r in val.records], val.offsets, decode="greedy")
    # tagging decodes (words, BIO) the loaded head's own scores
    np.testing.assert_array_equal(tagging.log_probs, loaded.head.predict_log_proba(val.features, val.ptr))
    np.testing.assert_array_equal(logits.argmax(1), loaded.head.predict(val.features, val.ptr))
    np.testing.assert_allclose(loaded.head.predict_proba(val.features).sum(axis=1), 1.0, atol=1e-5)


def test_standardization_is_stored_and_applied(separable_cache, tmp_path, fit):
    fit(separable_cache, tmp_path / "head")
    reader = CacheReader(separable_cache)
    train = reader.read_split("train", [1, 2])
    tensors = load_file(str(tmp_path / "head" / "head.safetensors"))
    np.testing.assert_allclose(tensors["mean"], train.features.astype(np.float64).mean(0), atol=1e-5)
    np.testing.assert_allclose(tensors["std"], train.features.astype(np.float64).std(0), rtol=1e-4)
    head = load_head(tmp_path / "head").head
    x = train.features[:50]
    manual = ((x - tensors["mean"]) / tensors["std"]) @ tensors["weight"].T + tensors["bias"]
    np.testing.assert_allclose(head.decision_function(x), manual, rtol=1e-4, atol=1e-4)
    fit(separable_cache, tmp_path / "raw", standardize=False)
    raw = load_file(str(tmp_path / "raw" / "head.safetensors"))
    assert np.all(raw["mean"] == 0) and np.all(raw["std"] == 1)
