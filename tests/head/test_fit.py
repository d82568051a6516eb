"""`fit-head` on caches built by the tiny Mistral: it learns, trials trained together equal trials
trained alone, runs are deterministic, streaming gives the in-memory head, and bad caches and
settings are refused before anything is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from extract.cache_reader import CacheReader
from extract.extractor import ExtractConfig, run_extract
from extract.labels import LabelScheme
from extract.records import Record, Span
from extract.span_metrics import score_corpus
from head.checkpoint import load_head
from head.configs import Hyperparameters
from head.fit import FitConfig, fit_head
from tests.helpers import separable_records, write_jsonl


def test_head_reaches_near_perfect_span_f1_on_a_separable_problem(separable_cache, tmp_path, fit):
    result = fit(separable_cache, tmp_path / "head")
    assert result.best.best["span_f1"] >= 0.95
    meta = json.loads((tmp_path / "head" / "head.json").read_text())
    assert meta["validation"]["span_f1"] == result.best.best["span_f1"]
    assert meta["layers"] == [1, 2] and meta["best_epoch"] == result.best.best_epoch
    assert (tmp_path / "head" / "training_curve.png").stat().st_size > 1000
    trials = json.loads((tmp_path / "head" / "trials.json").read_text())
    assert len(trials) == 1 and len(trials[0]["curve"]) >= result.best.best_epoch


def test_trials_trained_together_equal_trials_trained_one_by_one(separable_cache, tmp_path, fit):
    grid = fit(separable_cache, tmp_path / "grid", lrs=(1e-2, 3e-2), weight_decays=(0.0, 0.1))
    assert len(grid.results) == 4
    for together in grid.results:
        alone = fit(separable_cache, tmp_path / f"alone-{together.trial.name}", lrs=(together.trial.lr,),
                    weight_decays=(together.trial.weight_decay,)).results[0]
        assert alone.best_epoch == together.best_epoch
        np.testing.assert_allclose(alone.weight, together.weight, atol=1e-5)
        np.testing.assert_allclose(alone.bias, together.bias, atol=1e-5)
        assert [p["train_loss"] for p in alone.curve] == pytest.approx([p["train_loss"] for p in together.curve],
                                                                         rel=1e-5)


def test_same_seed_gives_identical_weights_on_cpu(separable_cache, tmp_path, fit):
    a = fit(separable_cache, tmp_path / "a")
    b = fit(separable_cache, tmp_path / "b")
    assert np.array_equal(a.best.weight, b.best.weight)
    c = fit(separable_cache, tmp_path / "c", hp=Hyperparameters(epochs=12, batch_tokens=256, patience=12, seed=7))
    assert not np.array_equal(a.best.weight, c.best.weight)


def test_streaming_mode_matches_in_memory_mode(separable_cache, tmp_path, fit):
    memory = fit(separable_cache, tmp_path / "memory")
    streamed = fit(separable_cache, tmp_path / "streamed", max_memory="40KB")
    assert memory.mode == "in memory" and streamed.mode == "streaming"
    assert streamed.best.best["span_f1"] == pytest.approx(memory.best.best["span_f1"], abs=0.05)
    meta = json.loads((tmp_path / "streamed" / "head.json").read_text())
    assert meta["data_mode"] == "streaming"


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


# --- bad input --------------------------------------------------------------------------------


def _copy_cache(cache: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "cache-copy"
    shutil.copytree(cache, copy)
    return copy


def _edit_manifest(cache: Path, edit) -> None:
    path = cache / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.update(complete=False), "incomplete"),
    (lambda m: m.update(format_version=99), "format version 99"),
    (lambda m: m["splits"].pop("val"), "no 'val' split"),
    (lambda m: m["splits"]["train"].update(shards=[], shards_planned=0, examples=0, tokens=0), "train split is empty"),
    (lambda m: m["splits"]["train"].update(shards=[]), "train split lists 0 of its"),
])
def test_bad_caches_are_refused(separable_cache, tmp_path, fit, edit, message):
    cache = _copy_cache(separable_cache, tmp_path)
    _edit_manifest(cache, edit)
    with pytest.raises(ValueError, match=message):
        fit(cache, tmp_path / "head")
    assert not (tmp_path / "head").exists()


def test_missing_layer_lr_and_existing_output(separable_cache, tmp_path, fit):
    with pytest.raises(ValueError, match=r"layer\(s\) \[0\] are not in the cache"):
        fit(separable_cache, tmp_path / "head", layers="0")
    for lrs in ((0.0,), (-1e-3,)):
        with pytest.raises(ValueError, match="`lr` must be positive"):
            fit(separable_cache, tmp_path / "head", lrs=lrs)
    (tmp_path / "head").mkdir()
    (tmp_path / "head" / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="use `overwrite`"):
        fit(separable_cache, tmp_path / "head")
    assert (tmp_path / "head" / "keep.txt").read_text() == "mine"


def test_label_in_val_but_not_in_train_is_refused(tmp_path, tiny_model_dir, fit):
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    rows = separable_records(20, seed=2)
    write_jsonl(prepared / "train.jsonl", rows[:14])
    val = [dict(r) for r in rows[14:]]
    val[0] = Record("city", "fr", "Je vis à Lyon", (Span(9, 13, "CITY"),)).to_json()
    write_jsonl(prepared / "val.jsonl", val)
    scheme = LabelScheme("bio", ("CITY", "EMAIL", "FIRSTNAME", "LASTNAME"))
    (prepared / "label_mappings.json").write_text(json.dumps(scheme.to_json()))
    run_extract(ExtractConfig(data=prepared, out=tmp_path / "cache", model=str(tiny_model_dir), dtype="float32", max_length=64,
                              stride=16, progress=False))
    with pytest.raises(ValueError, match=r"\['CITY'\] occur in val but never in train"):
        fit(tmp_path / "cache", tmp_path / "head")


def test_the_head_kept_is_the_chosen_trial_refit_on_train_and_val(separable_cache, tmp_path, fit):
    from safetensors.numpy import load_file

    kept = fit(separable_cache, tmp_path / "refit")
    plain = fit(separable_cache, tmp_path / "plain", refit=False)
    reader = CacheReader(separable_cache)
    refit = json.loads((tmp_path / "refit" / "head.json").read_text())["refit"]
    assert refit["splits"] == ["train", "val"] and refit["epochs"] == kept.best.best_epoch
    assert refit["tokens"] == reader.n_tokens("train") + reader.n_tokens("val") and kept.refit == refit
    assert json.loads((tmp_path / "plain" / "head.json").read_text())["refit"] is None
    # The choices are the same (made on val before the refit); the weights written are not.
    assert np.array_equal(kept.best.weight, plain.best.weight) and kept.decoding == plain.decoding
    written = {name: load_file(tmp_path / name / "head.safetensors") for name in ("refit", "plain")}
    assert np.array_equal(written["plain"]["weight"], plain.best.weight)
    assert not np.allclose(written["refit"]["weight"], written["plain"]["weight"])
    val = reader.read_split("val", [1, 2]).features
    both = np.concatenate([reader.read_split("train", [1, 2]).features, val])
    np.testing.assert_allclose(written["refit"]["mean"], both.mean(axis=0), rtol=1e-4, atol=1e-5)
    assert _test_f1(tmp_path / "refit", reader) >= 0.9  # it learned: the held-out split is tagged


def test_a_streamed_refit_reads_train_and_val_shard_by_shard(separable_cache, tmp_path, fit):
    memory = fit(separable_cache, tmp_path / "memory")
    streamed = fit(separable_cache, tmp_path / "streamed", max_memory="40KB")
    assert streamed.refit["data_mode"] == "streaming" and memory.refit["data_mode"] == "in memory"
    assert streamed.refit["tokens"] == memory.refit["tokens"]
    reader = CacheReader(separable_cache)
    assert _test_f1(tmp_path / "memory", reader) >= 0.9 and _test_f1(tmp_path / "streamed", reader) >= 0.9


def _test_f1(head: Path, reader: CacheReader) -> float:
    """Strict span F1 of a head folder on the cache's test split."""
    loaded = load_head(head)
    test = reader.read_split("test", loaded.spec.layers)
    found = loaded.tag(test.features, test.ptr, [r.text for r in test.records], test.offsets).kept(0.0)
    return score_corpus([list(r.spans) for r in test.records], found, "strict").total.f1
