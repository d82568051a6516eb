"""Renderers (extract/synth/renderers.py): e-mails and handles made from the person's name, whole
addresses as separate spans, timestamps as a date and a time, ages without their units."""

from __future__ import annotations

import re
import unicodedata

from extract.schema import LABELS
from extract.synth.dates import number_words
from extract.synth.renderers import PLACEHOLDERS
from tests.extract.synth.conftest import by_language, span_texts


def test_every_label_has_a_placeholder():
    assert set(PLACEHOLDERS) == set(LABELS) | {"ADDRESS", "TIMESTAMP"}


def ascii_lower(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def test_emails_and_usernames_come_from_the_persons_name(corpus):
    matched = total = 0
    for record in corpus:
        lastnames = [re.sub(r"[^a-z]", "", ascii_lower(v)) for v in span_texts([record], "LASTNAME")]
        for value in span_texts([record], "EMAIL") + span_texts([record], "USERNAME"):
            handle = value.split("@")[0]
            # Handles made of initials and digits ("NS@aol.com", "2018JJK@...") spell out no name.
            if lastnames and re.search(r"[A-Za-z]{4}", handle):
                total += 1
                matched += any(name and name in re.sub(r"[^a-z]", "", handle.lower()) for name in lastnames)
    assert total >= 50
    assert matched >= 0.6 * total


def test_email_handles_and_providers_vary(corpus):
    emails = span_texts(corpus, "EMAIL")
    assert emails and all(re.fullmatch(r"[\w.+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+", e) for e in emails), emails
    locals_ = [e.split("@")[0] for e in emails]
    assert any(re.fullmatch(r"[A-Z]{1,3}", p) for p in locals_)  # NS@, T@
    assert any(re.fullmatch(r"\d{4}[A-Z]{2,3}|[A-Z]\d{4}", p) for p in locals_)  # 2018JJK@, U1944@
    domains = {e.split("@")[1] for e in emails}
    assert len(domains & {"gmx.de", "libero.it", "wp.pl", "seznam.cz", "naver.com", "qq.com", "rediffmail.com", "web.de",
                          "yandex.com", "mail.ru", "terra.com.br", "bluewin.ch", "aol.com", "mail.com"}) >= 3
    usernames = span_texts(corpus, "USERNAME")
    assert any(re.fullmatch(r"[A-Z][a-z]+_[A-Z][\w-]+", u) for u in usernames)  # Roma_Altenwerth
    assert any(re.fullmatch(r"[A-Z][a-z]+\d{1,2}", u) for u in usernames)  # Moriah59


def test_address_parts_are_separate_spans(corpus):
    numbers = 0
    for record in corpus:
        for position, (a, b) in enumerate(zip(record.spans, record.spans[1:])):
            # "12 rue de la Paix", "Hauptstraße 12": number and street apart, next to each other
            if a.label == "BUILDINGNUMBER":
                assert b.label == "STREET" or position > 0 and record.spans[position - 1].label == "STREET", record.id
                numbers += 1
    assert numbers >= 50
    secondary = span_texts(corpus, "SECONDARYADDRESS")
    assert any(s.startswith("Apt") for s in secondary) and any(s.startswith("Bât") for s in secondary)
    assert any(s.startswith("Flat") for s in secondary)


def test_addresses_abroad_keep_their_parts_apart(corpus):
    """'Hauptstraße 12, 80331 München': street before number, each part its own span."""
    street_first = 0
    for record in corpus:
        for a, b in zip(record.spans, record.spans[1:]):
            if a.label == "STREET" and b.label == "BUILDINGNUMBER" and record.text[a.end:b.start] == " ":
                street_first += 1
    assert street_first >= 3  # a few in 1,000 texts: a fifth of addresses are abroad, some of them street first


def test_timestamps_are_a_date_and_a_time(corpus):
    pairs = 0
    for record in corpus:
        for a, b in zip(record.spans, record.spans[1:]):
            if a.label == "DATE" and b.label == "TIME" and record.text[a.end:b.start] in (" ", "T"):
                pairs += 1
    assert pairs >= 40


def test_ages_are_the_number_with_a_noun_unit_and_without_an_attributive_one(corpus, big_corpus):
    in_words = {number_words(n, lang): n for n in range(1, 110) for lang in ("en", "fr")}
    number = r"(\d{1,3}|" + "|".join(re.escape(w) for w in sorted(in_words, key=len, reverse=True)) + ")"
    ages = span_texts(corpus, "AGE")
    assert ages and all(re.fullmatch(number + r"( [^\d\W][\w./ ]*)?", age) for age in ages), ages
    assert any(age in in_words for age in ages)  # "aged thirty-four", "âgée de soixante et onze ans"
    texts = " ".join(r.text for r in corpus)
    assert re.search(r"\d+ ans\b", texts) and re.search(r"\baged \d+", texts) and re.search(r"\d+-year-old", texts)
    spans = {language: span_texts(by_language(big_corpus, language), "AGE") for language in ("en", "fr")}
    for unit in (r"\d+ years old", r"\d+ (y/o|yrs old|yrs|yo)", r"\d+ years of age"):
        assert any(re.fullmatch(unit, age) for age in spans["en"]), unit  # the unit in the span
    assert any(re.fullmatch(r"\d+ ans (et demi|révolus)", age) for age in spans["fr"])
    for record in big_corpus:  # "a 72-year-old": the number alone
        for span in record.spans:
            if span.label == "AGE" and record.text[span.end:span.end + 5] in ("-year", "-yr-o"):
                assert re.fullmatch(r"\d+", record.text[span.start:span.end]), record.id


def test_user_names_also_come_styled_with_symbols(big_corpus):
    usernames = span_texts(big_corpus, "USERNAME")
    assert any(re.fullmatch(r"xX_\w+_Xx", u) for u in usernames)  # xX_gamer_Xx
    assert any(re.fullmatch(r"[a-z0-9]+\.[a-z]+\.[a-z0-9]+", u) for u in usernames)  # anna.travels.nyc
    assert any(re.fullmatch(r"_{1,2}[a-z0-9]+_{1,2}", u) for u in usernames)  # _kev_
    assert any(re.fullmatch(r"[a-z0-9]\.[a-z0-9]+-\d\d", u) for u in usernames)  # j.doe-93


def test_postcodes_also_come_compact_and_in_lower_case(big_corpus):
    zips = span_texts(big_corpus, "ZIPCODE")
    assert any(re.fullmatch(r"[a-z]{1,2}\d[a-z\d]? \d[a-z]{2}", z) for z in zips)  # sw1a 1aa
    assert any(re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}|\d{4}[A-Z]{2}|[A-Z]\d[A-Z]\d[A-Z]\d", z) for z in zips)
