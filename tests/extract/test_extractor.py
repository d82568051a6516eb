"""`extract` with the tiny random Mistral and the real tokenizer: the cache equals a direct forward
pass, windows stitch, resume after kill -9 is exact, the fingerprint records what made the
features, and bad situations are refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from transformers import AutoModel

from extract.cache_reader import CacheReader
from extract.errors import PiiTaggerError
from extract.extractor import ExtractConfig, run_extract
from extract.labels import encode
from extract.prepare import PrepareConfig, prepare
from extract.records import Record, Span
from extract.tokens import InputFormat, SegmentBuilder, load_tokenizer
from tests.helpers import write_jsonl

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    return AutoModel.from_pretrained(tiny_model_dir).eval()


def direct_states(model, tokenizer, text: str) -> tuple[torch.Tensor, ...]:
    """hidden_states of one unpadded forward pass, BOS dropped: (layer 0, ..., layer N) each [T, H]."""
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = model(**encoded, output_hidden_states=True)
    return tuple(h[0, 1:] for h in out.hidden_states)


def test_cached_features_equal_a_direct_forward_pass(tiny_cache, tiny_model, tiny_model_dir):
    reader = CacheReader(tiny_cache)
    assert reader.layers == [1, 2]  # defaults 0.5 and -1 on a 2-layer model
    tokenizer = load_tokenizer(str(tiny_model_dir))
    data = reader.read_split("train", [1, 2])
    short = [e for e in range(len(data.records)) if data.ptr[e + 1] - data.ptr[e] < 60][:5]
    assert short
    for e in short:
        states = direct_states(tiny_model, tokenizer, data.records[e].text)
        cached = data.features[data.example_rows(e)]
        np.testing.assert_allclose(cached[:, :64], states[1].numpy(), atol=2e-3, rtol=2e-3)  # middle layer
        np.testing.assert_allclose(cached[:, 64:], states[2].numpy(), atol=2e-3, rtol=2e-3)  # final, normed


def test_labels_offsets_and_ids_match_the_alignment_module(tiny_cache, tiny_model_dir):
    reader = CacheReader(tiny_cache)
    tokenizer = load_tokenizer(str(tiny_model_dir))
    data = reader.read_split("val")
    assert data.records
    for e, record in enumerate(data.records):
        encoded = tokenizer(record.text, add_special_tokens=False, return_offsets_mapping=True)
        labels, _ = encode(record.text, encoded["offset_mapping"], record.spans, reader.scheme)
        rows = data.example_rows(e)
        assert data.token_ids[rows].tolist() == encoded["input_ids"]
        assert data.offsets[rows].tolist() == [list(o) for o in encoded["offset_mapping"]]
        assert data.labels[rows].tolist() == labels.tolist()


def test_long_text_windows_stitch_each_token_once_with_most_left_context(tmp_path, tiny_model, tiny_model_dir):
    words = " ".join(f"mot{i}" for i in range(120))
    text = f"Contact Jean Dupont. {words} Fin."
    record = {"id": "long", "language": "fr", "text": text,
              "spans": [{"start": 8, "end": 12, "label": "FIRSTNAME"}, {"start": 13, "end": 19, "label": "LASTNAME"}]}
    write_jsonl(tmp_path / "data" / "x.jsonl", [record, {**record, "id": "long2"}])
    prepared = tmp_path / "prep"
    prepare(PrepareConfig(data_dir=tmp_path / "data", out=prepared, val_fraction=0.5))
    run_extract(ExtractConfig(data=prepared, out=tmp_path / "cache", model=str(tiny_model_dir), dtype="float32", layers="-1",
                              max_length=48, stride=12, progress=False))
    data = CacheReader(tmp_path / "cache").read_split("train", [2])
    tokenizer = load_tokenizer(str(tiny_model_dir))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 48 and data.n_tokens == len(ids)  # every token once, no special tokens

    builder = SegmentBuilder(tokenizer, InputFormat(48, 12))
    windows = builder.windows(len(ids))
    assert len(windows) > 2
    expected = np.zeros((len(ids), 64), dtype=np.float32)
    for start, end, keep_from in windows:
        with torch.no_grad():
            out = tiny_model(input_ids=torch.tensor([[1] + ids[start:end]]))
        expected[keep_from:end] = out.last_hidden_state[0, 1 + keep_from - start:].numpy()
    np.testing.assert_allclose(data.features, expected, atol=2e-3, rtol=2e-3)
    # tokens after the first window really had `stride` tokens of left context, not zero
    assert windows[1][2] - windows[1][0] == 12


def _shards(cache: Path) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for path in sorted(cache.rglob("*.h5")):
        with h5py.File(path) as h5:
            out[str(path.relative_to(cache))] = {name: h5[name][()] for name in
                                                 ("features/layer_1", "features/layer_2", "tokens/labels",
                                                  "tokens/offsets", "examples/ptr", "examples/text")}
    return out


def _assert_same_cache(a: Path, b: Path) -> None:
    shards_a, shards_b = _shards(a), _shards(b)
    assert shards_a.keys() == shards_b.keys()
    for name in shards_a:
        for key in shards_a[name]:
            assert np.array_equal(shards_a[name][key], shards_b[name][key]), (name, key)
    manifest_a, manifest_b = (json.loads((c / "manifest.json").read_text()) for c in (a, b))
    assert manifest_a["splits"] == manifest_b["splits"] and manifest_b["complete"]


def extract_command(prepared: Path, model: Path, out: Path) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "extract", "--data", str(prepared), "--model", str(model),
            "--out", str(out), "--max-length", "64", "--stride", "16", "--shard-tokens", "200",
            "--batch-tokens", "128", "--dtype", "float32", "--quiet"]


def test_resume_after_kill_gives_the_same_cache(tmp_path, prepared_dir, tiny_model_dir):
    reference = tmp_path / "reference"
    run_extract(ExtractConfig(data=prepared_dir, out=reference, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16,
                              shard_tokens=200, batch_tokens=128, progress=False))
    crashed = tmp_path / "crashed"
    process = subprocess.Popen(extract_command(prepared_dir, tiny_model_dir, crashed), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(crashed.glob("train/shard-*.h5")):
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    manifest = json.loads((crashed / "manifest.json").read_text())
    assert not manifest["complete"], "the run finished before it could be killed"
    run_extract(ExtractConfig(data=prepared_dir, out=crashed, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16,
                              shard_tokens=200, batch_tokens=128, progress=False))
    _assert_same_cache(reference, crashed)


def test_rerun_of_a_complete_cache_does_nothing(tiny_cache, prepared_dir, tiny_model_dir):
    result = run_extract(ExtractConfig(data=prepared_dir, out=tiny_cache, model=str(tiny_model_dir), dtype="float32", max_length=64,
                                       stride=16, batch_tokens=1024, shard_tokens=1500, progress=False))
    assert result.shards_written == 0 and result.shards_skipped == result.shards_total and result.complete


@pytest.mark.parametrize("change, expected", [
    ({"layers": "-1"}, "layers"),
    ({"max_length": 80}, "max_length"),
    ({"context": "echo"}, "context"),
])
def test_a_different_extraction_in_the_same_folder_is_refused(tiny_cache, prepared_dir, tiny_model_dir, change,
                                                              expected):
    config = dict(data=prepared_dir, out=tiny_cache, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16,
                  batch_tokens=1024, shard_tokens=1500, progress=False)
    with pytest.raises(ValueError, match=f"made differently.*{expected}"):
        run_extract(ExtractConfig(**{**config, **change}))


def test_other_data_in_the_same_folder_is_refused_and_overwrite_starts_afresh(tmp_path, prepared_dir, tiny_model_dir):
    out = tmp_path / "cache"
    common = dict(out=out, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16, progress=False)
    run_extract(ExtractConfig(data=prepared_dir, **common))
    other = tmp_path / "other"
    shutil.copytree(prepared_dir, other)
    with open(other / "val.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(Record("extra", "en", "Call Bob", (Span(5, 8, "FIRSTNAME"),)).to_json()) + "\n")
    with pytest.raises(ValueError, match=r"data\.val"):
        run_extract(ExtractConfig(data=other, **common))
    result = run_extract(ExtractConfig(data=other, overwrite=True, **common))
    assert result.complete and CacheReader(out).n_examples("val") == CacheReader(out).manifest["splits"]["val"]["examples"]


def test_fp16_overflow_is_reported_not_stored_as_inf(tmp_path, prepared_dir, tiny_model_dir):
    loud = tmp_path / "loud-model"
    shutil.copytree(tiny_model_dir, loud)
    model = AutoModel.from_pretrained(loud)
    with torch.no_grad():
        model.norm.weight.mul_(1e6)  # final states far beyond float16's 65504
    model.save_pretrained(loud)
    out = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"beyond float16.*`feature_dtype` float32"):
        run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(loud), dtype="float32", max_length=64, stride=16,
                                  progress=False))
    assert not json.loads((out / "manifest.json").read_text())["complete"]
    assert not list(out.rglob("*.h5"))  # nothing half-written, nothing with inf
    result = run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(loud), dtype="float32", max_length=64, stride=16,
                                       feature_dtype="float32", overwrite=True, progress=False))
    assert result.complete
    assert np.isfinite(CacheReader(out).read_split("val", [2]).features).all()


def test_two_processes_give_the_same_cache_as_one(tmp_path, prepared_dir, tiny_model_dir):
    single = tmp_path / "single"
    run_extract(ExtractConfig(data=prepared_dir, out=single, model=str(tiny_model_dir), dtype="float32", max_length=64, stride=16,
                              shard_tokens=200, batch_tokens=128, progress=False))
    double = tmp_path / "double"
    launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port",
                "29533"]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(launcher + extract_command(prepared_dir, tiny_model_dir, double)[1:], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_same_cache(single, double)


def test_missing_prepared_folder_is_a_clear_error(tmp_path, tiny_model_dir):
    with pytest.raises(FileNotFoundError, match="run `cli.py prepare` first"):
        run_extract(ExtractConfig(data=tmp_path / "nowhere", out=tmp_path / "c", model=str(tiny_model_dir), dtype="float32",
                                  progress=False))


def test_stride_not_below_window_is_refused(prepared_dir, tiny_model_dir, tmp_path):
    with pytest.raises(ValueError, match="raise `max_length` or lower `stride`"):
        run_extract(ExtractConfig(data=prepared_dir, out=tmp_path / "c", model=str(tiny_model_dir), dtype="float32", max_length=16,
                                  stride=20, progress=False))


def test_int8_is_part_of_the_cache_fingerprint(int8_cache, prepared_dir, tiny_model_dir, tiny_cache):
    manifest = json.loads((int8_cache / "manifest.json").read_text())
    assert manifest["fingerprint"]["backbone"]["quantize"] == "int8"
    # Unquantized caches carry no key at all, so caches written before the option stay valid.
    assert "quantize" not in json.loads((tiny_cache / "manifest.json").read_text())["fingerprint"]["backbone"]
    with pytest.raises(PiiTaggerError, match="quantize"):  # resuming without it would mix two kinds of features
        run_extract(ExtractConfig(data=prepared_dir, out=int8_cache, model=str(tiny_model_dir), dtype="float32",
                                  max_length=64, stride=16, batch_tokens=1024, shard_tokens=1500, layers="-1",
                                  progress=False))


def test_quiet_extract_shows_no_bar_of_transformers(tmp_path, prepared_dir, tiny_model_dir):
    """`--quiet` means quiet: transformers' weight-loading bar stays off while the backbone loads."""
    result = subprocess.run(extract_command(prepared_dir, tiny_model_dir, tmp_path / "cache"), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Loading weights" not in result.stderr and "it/s]" not in result.stderr, result.stderr
