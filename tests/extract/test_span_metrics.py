"""Predicted against gold spans, as a redactor cannot game them: the three matching modes,
one-to-one matching, character-level redaction counts and ignored regions, each against values
computed by hand or per character."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.records import Span
from extract.span_metrics import CharCounts, char_counts, char_recall_per_label, match_spans, score_corpus
from tests.helpers import DUPONT, FEMALE, I_JEAN, I_PHONE, IGNORED_TEXT, JEAN, JEAN_DUPONT, PHONE, prf1

MODES = ("strict", "overlap", "detection")


# 0         1         2         3
# 0123456789012345678901234567890123456789
# Call Jean Dupont at 06 12 34 56 78 now, or write to the office before the end of the month.
TEXT = "Call Jean Dupont at 06 12 34 56 78 now, or write to the office before the end of the month."


def _prf(counts) -> tuple[float, float]:
    return counts.precision, counts.recall


def _all(gold, pred, ignored=()) -> dict[str, tuple[float, float]]:
    """(precision, recall) per mode, rounded so hand-written fractions compare equal."""
    return {mode: tuple(round(x, 12) for x in _prf(match_spans(gold, pred, mode, ignored).total)) for mode in MODES}


def _r(*values: float) -> tuple[float, ...]:
    return tuple(round(x, 12) for x in values)


def _overall(gold: list[list[Span]], pred: list[list[Span]], mode: str) -> dict:
    """Counts over texts (gold and pred aligned by position), as evaluate reports them."""
    return score_corpus(gold, pred, mode).total.to_json()


def test_the_fixture_spans_cover_what_their_names_say():
    assert [TEXT[s.start:s.end] for s in (JEAN, DUPONT, JEAN_DUPONT, PHONE)] == [
        "Jean", "Dupont", "Jean Dupont", "06 12 34 56 78"]


# --------------------------------------------------------------------------------------------
# Hand-computed cases
# --------------------------------------------------------------------------------------------


def test_partial_overlap_misses_strict_and_hits_overlap():
    gold, pred = [[JEAN_DUPONT]], [[Span(5, 9, "NAME")]]
    assert prf1(_overall(gold, pred, "strict")) == (0.0, 0.0, 0.0)
    assert prf1(_overall(gold, pred, "overlap")) == (1.0, 1.0, 1.0)
    assert prf1(_overall(gold, pred, "detection")) == (1.0, 1.0, 1.0)


def test_wrong_label_misses_strict_and_overlap_and_hits_detection():
    gold, pred = [[JEAN_DUPONT]], [[Span(5, 16, "PHONE")]]
    assert prf1(_overall(gold, pred, "strict")) == (0.0, 0.0, 0.0)
    assert prf1(_overall(gold, pred, "overlap")) == (0.0, 0.0, 0.0)
    assert prf1(_overall(gold, pred, "detection")) == (1.0, 1.0, 1.0)


def test_a_text_wide_span_finds_one_entity_and_has_low_character_precision():
    gold, pred = [JEAN_DUPONT, PHONE], [Span(0, len(TEXT), "NAME")]
    # One prediction can be paired with one gold span only: P = 1/1, R = 1/2 in detection and
    # overlap (it carries NAME, the label of one of them); not equal to either in strict.
    assert _all(gold, pred) == {"strict": (0.0, 0.0), "overlap": (1.0, 0.5), "detection": (1.0, 0.5)}
    # Non-whitespace characters of TEXT, word by word: Call 4, Jean 4, Dupont 6, at 2,
    # 06 12 34 56 78 -> 10, "now," 4, or 2, write 5, to 2, the 3, office 6, before 6, the 3,
    # end 3, of 2, the 3, "month." 6 -> 71. Gold: "Jean Dupont" 10 + phone 10 = 20.
    # P = 20/71 (< 0.5), R = 20/20, F1 = 2 P R / (P + R) = (40/71) / (91/71) = 40/91,
    # F5 = 26 P R / (25 P + R) = (520/71) / (571/71) = 520/571.
    counts = char_counts(TEXT, gold, pred)
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (20, 71, 20)
    assert counts.precision == pytest.approx(20 / 71) and counts.precision < 0.5
    assert counts.recall == 1.0
    assert counts.f1 == pytest.approx(40 / 91)
    assert counts.fbeta(5.0) == pytest.approx(520 / 571)


def test_one_span_over_three_entities_is_one_hit():
    gold, pred = [JEAN, DUPONT, PHONE], [Span(0, len(TEXT), "FIRSTNAME")]
    # Detection: 1 pair out of 1 prediction and 3 gold spans -> P = 1/1, R = 1/3.
    detection = match_spans(gold, pred, "detection").total
    assert (detection.gold, detection.pred, detection.gold_matched, detection.pred_matched) == (3, 1, 1, 1)
    assert _prf(detection) == pytest.approx((1.0, 1 / 3))


def test_a_fragmented_entity_is_found_once():
    fragments = [Span(20, 22, "PHONE"), Span(23, 25, "PHONE"), Span(26, 28, "PHONE")]  # "06", "12", "34"
    # One gold span, three predictions of which one can be paired: R = 1/1, P = 1/3.
    assert _all([PHONE], fragments) == {"strict": (0.0, 0.0), "overlap": _r(1 / 3, 1.0), "detection": _r(1 / 3, 1.0)}
    # Characters: gold "06 12 34 56 78" has 10, the fragments hide 2 + 2 + 2 = 6, all inside it.
    # P = 6/6, R = 6/10, F1 = 2 * 0.6 / 1.6 = 0.75, F5 = 26 * 0.6 / (25 + 0.6) = 15.6 / 25.6.
    counts = char_counts(TEXT, [PHONE], fragments)
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (10, 6, 6)
    assert (counts.precision, counts.recall) == (1.0, 0.6)
    assert counts.f1 == pytest.approx(0.75)
    assert counts.fbeta(5.0) == pytest.approx(15.6 / 25.6)


def test_merged_first_and_last_name():
    gold, pred = [JEAN, DUPONT], [Span(5, 16, "FIRSTNAME")]  # "Jean Dupont" as one FIRSTNAME
    assert _all(gold, gold) == {mode: (1.0, 1.0) for mode in MODES}  # adjacent entities stay apart
    # Strict: equal to neither gold span -> 0 hits of 2 gold, 0 of 1 predicted.
    # Overlap: same label as JEAN only -> 1/1 predicted, 1/2 gold. Detection: one to one -> same:
    # the merged span finds one of the two entities, not both; F1 = 2 * 1 * 0.5 / 1.5 = 2/3.
    assert _all(gold, pred) == {"strict": (0.0, 0.0), "overlap": (1.0, 0.5), "detection": (1.0, 0.5)}
    strict = match_spans(gold, pred, "strict").total
    assert (strict.gold, strict.pred, strict.f1) == (2, 1, 0.0)
    assert match_spans(gold, pred, "detection").total.f1 == pytest.approx(2 / 3)
    # Characters: gold 4 + 6 = 10; the prediction covers 11 characters, one a space -> 10, all gold.
    counts = char_counts(TEXT, gold, pred)
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (10, 10, 10)
    assert (counts.precision, counts.recall, counts.f1, counts.fbeta(5.0)) == (1.0, 1.0, 1.0, 1.0)
    by_label = char_recall_per_label(TEXT, gold, pred)
    assert {label: row.to_json() for label, row in by_label.items()} == {
        "FIRSTNAME": {"gold_chars": 4, "hit_chars": 4, "recall": 1.0, "entities": 1, "partial": 0, "missed": 0,
                      "partial_leak_rate": 0.0, "found_rate": 1.0},
        "LASTNAME": {"gold_chars": 6, "hit_chars": 6, "recall": 1.0, "entities": 1, "partial": 0, "missed": 0,
                     "partial_leak_rate": 0.0, "found_rate": 1.0},
    }


def test_an_empty_prediction_scores_zero_everywhere():
    gold = [JEAN_DUPONT, PHONE]
    assert _all(gold, []) == {mode: (0.0, 0.0) for mode in MODES}
    strict = match_spans(gold, [], "strict").total
    assert (strict.gold, strict.pred, strict.f1) == (2, 0, 0.0)
    counts = char_counts(TEXT, gold, [])
    # 20 characters to hide, none hidden: P = 0 (nothing hidden while something had to be), R = 0/20.
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (20, 0, 0)
    assert (counts.precision, counts.recall, counts.f1, counts.fbeta(5.0)) == (0.0, 0.0, 0.0, 0.0)


def test_a_text_without_pii():
    text = "Nothing to see here."
    # Nothing to hide, nothing hidden: every figure is 1 (as Counts does for spans).
    assert _all([], []) == {mode: (1.0, 1.0) for mode in MODES}
    nothing = char_counts(text, [], [])
    assert (nothing.precision, nothing.recall, nothing.f1, nothing.fbeta(5.0)) == (1.0, 1.0, 1.0, 1.0)
    # Something hidden: "Nothing" is 7 false-alarm characters, precision 0/7.
    alarm = [Span(0, 7, "CITY")]
    assert {mode: p for mode, (p, _) in _all([], alarm).items()} == {mode: 0.0 for mode in MODES}
    strict = match_spans([], alarm, "strict").total
    assert (strict.gold, strict.pred, strict.f1) == (0, 1, 0.0)
    counts = char_counts(text, [], alarm)
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (0, 7, 0)
    assert counts.precision == 0.0 and counts.f1 == 0.0


def test_f5_by_hand():
    # 3 gold, 2 predicted, 1 exact: P = 1/2, R = 1/3, F5 = 26 PR / (25 P + R) = 26/77.
    gold = [[JEAN, DUPONT, PHONE]]
    pred = [[JEAN, Span(20, 25, "PHONE")]]
    counts = _overall(gold, pred, "strict")
    assert (counts["precision"], counts["recall"]) == pytest.approx((1 / 2, 1 / 3))
    assert counts["f5"] == pytest.approx(26 / 77)
    assert counts["f1"] == pytest.approx(2 / 5)


def test_ignored_fixture_positions():
    assert IGNORED_TEXT[I_JEAN.start:I_JEAN.end] == "Jean"
    assert IGNORED_TEXT[I_PHONE.start:I_PHONE.end] == "06 12 34 56 78"
    assert IGNORED_TEXT[FEMALE[0]:FEMALE[1]] == "female"


def test_a_prediction_inside_an_ignored_region_is_neither_hit_nor_false_alarm():
    gold = [I_JEAN, I_PHONE]
    inside = Span(*FEMALE, "FIRSTNAME")
    pred = [I_JEAN, inside, I_PHONE]
    # Without the region: 2 hits of 3 predictions (P = 2/3); with it, "female" counts nowhere.
    assert _all(gold, pred) == {mode: _r(2 / 3, 1.0) for mode in MODES}
    assert _all(gold, pred, [FEMALE]) == {mode: (1.0, 1.0) for mode in MODES}
    for mode in MODES:
        counts = match_spans(gold, pred, mode, [FEMALE]).total
        assert (counts.gold, counts.pred, counts.pred_matched) == (2, 2, 2), mode

    # Characters: gold 4 + 10 = 14. Without the region "female" is 6 false-alarm characters
    # (P = 14/20); with it they count on neither side (P = 14/14).
    assert char_counts(IGNORED_TEXT, gold, pred).precision == pytest.approx(14 / 20)
    counts = char_counts(IGNORED_TEXT, gold, pred, [FEMALE])
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (14, 14, 14)

    # A false alarm outside the region still counts: "Contact" (7 characters) lowers precision.
    alarm = Span(0, 7, "CITY")
    detection = match_spans(gold, pred + [alarm], "detection", [FEMALE]).total
    assert (detection.pred, detection.pred_matched) == (3, 2)
    assert char_counts(IGNORED_TEXT, gold, pred + [alarm], [FEMALE]).precision == pytest.approx(14 / 21)


def test_a_prediction_that_matches_gold_counts_even_when_it_reaches_an_ignored_region():
    # "Jean, gender: female" as FIRSTNAME: overlaps Jean (same label) and the region.
    reaching = Span(8, 28, "FIRSTNAME")
    gold = [I_JEAN, I_PHONE]
    # Overlap and detection pair it with Jean: a hit, so 1 of 1 predicted, 1 of 2 gold.
    for mode in ("overlap", "detection"):
        counts = match_spans(gold, [reaching], mode, [FEMALE]).total
        assert (counts.pred, counts.pred_matched, counts.gold_matched) == (1, 1, 1), mode
    # Strict pairs it with nothing and it touches the region: dropped, so no false alarm, Jean missed.
    strict = match_spans(gold, [reaching], "strict", [FEMALE]).total
    assert (strict.pred, strict.gold_matched) == (0, 0)
    # Characters: "Jean, gender: female" has "Jean," 5 + "gender:" 7 + "female" 6 = 18 non-whitespace,
    # the 6 of "female" ignored -> 12 hidden, of which Jean's 4 are gold: P = 4/12, R = 4/14.
    counts = char_counts(IGNORED_TEXT, gold, [reaching], [FEMALE])
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (14, 12, 4)


def test_ignored_regions_are_checked():
    with pytest.raises(ValueError, match="sorted and disjoint"):
        match_spans([], [], "detection", [(5, 9), (0, 3)])
    with pytest.raises(ValueError, match="overlaps an ignored range"):
        match_spans([I_JEAN], [], "strict", [(10, 14)])
    with pytest.raises(ValueError, match="empty or negative"):
        char_counts("abc", [], [], [(2, 2)])
    with pytest.raises(ValueError, match="out of range"):
        char_counts("abc", [], [Span(1, 9, "X")])


# --------------------------------------------------------------------------------------------
# One-to-one matching: which pairs the greedy pass takes
# --------------------------------------------------------------------------------------------


def test_longest_overlap_is_paired_first():
    # Gold A = [2, 6), B = [8, 16); P = [0, 14) shares 4 with A and 6 with B; Q = [3, 6) shares 3 with A.
    # Longest first: (B, P, 6), then (A, Q, 3) -> 2 pairs. Position order would pair A with P
    # (the first prediction) and leave B and Q alone: 1 pair.
    gold = [Span(2, 6, "X"), Span(8, 16, "X")]
    pred = [Span(0, 14, "X"), Span(3, 6, "X")]
    counts = match_spans(gold, pred, "detection").total
    assert (counts.gold_matched, counts.pred_matched) == (2, 2)


def test_equal_overlaps_are_taken_in_position_order_whatever_the_input_order():
    # Gold A = [0, 4), B = [4, 8); Q = [0, 2) and P = [2, 6) each share 2 characters with A, P
    # also 2 with B. Position order takes (A, Q) before (A, P), then (B, P) -> 2 pairs;
    # taking (A, P) first would leave B and Q alone.
    gold = [Span(4, 8, "X"), Span(0, 4, "X")]
    pred = [Span(2, 6, "X"), Span(0, 2, "X")]
    for g, p in ((gold, pred), (gold[::-1], pred[::-1])):
        assert match_spans(g, p, "overlap").total.gold_matched == 2


def test_overlap_mode_pairs_only_equal_labels():
    # FIRSTNAME over "Jean Dupont" and LASTNAME over "Dupont": the first can only pair with JEAN,
    # the second with DUPONT -> 2 pairs, although the first shares more with DUPONT.
    gold, pred = [JEAN, DUPONT], [Span(5, 16, "FIRSTNAME"), Span(12, 16, "LASTNAME")]
    counts = match_spans(gold, pred, "overlap")
    assert counts.per_label["FIRSTNAME"].gold_matched == 1 and counts.per_label["LASTNAME"].gold_matched == 1


span_lists = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 12), st.sampled_from("AB")).map(
        lambda t: Span(t[0], t[0] + t[1], t[2])),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(span_lists, span_lists)
def test_one_to_one_counts_each_span_once(gold, pred):
    for mode in MODES:
        counts = match_spans(gold, pred, mode).total
        assert counts.gold_matched == counts.pred_matched <= min(len(gold), len(pred)), mode
        assert (counts.gold, counts.pred) == (len(gold), len(pred))
    same = match_spans(sorted(set(gold)), sorted(set(gold)), "detection").total
    assert same.gold_matched == len(set(gold))  # every span finds itself


# --------------------------------------------------------------------------------------------
# Character counts against a per-character reference
# --------------------------------------------------------------------------------------------


ALPHABET = "ab \t\n\u00a0\u2028\u3000\u200b\u00e9\U0001f600,."  # Unicode spaces, a zero-width non-space, an emoji


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_char_counts_equal_a_per_character_count(data):
    text = data.draw(st.text(alphabet=ALPHABET, min_size=0, max_size=40))
    n = len(text)

    def spans(label_choices):
        drawn = data.draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(1, 6),
                                             st.sampled_from(label_choices)), max_size=5))
        return [Span(s, min(s + k, n), label) for s, k, label in drawn if s < n]

    gold, pred = spans("AB"), spans("AC")
    inside = lambda spans, i: any(s.start <= i < s.end for s in spans)  # noqa: E731
    countable = [not c.isspace() for c in text]
    # Per gold entity: its characters to hide and, of those, the hidden ones.
    entities = [(sum(countable[i] for i in range(s.start, s.end)),
                 sum(countable[i] and inside(pred, i) for i in range(s.start, s.end))) for s in gold]
    entities = [(to_hide, hidden) for to_hide, hidden in entities if to_hide]
    expected = CharCounts(
        gold_chars=sum(countable[i] and inside(gold, i) for i in range(n)),
        pred_chars=sum(countable[i] and inside(pred, i) for i in range(n)),
        hit_chars=sum(countable[i] and inside(gold, i) and inside(pred, i) for i in range(n)),
        entities=len(entities),
        partial=sum(0 < hidden < to_hide for to_hide, hidden in entities),
        missed=sum(hidden == 0 for _, hidden in entities),
    )
    assert char_counts(text, gold, pred) == expected
    by_label = char_recall_per_label(text, gold, pred)
    for label in {s.label for s in gold}:
        own = [s for s in gold if s.label == label]
        assert by_label[label].gold_chars == sum(countable[i] and inside(own, i) for i in range(n))
        assert by_label[label].hit_chars == sum(countable[i] and inside(own, i) and inside(pred, i)
                                                for i in range(n))


def test_char_counts_on_a_long_text_stay_exact():
    # 150,000 characters: 10,000 copies of "Jean 0612 abc\n" (14 characters, 11 non-space).
    text = "Jean 0612 abc\n" * 10_000
    gold = [Span(14 * k, 14 * k + 4, "FIRSTNAME") for k in range(10_000)]  # every "Jean"
    pred = [Span(14 * k, 14 * k + 9, "FIRSTNAME") for k in range(0, 10_000, 2)]  # "Jean 0612", every other line
    counts = char_counts(text, gold, pred)
    # gold 4 * 10,000; hidden (4 + 4) * 5,000; hit 4 * 5,000.
    assert (counts.gold_chars, counts.pred_chars, counts.hit_chars) == (40_000, 40_000, 20_000)
    detection = match_spans(gold, pred, "detection").total
    assert (detection.gold_matched, detection.pred) == (5_000, 5_000)
