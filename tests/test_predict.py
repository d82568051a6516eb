"""`predict` and `export-hf` with the tiny Mistral: same labels as evaluate on cached texts,
redaction, long and odd input, a transformers checkpoint with the same logits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from extract.cache_reader import CacheReader
from extract.records import Span
from head.checkpoint import load_head
from head.export import ExportConfig, export_hf
from head.tagger import PredictedSpan, Tagger, mask_text
from head.fit import FitConfig, fit_head
from head.trainer import Hyperparameters


@pytest.fixture(scope="module")
def tagger(tiny_head) -> Tagger:
    return Tagger.from_pretrained(tiny_head)


@pytest.fixture(scope="module")
def last_layer_head(tiny_cache, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("last") / "head"
    fit_head(FitConfig(cache=tiny_cache, out=out, layers="-1", lrs=(1e-2,), hp=Hyperparameters(epochs=3),
                       progress=False))
    return out


def test_predict_without_options_returns_the_spans_evaluate_counts(tiny_cache, tiny_head, tmp_path):
    import shutil

    from evaluation.evaluate import EvaluateConfig, evaluate, predictions_from_cache

    # A copy of the head whose threshold drops about half the spans, so that applying it or not shows.
    head = tmp_path / "head"
    shutil.copytree(tiny_head, head)
    reader = CacheReader(tiny_cache)
    scores = [s.score for spans in predictions_from_cache(reader, load_head(head), "test").spans for s in spans]
    meta = json.loads((head / "head.json").read_text())
    meta["decoding"]["threshold"] = float(np.median(scores))
    (head / "head.json").write_text(json.dumps(meta))
    loaded, tagger = load_head(head), Tagger.from_pretrained(head)
    counted = predictions_from_cache(reader, loaded, "test")
    texts = [r.text for r in counted.records]
    tagged = tagger.tag(texts)  # no options: the head's threshold, as evaluate applies it
    expected = [[(s.start, s.end, s.label) for s in spans if s.score >= loaded.threshold] for spans in counted.spans]
    assert [[(s.start, s.end, s.label) for s in t.spans] for t in tagged] == expected
    assert any(expected), "the head predicts nothing: the comparison would be empty"
    everything = tagger.tag(texts, min_score=0.0)
    assert [[(s.start, s.end, s.label, round(s.score, 5)) for s in t.spans] for t in everything] == \
           [[(s.start, s.end, s.label, round(s.score, 5)) for s in spans] for spans in counted.spans]
    assert sum(map(len, expected)) < sum(len(t.spans) for t in everything)
    report = evaluate(EvaluateConfig(cache=tiny_cache, heads=(head,), out=tmp_path / "eval")).runs[0].metrics
    assert report["split"] == "test" and report["threshold"] == loaded.threshold
    assert report["entity"]["strict"]["overall"]["pred"] == sum(len(t.spans) for t in tagged)


def test_masked_text_uses_numbered_placeholders_per_value():
    text = "Jean Dupont wrote to Marie; Jean answered."
    spans = [PredictedSpan(0, 4, "FIRSTNAME", 0.9, "Jean"), PredictedSpan(5, 11, "LASTNAME", 0.9, "Dupont"),
             PredictedSpan(21, 26, "FIRSTNAME", 0.9, "Marie"), PredictedSpan(28, 32, "FIRSTNAME", 0.9, "Jean")]
    assert mask_text(text, spans) == "[FIRSTNAME_1] [LASTNAME_1] wrote to [FIRSTNAME_2]; [FIRSTNAME_1] answered."
    assert mask_text(text, [Span(0, 4, "FIRSTNAME")]) == "[FIRSTNAME_1] Dupont wrote to Marie; Jean answered."


def test_empty_and_very_long_texts(tagger):
    empty, = tagger.tag([""])
    assert empty.spans == [] and empty.masked_text == ""
    long_text = ("Contactez Jean Dupont au 06 12 34 56 78. " * 2500)[:100_000]
    tagged, = tagger.tag([long_text])
    assert len(tagged.text) == 100_000
    assert all(0 <= s.start < s.end <= len(long_text) and long_text[s.start:s.end] == s.text for s in tagged.spans)


def test_label_filter_and_min_score(tagger, tiny_cache):
    texts = [r.text for r in CacheReader(tiny_cache).read_split("val").records]
    everything = tagger.tag(texts, min_score=0.0)
    labels = sorted({s.label for t in everything for s in t.spans})
    kept = tagger.tag(texts, labels=labels[:1])
    assert {s.label for t in kept for s in t.spans} <= {labels[0]}
    confident = tagger.tag(texts, min_score=0.9)
    assert all(s.score >= 0.9 for t in confident for s in t.spans)
    assert sum(map(len, (t.spans for t in confident))) <= sum(map(len, (t.spans for t in everything)))
    with pytest.raises(ValueError, match="not labels of this head"):
        tagger.tag(texts, labels=["NOPE"])


def test_missing_backbone_names_it_and_says_how_to_override(tiny_head, tmp_path, tiny_model_dir):
    import shutil

    moved = tmp_path / "head"
    shutil.copytree(tiny_head, moved)
    meta = json.loads((moved / "head.json").read_text())
    meta["backbone"]["name_or_path"] = str(tmp_path / "gone-model")
    (moved / "head.json").write_text(json.dumps(meta))
    with pytest.raises(FileNotFoundError, match=r"gone-model.*`model`"):
        Tagger.from_pretrained(moved)
    assert Tagger.from_pretrained(moved, model=str(tiny_model_dir)).tag(["Bonjour"])[0].text == "Bonjour"


def test_export_hf_gives_the_heads_logits_and_runs_in_a_pipeline(last_layer_head, tmp_path, tiny_model_dir):
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer, pipeline

    out = tmp_path / "exported"
    result = export_hf(ExportConfig(head=last_layer_head, out=out))
    assert result.model_class == "MistralForTokenClassification"
    exported = AutoModelForTokenClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    loaded = load_head(last_layer_head)
    assert exported.config.id2label == dict(enumerate(loaded.scheme.labels))
    text = "Bonjour, je suis Marie Curie, marie.curie@example.fr"
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = exported(**encoded).logits[0, 1:].numpy()  # BOS has no cache row
        states = AutoModel.from_pretrained(tiny_model_dir)(**encoded).last_hidden_state[0, 1:].numpy()
    expected = loaded.head.decision_function(states)  # [T, C]
    expected[:, 0] -= loaded.outside_bias  # the O bias chosen on val lives in the exported O logit
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
    entities = pipeline("token-classification", model=str(out), aggregation_strategy="simple")(text)
    assert isinstance(entities, list)


def test_export_refuses_heads_a_token_classifier_cannot_express(tiny_head, tmp_path):
    with pytest.raises(ValueError, match=r"reads layers \[1, 2\].*`layers` -1"):
        export_hf(ExportConfig(head=tiny_head, out=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_predict_command_line(tiny_head, tmp_path):
    from cli import main

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


def test_predict_bad_input_lines(tiny_head, tmp_path):
    from cli import main

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


def test_export_command_line(last_layer_head, tmp_path):
    from cli import main

    result = CliRunner().invoke(main, ["export-hf", "--head", str(last_layer_head), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "config.json").is_file() and "MistralForTokenClassification" in result.output
