"""Template files: the parser of templates/<language>/<genre>.txt and the loading of a folder of them.

Every fault (unknown placeholder, stray brace, duplicate id...) names its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from extract.errors import MissingInputError, PiiTaggerError
from extract.files import read_utf8
from extract.synth.fill import LOCALES
from extract.synth.lookalikes import FILLERS
from extract.synth.renderers import PLACEHOLDERS
from extract.synth.values import shipped_folder

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# {NAME}, {NAME#2}, {NAME:variant+words}, {NAME#2:variant}, {~one|other|choice} or {@1:he|she}
_PLACEHOLDER = re.compile(r"\{(~[^{}]*|@\d+:[^{}]*|[A-Za-z][A-Za-z0-9_]*(?:#\d+)?(?::[a-z0-9+_]+)?)\}")
# '{{' and '}}' are literal braces, as in Python's str.format: '{{"user": "{USERNAME}"}}' is a JSON line.
_ESCAPED_BRACES = ("{{", "}}")
_TEMPLATE_ID = re.compile(r"[a-z]{2}(?:-[a-z0-9]+)+")
_HEADER_MARK = "==="
_HEADER_KEYS = ("locales", "children", "prose")
# A paragraph with a line longer than this is prose and is joined into one line; a paragraph of
# shorter lines (address block, signature, list of details) keeps its layout.
_PROSE_LINE_LENGTH = 70


@dataclass(frozen=True)
class Template:
    id: str
    language: str
    locales: tuple[str, ...]
    has_pii: bool  # holds at least one PII placeholder, so every text made from it has spans
    # literal strings, ("~", options), ("@", person, (masculine, feminine)), ("ph", key, name, index, variants)
    parts: tuple
    children: frozenset = frozenset()  # person numbers who are children (ages 4-15)
    source: str = ""  # "FILE, line N" of its header, for messages


def _unwrap_prose(text: str) -> str:
    """Join the wrapped lines of each prose paragraph: once values are filled in, the line breaks
    of the data file would fall at odd places. Short-line paragraphs keep their layout."""
    paragraphs = text.split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines())
                       if max(map(len, p.splitlines()), default=0) > _PROSE_LINE_LENGTH else p
                       for p in paragraphs)


def _scan(text: str) -> list[tuple[int, str, "str | re.Match"]]:
    """(column, kind, piece) from left to right: kind "ph" and a placeholder's match, "text" and a literal
    string ('{{' and '}}' made single braces), or "stray" and a brace that is no part of a placeholder."""
    pieces: list = []
    literal: list[str] = []
    literal_start = position = 0
    while position < len(text):
        pair, char = text[position:position + 2], text[position]
        if pair in _ESCAPED_BRACES or char not in "{}":
            literal.append(char)
            position += 2 if pair in _ESCAPED_BRACES else 1
            continue
        if literal:
            pieces.append((literal_start, "text", "".join(literal)))
            literal = []
        match = _PLACEHOLDER.match(text, position) if char == "{" else None
        pieces.append((position, "ph", match) if match else (position, "stray", char))
        position = match.end() if match else position + 1
        literal_start = position
    if literal:
        pieces.append((literal_start, "text", "".join(literal)))
    return pieces


class _TemplateFileParser:
    """Reads one template file; every fault raises PiiTaggerError with the file and line."""

    def __init__(self, text: str, source: str, language: str):
        self.text, self.source, self.language = text, source, language

    def fail(self, line: int, reason: str) -> NoReturn:
        raise PiiTaggerError(f"{self.source}, line {line}: {reason}")

    def parse(self) -> list[Template]:
        templates: list[Template] = []
        header: tuple[int, str, dict] | None = None
        body: list[tuple[int, str]] = []
        for number, raw in enumerate(self.text.replace("\r\n", "\n").split("\n"), start=1):
            line = raw.rstrip()
            if line.startswith("#"):
                continue
            if line.startswith(_HEADER_MARK):
                if header is not None:
                    templates.append(self.template(header, body))
                header, body = self.header(number, line), []
            elif header is not None:
                body.append((number, line))
            elif line:
                self.fail(number, f"text outside a template: every template starts with a "
                                  f"'{_HEADER_MARK} ID' header line")
        if header is not None:
            templates.append(self.template(header, body))
        return templates

    def header(self, number: int, line: str) -> tuple[int, str, dict]:
        words = line[len(_HEADER_MARK):].split()
        if not line[len(_HEADER_MARK):len(_HEADER_MARK) + 1].isspace() or not words:
            self.fail(number, f"a header is '{_HEADER_MARK} ID [key=value ...]', got {line!r}")
        template_id, attributes = words[0], {}
        if not _TEMPLATE_ID.fullmatch(template_id):
            self.fail(number, f"template id {template_id!r} must be lower-case words joined by '-', "
                              f"like '{self.language}-support-login'")
        if not template_id.startswith(f"{self.language}-"):
            self.fail(number, f"template id {template_id!r} must start with '{self.language}-' "
                              f"(the language of its folder)")
        for word in words[1:]:
            key, equals, value = word.partition("=")
            if not equals or not value:
                self.fail(number, f"template {template_id}: attribute {word!r} is not key=value")
            if key not in _HEADER_KEYS:
                self.fail(number, f"template {template_id}: unknown attribute {key!r} "
                                  f"(known: {', '.join(_HEADER_KEYS)})")
            if key in attributes:
                self.fail(number, f"template {template_id}: attribute {key!r} given twice")
            attributes[key] = self.attribute(number, template_id, key, value)
        return number, template_id, attributes

    def attribute(self, number: int, template_id: str, key: str, value: str):
        items = value.split(",")
        if key == "locales":
            unknown = [item for item in items if item not in LOCALES[self.language]]
            if unknown:
                self.fail(number, f"template {template_id}: locale {unknown[0]!r} is not one of "
                                  f"{', '.join(LOCALES[self.language])}")
            return tuple(dict.fromkeys(items))
        if key == "children":
            if not all(item.isdigit() and int(item) >= 1 for item in items):
                self.fail(number, f"template {template_id}: children={value} must list person numbers (1, 2, ...)")
            return frozenset(int(item) for item in items)
        if value not in ("on", "off"):
            self.fail(number, f"template {template_id}: prose={value} must be 'on' or 'off'")
        return value == "on"

    def template(self, header: tuple[int, str, dict], body: list[tuple[int, str]]) -> Template:
        number, template_id, attributes = header
        while body and not body[0][1]:
            body.pop(0)
        while body and not body[-1][1]:
            body.pop()
        if not body:
            self.fail(number, f"template {template_id} has no text")
        has_pii = False
        for line_number, line in body:
            has_pii |= self.check_line(line_number, template_id, line)
        text = "\n".join(line for _, line in body)
        if attributes.get("prose", False):
            text = _unwrap_prose(text)
        return Template(template_id, self.language, attributes.get("locales", LOCALES[self.language]), has_pii,
                         _split_parts(text), attributes.get("children", frozenset()),
                         f"{self.source}, line {number}")

    def check_line(self, number: int, template_id: str, line: str) -> bool:
        """Reject unknown placeholders, variants and stray braces; True if the line holds PII."""
        has_pii = False
        for start, kind, match in _scan(line):
            if kind == "stray":
                self.fail(number, f"template {template_id}, column {start + 1}: stray {match!r} "
                                  f"(not part of a {{PLACEHOLDER}}; a literal brace is written {match * 2!r})")
            if kind != "ph":
                continue
            body = match.group(1)
            where = f"template {template_id}, column {match.start() + 1}"
            if body.startswith("~"):
                if "|" not in body:
                    self.fail(number, f"{where}: {{{body}}} needs at least two options separated by '|'")
                continue
            if body.startswith("@"):
                person, _, options = body[1:].partition(":")
                if int(person) < 1 or options.count("|") != 1:
                    self.fail(number, f"{where}: {{{body}}} is {{@N:masculine|feminine}}, N a person number from 1")
                continue
            name, _, variant = body.partition(":")
            name, _, index = name.partition("#")
            if index and int(index) < 1:
                self.fail(number, f"{where}: {{{body}}}: entity numbers start at 1")
            words = set(variant.split("+")) - {""}
            if name in PLACEHOLDERS:
                unknown = sorted(words - PLACEHOLDERS[name].variants)
                if unknown:
                    known = ", ".join(sorted(PLACEHOLDERS[name].variants)) or "none"
                    self.fail(number, f"{where}: {{{body}}}: unknown variant {unknown[0]!r} (known: {known})")
                has_pii = True
            elif name in FILLERS:
                if words:
                    self.fail(number, f"{where}: {{{body}}}: filler placeholders take no variant")
            else:
                self.fail(number, f"{where}: unknown placeholder {{{body}}}")
        return has_pii


def _split_parts(text: str) -> tuple:
    """Literals and placeholders of an already checked template text, in order."""
    parts: list = []
    for _, kind, match in _scan(text):
        if kind != "ph":  # text (a stray brace is refused by check_line before)
            parts.append(match)
            continue
        body = match.group(1)
        if body.startswith("~"):
            parts.append(("~", tuple(body[1:].split("|"))))
        elif body.startswith("@"):
            person, _, options = body[1:].partition(":")
            parts.append(("@", int(person), tuple(options.split("|"))))
        else:
            name, _, variant = body.partition(":")
            name, _, index = name.partition("#")
            parts.append(("ph", body, name, int(index or 1), frozenset(variant.split("+")) - {""}))
    return tuple(part for part in parts if part != "")


def load_templates(folder: Path | str | None = None) -> dict[str, list[Template]]:
    """Every template of `folder`/en/*.txt and `folder`/fr/*.txt (default: the files shipped in
    extract/synth/templates, read once per process), files in name order. A malformed file, a
    duplicate id or an unknown language folder raises PiiTaggerError naming the file and line."""
    if folder is None:
        return {language: list(templates) for language, templates in shipped_templates().items()}
    return _read_folder(Path(folder))


@cache
def shipped_templates() -> dict[str, tuple[Template, ...]]:
    """The templates shipped with the package, by language."""
    return {language: tuple(templates) for language, templates in _read_folder(shipped_folder()).items()}


@cache
def template_counts() -> dict[str, int]:
    """Distinct templates per language, with and without PII."""
    return {language: len(templates) for language, templates in shipped_templates().items()}


def _read_folder(root: Path | Traversable) -> dict[str, list[Template]]:
    if not root.is_dir():
        raise MissingInputError(f"{root}: no such template folder")
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in LOCALES and not entry.name.startswith(("_", ".")):
            raise PiiTaggerError(f"{entry}: template folder for an unsupported language "
                                 f"(expected {', '.join(LOCALES)})")
    templates: dict[str, list[Template]] = {}
    first_seen: dict[str, str] = {}
    for language in LOCALES:
        folder_of_language = root.joinpath(language)
        files = sorted((f for f in folder_of_language.iterdir() if f.name.endswith(".txt")), key=lambda f: f.name) \
            if folder_of_language.is_dir() else []
        templates[language] = []
        for file in files:
            for template in _TemplateFileParser(read_utf8(file), str(file), language).parse():
                if template.id in first_seen:
                    raise PiiTaggerError(f"{template.source}: duplicate template id {template.id!r} "
                                         f"(first defined at {first_seen[template.id]})")
                first_seen[template.id] = template.source
                templates[language].append(template)
    return templates
