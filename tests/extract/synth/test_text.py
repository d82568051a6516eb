"""Text helpers (extract/synth/text.py): names as keyboards and handles write them, casing variants,
digit runs and shapes."""

from __future__ import annotations

import random

from extract.synth.text import ascii_form, cap_slug, cased, digits, draw_shape, group, hex_digits, slug, strip_accents


def test_names_in_ascii_slugs_and_handles():
    assert ascii_form("Jean-Rémi D'Angelo") == "jean-remi dangelo"
    assert ascii_form("Łukasz Yıldız") == "lukasz yildiz"
    assert slug("Jean-Rémi D'Angelo") == "jeanremidangelo"
    assert slug("van der Berg", "-") == "van-der-berg"
    assert strip_accents("Lefèvre Cœur") == "Lefevre Coeur"
    assert cap_slug("van der Berg") == "VanDerBerg"
    assert cap_slug("Łukasz") == "Lukasz"
    assert cap_slug("李") == "User"  # nothing typable: a handle still has letters


def test_casing_variants():
    assert cased("Hélène", {"lower", "ascii"}) == "helene"
    assert cased("Lefèvre-Cœur", {"ascii"}) == "Lefevre-Coeur"
    assert cased("Éloïse", {"upper"}) == "ÉLOÏSE"
    assert cased("Éloïse", set()) == "Éloïse"


def test_digit_runs_and_shapes():
    rng = random.Random(0)
    assert len(digits(rng, 11)) == 11 and digits(rng, 11).isdigit()
    assert set(hex_digits(rng, 40)) <= set("0123456789abcdef")
    postcode = draw_shape(rng, "A#A #A#")
    assert len(postcode) == 7 and postcode[3] == " " and postcode[0].isupper() and postcode[1].isdigit()
    assert all(c in "23456789" for c in draw_shape(rng, "NNNN"))
    assert group("FR7630001007941234567890185") == "FR76 3000 1007 9412 3456 7890 185"
    assert group("4111111111111111", 4, "-") == "4111-1111-1111-1111"
