"""What a predicted span may cover: unpaired punctuation trimmed from its ends, a sentence's full
stop left out, and values written without spaces widened to their whole run."""

from __future__ import annotations

import pytest

from extract.records import Span
from head.span_rules import trim_punctuation


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


def test_widening_never_runs_into_the_next_span():
    text = "1.2.3.4.5.6.7.8"
    spans = trim_punctuation(text, [Span(0, 3, "IPV4"), Span(8, 11, "IPV4")])
    assert [text[s.start:s.end] for s in spans] == ["1.2.3.4", "5.6.7.8"]


@pytest.mark.parametrize("value, label", [("P@ssw0rd!", "PASSWORD"), ("fe80::", "IPV6"), ("https://x.fr/?", "URL")])
def test_values_that_end_in_their_own_punctuation_are_kept(value, label):
    padded = f"x {value} y"
    assert trim_punctuation(padded, [Span(2, 2 + len(value), label)]) == [Span(2, 2 + len(value), label)]
