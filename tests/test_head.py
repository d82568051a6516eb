"""`fit-head` on caches built by the tiny Mistral: learning, fused trials, checkpoints,
standardization, streaming, determinism and bad input."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors.numpy import load_file

from extract.cache_reader import CacheReader
from extract.extractor import ExtractConfig, run_extract
from extract.labels import LabelScheme
from extract.prepare import PrepareConfig, prepare
from extract.records import Record, Span
from head.checkpoint import load_head
from head.trainer import Hyperparameters
from head.model import TokenHead
from head.fit import FitConfig, fit_head
from tests.conftest import write_jsonl

FIRST = ["Jean", "Marie", "Alice", "Pierre", "Sophie"]
LAST = ["Dupont", "Martin", "Bernard", "Durand", "Moreau"]
FILLER = ["merci", "bonjour", "le", "dossier", "est", "prêt", "thanks", "the", "file", "is", "ready", "today"]


def separable_records(n: int, seed: int) -> list[dict]:
    """Names and emails from small closed sets: a frozen random model's features separate them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}@mail.fr"
        before = " ".join(rng.choices(FILLER, k=rng.randint(1, 5)))
        after = " ".join(rng.choices(FILLER, k=rng.randint(1, 5)))
        text = f"{before} {first} {last} {after} {email} {after}"
        start = len(before) + 1
        spans = [Span(start, start + len(first), "FIRSTNAME"),
                 Span(start + len(first) + 1, start + len(first) + 1 + len(last), "LASTNAME")]
        e = text.index(email)
        spans.append(Span(e, e + len(email), "EMAIL"))
        rows.append(Record(f"s{i}", "fr" if i % 2 else "en", text, tuple(spans)).to_json())
    return rows


@pytest.fixture(scope="module")
def separable_cache(tmp_path_factory, tiny_model_dir) -> Path:
    root = tmp_path_factory.mktemp("separable")
    write_jsonl(root / "data" / "corpus.jsonl", separable_records(160, seed=1))
    prepare(PrepareConfig(data_dir=root / "data", out=root / "prepared", val_fraction=0.25))
    run_extract(ExtractConfig(data=root / "prepared", out=root / "cache", model=str(tiny_model_dir), dtype="float32", max_length=64,
                              stride=16, shard_tokens=600, progress=False))
    return root / "cache"


FAST = Hyperparameters(epochs=12, batch_tokens=256, patience=12)


def fit(cache, out, **kwargs):
    params = dict(cache=cache, out=out, lrs=(3e-2,), hp=FAST, progress=False)
    params.update(kwargs)
    return fit_head(FitConfig(**params))


def test_head_reaches_near_perfect_span_f1_on_a_separable_problem(separable_cache, tmp_path):
    result = fit(separable_cache, tmp_path / "head")
    assert result.best.best["span_f1"] >= 0.95
    meta = json.loads((tmp_path / "head" / "head.json").read_text())
    assert meta["validation"]["span_f1"] == result.best.best["span_f1"]
    assert meta["layers"] == [1, 2] and meta["best_epoch"] == result.best.best_epoch
    assert (tmp_path / "head" / "training_curve.png").stat().st_size > 1000
    trials = json.loads((tmp_path / "head" / "trials.json").read_text())
    assert len(trials) == 1 and len(trials[0]["curve"]) >= result.best.best_epoch


def test_trials_trained_together_equal_trials_trained_one_by_one(separable_cache, tmp_path):
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


def test_same_seed_gives_identical_weights_on_cpu(separable_cache, tmp_path):
    a = fit(separable_cache, tmp_path / "a")
    b = fit(separable_cache, tmp_path / "b")
    assert np.array_equal(a.best.weight, b.best.weight)
    c = fit(separable_cache, tmp_path / "c", hp=Hyperparameters(epochs=12, batch_tokens=256, patience=12, seed=7))
    assert not np.array_equal(a.best.weight, c.best.weight)


def test_checkpoint_round_trip_predicts_identically(separable_cache, tmp_path):
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


def test_standardization_is_stored_and_applied(separable_cache, tmp_path):
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


def test_streaming_mode_matches_in_memory_mode(separable_cache, tmp_path):
    memory = fit(separable_cache, tmp_path / "memory")
    streamed = fit(separable_cache, tmp_path / "streamed", max_memory="40KB")
    assert memory.mode == "in memory" and streamed.mode == "streaming"
    assert streamed.best.best["span_f1"] == pytest.approx(memory.best.best["span_f1"], abs=0.05)
    meta = json.loads((tmp_path / "streamed" / "head.json").read_text())
    assert meta["data_mode"] == "streaming"


def test_sklearn_style_head_on_arrays():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 16)) * 4
    y = rng.integers(0, 3, size=3000)
    X = centers[y] + rng.normal(size=(3000, 16))
    head = TokenHead(lr=3e-2, epochs=5, batch_tokens=256)
    assert head.fit(X, y) is head
    assert head.coef_.shape == (3, 16) and head.intercept_.shape == (3,) and head.mean_.shape == (16,)
    assert (head.predict(X) == y).mean() > 0.95
    with pytest.raises(ValueError, match="not fitted"):
        TokenHead().predict(X)


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
    (lambda m: m["splits"]["train"].update(shards=[]), "train split is empty"),
])
def test_bad_caches_are_refused(separable_cache, tmp_path, edit, message):
    cache = _copy_cache(separable_cache, tmp_path)
    _edit_manifest(cache, edit)
    with pytest.raises(ValueError, match=message):
        fit(cache, tmp_path / "head")
    assert not (tmp_path / "head").exists()


def test_missing_layer_lr_and_existing_output(separable_cache, tmp_path):
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


def test_label_in_val_but_not_in_train_is_refused(tmp_path, tiny_model_dir):
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


def test_fit_head_command_line(separable_cache, tmp_path):
    from cli import main

    result = CliRunner().invoke(main, ["fit-head", "--cache", str(separable_cache), "--out", str(tmp_path / "head"),
                                       "--lr", "1e-2,3e-2", "--weight-decay", "0", "--epochs", "3",
                                       "--batch-tokens", "256", "--layer", "-1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "lr=0.03 wd=0" in result.output and "fit-head: done" in result.output
    assert json.loads((tmp_path / "head" / "head.json").read_text())["layers"] == [2]
    bad = CliRunner().invoke(main, ["fit-head", "--cache", str(separable_cache), "--out", str(tmp_path / "h2"),
                                    "--lr", "0", "--quiet"])
    assert bad.exit_code != 0 and "--lr must be positive" in bad.output
