"""From texts to model inputs: window plans for long texts (hard-coded plans, every token stored
exactly once, each token taken from the window that gives it the context its reading can use),
and the echo reading, whose second copy gives the cached rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoModel

from extract.cache_reader import CacheReader
from extract.tokens import ECHO_TEMPLATE, InputFormat, SegmentBuilder, TokenizedText, load_tokenizer, plan_windows


# (n_tokens, window, stride) -> (plain plan, echo plan); each tuple is (start, end, keep_from).
PLANS = {
    (0, 8, 4): ([], []),
    (5, 8, 4): ([(0, 5, 0)], [(0, 5, 0)]),
    (8, 8, 4): ([(0, 8, 0)], [(0, 8, 0)]),
    (9, 8, 4): ([(0, 8, 0), (4, 9, 8)], [(0, 8, 0), (4, 9, 6)]),
    (10, 4, 0): ([(0, 4, 0), (4, 8, 4), (8, 10, 8)], [(0, 4, 0), (4, 8, 4), (8, 10, 8)]),
    (10, 6, 2): ([(0, 6, 0), (4, 10, 6)], [(0, 6, 0), (4, 10, 5)]),
    (13, 8, 3): ([(0, 8, 0), (5, 13, 8)], [(0, 8, 0), (5, 13, 6)]),
    (20, 8, 4): ([(0, 8, 0), (4, 12, 8), (8, 16, 12), (12, 20, 16)],
                 [(0, 8, 0), (4, 12, 6), (8, 16, 10), (12, 20, 14)]),
    (9, 5, 4): ([(0, 5, 0), (1, 6, 5), (2, 7, 6), (3, 8, 7), (4, 9, 8)],
                [(0, 5, 0), (1, 6, 3), (2, 7, 4), (3, 8, 5), (4, 9, 6)]),
}


@pytest.mark.parametrize("size", list(PLANS))
def test_window_plans_equal_hand_written_ones(size):
    plain, echo = PLANS[size]
    assert plan_windows(*size) == plain
    assert plan_windows(*size, centred=True) == echo


def kept_ranges(plan):
    """[keep_from, keep_to) of each window: up to the next window's keep_from, or its own end."""
    return [(keep_from, plan[i + 1][2] if i + 1 < len(plan) else end) for i, (_, end, keep_from) in enumerate(plan)]


def context_of(p, start, end):
    """Tokens a token at p has before and after it inside the window [start, end)."""
    return p - start, end - 1 - p


@settings(max_examples=400, deadline=None)
@given(n_tokens=st.integers(0, 300), window=st.integers(1, 40), stride_share=st.floats(0, 0.99),
       centred=st.booleans())
def test_every_token_is_kept_exactly_once_from_the_right_window(n_tokens, window, stride_share, centred):
    stride = min(window - 1, int(stride_share * window))
    plan = plan_windows(n_tokens, window, stride, centred)
    kept = np.concatenate([np.arange(a, b) for a, b in kept_ranges(plan)]) if plan else np.zeros(0, np.int64)
    assert kept.tolist() == list(range(n_tokens))  # each token once, in order
    for i, ((start, end, _), (keep_from, keep_to)) in enumerate(zip(plan, kept_ranges(plan))):
        assert 0 <= start <= keep_from <= keep_to <= end <= n_tokens and end - start <= window
        if i:
            assert start == plan[i - 1][1] - stride  # each window repeats `stride` tokens of the one before
    for (keep_from, keep_to), chosen in zip(kept_ranges(plan), plan):
        for p in range(keep_from, keep_to):
            holders = [w for w in plan if w[0] <= p < w[1]]
            if centred:  # no window gives p more context on its poorer side
                assert min(context_of(p, *chosen[:2])) == max(min(context_of(p, *w[:2])) for w in holders)
            else:  # the first window that holds p: the most left context
                assert chosen == holders[0]


def test_builder_plans_plain_and_echo_windows_and_keeps_the_second_copy(mistral_tokenizer):
    plain = SegmentBuilder(mistral_tokenizer, InputFormat(17, 4, "plain"))
    assert plain.window == 16  # BOS + 16 text tokens
    assert plain.windows(40) == [(0, 16, 0), (12, 28, 16), (24, 40, 28)]

    overhead = SegmentBuilder(mistral_tokenizer, InputFormat(512, 4, "echo")).overhead
    echo = SegmentBuilder(mistral_tokenizer, InputFormat(overhead + 2 * 16, 4, "echo"))
    assert echo.window == 16
    assert echo.windows(40) == [(0, 16, 0), (12, 28, 14), (24, 40, 26)]

    ids = np.arange(1000, 1040, dtype=np.int64)  # distinct ids: a position's id says which token it is
    for builder in (plain, echo):
        segments = builder.segments(3, TokenizedText(ids, np.zeros((40, 2), np.int64), None))
        assert np.concatenate([s.token_indices for s in segments]).tolist() == list(range(40))
        for segment, (start, end, _) in zip(segments, builder.windows(40), strict=True):
            assert segment.text_index == 3 and len(segment.input_ids) <= builder.fmt.max_length
            np.testing.assert_array_equal(segment.input_ids[segment.positions], ids[segment.token_indices])
            # the window's text ends the input (the second copy, for echo): kept positions lie in it
            text_from = len(segment.input_ids) - len(builder.suffix_special) - (end - start)
            assert segment.positions.min() >= text_from
            np.testing.assert_array_equal(segment.input_ids[text_from:text_from + end - start], ids[start:end])


# --- echo: the text read twice, the second copy's states cached ------------------------------------


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
