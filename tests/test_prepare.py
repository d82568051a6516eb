"""`synth` and `prepare`: outputs, deterministic stratified splits, statistics, and safe writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from extract.prepare import PrepareConfig, prepare
from extract.records import read_corpus
from tests.conftest import write_jsonl


def read_split(folder: Path, name: str):
    return list(read_corpus(folder / f"{name}.jsonl"))


def test_prepare_writes_splits_labels_and_stats(synth_dir, tmp_path, mistral_tokenizer_dir):
    result = prepare(PrepareConfig(data_dir=synth_dir, out=tmp_path / "out", val_fraction=0.2,
                                   tokenizer=str(mistral_tokenizer_dir)))
    out = tmp_path / "out"
    train, val = read_split(out, "train"), read_split(out, "val")
    assert len(train) + len(val) == 80 and not (out / "test.jsonl").exists()
    assert {r.language for r in val} == {"en", "fr"}  # stratified by language
    assert abs(sum(r.language == "en" for r in val) - sum(r.language == "fr" for r in val)) <= 1
    labels = json.loads((out / "label_mappings.json").read_text())
    assert labels["labels"][0] == "O" and len(labels["labels"]) == 1 + 2 * len(labels["entity_types"])
    stats = json.loads((out / "dataset_stats.json").read_text())
    assert stats["splits"]["train"]["examples"] == len(train)
    assert stats["splits"]["val"]["entities"] == sum(len(r.spans) for r in val)
    tokenizer = stats["tokenizer"]
    assert tokenizer["oracle_span_f1"]["f1"] >= 0.99 and result.oracle_f1 == tokenizer["oracle_span_f1"]["f1"]
    assert tokenizer["splits"]["train"]["tokens"] > len(train)
    assert set(tokenizer["alignment"]) >= {"entities", "inexact_entities", "lost_entities", "straddling_tokens"}
    seen_train = {s.label for r in train for s in r.spans}
    assert {s.label for r in val for s in r.spans} <= seen_train  # no val-only label


def test_split_is_deterministic_and_seeded(synth_dir, tmp_path):
    ids = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        prepare(PrepareConfig(data_dir=synth_dir, out=tmp_path / name, seed=seed, val_fraction=0.2))
        ids.append([r.id for r in read_split(tmp_path / name, "val")])
    assert ids[0] == ids[1] and ids[0] != ids[2]


def test_caps_per_language_and_test_split(synth_dir, tmp_path):
    prepare(PrepareConfig(data_dir=synth_dir, out=tmp_path / "out", max_english=10, max_french=20,
                          val_fraction=0.2, test_fraction=0.2))
    records = [r for name in ("train", "val", "test") for r in read_split(tmp_path / "out", name)]
    assert sum(r.language == "en" for r in records) == 10 and sum(r.language == "fr" for r in records) == 20
    assert read_split(tmp_path / "out", "test")


def test_io_scheme(synth_dir, tmp_path):
    prepare(PrepareConfig(data_dir=synth_dir, out=tmp_path / "out", scheme="io"))
    labels = json.loads((tmp_path / "out" / "label_mappings.json").read_text())
    assert labels["scheme"] == "io" and not any(l.startswith(("B-", "I-")) for l in labels["labels"])


def test_bad_line_leaves_nothing_behind_and_skip_invalid_counts(tmp_path):
    data = tmp_path / "data"
    good = {"text": "Call Bob", "language": "en", "spans": [{"start": 5, "end": 8, "label": "FIRSTNAME"}]}
    write_jsonl(data / "english_x.jsonl", [good, {"text": "Call Bob", "spans": [{"start": 5, "end": 9,
                                                                                   "label": "FIRSTNAME"}]}, good])
    with pytest.raises(ValueError, match=r"english_x\.jsonl, line 2: span \[5, 9\) FIRSTNAME is out of range"):
        prepare(PrepareConfig(data_dir=data, out=tmp_path / "out"))
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
    result = prepare(PrepareConfig(data_dir=data, out=tmp_path / "out", skip_invalid=True))
    assert result.read_report.skipped == 1 and result.read_report.records == 2


def test_existing_output_needs_overwrite(synth_dir, tmp_path):
    out = tmp_path / "out"
    prepare(PrepareConfig(data_dir=synth_dir, out=out))
    before = (out / "train.jsonl").read_bytes()
    with pytest.raises(ValueError, match="pass --overwrite"):
        prepare(PrepareConfig(data_dir=synth_dir, out=out, seed=9))
    assert (out / "train.jsonl").read_bytes() == before
    prepare(PrepareConfig(data_dir=synth_dir, out=out, seed=9, overwrite=True))
    assert (out / "train.jsonl").read_bytes() != before


def test_bad_options(synth_dir, tmp_path):
    with pytest.raises(ValueError, match="--val-fraction"):
        prepare(PrepareConfig(data_dir=synth_dir, out=tmp_path / "o", val_fraction=1.5))
    with pytest.raises(ValueError, match="--data-dir or at least one --input"):
        prepare(PrepareConfig(out=tmp_path / "o"))
    with pytest.raises(FileNotFoundError, match="no such folder"):
        prepare(PrepareConfig(data_dir=tmp_path / "missing"))


def test_synth_and_prepare_command_lines(tmp_path):
    data = tmp_path / "data"
    synth = CliRunner().invoke(main, ["synth", "--n-english", "12", "--n-french", "8", "--out", str(data),
                                      "--seed", "3"])
    assert synth.exit_code == 0, synth.output
    assert "12 English, 8 French" in synth.output
    assert sorted(p.name for p in data.iterdir()) == ["english_synthetic.jsonl", "french_synthetic.jsonl"]
    again = CliRunner().invoke(main, ["synth", "--out", str(data)])
    assert again.exit_code != 0 and "--overwrite" in again.output
    prepared = CliRunner().invoke(main, ["prepare", "--data-dir", str(data), "--val-fraction", "0.25"])
    assert prepared.exit_code == 0, prepared.output
    assert (data / "token_classification" / "train.jsonl").is_file() and "prepare: done" in prepared.output
    bad = CliRunner().invoke(main, ["prepare", "--input", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "none.jsonl: no such corpus file" in bad.output
