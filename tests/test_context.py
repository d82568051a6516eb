"""Right context for a causal backbone: echo extraction, neighbour features, BIO Viterbi decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from transformers import AutoModel

from evaluation.evaluate import EvaluateConfig, evaluate
from extract.cache_reader import CacheReader
from extract.extractor import ExtractConfig, run_extract
from extract.labels import LabelScheme
from extract.tokens import ECHO_TEMPLATE, InputFormat, SegmentBuilder, TokenizedText, load_tokenizer
from head.checkpoint import load_head
from head.data import FeatureSpec, Standardizer, head_inputs
from head.decoding import greedy, is_valid_bio, viterbi
from head.trainer import Hyperparameters
from head.tagger import Tagger
from head.fit import FitConfig, fit_head


@pytest.fixture(scope="module")
def echo_cache(prepared_dir, tiny_model_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("echo") / "cache"
    run_extract(ExtractConfig(data=prepared_dir, out=out, model=str(tiny_model_dir), dtype="float32", max_length=160,
                              stride=16, context="echo", progress=False))
    return out


@pytest.fixture(scope="module")
def echo_head(echo_cache, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("echo-head") / "head"
    fit_head(FitConfig(cache=echo_cache, out=out, lrs=(1e-2,), hp=Hyperparameters(epochs=3), progress=False))
    return out


def test_echo_rows_have_the_plain_rows_offsets_labels_and_ids(echo_cache, tiny_cache):
    echo, plain = CacheReader(echo_cache).read_split("val"), CacheReader(tiny_cache).read_split("val")
    assert [r.id for r in echo.records] == [r.id for r in plain.records]
    np.testing.assert_array_equal(echo.offsets, plain.offsets)
    np.testing.assert_array_equal(echo.labels, plain.labels)
    np.testing.assert_array_equal(echo.token_ids, plain.token_ids)
    assert CacheReader(echo_cache).fingerprint["input_format"]["template"] == ECHO_TEMPLATE


def test_echo_features_are_the_second_copys_states(echo_cache, tiny_model_dir):
    reader = CacheReader(echo_cache)
    data = reader.read_split("val", [2])
    tokenizer = load_tokenizer(str(tiny_model_dir))
    builder = SegmentBuilder(tokenizer, InputFormat(160, 16, "echo"))
    model = AutoModel.from_pretrained(tiny_model_dir).eval()
    e = int(np.argmin(np.diff(data.ptr)))  # a text that fits one window
    ids = data.token_ids[data.example_rows(e)]
    [segment] = builder.segments(0, TokenizedText(ids, data.offsets[data.example_rows(e)], None))
    prefix = tokenizer(ECHO_TEMPLATE.split("{text}")[0].rstrip(" "), add_special_tokens=False)["input_ids"]
    assert segment.input_ids[:1 + len(prefix)].tolist() == [1] + prefix  # BOS, instruction
    assert segment.input_ids[-len(ids):].tolist() == ids.tolist()  # the second copy ends the input
    with torch.no_grad():
        states = model(input_ids=torch.from_numpy(segment.input_ids)[None]).last_hidden_state[0]
    np.testing.assert_allclose(data.features[data.example_rows(e)], states[-len(ids):].numpy(), atol=2e-3, rtol=2e-3)


def test_an_echo_head_refuses_a_plain_cache(echo_head, tiny_cache, tmp_path):
    with pytest.raises(ValueError, match=r"other features.*input_format\.context"):
        evaluate(EvaluateConfig(cache=tiny_cache, heads=(echo_head,), out=tmp_path / "eval"))


def test_predict_with_an_echo_head_equals_evaluate(echo_head, echo_cache):
    loaded = load_head(echo_head)
    part = next(CacheReader(echo_cache).iter_shards("val", loaded.spec.layers))
    texts = [r.text for r in part.records]
    cached = loaded.tag(part.features, part.ptr, texts, part.offsets)
    tagged = Tagger.from_pretrained(echo_head).tag(texts, min_score=0.0)
    assert [[(s.start, s.end, s.label) for s in t.spans] for t in tagged] == \
           [[(s.start, s.end, s.label) for s in spans] for spans in cached.spans]


def test_context_window_features_equal_a_hand_built_concatenation():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(7, 3)).astype(np.float32)
    ptr = np.array([0, 4, 7])  # two examples: rows 0-3 and 4-6
    spec = FeatureSpec([1], context_window=1, context_both_sides=True)
    built = head_inputs(features, ptr, spec, Standardizer.identity(3), torch.device("cpu")).numpy()
    zero = np.zeros(3, dtype=np.float32)
    expected = []
    for row in range(7):
        start, end = (0, 4) if row < 4 else (4, 7)
        nxt = features[row + 1] if row + 1 < end else zero
        prev = features[row - 1] if row - 1 >= start else zero
        expected.append(np.concatenate([features[row], nxt, prev]))
    np.testing.assert_array_equal(built, np.stack(expected))


def test_context_window_head_trains_and_export_refuses_it(tiny_cache, tmp_path):
    from head.export import ExportConfig, export_hf

    fit_head(FitConfig(cache=tiny_cache, out=tmp_path / "cw", layers="-1", context_window=2, lrs=(1e-2,),
                       hp=Hyperparameters(epochs=2), progress=False))
    loaded = load_head(tmp_path / "cw")
    assert loaded.spec.context_window == 2 and loaded.head.coef_.shape[1] == 3 * 64
    with pytest.raises(ValueError, match="`context_window`"):
        export_hf(ExportConfig(head=tmp_path / "cw", out=tmp_path / "out"))


SCHEME = LabelScheme("bio", ("A", "B", "C"))


@settings(max_examples=200, deadline=None)
@given(scores=arrays(np.float64, st.tuples(st.integers(1, 12), st.just(7)),
                     elements=st.floats(-8, 0, allow_nan=False)),
       cut=st.integers(0, 12))
def test_viterbi_never_outputs_invalid_bio(scores, cut):
    cut = min(cut, len(scores))
    ptr = np.array([0, cut, len(scores)])
    labels = viterbi(scores, ptr, SCHEME)
    assert is_valid_bio(labels[:cut], SCHEME) and is_valid_bio(labels[cut:], SCHEME)


@settings(max_examples=200, deadline=None)
@given(scores=arrays(np.float64, st.tuples(st.integers(1, 12), st.just(7)), elements=st.floats(-8, 0)))
def test_viterbi_equals_greedy_when_greedy_is_valid(scores):
    ptr = np.array([0, len(scores)])
    best = greedy(scores)
    top_two = np.sort(scores, axis=1)[:, -2:]
    # Only where greedy is the single best path: with a tie (found: 0 vs -2e-309, which float64
    # absorbs once summed) either answer is right.
    if is_valid_bio(best, SCHEME) and np.all(top_two[:, 1] - top_two[:, 0] > 1e-9):
        assert np.array_equal(viterbi(scores, ptr, SCHEME), best)


def test_viterbi_repairs_an_inside_after_outside():
    scores = np.log(np.array([
        [0.9, 0.05, 0.05, 0, 0, 0, 0],  # O
        [0.4, 0.0, 0.6, 0, 0, 0, 0],  # greedy says I-A after O; B-A is impossible (prob 0)
    ]) + 1e-12)
    labels = viterbi(scores, np.array([0, 2]), SCHEME)
    assert labels.tolist() == [0, 0]  # O,O (0.36) beats B-A,I-A (0.03); O,I-A is not allowed
