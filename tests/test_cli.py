"""The command line: each of the nine commands run once on the tiny fixtures (its summary and what
it wrote), and what holds for every command: an example and option help each, errors as one
clean line, bad input lines named."""

from __future__ import annotations

import json
import re
import shutil

import click
from click.testing import CliRunner

from cli import main
from extract.cache_reader import CacheReader
from head.checkpoint import load_head
from tools.demo import demo_quantize

COMMANDS = {"synth", "prepare", "extract", "fit-head", "evaluate", "predict", "score", "export-hf", "serve", "demo"}


def test_synth_command_line(tmp_path):
    data = tmp_path / "data"
    synth = CliRunner().invoke(main, ["synth", "--n-english", "12", "--n-french", "8", "--out", str(data),
                                      "--seed", "3"])
    assert synth.exit_code == 0, synth.output
    assert "synth: done" in synth.output and "12 English, 8 French" in synth.output
    assert sorted(p.name for p in data.iterdir()) == ["english_synthetic.jsonl", "french_synthetic.jsonl"]
    rows = [json.loads(line) for name in ("english", "french")
            for line in (data / f"{name}_synthetic.jsonl").read_text().splitlines()]
    assert [row["language"] for row in rows] == ["en"] * 12 + ["fr"] * 8 and all("template" in row for row in rows)
    # the summary counts what was written
    without_pii = sum(not row["privacy_mask"] for row in rows)
    assert f"({without_pii} without PII)" in synth.output
    assert f"entities  {sum(len(row['privacy_mask']) for row in rows)} in" in synth.output
    again = CliRunner().invoke(main, ["synth", "--out", str(data)])
    assert again.exit_code != 0 and "--overwrite" in again.output


def test_prepare_command_line(synth_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    prepared = CliRunner().invoke(main, ["prepare", "--data-dir", str(data), "--val-fraction", "0.25"])
    assert prepared.exit_code == 0, prepared.output
    out = data / "token_classification"  # the default --out
    assert (out / "label_mappings.json").is_file() and (out / "dataset_stats.json").is_file()
    assert "prepare: done" in prepared.output and re.search(r"split by +template", prepared.output)
    summary = prepared.output.splitlines()
    languages = {split: [json.loads(line)["language"] for line in (out / f"{split}.jsonl").read_text().splitlines()]
                 for split in ("train", "val", "test")}
    assert sum(map(len, languages.values())) == 80
    for split, written in languages.items():  # the summary counts what was written, per language
        row = next(line for line in summary if line.split()[:1] == [split])
        assert written and row.endswith(f"{written.count('en')} en, {written.count('fr')} fr"), (row, split)
    bad = CliRunner().invoke(main, ["prepare", "--input", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "none.jsonl: no such corpus file" in bad.output


def test_extract_command_line(tmp_path, prepared_dir, tiny_model_dir):
    out = tmp_path / "cache"
    result = CliRunner().invoke(main, ["extract", "--data", str(prepared_dir), "--model", str(tiny_model_dir),
                                       "--out", str(out), "--layers", "0.5", "--max-length", "64", "--stride", "16", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "extract: done" in result.output and "padding efficiency" in result.output
    assert CacheReader(out).layers == [1]
    again = CliRunner().invoke(main, ["extract", "--data", str(prepared_dir), "--model", str(tiny_model_dir),
                                      "--out", str(out), "--layers", "-1", "--quiet"])
    assert again.exit_code != 0 and "made differently" in again.output and "layers" in again.output


def test_fit_head_command_line(separable_cache, tmp_path):
    result = CliRunner().invoke(main, ["fit-head", "--cache", str(separable_cache), "--out", str(tmp_path / "head"),
                                       "--lr", "1e-2,3e-2", "--weight-decay", "0", "--epochs", "3",
                                       "--batch-tokens", "256", "--layer", "-1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "lr=0.03 wd=0" in result.output and "fit-head: done" in result.output
    assert "refit" in result.output and "on train + val" in result.output
    assert json.loads((tmp_path / "head" / "head.json").read_text())["layers"] == [2]
    plain = CliRunner().invoke(main, ["fit-head", "--cache", str(separable_cache), "--out", str(tmp_path / "plain"),
                                      "--epochs", "2", "--no-refit", "--quiet"])
    assert plain.exit_code == 0 and "on train + val" not in plain.output, plain.output
    assert json.loads((tmp_path / "plain" / "head.json").read_text())["refit"] is None
    bad = CliRunner().invoke(main, ["fit-head", "--cache", str(separable_cache), "--out", str(tmp_path / "h2"),
                                    "--lr", "0", "--quiet"])
    assert bad.exit_code != 0 and "--lr must be positive" in bad.output


def test_evaluate_command_line(tiny_cache, tiny_head, tmp_path):
    result = CliRunner().invoke(main, ["evaluate", "--cache", str(tiny_cache), "--head", str(tiny_head),
                                       "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    assert "strict span F1" in result.output and str(tmp_path / "eval" / "report.md") in result.output
    assert "on test" in result.output and "redaction" in result.output and "threshold" in result.output


def test_predict_command_line(tiny_head, tmp_path):
    single = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "Appelez Jean Dupont demain"])
    assert single.exit_code == 0, single.output
    assert "masked:" in single.output
    inputs = tmp_path / "in.jsonl"
    inputs.write_text('{"id": "a", "text": "Bonjour Marie"}\n"just a string"\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(inputs), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "2"] and {"spans", "masked_text"} <= rows[0].keys()
    again = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(inputs), "--output", str(out)])
    assert again.exit_code != 0 and "--overwrite" in again.output
    # The rule layer forced on: a validated e-mail is hidden whatever the (random) head says.
    ruled = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--rules", "Write to ana@example.org now"])
    assert ruled.exit_code == 0 and "[EMAIL_1]" in ruled.output, ruled.output


def test_predict_bad_input_lines(tiny_head, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{broken\n{"text": 3}\n', encoding="utf-8")
    failed = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(bad)])
    assert failed.exit_code != 0 and "line 2" in failed.output and "--skip-invalid" in failed.output
    skipped = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(bad), "--skip-invalid"])
    assert skipped.exit_code == 0 and len([l for l in skipped.stdout.splitlines() if l.startswith("{")]) == 1
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "caf\xe9"}\n')
    failed = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(latin)])
    assert failed.exit_code != 0 and "line 1: not valid UTF-8" in failed.output
    # a missing file or a folder is named before the backbone loads, never a traceback
    for wrong, reason in ((tmp_path / "absent.jsonl", ": no such file"), (tmp_path, " is a folder; give a file")):
        failed = CliRunner().invoke(main, ["predict", "--head", str(tiny_head), "--input", str(wrong)])
        assert failed.exit_code == 1 and failed.output.startswith(f"Error: --input {wrong}{reason}")
        assert "Loading" not in failed.output and len(failed.output.splitlines()) == 1


def test_score_command_line(prepared_dir, tiny_head, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["score", "--head", str(tiny_head), "--data", str(prepared_dir / "val.jsonl"),
                                       "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "score: done" in result.output and "redaction" in result.output and str(out / "report.md") in result.output
    again = CliRunner().invoke(main, ["score", "--head", str(tiny_head), "--data", str(prepared_dir / "val.jsonl"),
                                      "--out", str(out), "--quiet"])
    assert again.exit_code != 0 and "--overwrite" in again.output
    into_input = CliRunner().invoke(main, ["score", "--head", str(tiny_head), "--data", str(prepared_dir / "val.jsonl"),
                                           "--out", str(prepared_dir), "--overwrite", "--quiet"])
    assert into_input.exit_code != 0 and "contains the input" in into_input.output


def test_export_command_line(last_layer_head, tmp_path):
    result = CliRunner().invoke(main, ["export-hf", "--head", str(last_layer_head), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "config.json").is_file() and "MistralForTokenClassification" in result.output
    assert (tmp_path / "x" / "model.safetensors").is_file() and "export-hf: done" in result.output
    assert f"with {len(load_head(last_layer_head).scheme.labels)} labels" in result.output


def test_demo_command_line(tmp_path):
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--backbone", "tiny", "--n-english", "20", "--n-french", "20",
                                       "--epochs", "1", "--workdir", str(workdir), "--quiet"])
    assert result.exit_code == 0, result.output
    fingerprint = json.loads((workdir / "cache" / "manifest.json").read_text())["fingerprint"]
    assert fingerprint["layers"] == [1]
    # int8 where this machine would compute in float32 (no GPU, no AMX), recorded in the cache
    assert fingerprint["backbone"].get("quantize") == demo_quantize("auto", "auto")
    assert not (workdir / "head-middle+last").exists() and "comparison" not in result.output
    # one head: its evaluation is the evaluation folder itself, and the summary gives its figures
    assert (workdir / "head-middle" / "head.safetensors").is_file()
    char = json.loads((workdir / "evaluation" / "metrics.json").read_text())["entity"]["char"]["overall"]
    assert "demo: done" in result.output and str(workdir / "evaluation" / "report.md") in result.output
    assert f"P {char['precision']:.3f}, R {char['recall']:.3f}" in result.output
    first = (workdir / "head-middle" / "head.json").read_bytes()
    replaced = CliRunner().invoke(main, ["demo", "--backbone", "tiny", "--n-english", "20", "--n-french", "20",
                                         "--epochs", "1", "--seed", "7", "--workdir", str(workdir), "--quiet",
                                         "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert (workdir / "head-middle" / "head.json").read_bytes() != first
    assert not list(tmp_path.glob(".demo.replaced-*"))  # the previous demo is gone once the new one is whole


def test_every_command_has_an_example_and_every_option_a_help():
    assert set(main.commands) == COMMANDS
    for name, command in main.commands.items():
        assert command.help and "Example" in command.help, f"{name} has no example in its docstring"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts[0]} has no help"


def test_errors_are_one_clean_line(tmp_path):
    result = CliRunner().invoke(main, ["fit-head", "--cache", str(tmp_path / "missing"), "--out", str(tmp_path / "h")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: --cache") and "Traceback" not in result.output


def test_library_messages_show_the_commands_own_flags():
    from cli import cli_message

    fit_head, predict = main.commands["fit-head"], main.commands["predict"]
    assert cli_message("`lr` must be positive; `max_memory` too; see `cli.py extract`", fit_head) == \
        "--lr must be positive; --max-memory too; see `cli.py extract`"
    assert cli_message("`context_both_sides` and `layers`", fit_head) == "--both-sides and --layers"
    # a setting of another stage keeps its library name; an argument is shown as such
    assert cli_message("re-run with `feature_dtype` float32", predict) == "re-run with `feature_dtype` float32"
    assert cli_message("give either a `text` or an `input` file", predict) == "give either a TEXT or an --input file"
    assert cli_message("`head` gone: use `overwrite`", main.commands["evaluate"]) == "--head gone: use --overwrite"
