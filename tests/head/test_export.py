"""`export-hf`: the exported transformers checkpoint gives the head's logits, and in
`pipeline("token-classification")` finds the entities the head finds; heads that read middle layers,
the echo context or neighbours export with their own modeling code (`trust_remote_code=True`).

The pipeline's "simple" aggregation is greedy decoding of each token with the lenient BIO reading
(`I-X` after `O` opens an entity), so it matches a head that decodes greedily token by token; its
word aggregations ("first", ...) cut words by another rule than the head's word scores, and no
aggregation reproduces Viterbi. Span scores differ where a span holds a whitespace-only token (the
pipeline averages it in, the head does not), so only spans are compared."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from extract.cache_reader import CacheReader
from extract.extractor import ExtractConfig, run_extract
from extract.records import Span
from head.checkpoint import load_head
from head.configs import Hyperparameters
from head.export import ExportConfig, export_hf
from head.fit import FitConfig, fit_head
from head.span_rules import trim_punctuation
from head.tagger import Tagger


def with_outside_bias(head: Path, out: Path, bias: float) -> Path:
    """A copy of `head` whose every operating point takes O bias `bias`: what fit-head chooses on a
    random backbone's val may be 0, and the export must be seen to fold a bias that is not."""
    shutil.copytree(head, out)
    meta = json.loads((out / "head.json").read_text())
    meta["decoding"]["outside_bias"] = bias
    for point in (meta["decoding"].get("operating_points") or {}).values():
        point["outside_bias"] = bias
    (out / "head.json").write_text(json.dumps(meta))
    return out


def test_export_hf_gives_the_heads_logits_and_runs_in_a_pipeline(last_layer_head, tmp_path, tiny_model_dir):
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer, pipeline

    out = tmp_path / "exported"
    last_layer_head = with_outside_bias(last_layer_head, tmp_path / "head", 1.5)
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
    assert entities and {e["entity_group"] for e in entities} <= set(loaded.scheme.entity_types)


def exported_logits_match(head: Path, out: Path, text: str) -> int:
    """Export `head` with its own modeling code; its per-token logits equal the head's on `text`.
    Returns the number of text tokens compared."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from extract.tokens import tokenize_texts

    result = export_hf(ExportConfig(head=head, out=out))
    assert "trust_remote_code" in result.model_class and (out / "modeling_pii_tagger.py").is_file()
    model = AutoModelForTokenClassification.from_pretrained(out, trust_remote_code=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(out, trust_remote_code=True)
    tagger = Tagger.from_pretrained(head, dtype="float32")
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0].numpy()
    tokenized, _ = tokenize_texts(tagger.tokenizer, [text])
    features, ptr = tagger.features(tokenized)
    expected = tagger.loaded.head.decision_function(features, ptr)  # [T, C]
    expected[:, 0] -= tagger.loaded.outside_bias
    first = len(tagger.builder.prefix_special)
    np.testing.assert_allclose(logits[first:first + len(expected)], expected, rtol=1e-4, atol=1e-4)
    entities = pipeline("token-classification", model=str(out), trust_remote_code=True,
                        aggregation_strategy="simple")(text)
    assert {e["entity_group"] for e in entities} <= set(tagger.loaded.scheme.entity_types)
    return len(expected)


def test_a_middle_layers_head_exports_with_its_own_code_and_gives_its_logits(tiny_head, tmp_path):
    assert load_head(tiny_head).spec.layers == [1, 2]  # a middle layer and the final normed one
    exported_logits_match(tiny_head, tmp_path / "out", "Bonjour, je suis Marie Curie, marie.curie@example.fr")


def test_echo_and_context_window_heads_export_too_over_several_windows(echo_head, tiny_cache, tmp_path):
    text = " ".join(f"Appelez Jean Dupont au 06 12 34 56 {i:02d}, ou jean{i}@exemple.fr." for i in range(12))
    assert exported_logits_match(echo_head, tmp_path / "echo", text) > 160  # more than one echo window
    fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "cw", layers="-1", context_window=2,
                       context_both_sides=True, lrs=(1e-2,), hp=Hyperparameters(epochs=2), progress=False))
    loaded = load_head(tmp_path / "cw")
    assert loaded.spec.context_window == 2 and loaded.head.coef_.shape[1] == 5 * 64
    exported_logits_match(tmp_path / "cw", tmp_path / "cw-out", text)


@pytest.fixture(scope="module")
def exported(prepared_dir, tiny_model_dir, tmp_path_factory) -> tuple[Path, Path, Path]:
    """A plain cache of the last layer in windows long enough for every text, a greedy head on it,
    and its export: (cache, head, exported model). float32 features: `predict` rounds its features
    as the cache did, and float16 rounding would flip near ties against the float32 export."""
    root = tmp_path_factory.mktemp("export-pipeline")
    run_extract(ExtractConfig(data=prepared_dir, out=root / "cache", model=str(tiny_model_dir), dtype="float32",
                              layers="-1", max_length=512, feature_dtype="float32", progress=False))
    fit_head(FitConfig(cache=root / "cache", out=root / "fitted", lrs=(3e-2,), decode="greedy", word_scores="token",
                       hp=Hyperparameters(epochs=6, batch_tokens=256), progress=False))
    head = with_outside_bias(root / "fitted", root / "head", 1.0)
    export_hf(ExportConfig(head=head, out=root / "exported"))
    return root / "cache", head, root / "exported"


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A pipeline entity's range without the leading space its first SentencePiece token carries."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def test_pipeline_entities_equal_the_heads_greedy_spans(exported):
    from transformers import pipeline

    cache, head_dir, model_dir = exported
    # The exported model is the head alone: the rule layer (head/rules.py) runs outside it.
    tagger = Tagger.from_pretrained(dataclasses.replace(load_head(head_dir), rules=False))
    assert tagger.loaded.decode == "greedy"
    # Texts that fit one window: the exported model reads a text in one pass, the head in windows.
    window = tagger.builder.window
    texts = [r.text for r in CacheReader(cache).read_split("val").records
             if len(tagger.tokenizer(r.text, add_special_tokens=False)["input_ids"]) <= window][:12]
    assert len(texts) >= 8
    tagged = tagger.tag(texts, min_score=0.0)
    ours = [[(s.start, s.end, s.label) for s in t.spans] for t in tagged]
    assert sum(map(len, ours)) >= 10, "too few predicted entities for the comparison to mean anything"

    classifier = pipeline("token-classification", model=str(model_dir), aggregation_strategy="simple")
    theirs = []
    for text, entities in zip(texts, classifier(texts), strict=True):
        spans = [Span(*trimmed(text, int(e["start"]), int(e["end"])), e["entity_group"]) for e in entities]
        # The head's spans lose unpaired punctuation at their ends (a token's "," is no part of a
        # name); a group of whitespace or punctuation alone is no entity to it.
        theirs.append([tuple(s) for s in trim_punctuation(text, [s for s in spans if s.start < s.end])])
    assert theirs == ours


def test_the_exported_code_plans_windows_as_the_cache_did():
    """modeling_pii_tagger.py runs without this project's code, so it carries its own copy."""
    from extract.tokens import plan_windows
    from head.export import _load_code

    copy = _load_code().plan_windows
    for n in range(0, 300, 7):
        for window, stride in ((64, 16), (70, 33), (128, 127)):
            for centred in (False, True):
                assert copy(n, window, stride, centred) == plan_windows(n, window, stride, centred=centred)
