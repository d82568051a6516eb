"""Value lists (extract/synth/values.py): the data files of templates/_values parse into sections of
fields, every file the generator reads is present and well formed, and a fault names its file and line."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest

from extract.errors import PiiTaggerError
from extract.synth.values import VALUES_FOLDER, checked_lists, options, options_by_key, parse_value_lists, translation

VALUES_DIR = Path(str(importlib.resources.files("extract.synth").joinpath("templates", VALUES_FOLDER)))

VALUE_LIST_FAULTS = {
    "value before a section": ("Mohammed\n[arabic male]\nOmar\n", 1, r"value outside a \[section\]"),
    "section twice": ("[a]\nx\n[a]\ny\n", 3, r"section \[a\] given twice"),
    "empty field": ("# c\n[regions]\nDE |  | Bavière\n", 3, r"empty field"),
    "brace": ("[cities]\nDE | {CITY}\n", 2, r"brace"),
}


@pytest.mark.parametrize("case", sorted(VALUE_LIST_FAULTS))
def test_malformed_value_list_names_file_and_line(case):
    text, line, reason = VALUE_LIST_FAULTS[case]
    with pytest.raises(PiiTaggerError, match=re.escape(f"places.txt, line {line}: ") + f".*{reason}"):
        parse_value_lists(text, "places.txt")


def test_value_lists_parse_into_sections_and_fields():
    lists = parse_value_lists("# regions\n[regions]\nDE | Bavaria | Bavière | Bayern\n\nCH | Uri\n[cities]\nOslo\n", "x")
    assert lists == {"regions": (("DE", "Bavaria", "Bavière", "Bayern"), ("CH", "Uri")), "cities": (("Oslo",),)}


def test_fields_hold_alternatives_and_tables():
    assert options("$ ; US$") == ("$", "US$")
    rows = parse_value_lists("[t]\nen_US | .com ; .com ; .io\nfr_FR | .fr\n", "x")["t"]
    assert options_by_key(rows) == {"en_US": (".com", ".com", ".io"), "fr_FR": (".fr",)}
    assert "Łъ".translate(translation((("Ł", "L"), ("ъ", "-")))) == "L"  # '-': the letter is left out


def test_every_value_file_parses():
    files = sorted(VALUES_DIR.glob("*.txt"))
    assert {f.stem for f in files} >= {"banking", "calendar", "companies", "contact", "identity", "jobs", "letters",
                                        "money", "names", "numbers", "places"}
    for path in files:
        lists = parse_value_lists(path.read_text(encoding="utf-8"), str(path))
        assert lists and all(lists.values()), path


def test_checked_lists_names_the_section_at_fault():
    with pytest.raises(PiiTaggerError, match=r"calendar\.txt: section \[no such section\] is missing"):
        checked_lists("calendar", {"no such section": (1,)})
    with pytest.raises(PiiTaggerError, match=r"calendar\.txt: \[en months\] row 'January' has 1 fields, expected 2"):
        checked_lists("calendar", {"en months": (2,)})
    with pytest.raises(PiiTaggerError, match=r"calendar\.txt: \[en weekdays\] has 7 rows, expected 5"):
        checked_lists("calendar", {}, {"en weekdays": 5})
    with pytest.raises(PiiTaggerError, match=r"no_such_topic\.txt: value list missing"):
        checked_lists("no_such_topic", {})
