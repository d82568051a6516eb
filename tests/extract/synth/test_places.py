"""Places (extract/synth/places.py): regions and cities of many countries, in English, French or
their native names, beside the home country's real and invented towns."""

from __future__ import annotations

import re
from collections import Counter

from extract.synth.places import cities, countries, regions
from tests.extract.synth.conftest import by_language, span_texts


def test_regions_and_cities_of_many_countries(corpus):
    abroad_regions = {name for code, rows in regions().items() if code not in ("US", "GB", "FR") for row in rows for name in row}
    abroad_cities = {name for code, rows in cities().items() for row in rows for name in row}
    states, towns = span_texts(corpus, "STATE"), span_texts(corpus, "CITY")
    assert len(set(states) & abroad_regions) >= 10
    assert len(set(towns) & abroad_cities) >= 10
    home_regions = {name for code, rows in regions().items() if code in ("US", "GB", "FR") for row in rows for name in row}
    assert len(set(states) & home_regions) >= 3  # home regions Faker lacks: "North West England", "Gwynedd"
    # the country closing an address abroad is written, unlabelled
    names = {name for c in countries() for name in (c.name_en, c.name_fr)}
    after_address = Counter()
    for record in corpus:
        for span in record.spans:
            value = record.text[span.start:span.end]
            # "Mexico" is also Mexico City's French name, "India" a first name
            assert (value not in names or (span.label == "CITY" and value in abroad_cities)
                    or span.label in ("FIRSTNAME", "MIDDLENAME", "LASTNAME")), record.id
        for name in names:
            for match in re.finditer(rf"(, |\n){re.escape(name)}\b", record.text):
                if any(s.end <= match.start() and s.label in ("STATE", "ZIPCODE", "CITY")
                       and not record.text[s.end:match.start()].strip() for s in record.spans):
                    after_address[name] += 1
    assert len(after_address) >= 3, after_address


def test_every_country_has_regions_and_cities():
    assert len(countries()) >= 20
    for country in countries():
        assert regions()[country.code] and cities()[country.code], country.code
        assert country.layout in ("eu", "us", "intl")


def test_home_postcodes_and_states(corpus):
    en, fr = by_language(corpus, "en"), by_language(corpus, "fr")
    assert any(re.fullmatch(r"[A-Z]{2}", s) for s in span_texts(en, "STATE"))  # TX, CA
    zips = span_texts(fr, "ZIPCODE")
    assert zips
    assert sum(bool(re.fullmatch(r"\d{5}", z)) for z in zips) >= 0.7 * len(zips)  # the rest: addresses abroad
    assert all(re.fullmatch(r"[A-Z\d][A-Z\d -]*[A-Z\d]", z.upper()) for z in zips)  # chat writes some in lower case


UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}")


def test_english_postcodes(corpus):
    zips = span_texts(by_language(corpus, "en"), "ZIPCODE")
    assert any(UK_POSTCODE.fullmatch(z) for z in zips)
    assert any(re.fullmatch(r"\d{5}", z) for z in zips) and any(re.fullmatch(r"\d{5}-\d{4}", z) for z in zips)
    home_zip = [z for z in zips if UK_POSTCODE.fullmatch(z.upper()) or re.fullmatch(r"\d{5}(-\d{4})?", z)]
    assert len(home_zip) >= 0.7 * len(zips)  # the rest: addresses abroad, and some written without their space
    assert all(re.fullmatch(r"[A-Z\d][A-Z\d -]*[A-Z\d]", z.upper()) for z in zips)  # chat writes some in lower case
    assert any(z.islower() for z in zips) and any(re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", z) for z in zips)


def test_building_numbers_with_letters_bis_ter_and_ranges(big_corpus):
    numbers = span_texts(big_corpus, "BUILDINGNUMBER")
    assert all(re.fullmatch(r"\d+([A-Ca-c]|-\d+| (bis|ter|1/2))?", n) for n in numbers), \
        [n for n in numbers if not re.fullmatch(r"\d+([A-Ca-c]|-\d+| (bis|ter|1/2))?", n)]
    for form in (r"\d+[A-C]", r"\d+-\d+", r"\d+ bis", r"\d+ ter"):  # 12B, 12-14, 12 bis, 4 ter
        assert any(re.fullmatch(form, n) for n in numbers), form
    assert sum(n.isdigit() for n in numbers) >= 0.8 * len(numbers)
