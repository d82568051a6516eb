"""`head.rules`: each validator finds its valid form at exact offsets and drops a near miss."""

from __future__ import annotations

import itertools
import random
import string

import pytest

from extract.records import Span
from head.rules import RULE_LABELS, luhn_valid, rule_spans

PROJECT_LABELS = {"EMAIL", "URL", "IPV4", "IPV6", "IBAN", "BIC", "CREDITCARDNUMBER", "SSN", "DATE", "PHONENUMBER"}


def found(text: str) -> list[tuple[str, str]]:
    """The matched substrings with their labels, in text order."""
    return [(text[s.start:s.end], s.label) for s in rule_spans(text)]


def only(text: str, value: str, label: str) -> None:
    """`text` yields exactly one span: `value`, at its first occurrence, labelled `label`."""
    start = text.index(value)
    assert rule_spans(text) == [Span(start, start + len(value), label)]


def test_rule_labels_are_project_labels():
    assert set(RULE_LABELS.values()) == PROJECT_LABELS


# --- cards -----------------------------------------------------------------------------------------

def test_luhn_valid():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")  # the textbook example
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("")
    assert not luhn_valid("41111111111111a1")


@pytest.mark.parametrize("card", [
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
    "4242424242424242",
    "3782 822463 10005",  # Amex, 4-6-5
    "4012-8888-8888-1881",
])
def test_card_found_with_exact_offsets(card):
    text = f"Carte n° {card}, expire fin 2027."
    assert rule_spans(text) == [Span(9, 9 + len(card), "CREDITCARDNUMBER")]


@pytest.mark.parametrize("card", ["4111 1111 1111 1112", "5555-5555-5555-4445", "4242424242424243",
                                  "3782 822463 10006"])
def test_card_with_wrong_check_digit_not_found(card):
    assert found(f"Card {card} please") == []


def test_card_near_misses_by_shape():
    assert found("card 0000 0000 0000 0000 here") == []  # Luhn-valid, but one digit repeated
    assert found("ref A4111111111111111") == []  # starts inside a word
    assert found("4111 1111-1111 1111") == []  # mixed separators
    assert found("41111111111111111111") == []  # 20 digits


@pytest.mark.parametrize("card", ["4970 1012 3456 7893", "4970101234567893", "4970-1012-3456-7893"])
def test_card_is_not_also_a_phone(card):
    # Luhn-valid, and its digits "01 23 45 67 89" read like a French number.
    assert found(f"Payez avec la carte {card} avant lundi.") == [(card, "CREDITCARDNUMBER")]


def test_phone_inside_a_higher_priority_match_is_dropped():
    # phonenumbers finds "0612345678" in each: the email or URL is kept alone.
    assert found("mail 0612345678@sfr.fr ok") == [("0612345678@sfr.fr", "EMAIL")]
    assert found("see http://example.com/0612345678 ok") == [("http://example.com/0612345678", "URL")]


# --- IBAN ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("iban", ["FR76 3000 6000 0112 3456 7890 189", "DE89370400440532013000",
                                  "GB29 NWBK 6016 1331 9268 19"])
def test_iban_found(iban):
    only(f"Virement sur {iban}. Merci", iban, "IBAN")


@pytest.mark.parametrize("iban", ["FR76 3000 6000 0112 3456 7890 188", "DE89370400440532013001",
                                  "DE88370400440532013000", "fr76 3000 6000 0112 3456 7890 189"])
def test_iban_one_character_changed_not_found(iban):
    assert "IBAN" not in {label for _, label in found(f"IBAN: {iban}")}


def test_iban_stops_before_an_upper_case_word():
    only("pay FR76 3000 6000 0112 3456 7890 189 CODE now", "FR76 3000 6000 0112 3456 7890 189", "IBAN")
    only("pay DE89 3704 0044 0532 0130 00 ABCD now", "DE89 3704 0044 0532 0130 00", "IBAN")


# --- SSN: NIR and US -----------------------------------------------------------------------------------

# 1 85 05 78 006 084: 1850578006084 = 97 * 19077093877 + 6, so the key is 97 - 6 = 91.
NIR = "1 85 05 78 006 084 91"
# Corsica: 2A counts as 19, so 2 90 02 2A 004 012 -> 2900219004012 = 97 * 29899165000 + 79; key 97 - 79 = 18.
NIR_CORSICA = "2 90 02 2A 004 012 18"


@pytest.mark.parametrize("text, bic", [
    ("SOJSGB3NXXX does not belong to the bank", "SOJSGB3NXXX"),  # the head office's branch
    ("SWIFT BNPAFRPPXXX ok", "BNPAFRPPXXX"),
    ("BIC: BARCGB22.", "BARCGB22"),  # a word naming it shortly before
    ("Code BIC : DEUTDEFF", "DEUTDEFF"),
    ("Our bank code is CHASUS33, thanks", "CHASUS33"),
])
def test_bic_found(text, bic):
    only(text, bic, "BIC")


@pytest.mark.parametrize("text", [
    "TRAINING and INFORMATION",  # capitals with a country in place ("NI")
    "SERVER01 is down, SUMMER24 applies",  # a country ("ER", "ER") and figures, but no cue nor "XXX"
    "password: WINTER22!",
    "the BIC is below. ABCDZZ12XXX",  # no such country
    "BIC: XSOJSGB3NXXX",  # longer than a BIC
])
def test_words_in_capitals_are_no_bic(text):
    assert "BIC" not in {label for _, label in found(text)}


def test_nir_key_arithmetic():
    assert 1850578006084 % 97 == 6
    assert 2900219004012 % 97 == 79


@pytest.mark.parametrize("nir", [NIR, NIR.replace(" ", ""), NIR_CORSICA, NIR_CORSICA.replace(" ", ""),
                                 "1 85 05 78 006084 91"])
def test_nir_found(nir):
    only(f"Mon numéro de sécurité sociale est le {nir}.", nir, "SSN")


@pytest.mark.parametrize("nir", [
    "1 85 05 78 006 084 36",  # wrong key
    "1 85 05 78 006 084 90",
    "2 90 02 2A 004 012 19",  # wrong key for Corsica
    "2 90 02 2B 004 012 18",  # 2B counts as 18: another key
    "1 85 15 78 006 084 91",  # month 15 (its key would be 33, so the month check is what rejects it)
    "5 85 05 78 006 084 91",  # first digit 5
])
def test_nir_near_miss_not_found(nir):
    assert "SSN" not in {label for _, label in found(f"NIR {nir} fin")}


def test_nir_month_is_checked_even_with_a_right_key():
    number = 1851578006084  # month 15
    nir = f"{number}{97 - number % 97:02d}"
    assert found(f"NIR {nir} fin") == []


def test_us_ssn():
    only("His SSN is 123-45-6789.", "123-45-6789", "SSN")
    for bad in ("000-12-3456", "666-12-3456", "912-34-5678", "123-00-6789", "123-45-0000", "123456789", "123 45 6789"):
        assert found(f"SSN {bad} on file") == [], bad
    assert found("ref 555-123-45-6789 x") == []  # a piece of a longer dashed number


# --- EMAIL and URL --------------------------------------------------------------------------------

def test_email_without_sentence_dot():
    only("Write to jean.dupont+news@mail.example.co.uk.", "jean.dupont+news@mail.example.co.uk", "EMAIL")
    only("Écrivez à marie_42@exemple.fr, merci", "marie_42@exemple.fr", "EMAIL")


def test_email_near_misses():
    assert found("a..b@example.com") == []  # double dot in the local part
    assert found("user@-example.com") == []  # a label starting with a hyphen
    assert found("user@example") == []  # no TLD
    assert found("user@example.c") == []  # one-letter TLD
    assert found("user@exa_mple.com") == []  # "_" has no place in a domain
    assert found("user@example.c0m") == []  # a digit in the TLD
    assert found("ab.user@example.com") == [("ab.user@example.com", "EMAIL")]


def test_urls():
    only("See https://example.com/path?q=1.", "https://example.com/path?q=1", "URL")
    only("Voir www.exemple.fr, puis", "www.exemple.fr", "URL")
    only("(see https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)", "URL")
    only("(see https://example.com/a)", "https://example.com/a", "URL")
    only("Go to http://192.168.0.1:8080/admin!", "http://192.168.0.1:8080/admin", "URL")
    only('<a href="https://example.org/x">', "https://example.org/x", "URL")
    only("« http://exemple.fr/page » ?", "http://exemple.fr/page", "URL")


def test_url_host_must_validate():
    assert found("open http://localhost/x now") == []  # no dotted name
    assert found("open http://exa_mple.com now") == []
    assert found("open https://example.c0m now") == []
    assert found("open xhttp://example.com now") == []  # starts inside a word


# --- IP addresses -----------------------------------------------------------------------------------

def test_ipv4():
    only("The server is 192.168.1.20.", "192.168.1.20", "IPV4")
    assert found("Windows build 10.0.19045.3803 installed") == []
    assert found("bad 256.1.1.1 here") == []  # octet over 255
    assert found("bad 01.2.3.4 here") == []  # leading zero
    assert found("v1.2.3.4 and 1.2.3.4a") == []


def test_ipv6():
    only("Host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 is up", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IPV6")
    only("Lien local fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a", "IPV6")
    only("mapped ::ffff:192.0.2.1 here", "::ffff:192.0.2.1", "IPV6")
    assert found("At 12:30:45 we met") == []
    assert found("bad 2001:db8::1::2 here") == []  # two '::'
    assert found("MAC 00:1a:2b:3c:4d:5e here") == []  # six groups, no '::'


# --- written dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("né le 12 juillet 1993 à Paris", "12 juillet 1993"),
    ("pension à partir de juillet 1986.", "juillet 1986"),
    ("les 16 et 17 avril 1997, la Cour", "16 et 17 avril 1997"),
    ("En mars, avril et juin 1989, les requérants", "mars, avril et juin 1989"),
    ("le 1er novembre 1998", "1er novembre 1998"),
    ("condamné vendredi 23 février un ancien", "vendredi 23 février"),
    ("signed on March 3rd, 2021 in Leeds", "March 3rd, 2021"),
    ("due Friday 9 June.", "Friday 9 June"),
    ("since May 2020", "May 2020"),
    ("booked for 3 Jan. 2021, then", "3 Jan. 2021"),
    ("on Sept 14, 2019 we", "Sept 14, 2019"),
    ("le 15 aout 2021 à midi", "15 aout 2021"),
    ("né le 3 fevrier 1990", "3 fevrier 1990"),
    ("au 2 déc. 2019, puis", "2 déc. 2019"),
    ("depuis janv. 2020", "janv. 2020"),
    ("the release on 6 Apr. I have", "6 Apr"),  # the full stop ends the sentence, not the month
    ("before 22 May.", "22 May"),
    ("le 2 déc. Puis", "2 déc"),
    ("We met on 3 June. 12 people came.", "3 June"),  # a full name never takes a stop
    ("le 14 juil. 2 jours", "14 juil"),  # a dotted month takes the year after it, or no stop
    ("Born on 5 May. 2020 was hard.", "5 May"),
    ("le 14 sept 2019", "14 sept 2019"),
])
def test_written_date_found(text, value):
    only(text, value, "DATE")


@pytest.mark.parametrize("text", [
    "en 1944, puis",  # a year alone
    "you may 5 times",  # an English month is capitalised
    "en février, puis",  # a month alone
    "12 marsupials",  # inside a word
    "the jan 5 build",  # an English abbreviation is capitalised too
    "Janet 5",  # an abbreviation is a whole word
    "sept 2000 personnes",  # seven, not September, without a day before it
    "dix-sept 2020",
])
def test_not_a_written_date(text):
    assert found(text) == []


def test_written_date_lists_are_bounded():
    """An unbounded list ("(?:DAY AND)*") is retried from each item of a long one: a quadratic scan."""
    from head.rules import _WRITTEN_DATE

    assert ")*" not in _WRITTEN_DATE.pattern and ")+" not in _WRITTEN_DATE.pattern
    assert found("1, " * 20000) == []  # 60 KB of list items: no date, at once


# --- phones ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phone", ["+33 6 12 34 56 78", "06 12 34 56 78", "01.02.03.04.05", "(415) 555-2671",
                                   "+44 20 7946 0958", "+1 415 555 2671"])
def test_phone_found(phone):
    only(f"Call me at {phone} tomorrow", phone, "PHONENUMBER")


@pytest.mark.parametrize("text", [
    "Le rendez-vous du 2024-03-05 est confirmé.",
    "Signed on 12/03/2021 in Paris.",
    "Rendez-vous le 06.12.2021 12:30.",  # phonenumbers alone reads "06.12.2021 12" as a French mobile
    "Né le 06-12-2021 12:30",
    "+33 0 00 00 00 00",  # not a valid French number
    "Tel: 555-2671",  # too short without an area code
])
def test_not_a_phone(text):
    assert found(text) == []


# --- several kinds, offsets ----------------------------------------------------------------------------

def assert_sorted_disjoint(text: str, spans: list[Span]) -> None:
    for a, b in itertools.pairwise(spans):
        assert a.end <= b.start
    for span in spans:
        assert text[span.start:span.end] == text[span.start:span.end].strip()


def test_french_sentence_with_several_kinds():
    text = ("Bonjour, je suis joignable au 06 12 34 56 78 ou par courriel à jean.dupont@exemple.fr. "
            f"Mon IBAN est FR76 3000 6000 0112 3456 7890 189 et mon numéro de sécu {NIR}. "
            "Le serveur 10.0.0.1 répond, voir https://exemple.fr/aide.")
    assert found(text) == [
        ("06 12 34 56 78", "PHONENUMBER"),
        ("jean.dupont@exemple.fr", "EMAIL"),
        ("FR76 3000 6000 0112 3456 7890 189", "IBAN"),
        (NIR, "SSN"),
        ("10.0.0.1", "IPV4"),
        ("https://exemple.fr/aide", "URL"),
    ]
    assert_sorted_disjoint(text, rule_spans(text))


def test_english_sentence_with_several_kinds():
    text = ("Contact John at (415) 555-2671 or john@example.com (SSN 123-45-6789). "
            "He paid with 4111-1111-1111-1111 from fe80::1ff:fe23:4567:890a; docs at www.example.com/docs.")
    assert found(text) == [
        ("(415) 555-2671", "PHONENUMBER"),
        ("john@example.com", "EMAIL"),
        ("123-45-6789", "SSN"),
        ("4111-1111-1111-1111", "CREDITCARDNUMBER"),
        ("fe80::1ff:fe23:4567:890a", "IPV6"),
        ("www.example.com/docs", "URL"),
    ]
    assert_sorted_disjoint(text, rule_spans(text))


def test_longer_match_wins_on_overlap():
    # The email's domain starts a "www." URL, and the URL holds an email and an IP: one span each time.
    assert found("mail me: info@www.example.com") == [("info@www.example.com", "EMAIL")]
    assert found("http://10.0.0.1/?to=a@b.fr") == [("http://10.0.0.1/?to=a@b.fr", "URL")]


def test_offsets_are_code_points_after_emoji():
    text = "🎉👍🏽 Écris-moi : zoé@example.fr ou léa@exemple.fr 📞 +33 6 12 34 56 78"
    spans = rule_spans(text)
    assert [text[s.start:s.end] for s in spans] == ["zoé@example.fr", "léa@exemple.fr", "+33 6 12 34 56 78"]
    # 🎉 is one code point, 👍🏽 two (the thumb and its skin tone): 3 + " Écris-moi : " (13).
    assert spans[0] == Span(16, 30, "EMAIL")
    assert spans[1].start == text.index("léa@")
    assert spans[2] == Span(len(text) - len("+33 6 12 34 56 78"), len(text), "PHONENUMBER")


def test_empty_and_plain_text():
    assert rule_spans("") == []
    assert rule_spans("Nothing to see here, just words.") == []


def test_random_200k_text_completes():
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " .:-/@()+" + "0123456789" * 3
    text = "".join(rng.choice(alphabet) for _ in range(200_000))
    spans = rule_spans(text)
    assert_sorted_disjoint(text, spans)
    assert all(s.label in PROJECT_LABELS for s in spans)
