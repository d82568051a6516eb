"""From token scores to spans: words never cut, word scores as defined, span scores exact, the
threshold chosen on val, and broken scores refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from head.validation import choose_threshold, threshold_curve
from extract.errors import NonFiniteError
from extract.labels import LabelScheme, same_word, trim_offsets
from extract.records import Span
from head.decoding import AGGREGATIONS, ScoredSpan, span_scores, tag_block, unit_log_probs, word_units
from head.span_rules import trim_punctuation

SCHEME = LabelScheme("bio", ("A", "B"))  # O, B-A, I-A, B-B, I-B


def offsets_of(pieces: list[str]) -> tuple[str, np.ndarray]:
    """A text cut into the given tokens (SentencePiece-like: a token may carry its leading space)."""
    text, offsets = "", []
    for piece in pieces:
        offsets.append((len(text), len(text) + len(piece)))
        text += piece
    return text, np.array(offsets)


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


def test_non_finite_scores_fail_closed():
    text, offsets = offsets_of(["Call", " Bob"])
    log_probs = np.full((2, 5), np.log(0.2), dtype=np.float32)
    log_probs[1, 2] = np.nan
    with pytest.raises(NonFiniteError, match="non-finite scores"):
        tag_block(log_probs, np.array([0, 2]), [text], offsets, SCHEME)


def test_the_threshold_curve_and_its_choice_by_hand():
    gold = [[Span(0, 4, "A")], [Span(0, 3, "B")], []]
    scored = [[ScoredSpan(0, 4, "A", 0.9)], [ScoredSpan(0, 3, "B", 0.4)], [ScoredSpan(5, 9, "A", 0.2)]]
    points = {round(p["threshold"], 2): p for p in threshold_curve(scored, gold)}
    assert sorted(points) == [0.0, 0.2, 0.4, 0.9]
    assert (points[0.2]["precision"], points[0.2]["recall"]) == (2 / 3, 1.0)  # a span scoring 0.2 is kept at 0.2
    assert (points[0.4]["precision"], points[0.4]["recall"]) == (1.0, 1.0)
    assert (points[0.9]["precision"], points[0.9]["recall"]) == (1.0, 0.5)
    assert choose_threshold(list(points.values()), "f1") == choose_threshold(list(points.values()), "f5") == 0.4


def test_f5_keeps_low_scoring_hits_that_f1_would_drop():
    # Three entities; hits score 0.9, 0.4 and 0.1, three false alarms score 0.3, 0.2 and 0.15.
    gold = [[Span(0, 1, "A")], [Span(0, 1, "A")], [Span(0, 1, "A")], [], [], []]
    scored = [[ScoredSpan(0, 1, "A", 0.9)], [ScoredSpan(0, 1, "A", 0.4)], [ScoredSpan(0, 1, "A", 0.1)],
              [ScoredSpan(0, 1, "A", 0.3)], [ScoredSpan(0, 1, "A", 0.2)], [ScoredSpan(0, 1, "A", 0.15)]]
    points = threshold_curve(scored, gold)
    # At 0: P 3/6, R 1, F1 .667, F5 26 * .5 / (25 * .5 + 1) = .963; at .4: P 1, R 2/3, F1 .8, F5 .675.
    assert choose_threshold(points, "f1") == 0.4
    assert choose_threshold(points, "f5") == 0.0
    with pytest.raises(ValueError, match="`threshold_metric`"):
        choose_threshold(points, "f2")


@pytest.mark.parametrize("text, expected", [
    ("Lead Customer Success Consultant,", "Lead Customer Success Consultant"),  # a token's trailing comma
    ("(555) 123-4567", "(555) 123-4567"),  # a bracket with its partner stays
    ("(555", "555"),
    ("« Allain et Associés »", "Allain et Associés"),  # quotes around a name are not the name
    ('"Acme', "Acme"),
    ("Dr.", "Dr."),  # a period may end an entity (Dr., Inc., Jr.)
    ('"Acme" and "Foo"', '"Acme" and "Foo"'),  # two quoted names in one span: no outer pair to strip
    (",", None),  # nothing left: no span
])
def test_spans_lose_unpaired_punctuation_at_their_ends(text, expected):
    padded = f"x {text} y"
    trimmed = trim_punctuation(padded, [Span(2, 2 + len(text), "A")])
    assert [padded[s.start:s.end] for s in trimmed] == ([expected] if expected else [])
    assert all(s.label == "A" for s in trimmed)


@pytest.mark.parametrize("text, label, expected", [
    ("193.41.39.79.", "IPV4", "193.41.39.79"), ("https://deep-cardboard.biz.", "URL", "https://deep-cardboard.biz"),
    ("ana.b@mail.fr.", "EMAIL", "ana.b@mail.fr"), ("12.03.2021.", "DATE", "12.03.2021"),
    ("3 Jan.", "DATE", "3 Jan."), ("J.", "MIDDLENAME", "J."), ("M.", "PREFIX", "M."), ("Smith & Co.", "COMPANYNAME", "Smith & Co."),
    ("P@ss.", "PASSWORD", "P@ss."), (".", "IPV4", "."),
    # inside a closing bracket, quote or comma too
    ("10.0.0.1.)", "IPV4", "10.0.0.1"), ("«ana@x.fr.»", "EMAIL", "ana@x.fr"), ("ana@x.fr.,", "EMAIL", "ana@x.fr"),
])
def test_a_final_full_stop_goes_only_where_the_type_never_ends_in_one(text, label, expected):
    """"Write to 10.0.0.1." hides the address, not the sentence's full stop; "M." and "J." keep theirs."""
    padded = f"x {text} y"
    assert [padded[s.start:s.end] for s in trim_punctuation(padded, [Span(2, 2 + len(text), label)])] == [expected]


@pytest.mark.parametrize("text, span, expected", [
    ("from 34.70.62.39 today", (5, 11, "IPV4"), ["34.70.62.39"]),  # "34.70." was decoded
    ("ip 10.0.0.1.", (6, 12, "IPV4"), ["10.0.0.1"]),  # widened, then the sentence's full stop goes
    ("mail (ana.b@x.fr), ok", (10, 15, "EMAIL"), ["ana.b@x.fr"]),
    ("34.70.62.39", (3, 5, "AMOUNT"), ["70"]),  # other types are not widened
])
def test_spans_of_spaceless_addresses_cover_the_whole_address(text, span, expected):
    assert [text[s.start:s.end] for s in trim_punctuation(text, [Span(*span)])] == expected


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


def test_widening_never_runs_into_the_next_span():
    text = "1.2.3.4.5.6.7.8"
    spans = trim_punctuation(text, [Span(0, 3, "IPV4"), Span(8, 11, "IPV4")])
    assert [text[s.start:s.end] for s in spans] == ["1.2.3.4", "5.6.7.8"]


@pytest.mark.parametrize("value, label", [("P@ssw0rd!", "PASSWORD"), ("fe80::", "IPV6"), ("https://x.fr/?", "URL")])
def test_values_that_end_in_their_own_punctuation_are_kept(value, label):
    padded = f"x {value} y"
    assert trim_punctuation(padded, [Span(2, 2 + len(value), label)]) == [Span(2, 2 + len(value), label)]
