"""Token metrics against scikit-learn, entity metrics against seqeval and hand-made span cases,
plus the confused-pair counts and error examples built on them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report as seqeval_report
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.metrics import precision_score as seqeval_precision
from seqeval.metrics import recall_score as seqeval_recall
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)

from evaluation.metrics import confused_pairs, entity_metrics, error_examples, mark_in_context
from extract.token_metrics import token_metrics, type_confusion
from extract.labels import LabelScheme, decode
from extract.records import Span

SCHEME = LabelScheme("bio", ("EMAIL", "NAME", "PHONE", "ZIP"))
LABELS = list(SCHEME.labels)  # 9 labels: O + B/I of 4 types


# --------------------------------------------------------------------------------------------
# Token level against scikit-learn
# --------------------------------------------------------------------------------------------


def _random_labels(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Mostly-O arrays where some labels occur only in gold, some only in predictions, some nowhere."""
    rng = np.random.default_rng(seed)
    k = len(LABELS)
    gold_choices = np.array([0, 1, 2, 3, 4, 5, 6])  # 7, 8 never gold
    pred_choices = np.array([0, 1, 2, 3, 4, 7])  # 5, 6, 8 never predicted; 8 occurs nowhere
    y_true = np.where(rng.random(n) < 0.6, 0, rng.choice(gold_choices, n))
    # Predictions agree with gold most of the time, so scores are not all near zero.
    noise = np.where(rng.random(n) < 0.5, 0, rng.choice(pred_choices, n))
    y_pred = np.where((rng.random(n) < 0.7) & np.isin(y_true, pred_choices), y_true, noise)
    assert y_true.max() < k and y_pred.max() < k
    return y_true, y_pred


def _assert_matches_sklearn(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    result = token_metrics(y_true, y_pred, LABELS)
    present = np.union1d(y_true, y_pred)
    present_without_o = present[present != 0]

    assert result["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert result["tokens"] == len(y_true)
    for average in ("micro", "macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        assert result["with_o"][average] == pytest.approx({"precision": p, "recall": r, "f1": f}), average
        if len(present_without_o):
            p, r, f, _ = precision_recall_fscore_support(
                y_true, y_pred, average=average, labels=present_without_o, zero_division=0)
            assert result["without_o"][average] == pytest.approx({"precision": p, "recall": r, "f1": f}), average

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, labels=present, zero_division=0)
    assert list(result["per_class"]) == [LABELS[i] for i in present]
    for i, label_id in enumerate(present):
        row = result["per_class"][LABELS[label_id]]
        assert row == pytest.approx({"precision": p[i], "recall": r[i], "f1": f[i], "support": s[i]})

    report = classification_report(y_true, y_pred, labels=present, target_names=[LABELS[i] for i in present],
                                   output_dict=True, zero_division=0)
    for label, row in result["per_class"].items():
        assert row["f1"] == pytest.approx(report[label]["f1-score"])
        assert row["support"] == report[label]["support"]
    assert result["with_o"]["macro"]["f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert result["with_o"]["weighted"]["f1"] == pytest.approx(report["weighted avg"]["f1-score"])

    assert result["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=range(len(LABELS))).tolist()


@pytest.mark.parametrize("seed", range(6))
def test_token_metrics_equal_sklearn_on_random_arrays(seed):
    y_true, y_pred = _random_labels(seed)
    _assert_matches_sklearn(y_true, y_pred)


def test_token_metrics_accept_int16_labels_as_encode_returns_them():
    y_true, y_pred = _random_labels(11)
    _assert_matches_sklearn(y_true.astype(np.int16), y_pred.astype(np.int16))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=40))
def test_token_metrics_equal_sklearn_on_any_small_input(pairs):
    y_true, y_pred = (np.array(column) for column in zip(*pairs))
    _assert_matches_sklearn(y_true, y_pred)


def test_weighted_without_o_when_gold_is_all_o_falls_back_to_the_mean_like_sklearn():
    y_true = np.zeros(6, dtype=int)
    y_pred = np.array([0, 1, 1, 3, 0, 0])
    _assert_matches_sklearn(y_true, y_pred)


def test_all_o_gives_zero_averages_without_o():
    result = token_metrics(np.zeros(5, dtype=int), np.zeros(5, dtype=int), LABELS)
    assert result["accuracy"] == 1.0
    assert result["with_o"]["macro"]["f1"] == 1.0
    assert result["without_o"]["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert list(result["per_class"]) == ["O"]


def test_token_metrics_on_empty_arrays_are_zero_not_nan():
    result = token_metrics(np.array([], dtype=int), np.array([], dtype=int), LABELS)
    assert result["tokens"] == 0 and result["accuracy"] == 0.0
    assert result["per_class"] == {}


@pytest.mark.parametrize(
    "y_true, y_pred, labels, message",
    [
        ([0, 1], [0], LABELS, "different lengths"),
        ([0, 9], [0, 1], LABELS, "outside 0..8"),
        ([0, 1], [0, -100], LABELS, "padding"),
        ([[0, 1]], [[0, 1]], LABELS, "one-dimensional"),
        ([0.0, 1.0], [0, 1], LABELS, "integer label ids"),
        ([0, 1], [0, 1], ["B-NAME", "O"], "labels\\[0\\] must be 'O'"),
        ([0], [0], [], "labels is empty"),
        ([0], [0], ["O", "X", "X"], "duplicates: X"),
    ],
)
def test_token_metrics_reject_bad_input(y_true, y_pred, labels, message):
    with pytest.raises(ValueError, match=message):
        token_metrics(y_true, y_pred, labels)


def test_type_confusion_merges_begin_and_inside_labels():
    label_id = SCHEME.label2id
    y_true = [label_id[t] for t in ["O", "B-NAME", "I-NAME", "B-PHONE", "I-PHONE", "O"]]
    y_pred = [label_id[t] for t in ["O", "I-NAME", "B-NAME", "B-NAME", "I-PHONE", "B-ZIP"]]
    matrix, names = type_confusion(y_true, y_pred, SCHEME)
    assert names == ["O", "EMAIL", "NAME", "PHONE", "ZIP"]
    expected = np.zeros((5, 5), dtype=int)
    expected[0, 0] = 1  # O -> O
    expected[0, 4] = 1  # O -> ZIP
    expected[2, 2] = 2  # NAME -> NAME, whatever B/I
    expected[3, 2] = 1  # PHONE -> NAME
    expected[3, 3] = 1  # PHONE -> PHONE
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(y_true)


# --------------------------------------------------------------------------------------------
# Entity level against seqeval (strict mode = seqeval's default, conlleval-compatible mode)
# --------------------------------------------------------------------------------------------


def _spans_from_tags(tags: list[str], scheme: LabelScheme) -> list[Span]:
    """Token i becomes the word `w<i>` of a text; decode its BIO tags back to character spans."""
    words = [f"w{i}" for i in range(len(tags))]
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word)))
        position += len(word) + 1
    text = " ".join(words)
    return decode(text, offsets, [scheme.label2id[tag] for tag in tags], scheme)


def _assert_matches_seqeval(y_true: list[list[str]], y_pred: list[list[str]]) -> None:
    types = sorted({tag[2:] for sentence in y_true + y_pred for tag in sentence if tag != "O"})
    scheme = LabelScheme("bio", tuple(types))
    gold = [_spans_from_tags(tags, scheme) for tags in y_true]
    pred = [_spans_from_tags(tags, scheme) for tags in y_pred]
    strict = entity_metrics(gold, pred, ["en"] * len(gold))["strict"]

    overall = strict["overall"]
    assert overall["precision"] == pytest.approx(seqeval_precision(y_true, y_pred, zero_division=0))
    assert overall["recall"] == pytest.approx(seqeval_recall(y_true, y_pred, zero_division=0))
    assert overall["f1"] == pytest.approx(seqeval_f1(y_true, y_pred, zero_division=0))

    report = seqeval_report(y_true, y_pred, output_dict=True, zero_division=0)
    classes = sorted(k for k in report if not k.endswith(" avg"))
    assert list(strict["per_class"]) == classes
    for label in classes:
        row = strict["per_class"][label]
        assert row["precision"] == pytest.approx(report[label]["precision"]), label
        assert row["recall"] == pytest.approx(report[label]["recall"]), label
        assert row["f1"] == pytest.approx(report[label]["f1-score"]), label
        assert row["gold"] == report[label]["support"], label


SEQEVAL_DOC_EXAMPLES = [
    pytest.param(  # README and classification_report docstring: MISC shifted by one token
        [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
        [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
        id="readme",
    ),
    pytest.param(  # f1_score docstring: adjacent MISC entities, the second one too long
        [["O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"], ["B-PER", "I-PER", "O"]],
        [["O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
        id="f1_score-docstring",
    ),
    pytest.param(  # performance_measure docstring: ORG missed, PER predicted as MISC
        [["O", "O", "O", "B-MISC", "I-MISC", "O", "B-ORG"], ["B-PER", "I-PER", "O", "B-PER"]],
        [["O", "O", "B-MISC", "I-MISC", "I-MISC", "O", "O"], ["B-PER", "I-PER", "O", "B-MISC"]],
        id="performance_measure-docstring",
    ),
]


@pytest.mark.parametrize("y_true, y_pred", SEQEVAL_DOC_EXAMPLES)
def test_strict_entity_metrics_equal_seqeval_on_documented_examples(y_true, y_pred):
    _assert_matches_seqeval(y_true, y_pred)


def test_readme_example_numbers():
    y_true, y_pred = SEQEVAL_DOC_EXAMPLES[0].values
    scheme = LabelScheme("bio", ("MISC", "PER"))
    strict = entity_metrics([_spans_from_tags(t, scheme) for t in y_true],
                            [_spans_from_tags(t, scheme) for t in y_pred], ["en", "en"])["strict"]
    assert strict["overall"]["f1"] == pytest.approx(0.5)
    assert strict["per_class"]["MISC"]["f1"] == 0.0
    assert strict["per_class"]["PER"]["f1"] == 1.0


@pytest.mark.parametrize("seed", range(8))
def test_strict_entity_metrics_equal_seqeval_on_random_tag_sequences(seed):
    # Invalid sequences (I- after O, I-X after B-Y) included: both read them the lenient way.
    rng = np.random.default_rng(seed)
    tags = ["O", "O", "O", "B-NAME", "I-NAME", "B-CITY", "I-CITY", "B-PHONE", "I-PHONE"]

    def sentence(n):
        return [tags[i] for i in rng.integers(0, len(tags), n)]

    y_true = [sentence(rng.integers(1, 20)) for _ in range(30)]
    # Predictions copy gold tags 70% of the time.
    y_pred = [[t if rng.random() < 0.7 else tags[rng.integers(len(tags))] for t in s] for s in y_true]
    _assert_matches_seqeval(y_true, y_pred)


# --------------------------------------------------------------------------------------------
# Hand-made span cases
# --------------------------------------------------------------------------------------------

# "Call Jean Dupont at 06 12 34 56 78 now"
JEAN, DUPONT, JEAN_DUPONT = Span(5, 9, "FIRSTNAME"), Span(10, 16, "LASTNAME"), Span(5, 16, "NAME")
PHONE = Span(20, 34, "PHONE")


def _overall(gold, pred, mode):
    return entity_metrics(gold, pred, ["en"] * len(gold))[mode]["overall"]


def _prf(counts: dict) -> tuple[float, float, float]:
    return counts["precision"], counts["recall"], counts["f1"]


def test_partial_overlap_misses_strict_and_hits_overlap():
    gold, pred = [[JEAN_DUPONT]], [[Span(5, 9, "NAME")]]
    assert _prf(_overall(gold, pred, "strict")) == (0.0, 0.0, 0.0)
    assert _prf(_overall(gold, pred, "overlap")) == (1.0, 1.0, 1.0)
    assert _prf(_overall(gold, pred, "detection")) == (1.0, 1.0, 1.0)


def test_wrong_label_misses_strict_and_overlap_and_hits_detection():
    gold, pred = [[JEAN_DUPONT]], [[Span(5, 16, "PHONE")]]
    assert _prf(_overall(gold, pred, "strict")) == (0.0, 0.0, 0.0)
    assert _prf(_overall(gold, pred, "overlap")) == (0.0, 0.0, 0.0)
    assert _prf(_overall(gold, pred, "detection")) == (1.0, 1.0, 1.0)


def test_adjacent_entities_must_stay_apart():
    gold = [[JEAN, DUPONT]]
    assert _prf(_overall(gold, [[JEAN, DUPONT]], "strict")) == (1.0, 1.0, 1.0)
    merged = [[Span(5, 16, "FIRSTNAME")]]  # one prediction over both entities
    strict = _overall(gold, merged, "strict")
    assert (strict["gold"], strict["pred"], strict["f1"]) == (2, 1, 0.0)
    # Overlap: the FIRSTNAME prediction hits JEAN (precision 1), DUPONT (LASTNAME) stays missed.
    assert _prf(_overall(gold, merged, "overlap"))[:2] == (1.0, 0.5)
    # Detection matches one to one: the merged span finds one of the two entities, not both.
    # P = 1/1, R = 1/2, F1 = 2 * 1 * 0.5 / 1.5 = 2/3.
    assert _prf(_overall(gold, merged, "detection")) == pytest.approx((1.0, 0.5, 2 / 3))


def test_empty_predictions_score_zero():
    counts = _overall([[JEAN, PHONE]], [[]], "strict")
    assert _prf(counts) == (0.0, 0.0, 0.0)
    assert (counts["gold"], counts["pred"]) == (2, 0)


def test_no_gold_entities_make_every_prediction_wrong():
    counts = _overall([[]], [[PHONE]], "strict")
    assert _prf(counts) == (0.0, 0.0, 0.0)
    assert (counts["gold"], counts["pred"]) == (0, 1)


def test_both_empty_is_perfect_with_no_classes():
    result = entity_metrics([[], []], [[], []], ["en", "fr"])
    assert _prf(result["strict"]["overall"]) == (1.0, 1.0, 1.0)
    assert result["strict"]["per_class"] == {}
    assert result["strict"]["per_language"]["fr"]["gold"] == 0


def test_f5_by_hand():
    # 3 gold, 2 predicted, 1 exact: P = 1/2, R = 1/3, F5 = 26 PR / (25 P + R) = 26/77.
    gold = [[JEAN, DUPONT, PHONE]]
    pred = [[JEAN, Span(20, 25, "PHONE")]]
    counts = _overall(gold, pred, "strict")
    assert (counts["precision"], counts["recall"]) == pytest.approx((1 / 2, 1 / 3))
    assert counts["f5"] == pytest.approx(26 / 77)
    assert counts["f1"] == pytest.approx(2 / 5)


def test_structure_and_sorted_keys():
    gold = [[PHONE, JEAN], [DUPONT]]
    pred = [[PHONE], [DUPONT, Span(0, 3, "CITY")]]
    result = entity_metrics(gold, pred, ["fr", "en"])
    assert list(result) == ["strict", "overlap", "detection"]
    assert list(result["strict"]) == ["overall", "per_class", "per_language", "per_language_class"]
    assert list(result["overlap"]) == ["overall", "per_class", "per_language"]
    assert list(result["detection"]) == ["overall", "per_language"]
    assert list(result["strict"]["per_class"]) == ["CITY", "FIRSTNAME", "LASTNAME", "PHONE"]
    assert list(result["strict"]["per_language"]) == ["en", "fr"]
    assert set(result["strict"]["overall"]) >= {"precision", "recall", "f1", "f5", "gold", "pred"}


def test_per_language_split():
    gold = [[JEAN, PHONE], [DUPONT], [PHONE]]
    pred = [[JEAN, PHONE], [], [Span(20, 22, "PHONE")]]
    result = entity_metrics(gold, pred, ["en", "fr", "en"])
    en, fr = result["strict"]["per_language"]["en"], result["strict"]["per_language"]["fr"]
    assert (en["gold"], en["pred"], en["gold_matched"]) == (3, 3, 2)
    assert (fr["gold"], fr["pred"], fr["recall"]) == (1, 0, 0.0)
    by_class = result["strict"]["per_language_class"]
    assert list(by_class["en"]) == ["FIRSTNAME", "PHONE"]
    assert by_class["en"]["PHONE"]["recall"] == 0.5
    assert list(by_class["fr"]) == ["LASTNAME"]
    assert result["overlap"]["per_language"]["en"]["recall"] == 1.0
    assert result["strict"]["overall"]["gold"] == en["gold"] + fr["gold"]


def test_entity_metrics_accept_plain_triples():
    result = entity_metrics([[(5, 9, "FIRSTNAME")]], [[JEAN]], ["en"])
    assert result["strict"]["overall"]["f1"] == 1.0


@pytest.mark.parametrize(
    "gold, pred, languages, message",
    [
        ([[]], [[], []], ["en"], "different numbers of texts"),
        ([[]], [[]], ["en", "fr"], "languages has 2 entries for 1 texts"),
        ([[]], [[]], [None], "expected a language code"),
        ([["JEAN"]], [[]], ["en"], "expected Span"),
        ([[Span(4, 4, "X")]], [[]], ["en"], "empty or negative span"),
        (["oops"], [[]], ["en"], "must be a list of spans"),
    ],
)
def test_entity_metrics_reject_bad_input(gold, pred, languages, message):
    with pytest.raises(ValueError, match=message):
        entity_metrics(gold, pred, languages)


# --------------------------------------------------------------------------------------------
# Confused pairs and error examples
# --------------------------------------------------------------------------------------------


def test_confused_pairs_counts_overlapping_label_swaps():
    gold = [[JEAN, DUPONT, PHONE], [JEAN]]
    pred = [
        [Span(5, 9, "LASTNAME"), Span(10, 16, "FIRSTNAME"), PHONE, Span(40, 44, "CITY")],
        [Span(5, 7, "LASTNAME"), Span(7, 9, "FIRSTNAME")],  # the FIRSTNAME part is no confusion
    ]
    pairs = confused_pairs(gold, pred)
    assert pairs == [
        {"gold": "FIRSTNAME", "pred": "LASTNAME", "count": 2},
        {"gold": "LASTNAME", "pred": "FIRSTNAME", "count": 1},
    ]
    assert confused_pairs(gold, pred, top=1) == pairs[:1]
    assert confused_pairs([[PHONE]], [[PHONE]]) == []
    with pytest.raises(ValueError, match="top must be"):
        confused_pairs(gold, pred, top=-1)


TEXTS = [
    "Hello, call me at 06 12 34 56 78 tomorrow morning please.\nBye Jean",
    "Jean Dupont, 75011 Paris",
]
IDS = ["doc-1", "doc-2"]


def _error_case():
    text = TEXTS[0]
    phone = Span(18, 32, "PHONE")
    jean_1 = Span(text.index("Jean"), text.index("Jean") + 4, "FIRSTNAME")
    bye = Span(text.index("Bye"), text.index("Bye") + 3, "CITY")
    gold = [[phone, jean_1], [Span(0, 4, "FIRSTNAME"), Span(5, 11, "LASTNAME"), Span(13, 18, "ZIP")]]
    pred = [
        [Span(18, 23, "PHONE"), bye],  # phone cut short; "Bye" as a city; Jean missed
        [Span(0, 4, "FIRSTNAME"), Span(5, 11, "FIRSTNAME"), Span(13, 18, "ZIP")],
    ]
    assert [TEXTS[0][s.start:s.end] for s in gold[0]] == ["06 12 34 56 78", "Jean"]
    return gold, pred


def test_error_examples_mark_the_entity_in_context():
    gold, pred = _error_case()
    errors = error_examples(TEXTS, gold, pred, IDS, context_words=3)
    assert list(errors) == ["CITY", "FIRSTNAME", "LASTNAME", "PHONE"]

    missed_phone = errors["PHONE"]["missed"][0]
    assert missed_phone["id"] == "doc-1"
    assert missed_phone["text"] == "06 12 34 56 78"
    assert missed_phone["context"] == "... call me at ⟦06 12 34 56 78⟧ tomorrow morning please. ..."
    assert missed_phone["overlapping"] == [{"label": "PHONE", "text": "06 12"}]
    spurious_phone = errors["PHONE"]["spurious"][0]
    assert spurious_phone["text"] == "06 12"
    assert spurious_phone["overlapping"] == [{"label": "PHONE", "text": "06 12 34 56 78"}]

    missed_jean = errors["FIRSTNAME"]["missed"][0]
    assert missed_jean["context"] == "... morning please.⏎Bye ⟦Jean⟧"
    assert missed_jean["overlapping"] == []
    assert errors["CITY"]["spurious"][0]["text"] == "Bye"
    assert errors["CITY"]["missed"] == []

    # Dupont tagged FIRSTNAME: a missed LASTNAME and a spurious FIRSTNAME, each pointing at the other.
    assert errors["LASTNAME"]["missed"][0]["overlapping"] == [{"label": "FIRSTNAME", "text": "Dupont"}]
    assert errors["FIRSTNAME"]["spurious"][0]["id"] == "doc-2"
    assert errors["FIRSTNAME"]["spurious"][0]["context"] == "Jean ⟦Dupont⟧, 75011 Paris"
    assert "ZIP" not in errors  # exact matches are no errors


def test_error_examples_keep_the_first_ones_and_count_all():
    gold = [[Span(0, 4, "FIRSTNAME")]] * 5
    pred = [[]] * 5
    texts = ["Jean est là"] * 5
    errors = error_examples(texts, gold, pred, [f"t{i}" for i in range(5)], per_class=2)
    assert errors["FIRSTNAME"]["missed_total"] == 5
    assert [e["id"] for e in errors["FIRSTNAME"]["missed"]] == ["t0", "t1"]
    assert errors["FIRSTNAME"]["spurious_total"] == 0


def test_error_examples_reject_mismatched_inputs():
    gold, pred = _error_case()
    with pytest.raises(ValueError, match="ids has 1 entries"):
        error_examples(TEXTS, gold, pred, IDS[:1])
    with pytest.raises(ValueError, match="texts has 1 entries"):
        error_examples(TEXTS[:1], gold, pred, IDS)
    with pytest.raises(ValueError, match="out of range"):
        error_examples(["short", "x"], gold, pred, IDS)
    with pytest.raises(ValueError, match="per_class"):
        error_examples(TEXTS, gold, pred, IDS, per_class=-1)


def test_mark_in_context_bounds_long_words_and_handles_edges():
    text = "x" * 500 + " secret " + "y" * 500
    marked = mark_in_context(text, 501, 507, context_words=2)
    assert "⟦secret⟧" in marked and len(marked) < 200
    assert mark_in_context("Jean", 0, 4) == "⟦Jean⟧"
    assert mark_in_context("a b c", 2, 3, context_words=0) == "... ⟦b⟧ ..."
    with pytest.raises(ValueError, match="out of bounds"):
        mark_in_context("abc", 2, 9)
