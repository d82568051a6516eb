"""Sums of money (extract/synth/money.py): the number alone is the span, written in many grouping
styles, with the currency of the text's country or another one right outside it."""

from __future__ import annotations

import re

from extract.synth.money import currencies, home_currency
from extract.synth.values import options
from tests.extract.synth.conftest import by_language, span_texts

# The number of a sum: grouped with commas, dots or (no-break) spaces, plain, or with a magnitude suffix.
AMOUNT_NUMBER = re.compile(r"\d{1,3}([,. \u00a0\u202f]\d{3})+([.,]\d{1,2})?|\d+([.,]\d{1,4})?"
                           r"|\d+([.,]\d{1,3})?(k|K|m|M|b|bn|B|Md)")


def currency_words():
    words = {"USD", "EUR", "GBP", "euros", "dollars", "pounds"}
    for code, signs, names_en, names_fr, _ in currencies():
        words |= {code, *options(signs), *options(names_en), *options(names_fr)}
    for locale in ("en_US", "en_GB", "fr_FR"):
        choices, _ = home_currency(locale)
        assert choices, locale
        words |= {text.strip() for pair in choices for text in pair if text}
    return words


def test_amounts_are_numbers_without_currency(corpus):
    en, fr = span_texts(by_language(corpus, "en"), "AMOUNT"), span_texts(by_language(corpus, "fr"), "AMOUNT")
    assert en and fr
    assert all(AMOUNT_NUMBER.fullmatch(v) for v in en + fr), [v for v in en + fr if not AMOUNT_NUMBER.fullmatch(v)]
    # The locale's own way of writing sums stays the most common one.
    assert sum(bool(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d{2})?", v)) for v in en) >= 0.5 * len(en)
    assert sum(bool(re.fullmatch(r"\d{1,3}( \d{3})*(,\d{2})?", v)) for v in fr) >= 0.5 * len(fr)
    for value in en + fr:
        assert not re.search(r"[$£€¥₹₩₺₦₫₪₿]|USD|EUR|GBP|euro", value)
    # ... and the currency is there, right outside the span, even when glued to the number
    words = currency_words()
    for record in corpus:
        for span in record.spans:
            if span.label == "AMOUNT":
                before = record.text[max(0, span.start - 14):span.start]
                after = record.text[span.end:span.end + 30]
                assert any(before.endswith((w, w + " ")) or after.startswith((w, " " + w)) for w in words), \
                    (record.id, before, record.text[span.start:span.end], after)


def test_amounts_come_in_many_currencies_and_number_styles(big_corpus):
    corpus = big_corpus  # the rarer currencies and styles are a few per cent of the amounts
    texts = {language: " ".join(r.text for r in by_language(corpus, language)) for language in ("en", "fr")}
    amounts = span_texts(corpus, "AMOUNT")
    assert any(re.fullmatch(r"\d+(\.\d+)?[kK]", a) for a in amounts)  # 998k
    assert any(re.fullmatch(r"\d+([.,]\d+)?(m|M|b|bn|B|Md)", a) for a in amounts)  # 0.4m, 0.001b
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+,\d{2}", a) for a in amounts)  # 1.234,56
    assert any(re.fullmatch(r"\d{4,}\.\d{2}", a) for a in amounts)  # 297024.50
    assert any(re.search(r"[\u00a0\u202f]", a) for a in amounts)  # French no-break spaces
    for language in ("en", "fr"):
        found = {w for w in ("₹", "zł", "Kč", "CHF", "¥", "kr", "R$", "Rufiyaa", "Syrian Pound", "roupies", "couronnes",
                             "JPY", "PLN", "INR", "francs suisses") if w in texts[language]}
        assert len(found) >= 4, (language, found)
    # a currency glued before the number stays outside the span: "zł58,481.62" -> "58,481.62"
    glued = [r.text[s.start - 3:s.end] for r in corpus for s in r.spans
             if s.label == "AMOUNT" and s.start > 0 and r.text[s.start - 1].isalpha()]
    assert glued


def test_french_amount_forms(corpus):
    texts = " ".join(r.text for r in by_language(corpus, "fr"))
    assert re.search(r"\d \d{3},\d{2} €", texts)  # 1 234,56 €
    assert re.search(r"\b\d+ €", texts)  # 250 €
    assert re.search(r"EUR \d+,\d{2}", texts)  # EUR 99,90


def test_english_amount_forms(big_corpus):
    texts = " ".join(r.text for r in by_language(big_corpus, "en"))
    assert re.search(r"\$\d{1,3},\d{3}\.\d{2}", texts)
    assert re.search(r"£\d+", texts)
    assert re.search(r"USD \d[\d,]*\.\d{2}", texts)


def test_home_currencies_read_from_their_list():
    choices, weights = home_currency("fr_FR")
    assert choices[0] == (None, " €") and ("€", None) in choices and (None, "€") in choices
    assert len(choices) == len(weights) and all(weight > 0 for weight in weights)
