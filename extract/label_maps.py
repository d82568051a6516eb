"""Label maps: rename another corpus's PII labels onto the project's, or mark them ignored.

Built-in maps cover the AI4Privacy releases (pii-masking-200k, -300k, -400k, open-pii-masking-500k);
any JSON file of the same shape works too. A `null` target turns the span into an ignored region.

A map file is one JSON object::

    {"name": "my-corpus",                      # optional, defaults to the file name
     "source": ["where the label set was read"],  # optional, for the reader
     "targets": "project",                     # or "free-form": targets need not be project labels
     "unknown": "error",                       # a label absent from `map`: "error", "ignore" or "keep"
     "map": {"PER": "FIRSTNAME", "DOB": "DATE", "GENDER": null, "IP": "@ip-version"},
     "notes": {"GENDER": "no counterpart: ignored, neither rewarded nor punished"}}

A target starting with `@` is a rule that decides per span (see `RULES`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

from extract.checksums import iban_valid
from extract.errors import MissingInputError, PiiTaggerError
from extract.files import read_utf8
from extract.records import Record, Span
from extract.schema import LABELS

__all__ = ["BUILTIN_MAPS", "RULES", "UNKNOWN_POLICIES", "LabelMap", "LabelMapError", "UnknownLabelError",
           "load_label_map"]

# Built-in map name -> JSON file in extract/label_maps/. pii-masking-400k and open-pii-masking-500k
# use one naming scheme (GIVENNAME, SURNAME, TELEPHONENUM, ...), so they share a file.
BUILTIN_MAPS: dict[str, str] = {
    "ai4privacy-200k": "ai4privacy-200k.json",
    "ai4privacy-300k": "ai4privacy-300k.json",
    "ai4privacy-400k": "ai4privacy-400k-500k.json",
    "ai4privacy-500k": "ai4privacy-400k-500k.json",
    "open-pii-masking-500k": "ai4privacy-400k-500k.json",
}
UNKNOWN_POLICIES = ("error", "ignore", "keep")
TARGET_KINDS = ("project", "free-form")
_FILE_KEYS = ("name", "description", "source", "targets", "unknown", "map", "notes")
_NAME_LABELS = ("FIRSTNAME", "MIDDLENAME")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


class LabelMapError(PiiTaggerError):
    """A label map file or definition that cannot be used, with where it is and why."""


class UnknownLabelError(PiiTaggerError):
    """A gold label that the label map has no decision for (the map's `unknown` is "error")."""

    def __init__(self, label: str, map_name: str):
        self.label, self.map_name = label, map_name
        super().__init__(
            f"label {label!r} is not in label map {map_name!r}: add it to a map file (null to ignore it), "
            f"or set \"unknown\" to \"ignore\" or \"keep\" there"
        )


def _follows_name(text: str, start: int, previous: tuple[int, str | None] | None) -> bool:
    """True when the span right before (same line, only blanks between) became a first or middle name."""
    if previous is None or previous[1] not in _NAME_LABELS:
        return False
    gap = text[previous[0]:start]
    return gap == "" or (gap.isspace() and "\n" not in gap and "\r" not in gap)


def _ip_version(text: str, span: Span, previous) -> str | None:
    # An IP address is v4 or v6 by its form; mapping all to one would punish correct predictions of the other.
    try:
        version = ipaddress.ip_address(text[span.start:span.end].strip("[]")).version
    except ValueError:
        return None  # neither form: ignored rather than guessed
    return "IPV4" if version == 4 else "IPV6"


def _given_name(text: str, span: Span, previous) -> str | None:
    # The project labels a second forename MIDDLENAME: "Anna Maria Rossi" -> FIRSTNAME MIDDLENAME LASTNAME.
    return "MIDDLENAME" if _follows_name(text, span.start, previous) else "FIRSTNAME"


def _middle_name(text: str, span: Span, previous) -> str | None:
    # A middle name is one only after a first name; alone its role is unknown (first name or surname).
    return "MIDDLENAME" if _follows_name(text, span.start, previous) else None


def _account_number(text: str, span: Span, previous) -> str | None:
    # Some corpora file IBANs under a generic account label; the project tells them apart.
    compact = re.sub(r"[\s-]", "", text[span.start:span.end]).upper()
    if _IBAN.fullmatch(compact) and iban_valid(compact):
        return "IBAN"
    return "ACCOUNTNUMBER"


# Rule name -> function(text, span, previous (end, resolved target) or None) -> project label or None.
RULES: dict[str, Callable[[str, Span, tuple[int, str | None] | None], str | None]] = {
    "@ip-version": _ip_version,  # IPV4 or IPV6 by the value's form; ignored when it is neither
    "@given-name": _given_name,  # FIRSTNAME, or MIDDLENAME right after a first/middle name
    "@middle-name": _middle_name,  # MIDDLENAME right after a first/middle name, else ignored
    "@account-number": _account_number,  # IBAN when the value is a valid IBAN, else ACCOUNTNUMBER
}


@dataclass(frozen=True)
class LabelMap:
    """Source label -> project label (or a rule, or None to ignore), applied record by record."""

    name: str  # shown in errors and reports
    mapping: dict[str, str | None] = field(default_factory=dict)  # source label -> target, "@rule" or None
    unknown: str = "error"  # a label absent from `mapping`: "error" (raise), "ignore" or "keep" as written
    free_targets: bool = False  # False: every target must be a project label (extract.schema.LABELS)
    notes: dict[str, str] = field(default_factory=dict)  # source label -> one-line reason, for readers
    source: tuple[str, ...] = ()  # where the source label set was looked up

    def __post_init__(self):
        if self.unknown not in UNKNOWN_POLICIES:
            raise LabelMapError(f"label map {self.name!r}: unknown {self.unknown!r} is not one of "
                                f"{', '.join(UNKNOWN_POLICIES)}")
        for label, target in self.mapping.items():
            problem = _target_problem(target, self.free_targets)
            if problem:
                raise LabelMapError(f"label map {self.name!r}: {label!r} -> {problem}")

    @property
    def labels(self) -> tuple[str, ...]:
        """The source labels this map has a decision for."""
        return tuple(self.mapping)

    def target(self, label: str) -> str | None:
        """The map's decision for a source label: a project label, a rule name or None (ignored)."""
        if label in self.mapping:
            return self.mapping[label]
        if self.unknown == "error":
            raise UnknownLabelError(label, self.name)
        return None if self.unknown == "ignore" else label

    def apply(self, record: Record) -> Record:
        """The record with mapped span labels; spans mapped to None join its ignored regions.

        Raises `UnknownLabelError` (a PiiTaggerError naming the label) for a label the map has no
        decision for while `unknown` is "error"; the caller adds the file and line.
        """
        spans: list[Span] = []
        ignored = list(record.ignored)
        previous: tuple[int, str | None] | None = None  # (end, resolved target) of the span before
        for span in record.spans:
            target = self.target(span.label)
            if target is not None and target in RULES:
                target = RULES[target](record.text, span, previous)
            previous = (span.end, target)
            if target is None:
                ignored.append((span.start, span.end))
            else:
                # Adjacent spans with one target stay apart: "LASTNAME1 LASTNAME2" are two surnames.
                spans.append(Span(span.start, span.end, target))
        return dataclasses.replace(record, spans=tuple(spans), ignored=tuple(sorted(ignored)))


def _target_problem(target, free_targets: bool) -> str | None:
    """Why a target is not usable, or None."""
    if target is None:
        return None
    if not isinstance(target, str) or not target.strip():
        return f"target {target!r} must be a label name, a rule (@...) or null"
    if target.startswith("@"):
        return None if target in RULES else f"unknown rule {target!r} (rules: {', '.join(RULES)})"
    if not free_targets and target not in LABELS:
        return (f"target {target!r} is not a project label (set \"targets\": \"free-form\" to allow it; "
                f"project labels: {', '.join(LABELS)})")
    return None


def load_label_map(name_or_path: str | Path) -> LabelMap:
    """A built-in map by name (see `BUILTIN_MAPS`), or a JSON map file by path."""
    key = str(name_or_path).strip()
    if key.lower() in BUILTIN_MAPS:
        resource = resources.files("extract").joinpath("label_maps", BUILTIN_MAPS[key.lower()])
        return _parse_map(resource.read_text(encoding="utf-8"), where=f"built-in label map {key.lower()}",
                          default_name=key.lower())
    path = Path(name_or_path)
    looks_like_path = path.suffix.lower() == ".json" or "/" in key or "\\" in key or path.exists()
    if not looks_like_path:
        raise LabelMapError(f"unknown label map {key!r}: built-in maps are {', '.join(BUILTIN_MAPS)}; "
                            "anything else must be the path of a JSON map file")
    if not path.is_file():
        raise MissingInputError(f"{path}: no such label map file")
    return _parse_map(read_utf8(path, LabelMapError), where=str(path), default_name=path.stem)


def _parse_map(text: str, *, where: str, default_name: str) -> LabelMap:
    def fail(reason: str, key: str | None = None, after: str | None = None):
        line = _line_of(text, key, after) if key is not None else None
        raise LabelMapError(f"{where}{f', line {line}' if line else ''}: {reason}")

    def no_duplicates(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                fail(f"key {key!r} appears twice", key)
            seen[key] = value
        return seen

    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as err:
        raise LabelMapError(f"{where}, line {err.lineno}: malformed JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(obj, dict):
        fail(f"expected a JSON object with a \"map\", got {type(obj).__name__}")
    for key in obj:
        if key not in _FILE_KEYS:
            fail(f"unknown key {key!r} (expected: {', '.join(_FILE_KEYS)})", key)
    if "map" not in obj:
        fail("no \"map\" object (source label -> project label or null)")
    mapping, notes = obj["map"], obj.get("notes", {})
    if not isinstance(mapping, dict) or not mapping:
        fail("\"map\" must be a non-empty object of source label -> target", "map")
    if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
        fail("\"notes\" must be an object of source label -> text", "notes")
    targets = obj.get("targets", "project")
    if targets not in TARGET_KINDS:
        fail(f"\"targets\" is {targets!r}, expected one of: {', '.join(TARGET_KINDS)}", "targets")
    unknown = obj.get("unknown", "error")
    if unknown not in UNKNOWN_POLICIES:
        fail(f"\"unknown\" is {unknown!r}, expected one of: {', '.join(UNKNOWN_POLICIES)}", "unknown")
    for label, target in mapping.items():
        if not label.strip():
            fail("a source label is empty", "map")
        problem = _target_problem(target, targets == "free-form")
        if problem:
            fail(f"{label!r}: {problem}", label, after="map")
    for label in notes:
        if label not in mapping:
            fail(f"note for {label!r}, which is not in \"map\"", label, after="notes")
    source = obj.get("source", ())
    source = (source,) if isinstance(source, str) else source
    if not isinstance(source, (list, tuple)) or not all(isinstance(s, str) for s in source):
        fail("\"source\" must be a string or a list of strings", "source")
    name = obj.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        fail("\"name\" must be a non-empty string", "name")
    return LabelMap(name=name, mapping=dict(mapping), unknown=unknown, free_targets=targets == "free-form",
                    notes=dict(notes), source=tuple(source))


def _line_of(text: str, key: str, after: str | None = None) -> int | None:
    """1-based line of the first `"key":` (after the `"after":` key when given), for error messages."""
    offset = 0
    if after is not None:
        anchor = re.search(rf'"{re.escape(after)}"\s*:', text)
        offset = anchor.end() if anchor else 0
    found = re.compile(rf'"{re.escape(key)}"\s*:').search(text, offset)
    return text.count("\n", 0, found.start()) + 1 if found else None
