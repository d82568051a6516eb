"""Entity metrics of a tagger: strict spans against seqeval, the result's structure per class and
language, character figures per language and label, ignored regions passed on; then the
confused-pair counts and error examples built on them."""

from __future__ import annotations

import numpy as np
import pytest
from seqeval.metrics import classification_report as seqeval_report
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.metrics import precision_score as seqeval_precision
from seqeval.metrics import recall_score as seqeval_recall

from evaluation.metrics import confused_pairs, entity_metrics, error_examples, mark_in_context
from extract.labels import LabelScheme, decode
from extract.records import Span
from tests.helpers import DUPONT, FEMALE, I_JEAN, I_PHONE, IGNORED_TEXT, JEAN, PHONE, prf1

MODES = ("strict", "overlap", "detection")

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
# Structure, languages, character figures
# --------------------------------------------------------------------------------------------


def test_both_empty_is_perfect_with_no_classes():
    result = entity_metrics([[], []], [[], []], ["en", "fr"])
    assert prf1(result["strict"]["overall"]) == (1.0, 1.0, 1.0)
    assert result["strict"]["per_class"] == {}
    assert result["strict"]["per_language"]["fr"]["gold"] == 0


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


def test_per_language_and_per_label_character_figures():
    en_text = "Call Jean Dupont at 06 12 34 56 78 now"
    fr_text = "\u00c9crire \u00e0 Marie, 12 rue de la Paix"  # "Écrire à Marie, 12 rue de la Paix"
    marie = Span(9, 14, "FIRSTNAME")
    address = Span(16, 33, "ADDRESS")
    assert (fr_text[marie.start:marie.end], fr_text[address.start:address.end]) == ("Marie", "12 rue de la Paix")
    gold = [[JEAN, DUPONT, PHONE], [marie, address]]
    pred = [
        [Span(5, 16, "FIRSTNAME"), Span(20, 28, "PHONE")],  # merged name; "06 12 34" of the phone
        [Span(0, 6, "CITY"), marie],  # "Écrire" is a false alarm; the address is missed
    ]
    char = entity_metrics(gold, pred, ["en", "fr"], texts=[en_text, fr_text])["char"]
    # en: gold Jean 4 + Dupont 6 + phone 10 = 20; hidden "Jean Dupont" 10 + "06 12 34" 6 = 16,
    #     all gold: P = 16/16, R = 16/20.
    # fr: gold Marie 5 + "12 rue de la Paix" 2+3+2+2+4 = 13 -> 18; hidden "Écrire" 6 + Marie 5 = 11,
    #     hit 5: P = 5/11, R = 5/18.
    # overall: gold 38, hidden 27, hit 21: P = 21/27 = 7/9, R = 21/38.
    assert char["per_language"]["en"] == pytest.approx(
        {"gold_chars": 20, "pred_chars": 16, "hit_chars": 16, "precision": 1.0, "recall": 0.8,
         "f1": 2 * 0.8 / 1.8, "f5": 26 * 0.8 / (25 + 0.8),
         # Jean and Dupont hidden whole; the phone shows "56 78": 1 partial leak of 3 entities.
         "entities": 3, "partial": 1, "missed": 0, "partial_leak_rate": 1 / 3})
    fr = char["per_language"]["fr"]
    assert (fr["gold_chars"], fr["pred_chars"], fr["hit_chars"]) == (18, 11, 5)
    assert (fr["precision"], fr["recall"]) == pytest.approx((5 / 11, 5 / 18))
    overall = char["overall"]
    assert (overall["gold_chars"], overall["pred_chars"], overall["hit_chars"]) == (38, 27, 21)
    assert (overall["precision"], overall["recall"]) == pytest.approx((7 / 9, 21 / 38))
    # fr: Marie whole, the address missed whole (not a partial leak): 1 partial of 5 entities.
    assert (overall["entities"], overall["partial"], overall["missed"]) == (5, 1, 1)
    assert overall["partial_leak_rate"] == pytest.approx(1 / 5)
    # Per gold label, any predicted label hides: FIRSTNAME 4 + 5 of 9, LASTNAME 6 of 6 (under the
    # merged FIRSTNAME span), PHONE 6 of 10, ADDRESS 0 of 13.
    assert char["per_label"] == {
        "ADDRESS": {"gold_chars": 13, "hit_chars": 0, "recall": 0.0, "entities": 1, "partial": 0, "missed": 1,
                    "partial_leak_rate": 0.0, "found_rate": 0.0},
        "FIRSTNAME": {"gold_chars": 9, "hit_chars": 9, "recall": 1.0, "entities": 2, "partial": 0, "missed": 0,
                      "partial_leak_rate": 0.0, "found_rate": 1.0},
        "LASTNAME": {"gold_chars": 6, "hit_chars": 6, "recall": 1.0, "entities": 1, "partial": 0, "missed": 0,
                     "partial_leak_rate": 0.0, "found_rate": 1.0},
        "PHONE": {"gold_chars": 10, "hit_chars": 6, "recall": 0.6, "entities": 1, "partial": 1, "missed": 0,
                  "partial_leak_rate": 1.0, "found_rate": 1.0},
    }


def test_partial_leaks_count_whitespace_and_ignored_characters_out():
    text = "pw: Summer2024!Blue ok, rue  X"
    password, street = Span(4, 19, "PASSWORD"), Span(24, 30, "STREET")
    assert text[password.start:password.end] == "Summer2024!Blue"
    # "Summer2024" hidden, "!Blue" visible: a partial leak. The street's hidden "rue" plus its two
    # spaces leaves "X" visible: partial too, unless "X" is an ignored region, where only
    # characters to hide count.
    pred = [Span(4, 14, "DATE"), Span(24, 29, "STREET")]
    char = entity_metrics([[password, street]], [pred], ["en"], texts=[text])["char"]["overall"]
    assert (char["entities"], char["partial"], char["missed"]) == (2, 2, 0)
    char = entity_metrics([[password, Span(24, 27, "STREET")]], [pred], ["en"], texts=[text],
                          ignored=[[(29, 30)]])["char"]["overall"]
    assert (char["entities"], char["partial"], char["partial_leak_rate"]) == (2, 1, 0.5)
    # A gold span of whitespace and ignored characters only has nothing to hide: not an entity.
    char = entity_metrics([[Span(27, 29, "STREET")]], [[]], ["en"], texts=[text])["char"]["overall"]
    assert (char["entities"], char["partial_leak_rate"]) == (0, 0.0)


def test_entity_metrics_keeps_its_keys_and_passes_ignored_regions_on():
    gold, pred = [[I_JEAN, I_PHONE]], [[I_JEAN, Span(*FEMALE, "CITY"), I_PHONE]]
    plain = entity_metrics(gold, pred, ["en"])
    assert list(plain) == ["strict", "overlap", "detection"]  # no texts, no "char": old callers unchanged
    result = entity_metrics(gold, pred, ["en"], texts=[IGNORED_TEXT], ignored=[[FEMALE]])
    assert list(result) == ["strict", "overlap", "detection", "char"]
    for mode in MODES:
        assert plain[mode]["overall"]["pred"] == 3 and result[mode]["overall"]["pred"] == 2, mode
        assert result[mode]["overall"]["precision"] == 1.0
    assert result["char"]["overall"]["pred_chars"] == 14  # "female" is not counted
    assert result["strict"]["per_class"]["FIRSTNAME"]["pred"] == 1 and "CITY" not in result["strict"]["per_class"]
    with pytest.raises(ValueError, match="ignored has 2 entries for 1 texts"):
        entity_metrics(gold, pred, ["en"], ignored=[[], []])
    with pytest.raises(ValueError, match="texts has 2 entries"):
        entity_metrics(gold, pred, ["en"], texts=["a", "b"])


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
