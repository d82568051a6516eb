"""Value lists: the data files of templates/_values, read, parsed and checked against their use.

Every table the generator draws from (names, places, calendars, currencies, card shapes...) is one.
"""

from __future__ import annotations

import importlib.resources
import re
from typing import TYPE_CHECKING

from extract.errors import MissingInputError, PiiTaggerError
from extract.files import read_utf8

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Rows = tuple[tuple[str, ...], ...]

# Folders whose name starts with '_' are not languages, so the value lists live beside the templates.
VALUES_FOLDER = "_values"
_SECTION = re.compile(r"\[([a-z][a-z ]*)\]")
# A field that stands for nothing (a letter left out, a country without a Faker street locale).
NOTHING = "-"


def shipped_folder() -> Traversable:
    """extract/synth/templates: the template and value-list files installed with the package."""
    return importlib.resources.files(__package__).joinpath("templates")


def read_value_lists(topic: str) -> dict[str, Rows]:
    """The sections of templates/_values/<topic>.txt (see parse_value_lists)."""
    path = shipped_folder().joinpath(VALUES_FOLDER, f"{topic}.txt")
    if not path.is_file():
        raise MissingInputError(f"{path}: value list missing (it ships with extract/synth/templates)")
    return parse_value_lists(read_utf8(path), str(path))


def parse_value_lists(text: str, source: str) -> dict[str, Rows]:
    """{section: rows}: '[section]' lines start a list, each other line is a row whose fields are
    split on ' | ', '#' lines are comments. A fault raises PiiTaggerError naming file and line."""
    sections: dict[str, list[tuple[str, ...]]] = {}
    current: list | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _SECTION.fullmatch(line)
        if header:
            if header.group(1) in sections:
                raise PiiTaggerError(f"{source}, line {number}: section [{header.group(1)}] given twice")
            current = sections[header.group(1)] = []
        elif current is None:
            raise PiiTaggerError(f"{source}, line {number}: value outside a [section]")
        else:
            fields = tuple(field.strip() for field in line.split(" | "))
            if not all(fields) or any(c in line for c in "{}\t"):
                raise PiiTaggerError(f"{source}, line {number}: empty field, brace or tab in {line!r}")
            current.append(fields)
    return {name: tuple(rows) for name, rows in sections.items()}


def checked_lists(topic: str, widths: dict[str, tuple[int, ...]],
                  lengths: dict[str, int] | None = None) -> dict[str, Rows]:
    """The lists of one _values file, each section of `widths` present and non-empty, every row
    with one of the field counts the generator reads (sections not in `widths`: 1 field), and the
    sections of `lengths` with exactly that many rows (the generator indexes them: months, units)."""
    lists = read_value_lists(topic)
    where = f"extract/synth/templates/{VALUES_FOLDER}/{topic}.txt"
    for section in widths:
        if not lists.get(section):
            raise PiiTaggerError(f"{where}: section [{section}] is missing or empty")
    for section, rows in lists.items():
        allowed = widths.get(section, (1,))
        for row in rows:
            if len(row) not in allowed:
                raise PiiTaggerError(f"{where}: [{section}] row {' | '.join(row)!r} has {len(row)} fields, "
                                     f"expected {' or '.join(map(str, allowed))}")
    for section, length in (lengths or {}).items():
        if len(lists[section]) != length:
            raise PiiTaggerError(f"{where}: [{section}] has {len(lists[section])} rows, expected {length}")
    return lists


def column(rows: Rows, index: int = 0) -> tuple[str, ...]:
    return tuple(row[index] for row in rows)


def options(field_text: str) -> tuple[str, ...]:
    """'$ ; US$' -> ('$', 'US$'): alternatives inside one field."""
    return tuple(option.strip() for option in field_text.split(" ; "))


def options_by_key(rows: Rows) -> dict[str, tuple[str, ...]]:
    """Rows 'key | a ; b ; c' -> {key: ('a', 'b', 'c')}, in file order."""
    return {row[0]: options(row[1]) for row in rows}


def translation(rows: Rows) -> dict[int, str]:
    """Rows 'letter | written as' as a str.translate table ('-': the letter is left out)."""
    return str.maketrans({letter: "" if written == NOTHING else written for letter, written in rows})
