"""Dates, times and numbers in words (extract/synth/dates.py): the locale's usual forms, the other
common ones, one way per family in a text, and ages written out in English and French."""

from __future__ import annotations

import re

from extract.synth.dates import number_words
from tests.extract.synth.conftest import by_language, span_texts

FR_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
EN_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def test_french_dates_and_times(corpus):
    fr = by_language(corpus, "fr")
    dates = span_texts(fr, "DATE")
    assert any(re.fullmatch(rf"(1er|\d{{1,2}}) ({FR_MONTHS}) \d{{4}}", d) for d in dates)  # 3 mars 2024
    assert any(re.fullmatch(rf"(1er|\d{{1,2}}) ({FR_MONTHS})", d) for d in dates)  # le 3 mars
    assert any(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in dates)
    assert any(re.search(r"\d{1,2}h(\d\d)?$", t) for t in span_texts(fr, "TIME"))  # 14h30


def test_english_dates(corpus):
    dates = span_texts(by_language(corpus, "en"), "DATE")
    us_long, numeric, iso = r"[A-Z][a-z]+ \d{1,2}, \d{4}", r"\d\d/\d\d/\d{4}", r"\d{4}-\d\d-\d\d"
    for form in (us_long, numeric, iso, r"\d{1,2}(st|nd|rd|th) [A-Z][a-z]+ \d{4}"):
        assert any(re.fullmatch(form, d) for d in dates), form


def test_dates_and_times_in_many_formats(big_corpus):
    dates = {language: span_texts(by_language(big_corpus, language), "DATE") for language in ("en", "fr")}
    times = {language: span_texts(by_language(big_corpus, language), "TIME") for language in ("en", "fr")}
    for language in ("en", "fr"):
        for form in (r"\d\d\.\d\d\.\d{4}", r"\d{4}/\d\d/\d\d", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z",
                     r"\d{1,2}/\d\d", r"\d{1,2}/\d{1,2}/\d{4}", r"\d\d-\d\d-\d{4}"):
            assert any(re.fullmatch(form, d) for d in dates[language]), (language, form)
    assert any(re.fullmatch(r"[A-Z][a-z]+ \d{1,2}(st|nd|rd|th), \d{4}", d) for d in dates["en"])  # July 5th, 2023
    assert any(re.fullmatch(r"\d{1,2}(st|nd|rd|th) [A-Z][a-z]+", d) for d in dates["en"])  # 20th September
    assert any(re.fullmatch(rf"({FR_MONTHS})/\d\d", d) for d in dates["fr"])  # mars/71
    for form in (r"\d{1,2}(:\d\d)? [AP]M", r"\d{1,2}(:\d\d)?(am|pm)", r"\d\d:\d\d:\d\d"):
        assert any(re.fullmatch(form, t) for t in times["en"]), form
    for form in (r"\d{1,2}h\d\d", r"\d{1,2} h \d\d", r"\d{1,2}H\d\d", r"\d\d:\d\d"):
        assert any(re.fullmatch(form, t) for t in times["fr"]), form


def test_one_chat_writes_its_clock_times_one_way(big_corpus):
    chats = 0
    for record in big_corpus:
        if record.template in ("en-chat-lines", "fr-chat-lignes"):
            # whole hours may drop their minutes ("4h39 ... 5h"): compare the times that have them
            shapes = {re.sub(r"\d", "9", record.text[s.start:s.end]).replace("99", "9")
                      for s in record.spans if s.label == "TIME" and sum(c.isdigit() for c in record.text[s.start:s.end]) >= 3}
            assert len(shapes) == 1, record.text
            chats += 1
    assert chats >= 4


def test_month_and_year_in_words_are_dates(big_corpus):
    """"en juin 1988", "in March 2003": a month and year in words is a DATE, whole."""
    for language, month in (("en", f"({EN_MONTHS})"), ("fr", f"({FR_MONTHS})")):
        dates = span_texts(by_language(big_corpus, language), "DATE")
        assert sum(bool(re.fullmatch(month + r" \d{4}", d)) for d in dates) >= 10, language


def test_numbers_in_words():
    assert [number_words(n, "fr") for n in (21, 34, 70, 71, 77, 80, 81, 91, 99)] == [
        "vingt et un", "trente-quatre", "soixante-dix", "soixante et onze", "soixante-dix-sept", "quatre-vingts",
        "quatre-vingt-un", "quatre-vingt-onze", "quatre-vingt-dix-neuf"]
    assert [number_words(n, "en") for n in (0, 7, 19, 40, 58, 99, 100, 104)] == [
        "zero", "seven", "nineteen", "forty", "fifty-eight", "ninety-nine", "one hundred", "one hundred four"]
    assert [number_words(n, "fr") for n in (0, 60, 100, 111)] == ["zéro", "soixante", "cent", "cent onze"]
