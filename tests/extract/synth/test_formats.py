"""Strict-shape values (extract/synth/formats.py): phones, IBANs, national identity numbers, cards,
accounts and IPs, in the locale's forms and in other countries' forms, checksums valid."""

from __future__ import annotations

import random
import re

from extract.checksums import luhn_completed, mod97
from extract.synth.formats import _odd_phone, ean_check
from tests.extract.synth.conftest import by_language, span_texts

FR_PHONE = re.compile(r"0[1-9]( \d\d){4}|0[1-9](\.\d\d){4}|0[1-9]\d{8}|\+33 [1-9]( \d\d){4}")
US_PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}|\d{3}-\d{3}-\d{4}|\+1 \d{3} \d{3} \d{4}|\d{3}\.\d{3}\.\d{4}")
UK_PHONE = re.compile(r"(\+44 |0)(7\d{3} \d{6}|20 \d{4} \d{4}|1\d\d \d{3} \d{4})")
# Any telephone number: an optional +, 00 or (area) prefix, digits grouped by spaces, dots or dashes.
ANY_PHONE = re.compile(r"(\+|\()?\d[\d ().-]*\d")
# Registered IBAN lengths (SWIFT IBAN registry): a wrong shape would teach the head a format
# nobody writes.
IBAN_LENGTHS = {"DE": 22, "AT": 20, "CH": 21, "BE": 16, "NL": 18, "LU": 20, "ES": 24, "PT": 25, "IT": 27, "IE": 22,
                "NO": 15, "SE": 24, "DK": 18, "FI": 18, "PL": 28, "TR": 26, "QA": 29, "SA": 24, "AE": 23,
                "FR": 27, "GB": 22}


def iban_is_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1


def is_phone(text: str) -> bool:
    return bool(ANY_PHONE.fullmatch(text)) and 7 <= sum(c.isdigit() for c in text) <= 16


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()][::-1]
    return sum(d if k % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for k, d in enumerate(digits)) % 10 == 0


def test_checksums():
    assert luhn_completed("453201511283036") == "4532015112830366" and luhn_ok("4532015112830366")
    assert 98 - mod97("30001007941234567890185FR00") == 76  # FR76 3000 1007 9412 3456 7890 185
    assert mod97("30001007941234567890185FR76") == 1
    assert ean_check("400638133393") == "1"  # 4006381333931


def test_french_phones_and_ibans(corpus):
    fr = by_language(corpus, "fr")
    phones = span_texts(fr, "PHONENUMBER")
    assert phones and all(is_phone(p) for p in phones), [p for p in phones if not is_phone(p)]
    assert sum(bool(FR_PHONE.fullmatch(p)) for p in phones) >= 0.55 * len(phones)  # French forms stay the most common
    for form in (r"0\d( \d\d){4}", r"\+33 \d( \d\d){4}", r"0\d(\.\d\d){4}"):
        assert any(re.fullmatch(form, p) for p in phones), form
    ibans = span_texts(fr, "IBAN")
    assert ibans and all(iban_is_valid(i) for i in ibans)
    french = [i for i in ibans if i.startswith("FR")]
    assert all(i.startswith("FR76") for i in french)  # a valid RIB key always gives FR76
    assert len(french) >= 0.5 * len(ibans)  # other countries' IBANs are a share, not the rule
    assert any(" " in i for i in ibans) and any(" " not in i for i in ibans)  # grouped and compact


def test_french_social_security_numbers_have_a_valid_key(big_corpus):
    numbers = span_texts(by_language(big_corpus, "fr"), "SSN")  # enough draws for the share to hold
    nirs = [n for n in numbers if re.fullmatch(r"[12] \d\d \d\d \d\d \d{3} \d{3} \d\d|[12]\d{14}|[12]\d{12} \d\d", n)]
    assert len(nirs) >= 0.5 * len(numbers)  # the others (a fifth, and an `intl` template): other countries' numbers
    for nir in nirs:
        digits = nir.replace(" ", "")
        assert 97 - int(digits[:13]) % 97 == int(digits[13:]), nir
    assert any(" " in n for n in nirs) and any(" " not in n for n in nirs)


def test_french_social_security_numbers_also_come_with_the_key_apart(big_corpus):
    numbers = span_texts(by_language(big_corpus, "fr"), "SSN")
    apart = [n for n in numbers if re.fullmatch(r"[12]\d{12} \d\d", n)]  # "1850578006084 36", as forms box it
    assert apart and all(97 - int(n[:13]) % 97 == int(n[14:]) for n in apart)


def test_english_phones_ssns_and_ibans(corpus):
    en = by_language(corpus, "en")
    phones = span_texts(en, "PHONENUMBER")
    assert phones and all(is_phone(p) for p in phones), [p for p in phones if not is_phone(p)]
    assert sum(bool(US_PHONE.fullmatch(p) or UK_PHONE.fullmatch(p)) for p in phones) >= 0.55 * len(phones)
    assert any(p.startswith("(") for p in phones) and any(p.startswith("+44 ") for p in phones)
    ssns = span_texts(en, "SSN")
    us_ssn = [s for s in ssns if re.fullmatch(r"\d{3}-\d{2}-\d{4}", s)]
    uk_nino = [s for s in ssns if re.fullmatch(r"[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]", s)]
    assert us_ssn and uk_nino
    home = re.compile(r"\d{3}-?\d{2}-?\d{4}|[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]")
    assert sum(bool(home.fullmatch(s)) for s in ssns) >= 0.6 * len(ssns)  # the others: other countries' numbers
    ibans = span_texts(en, "IBAN")
    assert ibans and all(iban_is_valid(i) for i in ibans)


def test_ibans_of_other_countries_have_their_registered_length(corpus):
    ibans = [i.replace(" ", "") for i in span_texts(corpus, "IBAN")]
    countries = {i[:2] for i in ibans}
    assert len(countries - {"FR", "GB"}) >= 5, countries
    for iban in ibans:
        assert len(iban) == IBAN_LENGTHS[iban[:2]] and iban_is_valid(iban), iban


def test_phone_numbers_of_many_countries_and_shapes(big_corpus):
    phones = span_texts(big_corpus, "PHONENUMBER")
    codes = {re.match(r"\+(\d{1,3})", p).group(1) for p in phones if p.startswith("+")}
    assert len(codes - {"1", "33", "44"}) >= 8, codes
    assert any("." in p and (" " in p or "-" in p) for p in phones)  # +337.817-989 4440
    odd = [_odd_phone(rng) for rng in [random.Random(0)] for _ in range(2000)]  # rarer than a corpus shows at once
    assert any(re.fullmatch(r"\(\d{3}\)[.\- ]?\d{5,}.*", p) for p in odd)  # (696).6205793
    # "17h36 +33 6 12 34 56 78: ..." - a phone number right after the time that opens a chat line
    after_time = sum(1 for r in big_corpus for a, b in zip(r.spans, r.spans[1:])
                     if a.label == "TIME" and b.label == "PHONENUMBER" and r.text[a.end:b.start] == " "
                     and (a.start == 0 or r.text[a.start - 1] == "\n"))
    assert after_time >= 3


def test_card_numbers_are_valid_13_to_19_digits_often_unspaced(big_corpus):
    cards = span_texts(big_corpus, "CREDITCARDNUMBER")
    assert all(luhn_ok(c) and re.fullmatch(r"\d[\d -]*\d", c) for c in cards), [c for c in cards if not luhn_ok(c)]
    lengths = {sum(ch.isdigit() for ch in c) for c in cards}
    assert {13, 15, 16, 19} <= lengths and lengths <= set(range(13, 20)), lengths
    assert sum(c.isdigit() for c in cards) >= 0.3 * len(cards)
    # not only Visa, Mastercard and Amex: a card is known by its length and context, not its first digit
    assert {c[0] for c in cards} >= {"2", "3", "4", "5", "6", "8", "9"}, {c[0] for c in cards}
    # "Use 5890724654311332 to pay": an unspaced card in a bare instruction
    assert any(re.search(r"(Use|use|Pay with|votre) \d{13,19}\b", r.text) for r in big_corpus)


def test_account_ip_and_identity_numbers_vary(big_corpus):
    accounts = span_texts(big_corpus, "ACCOUNTNUMBER")
    assert {len(a) for a in accounts if a.isdigit()} >= set(range(8, 13))
    ipv6 = span_texts(big_corpus, "IPV6")
    assert any(re.fullmatch(r"[a-f]{2,4}:.*", ip) for ip in ipv6)  # "ccbb:e269:..." reads like a word
    assert any(ip.isupper() for ip in ipv6)
    ssns = span_texts(big_corpus, "SSN")
    world_ids = (r"756\.\d{4}\.\d{4}\.\d\d",  # Swiss AHV
                 r"\d{3}\.\d{3}\.\d{3}-\d\d",  # Brazilian CPF
                 r"[XYZ]?\d{7,8}[A-Z]",  # Spanish DNI / NIE
                 r"[A-Z]{6}\d\d[A-Z]\d\d[A-Z]\d{3}[A-Z]",  # Italian codice fiscale
                 r"\d{6}-\d{4}",  # Swedish / Danish personal numbers
                 r"\d\d\.\d\d\.\d\d-\d{3}\.\d\d",  # Belgian national number
                 r"\d{4} \d{4} \d{4}",  # Aadhaar
                 r"\d{17}[\dX]")  # Chinese resident identity card
    assert sum(any(re.fullmatch(form, s) for s in ssns) for form in world_ids) >= 4


def _fill(locale="en_US", seed=0):
    import random
    from datetime import date

    from faker import Faker

    from extract.synth.fill import Fill
    return Fill(locale[:2], locale, Faker(locale), random.Random(seed), date(2024, 5, 1))


def test_passwords_come_in_the_shapes_people_make():
    from extract.synth.formats import password

    fill = _fill()
    passwords = [password(fill) for _ in range(3000)]
    shapes = {
        "season, year, symbol, word": r"[A-Za-z]+(19|20)\d\d[#$&*@_\-+=!?][A-Z][a-z]+",  # Summer2024!Blue
        "leetspeak": r"[A-Za-z]*[@$0-9][A-Za-z@$0-9!]*[a-z][A-Za-z@$0-9!]*[#&*+$@_\-=!?]?\d*",  # P@ssw0rd#2021
        "gamer tag": r"xX_?[A-Za-z0-9@$!]+_?Xx",  # xX_dragon_Xx
        "keyboard walk": r"!(Qaz2wsx|1qaz2wsx|Zaq12wsx|1q2w3e4r|a1z2e3r4|[Qq]werty|[Aa]zerty|Asdfgh|zxcvbn|123qwe|Qwe123|Azertyuiop)",
        "passphrase": r"[a-z]+([-._])[a-z]+\1[a-z]+(\1[a-z]+)?(\1\d+)?",  # correct-horse-battery-staple
    }
    for name, shape in shapes.items():
        assert any(re.fullmatch(shape, p) for p in passwords), name
    assert any(re.search(r"[#$&*@_\-+=!?][A-Za-z]", p[:-1]) for p in passwords)  # symbols inside, not only at the end
    for value in passwords:
        assert value[-1] not in ",;:!?.()[]" and value[0] not in "\"'«»,;:?.)]", value  # '!' may open one
        assert not re.search(r"[\s%\"'{}]", value), value


def test_identity_numbers_of_more_countries(big_corpus):
    from datetime import date

    from extract.synth.formats import _national_id_shapes, _world_national_id
    from extract.synth.people import Person

    assert len(_national_id_shapes()) >= 10
    assert any(not re.fullmatch(r"[\d -]+", s) for s in span_texts(big_corpus, "SSN"))  # some reach the corpus
    rng, person = random.Random(0), Person("f", "Ms", "Anna", "", "Rossi", 40, date(1984, 5, 3))
    ssns = [_world_national_id(rng, person) for _ in range(500)]  # each country a few per cent of the SSNs
    shapes = (r"\d{6}-\d{7}",  # Korean resident registration number
              r"\d{6}-\d{3}[A-Z]",  # Finnish HETU
              r"\d{7}[A-Z]{1,2}",  # Irish PPS
              r"\d\d\.\d{3}\.\d{3}",  # Argentine DNI
              r"[A-Z]{4}\d{6}[HM][A-Z]{5}\d\d")  # Mexican CURP
    assert sum(any(re.fullmatch(shape, s) for s in ssns) for shape in shapes) >= 2
