"""The Mistral-7B-shaped extract benchmark in its small CPU form: the real extract path at full
width (2 blocks), figures that make sense, and the published configuration it claims to build."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import extract_throughput  # noqa: E402


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    figures = workdir / "figures.json"
    result = CliRunner().invoke(extract_throughput.main, [
        "--config", "mistral-7b", "--random-weights", "--num-layers", "2", "--n", "2", "--dtype", "float32",
        "--layers", "0.5", "--layers", "0.5,-1", "--context", "plain", "--repeats", "1", "--workdir", str(workdir),
        "--json-out", str(figures)])
    assert result.exit_code == 0, result.output
    return workdir, result.output, json.loads(figures.read_text())


def test_mistral_shaped_benchmark_runs_extract_and_a_bare_forward_per_layer_set(small_run):
    _, output, figures = small_run
    runs = figures["runs"]
    # --layers 0.5 of 2 blocks stops after block 1; 0.5,-1 runs both, on both sides.
    assert [(r["layers"], r["context"], r["dtype"], r["blocks"]) for r in runs] == \
           [("0.5", "plain", "float32", 1), ("0.5,-1", "plain", "float32", 2)]
    for run in runs:
        assert run["tokens"] > 0 and run["positions"] >= run["tokens"]
        assert math.isfinite(run["ratio"]) and run["ratio"] > 0
        assert run["extract_tokens_per_s"] > 0 and run["bare_tokens_per_s"] > 0
        assert 0 < run["padding_efficiency"] <= 1 and run["fixed_over_bucketed"] >= 1
        assert run["peak_gpu_mb_extract"] is None  # no GPU here: no made-up memory figure
    # Every figure says which CPU features it ran with.
    assert set(figures["cpu_features"]) >= {"amx", "avx512_bf16", "vnni"}
    assert "amx " in output and "avx512_bf16 " in output and "float32" in output


def test_the_random_model_has_the_published_mistral_7b_shape(small_run):
    workdir, _, _ = small_run
    config = json.loads((workdir / "mistral-7b-2-layers" / "config.json").read_text())
    assert (config["hidden_size"], config["intermediate_size"], config["num_attention_heads"],
            config["num_key_value_heads"], config["vocab_size"], config["sliding_window"]) == \
           (4096, 14336, 32, 8, 32000, 4096)
    assert config["num_hidden_layers"] == 2 and config["rms_norm_eps"] == 1e-5
    rope = config.get("rope_parameters") or {"rope_theta": config.get("rope_theta")}
    assert rope["rope_theta"] == 10000.0


def test_config_without_random_weights_is_refused(tmp_path):
    result = CliRunner().invoke(extract_throughput.main, ["--config", "mistral-7b", "--workdir", str(tmp_path)])
    assert result.exit_code != 0 and "--random-weights" in result.output


def test_serve_load_reports_requests_per_second_and_latencies_beside_predict(tiny_head, tmp_path):
    pytest.importorskip("fastapi")
    import serve_load

    figures = tmp_path / "serve.json"
    result = CliRunner().invoke(serve_load.main, [
        "--head", str(tiny_head), "--clients", "2", "--requests", "8", "--text-bytes", "200", "--batch-wait-ms", "5",
        "--workdir", str(tmp_path / "work"), "--json-out", str(figures)])
    assert result.exit_code == 0, result.output
    report = json.loads(figures.read_text())
    assert report["predict_texts_per_s"] > 0 and report["clients"] == 2
    assert [run["batch_wait_ms"] for run in report["runs"]] == [None, 5.0]  # one request per pass, then gathered
    for run in report["runs"]:
        assert run["requests"] == 8 and run["requests_per_s"] > 0 and 0 < run["p50_ms"] <= run["p95_ms"]
        assert run["ratio_to_predict"] == pytest.approx(run["requests_per_s"] / report["predict_texts_per_s"])
    assert "requests/s" in result.output and "x predict's throughput" in result.output


def test_predict_start_times_cold_and_warm_starts_against_the_import(tiny_head, tmp_path):
    import predict_start

    figures = tmp_path / "start.json"
    result = CliRunner().invoke(predict_start.main, ["--head", str(tiny_head), "--repeats", "1", "--n", "4",
                                                     "--json-out", str(figures)])
    assert result.exit_code == 0, result.output
    report = json.loads(figures.read_text())
    assert 0 < report["import_s"] and 0 < report["warm_s"] and report["texts_per_s"] > 0
    assert report["warm_over_import"] == pytest.approx(report["warm_s"] / report["import_s"])
    assert "x the import (target <= 3)" in result.output
