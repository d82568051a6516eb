"""From token scores to scored spans: BIO Viterbi against enumerating every valid sequence, words
never cut, word scores and span scores as defined, and broken scores refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from extract.errors import NonFiniteError
from extract.labels import LabelScheme, same_word, trim_offsets
from extract.records import Span
from head.decoding import (
    AGGREGATIONS,
    greedy,
    is_valid_bio,
    span_scores,
    tag_block,
    unit_log_probs,
    viterbi,
    word_units,
)
from tests.helpers import offsets_of

SCHEME = LabelScheme("bio", ("A", "B"))  # O, B-A, I-A, B-B, I-B
ABC = LabelScheme("bio", ("A", "B", "C"))  # O, B-A, I-A, B-B, I-B, B-C, I-C

# --- Viterbi ------------------------------------------------------------------------------------


def brute_force_best(log_probs: np.ndarray, scheme: LabelScheme) -> tuple[float, list[tuple[int, ...]]]:
    """Best total log-probability over every valid BIO sequence, and the sequences reaching it."""
    t, c = log_probs.shape
    sequences = [s for s in itertools.product(range(c), repeat=t) if is_valid_bio(s, scheme)]
    totals = np.array([sum(float(log_probs[i, label]) for i, label in enumerate(s)) for s in sequences])
    best = totals.max()
    return float(best), [s for s, total in zip(sequences, totals) if total >= best - 1e-6]


@pytest.mark.parametrize("entity_types", [("A", "B"), ("A", "B", "C")])
@pytest.mark.parametrize("seed", range(6))
def test_viterbi_finds_the_best_valid_sequence_of_every_example(entity_types, seed):
    scheme = LabelScheme("bio", entity_types)
    rng = np.random.default_rng(seed)
    lengths = rng.permutation([1, 2, 3, 4, 5])  # several examples of different lengths, decoded together
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    # Peaked, random scores: greedy often opens an entity with I-X, which Viterbi must repair.
    logits = torch.from_numpy(rng.normal(scale=3.0, size=(int(ptr[-1]), len(scheme.labels))))
    log_probs = torch.log_softmax(logits, dim=1).float().numpy()  # float32, as the head gives
    labels = viterbi(log_probs, ptr, scheme)
    for e in range(len(lengths)):
        rows = slice(ptr[e], ptr[e + 1])
        path = labels[rows]
        best, argbest = brute_force_best(log_probs[rows], scheme)
        assert is_valid_bio(path, scheme)
        assert float(log_probs[rows][np.arange(len(path)), path].astype(np.float64).sum()) == pytest.approx(best, abs=1e-6)
        if len(argbest) == 1:
            assert tuple(path.tolist()) == argbest[0]


def test_viterbi_cases_include_invalid_greedy_paths():
    """Guards the test above: random peaked scores do produce greedy paths Viterbi must change."""
    scheme = LabelScheme("bio", ("A", "B", "C"))
    invalid = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        lengths = rng.permutation([1, 2, 3, 4, 5])
        logits = torch.from_numpy(rng.normal(scale=3.0, size=(int(lengths.sum()), len(scheme.labels))))
        greedy = torch.log_softmax(logits, 1).argmax(1).numpy()
        ptr = np.concatenate([[0], np.cumsum(lengths)])
        invalid += sum(not is_valid_bio(greedy[ptr[e]:ptr[e + 1]], scheme) for e in range(len(lengths)))
    assert invalid >= 5


@settings(max_examples=200, deadline=None)
@given(scores=arrays(np.float64, st.tuples(st.integers(1, 12), st.just(7)),
                     elements=st.floats(-8, 0, allow_nan=False)),
       cut=st.integers(0, 12))
def test_viterbi_never_outputs_invalid_bio(scores, cut):
    """Two examples decoded together (either may be empty): each is valid BIO, and equals greedy
    decoding where greedy is valid already."""
    cut = min(cut, len(scores))
    ptr = np.array([0, cut, len(scores)])
    labels = viterbi(scores, ptr, ABC)
    assert is_valid_bio(labels[:cut], ABC) and is_valid_bio(labels[cut:], ABC)
    for rows in (slice(0, cut), slice(cut, len(scores))):
        best = greedy(scores[rows])
        top_two = np.sort(scores[rows], axis=1)[:, -2:]
        # Only where greedy is the single best path: with a tie (found: 0 vs -2e-309, which float64
        # absorbs once summed) either answer is right.
        if is_valid_bio(best, ABC) and np.all(top_two[:, 1] - top_two[:, 0] > 1e-9):
            assert np.array_equal(labels[rows], best)


def test_viterbi_repairs_an_inside_after_outside():
    scores = np.log(np.array([
        [0.9, 0.05, 0.05, 0, 0, 0, 0],  # O
        [0.4, 0.0, 0.6, 0, 0, 0, 0],  # greedy says I-A after O; B-A is impossible (prob 0)
    ]) + 1e-12)
    labels = viterbi(scores, np.array([0, 2]), ABC)
    assert labels.tolist() == [0, 0]  # O,O (0.36) beats B-A,I-A (0.03); O,I-A is not allowed


# --- words and span scores ------------------------------------------------------------------------


def test_words_are_runs_of_letters_and_digits():
    text, offsets = offsets_of(["Call", " Orth", "oped", "ics", " ", "2", "0", "1", "7", " je", "an", ".", "dup",
                                "ont", " Kč", "574", "888", " Q", "1", " GB", "29", "NW", "BK"])
    units, unit_ptr = word_units([text], offsets, np.array([0, len(offsets)]))
    words = {}
    for token, unit in enumerate(units):
        start, end = trim_offsets(text, offsets[token:token + 1])[0]
        words.setdefault(unit, []).append(text[start:end])
    assert ["".join(parts) for parts in words.values()] == \
        ["Call", "Orthopedics", "", "2017", "jean", ".", "dupont", "Kč574888", "Q1", "GB29NWBK"]
    assert unit_ptr.tolist() == [0, 10]


def log_probs_strategy(n_tokens: int):
    return st.lists(st.lists(st.floats(0.01, 1.0), min_size=5, max_size=5), min_size=n_tokens, max_size=n_tokens)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), how=st.sampled_from(AGGREGATIONS[1:]), method=st.sampled_from(["greedy", "viterbi"]))
def test_no_span_starts_or_ends_inside_a_word(data, how, method):
    pieces = ["Dr", ".", " Orth", "oped", "ics", " 20", "17", " ab", "12", " x", "@", "y", ".", "fr"]
    text, offsets = offsets_of(pieces)
    probs = np.array(data.draw(log_probs_strategy(len(pieces))))
    log_probs = np.log(probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    tagging = tag_block(log_probs, np.array([0, len(pieces)]), [text], offsets, SCHEME, method, how)
    for span in tagging.spans[0]:
        assert not (span.start > 0 and same_word(text[span.start - 1], text[span.start])), span
        assert not (span.end < len(text) and same_word(text[span.end - 1], text[span.end])), span
        assert text[span.start:span.end] == text[span.start:span.end].strip()


def test_word_scores_first_mean_and_max_by_hand():
    # One word of two tokens. Token 1: O .5, B-A .3, I-A .1, B-B .05, I-B .05; token 2: O .1, B-A .1, I-A .6, ...
    probs = np.array([[0.5, 0.3, 0.1, 0.05, 0.05], [0.1, 0.1, 0.6, 0.1, 0.1]])
    log_probs = np.log(probs).astype(np.float32)
    units = np.array([0, 0])
    np.testing.assert_allclose(unit_log_probs(log_probs, units, 1, SCHEME, "first"), log_probs[:1])
    # Type A mass: .4 then .7; begin/inside split from the first token: B .3/.4, I .1/.4.
    mean = unit_log_probs(log_probs, units, 1, SCHEME, "mean")[0]
    expected_a = (np.log(0.4) + np.log(0.7)) / 2
    np.testing.assert_allclose(mean[0], (np.log(0.5) + np.log(0.1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(mean[1], expected_a + np.log(0.3 / 0.4), rtol=1e-6)
    np.testing.assert_allclose(mean[2], expected_a + np.log(0.1 / 0.4), rtol=1e-6)
    maximum = unit_log_probs(log_probs, units, 1, SCHEME, "max")[0]
    np.testing.assert_allclose(maximum[1], np.log(0.7) + np.log(0.3 / 0.4), rtol=1e-6)
    np.testing.assert_allclose(maximum[0], np.log(0.5), rtol=1e-6)


def test_a_word_decodes_as_one_entity_with_inside_labels_after_the_first_token():
    text, offsets = offsets_of(["Call", " Orth", "oped", "ics"])
    probs = np.full((4, 5), 0.01)
    probs[0, 0] = probs[1, 1] = probs[2, 0] = probs[3, 2] = 0.96  # token-wise: O, B-A, O, I-A
    tagging = tag_block(np.log(probs / probs.sum(1, keepdims=True)).astype(np.float32), np.array([0, 4]), [text],
                        offsets, SCHEME, "viterbi", "first")
    assert tagging.labels.tolist() == [0, 1, 2, 2]
    assert [(s.start, s.end, s.label) for s in tagging.spans[0]] == [(5, 16, "A")]
    tokenwise = tag_block(np.log(probs / probs.sum(1, keepdims=True)).astype(np.float32), np.array([0, 4]), [text],
                          offsets, SCHEME, "viterbi", "token")
    assert [text[s.start:s.end] for s in tokenwise.spans[0]] == ["Orth"]  # a fragment: what word scores prevent


def test_span_scores_are_the_mean_chosen_probability_of_the_spans_tokens():
    text, offsets = offsets_of(["Jean", " Du", "pont", " at", " 06", " 12"])
    chosen = np.array([0.9, 0.8, 0.6, 0.99, 0.5, 0.7])
    spans = [Span(0, 4, "A"), Span(5, 11, "B"), Span(15, 20, "A")]
    np.testing.assert_allclose(span_scores(text, offsets, chosen, spans), [0.9, 0.7, 0.6])


def test_a_widened_span_is_scored_on_the_tokens_the_head_labelled():
    """The run's other tokens carry p(O): averaging them in would raise a doubtful span's score."""
    text, offsets = offsets_of(["ip", " 34", ".", "70", ".", "62", ".", "39", " ok"])
    probs = np.full((9, 3), 0.005)
    probs[:, 0] = 0.99  # O
    probs[1:5, 0] = 0.2
    probs[1, 1] = probs[2, 2] = probs[3, 2] = probs[4, 2] = 0.6  # "34.70." as B-IPV4 I I I
    tagging = tag_block(np.log(probs / probs.sum(1, keepdims=True)).astype(np.float32), np.array([0, 9]), [text],
                        offsets, LabelScheme("bio", ("IPV4",)), "viterbi", "token")
    [span] = tagging.spans[0]
    assert text[span.start:span.end] == "34.70.62.39"
    assert span.score == pytest.approx(0.6 / probs[1].sum(), rel=1e-5)  # the four labelled tokens only


def test_non_finite_scores_fail_closed():
    text, offsets = offsets_of(["Call", " Bob"])
    log_probs = np.full((2, 5), np.log(0.2), dtype=np.float32)
    log_probs[1, 2] = np.nan
    with pytest.raises(NonFiniteError, match="non-finite scores"):
        tag_block(log_probs, np.array([0, 2]), [text], offsets, SCHEME)


def test_the_rule_layer_adds_and_widens_spans_and_never_deletes_one():
    """A validated match (head/rules.py) the head missed is added; one it cut is widened; the head's
    other spans stay, and its label stays on what it widened."""
    tokens = ["Bob", " tel", " 06", " 12", " 34", " 56", " 78", " card", " 4111", " 1111", " 1111", " 1111"]
    text, offsets = offsets_of(tokens)
    probs = np.full((len(tokens), 3), 0.01)
    probs[:, 0] = 0.98  # O everywhere ...
    probs[0] = [0.01, 0.98, 0.01]  # ... but "Bob" (B-X)
    probs[2] = [0.01, 0.98, 0.01]  # and "06" of the phone number, which the head cuts short
    scheme = LabelScheme("bio", ("X",))
    log_probs = np.log(probs / probs.sum(1, keepdims=True)).astype(np.float32)
    plain, ruled = (tag_block(log_probs, np.array([0, len(tokens)]), [text], offsets, scheme, "viterbi", "token",
                              rules=rules).spans[0] for rules in (False, True))
    assert [(text[s.start:s.end], s.label) for s in plain] == [("Bob", "X"), ("06", "X")]
    assert [(text[s.start:s.end], s.label, s.score) for s in ruled] == [
        ("Bob", "X", plain[0].score), ("06 12 34 56 78", "X", 1.0), ("4111 1111 1111 1111", "CREDITCARDNUMBER", 1.0)]


def test_a_proven_form_takes_its_own_label_where_it_is_most_of_the_span():
    from head.decoding import ScoredSpan, merge_rule_spans
    from head.rules import rule_spans

    text = "server 192.168.10.24 or call 06 12 34 56 78, mail ana@example.org now"
    at = lambda value, label: ScoredSpan(text.index(value), text.index(value) + len(value), label, 0.7)  # noqa: E731
    head = [at("192.168", "PHONENUMBER"), at("06 12", "SSN"), at("mail ana@example.org", "USERNAME")]
    merged = {text[s.start:s.end]: s.label for s in merge_rule_spans(head, rule_spans(text))}
    assert merged == {"192.168.10.24": "IPV4",  # proven by its parser: the address's own label
                      "06 12 34 56 78": "SSN",  # a phone by its shape proves less: the head's label stays
                      "mail ana@example.org": "EMAIL"}  # the e-mail is most of what it widened
    tiny = [at("or call 06 12 34 56 78, mail ana@example.org", "LASTNAME")]
    assert {s.label for s in merge_rule_spans(tiny, [m for m in rule_spans(text) if m.label == "EMAIL"])} == {"LASTNAME"}
