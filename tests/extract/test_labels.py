"""Label alignment with the real Mistral-7B tokenizer: tricky texts and a property-based round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.labels import LabelScheme, decode, encode, trim_offsets
from extract.records import Span

SCHEME = LabelScheme("bio", ("CITY", "EMAIL", "FIRSTNAME", "LASTNAME", "PHONENUMBER", "ZIPCODE"))


def tokenize(tokenizer, text):
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return encoded["offset_mapping"]


def spans_of(text, *pieces):
    """Spans for (substring, label) pairs, located left to right."""
    out, cursor = [], 0
    for piece, label in pieces:
        start = text.index(piece, cursor)
        out.append(Span(start, start + len(piece), label))
        cursor = start + len(piece)
    return out


TRICKY = [
    ("Écrivez à jean.dupont@exemple.fr.", [("jean.dupont@exemple.fr", "EMAIL")]),
    ("Appelez le 06 12 34 56 78, merci", [("06 12 34 56 78", "PHONENUMBER")]),
    ("Nom : Lefèvre, Prénom : Hélène", [("Lefèvre", "LASTNAME"), ("Hélène", "FIRSTNAME")]),
    ("(Zoë)", [("Zoë", "FIRSTNAME")]),
    ("JeanDupont", []),
    ("75011 Paris", [("75011", "ZIPCODE"), ("Paris", "CITY")]),
    ("Marie Curie", [("Marie", "FIRSTNAME"), ("Curie", "LASTNAME")]),
    ("Mail:bob@x.io;tel:+33612345678", [("bob@x.io", "EMAIL"), ("+33612345678", "PHONENUMBER")]),
]


@pytest.mark.parametrize("text, pieces", TRICKY)
def test_tricky_texts_round_trip_exactly(mistral_tokenizer, text, pieces):
    spans = spans_of(text, *pieces)
    offsets = tokenize(mistral_tokenizer, text)
    labels, stats = encode(text, offsets, spans, SCHEME)
    assert (stats.inexact, stats.lost, stats.straddling_tokens) == (0, 0, 0)
    assert decode(text, offsets, labels, SCHEME) == spans


def test_every_token_of_an_entity_is_labelled_and_only_the_first_is_begin(mistral_tokenizer):
    text = "Appelez le 06 12 34 56 78"
    spans = spans_of(text, ("06 12 34 56 78", "PHONENUMBER"))
    offsets = tokenize(mistral_tokenizer, text)
    labels, _ = encode(text, offsets, spans, SCHEME)
    names = [SCHEME.labels[i] for i in labels]
    inside = [name for (start, end), name in zip(offsets, names) if start >= spans[0].start]
    assert inside[0] == "B-PHONENUMBER"
    assert set(inside[1:]) == {"I-PHONENUMBER"}  # digits and the space tokens between them
    assert names[0] == "O"


def test_adjacent_entities_of_one_type_stay_apart_in_bio_and_merge_in_io(mistral_tokenizer):
    text = "Jean Paul"
    spans = [Span(0, 4, "FIRSTNAME"), Span(5, 9, "FIRSTNAME")]
    offsets = tokenize(mistral_tokenizer, text)
    labels, _ = encode(text, offsets, spans, SCHEME)
    assert decode(text, offsets, labels, SCHEME) == spans
    io = LabelScheme("io", SCHEME.entity_types)
    io_labels, _ = encode(text, offsets, spans, io)
    assert decode(text, offsets, io_labels, io) == [Span(0, 9, "FIRSTNAME")]


def test_entity_inside_a_token_is_reported_inexact(mistral_tokenizer):
    text = "JeanDupont"  # one word: "Dupont" starts inside a token or at a token edge
    offsets = tokenize(mistral_tokenizer, text)
    inner = Span(1, 4, "FIRSTNAME")  # "ean" cannot be cut out of "▁Jean"
    labels, stats = encode(text, offsets, [inner], SCHEME)
    assert stats.inexact == 1
    assert decode(text, offsets, labels, SCHEME) != [inner]


def test_token_straddling_two_entities_is_counted(mistral_tokenizer):
    text = "JeanDupont"
    offsets = tokenize(mistral_tokenizer, text)
    trimmed = trim_offsets(text, offsets)
    # cut the first token in two: both halves overlap it
    cut = int((trimmed[0][0] + trimmed[0][1]) // 2)
    spans = [Span(0, cut, "FIRSTNAME"), Span(cut, len(text), "LASTNAME")]
    _, stats = encode(text, offsets, spans, SCHEME)
    assert stats.straddling_tokens >= 1


def test_trim_offsets_removes_the_sentencepiece_space(mistral_tokenizer):
    text = "Bonjour Jean"
    offsets = tokenize(mistral_tokenizer, text)
    trimmed = trim_offsets(text, offsets)
    assert [text[s:e] for s, e in trimmed][-1] == "Jean"
    assert all(not text[s:e].startswith(" ") for s, e in trimmed)


def test_invalid_bio_is_read_leniently():
    text = "a b c"
    offsets = [(0, 1), (1, 3), (3, 5)]
    i_first = SCHEME.inside_id("CITY")
    labels = np.array([i_first, i_first, 0])
    assert decode(text, offsets, labels, SCHEME) == [Span(0, 3, "CITY")]


# --- property: decode(encode(spans)) == spans wherever token boundaries allow ------------------

ALPHABET = st.sampled_from(list("abcdeéèàçôABZ0123456789 .,-@:;'()/\n+") + ["  "])


@st.composite
def text_and_spans(draw):
    text = "".join(draw(st.lists(ALPHABET, min_size=1, max_size=60)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans, previous = [], 0
    for a, b in zip(cuts[::2], cuts[1::2]):
        a, b = max(a, previous), b
        piece = text[a:b]
        if not piece.strip():
            continue
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if a < b:
            spans.append(Span(a, b, draw(st.sampled_from(SCHEME.entity_types))))
            previous = b
    return text, spans


def representable(span: Span, spans: list[Span], trimmed: np.ndarray) -> bool:
    """Tokens overlapping the span cover exactly its characters and belong to no other span."""
    hits = [(s, e) for s, e in trimmed if s < e and s < span.end and span.start < e]
    if not hits or min(s for s, _ in hits) != span.start or max(e for _, e in hits) != span.end:
        return False
    others = [o for o in spans if o != span]
    return not any(s < o.end and o.start < e for s, e in hits for o in others)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=text_and_spans())
def test_round_trip_property(mistral_tokenizer, case):
    text, spans = case
    offsets = tokenize(mistral_tokenizer, text)
    labels, stats = encode(text, offsets, spans, SCHEME)
    decoded = decode(text, offsets, labels, SCHEME)
    trimmed = trim_offsets(text, offsets)
    exact = [s for s in spans if representable(s, spans, trimmed)]
    assert set(exact) <= set(decoded)
    if len(exact) == len(spans):
        assert decoded == spans
        assert stats.inexact == 0 and stats.lost == 0


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab é\t\n\u00a0\u3000\u2009\x1c.")), max_size=30),
       cuts=st.lists(st.integers(0, 30), max_size=12))
def test_trim_offsets_equals_str_strip(text, cuts):
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    offsets = list(zip(points[:-1], points[1:]))
    for (start, end), (t_start, t_end) in zip(offsets, trim_offsets(text, offsets)):
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            assert (t_start, t_end) == (start + lead, start + lead + len(piece.strip()))
        else:
            assert (t_start, t_end) == (end, end)
