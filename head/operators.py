"""Operators: what becomes of each span found, for `predict`, the Python API and the service alike.

replace ([LABEL_n] or a text), mask, a salted hash, redact, keep, or fake (Faker surrogates that keep
the value's format and checksums), chosen per label; within a run the same value gets the same surrogate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from extract.checksums import luhn_completed, mod97
from extract.errors import MissingInputError, PiiTaggerError

OPERATORS = ("replace", "mask", "hash", "redact", "keep", "fake")
DEFAULT = "DEFAULT"  # the operator of every label not named ("default=NAME" on the command line)
SALT_ENV = "PII_TAGGER_SALT"  # the salt of `hash` when no salt file is given
FAKER_LOCALES = {"en": "en_US", "fr": "fr_FR"}
FRENCH_WORDS = frozenset("le la les des du de un une et est pour avec dans sur au aux vous nous je mon ma mes "
                         "votre vos est à été".split())
ENGLISH_WORDS = frozenset("the a an and is are for with in on at to you we i my your of was be".split())


@dataclass(frozen=True)
class Operator:
    name: str  # one of OPERATORS
    arg: str | None = None  # replace:TEXT (the replacement), mask:C (the masking character)

    @classmethod
    def parse(cls, spec: str, setting: str = "operator") -> "Operator":
        name, _, arg = spec.partition(":")
        name = name.strip().lower()
        if name not in OPERATORS:
            raise PiiTaggerError(f"`{setting}`: unknown operator {name!r} in {spec!r} (expected one of: "
                                 f"{', '.join(OPERATORS)})")
        if arg and name not in ("replace", "mask"):
            raise PiiTaggerError(f"`{setting}`: {name} takes no argument ({spec!r}); only replace:TEXT and mask:C do")
        if name == "mask" and arg and len(arg) != 1:
            raise PiiTaggerError(f"`{setting}`: mask takes one character ({spec!r}), e.g. mask:#")
        return cls(name, arg if ":" in spec else None)


def parse_operators(specs: Iterable[str], labels: Sequence[str] | None = None, setting: str = "operator"
                    ) -> dict[str, Operator]:
    """["mask", "EMAIL=hash", "default=replace:[PII]"] -> {"DEFAULT": ..., "EMAIL": ...}.

    A bare name applies to every label; LABEL=NAME to one (checked against `labels` when given).
    """
    chosen: dict[str, Operator] = {}
    for spec in specs:
        label, equals, rest = spec.partition("=")
        if equals and ":" not in label:
            label = DEFAULT if label.strip().lower() == "default" else label.strip()
        else:
            label, rest = DEFAULT, spec
        if label != DEFAULT and labels is not None and label not in labels:
            raise PiiTaggerError(f"`{setting}` {spec!r}: {label} is not a label of this head (it knows "
                                 f"{', '.join(labels)})")
        if label in chosen:
            raise PiiTaggerError(f"`{setting}`: two operators for {'every label' if label == DEFAULT else label}")
        chosen[label] = Operator.parse(rest, setting)
    return chosen


def read_salt(path: Path | str | None) -> tuple[bytes | None, str]:
    """(salt, where it came from): the file's bytes, else $PII_TAGGER_SALT, else None (random per run)."""
    if path is not None:
        try:
            salt = Path(path).read_bytes().strip()
        except OSError as err:
            raise MissingInputError(f"`salt_file` {path}: cannot read it ({err.strerror})") from None
        if not salt:
            raise PiiTaggerError(f"`salt_file` {path} is empty")
        return salt, f"from {path}"
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV].encode("utf-8"), f"from ${SALT_ENV}"
    return None, "random for this run: hashes cannot be matched with another run's"


def guess_language(text: str) -> str:
    """en or fr, by the commoner function words (for `fake` surrogates when no language is given)."""
    words = [word.strip(".,;:!?()\"'").lower() for word in text.split()]
    return "fr" if sum(w in FRENCH_WORDS for w in words) > sum(w in ENGLISH_WORDS for w in words) else "en"


def merged(spans: Sequence) -> list:
    """Spans in text order, overlapping ones merged into the first (its label, the union's extent):
    a redactor hides every character any span covers, and never shows one twice."""
    out: list = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and span.start < out[-1].end:
            if span.end > out[-1].end:
                first = out[-1]
                out[-1] = first._replace(end=span.end) if hasattr(first, "_replace") else \
                    dataclasses.replace(first, end=span.end)
            continue
        out.append(span)
    return out


def replace_spans(text: str, spans: Sequence, replacement: Callable[[object, str, str], str] | None = None
                  ) -> tuple[str, list[dict]]:
    """The text with every span replaced, and where each replacement sits ({"start", "end",
    "entity_type", "text"}). `replacement(span, value, placeholder)` gives the new text; by default
    the placeholder `[LABEL_n]`, the same for the same value within the text."""
    numbers: dict[tuple[str, str], int] = {}
    per_label: dict[str, int] = {}
    pieces, items, cursor, length = [], [], 0, 0
    for span in merged(spans):
        value = text[span.start:span.end]
        if (span.label, value) not in numbers:
            per_label[span.label] = per_label.get(span.label, 0) + 1
            numbers[(span.label, value)] = per_label[span.label]
        placeholder = f"[{span.label}_{numbers[(span.label, value)]}]"
        new = placeholder if replacement is None else replacement(span, value, placeholder)
        pieces += [text[cursor:span.start], new]
        length += span.start - cursor
        items.append({"start": length, "end": length + len(new), "entity_type": span.label, "text": new})
        length += len(new)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces), items


@dataclass
class Redactor:
    """Applies operators to spans, text after text; one per run, so surrogates stay consistent."""

    operators: Mapping[str, Operator] = field(default_factory=dict)  # by label, DEFAULT for the rest
    salt: bytes | None = None  # of `hash`; None: random for this run
    seed: int | None = None  # of `fake`; None: random
    mapping: dict[str, str] = field(default_factory=dict)  # surrogate -> original, for fake and hash

    def __post_init__(self):
        self.salt = self.salt or secrets.token_bytes(16)
        self._random = random.Random(self.seed)
        self._fakers: dict[str, object] = {}
        self._surrogates: dict[tuple[str, str], str] = {}
        self._faker_methods = json.loads(resources.files("head").joinpath("operators.json").read_text("utf-8"))

    def operator_for(self, label: str) -> Operator:
        return self.operators.get(label) or self.operators.get(DEFAULT) or Operator("replace")

    def redact(self, text: str, spans: Sequence, language: str | None = None) -> tuple[str, list[dict]]:
        """(redacted text, items with their operator), as `replace_spans`."""
        language = language if language in FAKER_LOCALES else guess_language(text)
        redacted, items = replace_spans(text, spans, lambda span, value, placeholder:
                                        self._apply(self.operator_for(span.label), span.label, value, placeholder,
                                                    language))
        for item in items:
            item["operator"] = self.operator_for(item["entity_type"]).name
        return redacted, items

    def _apply(self, operator: Operator, label: str, value: str, placeholder: str, language: str) -> str:
        if operator.name == "replace":
            return placeholder if operator.arg is None else operator.arg
        if operator.name == "mask":
            return (operator.arg or "*") * len(value)
        if operator.name == "redact":
            return ""
        if operator.name == "keep":
            return value
        if operator.name == "hash":
            digest = hashlib.sha256(self.salt + value.encode("utf-8")).hexdigest()
            self.mapping[digest] = value
            return digest
        return self._fake(label, value, language)

    def _fake(self, label: str, value: str, language: str) -> str:
        """A surrogate for `value`: the same one within the run, never the value itself or another's."""
        key = (label, value)
        if key not in self._surrogates:
            taken = set(self.mapping)
            for _ in range(20):
                surrogate = self._make_fake(label, value, language)
                if surrogate != value and surrogate not in taken:
                    break
            else:  # nothing new could be made ("0", a value with no letter or digit): hidden, never kept
                surrogate = "*" * max(1, len(value))
                while surrogate in taken:
                    surrogate += "*"
            self._surrogates[key] = surrogate
            self.mapping[surrogate] = value
        return self._surrogates[key]

    def _make_fake(self, label: str, value: str, language: str) -> str:
        try:
            return self._format_keeping_fake(label, value, language)
        except (ValueError, AttributeError, TypeError):  # a value no format rule expected: its shape at least
            return shape_like(value, self._random)

    def _format_keeping_fake(self, label: str, value: str, language: str) -> str:
        if label == "CREDITCARDNUMBER":
            return luhn_like(value, self._random)
        if label == "IBAN":
            return iban_like(value, self._random)
        if label == "PHONENUMBER":
            return shape_like(value, self._random, keep=phone_prefix_length(value))
        method = self._faker_methods.get(label)
        faker = self._faker(language)
        if method and hasattr(faker, method):
            return str(getattr(faker, method)())
        return shape_like(value, self._random)

    def _faker(self, language: str):
        if language not in self._fakers:
            from faker import Faker

            faker = Faker(FAKER_LOCALES[language])
            faker.seed_instance(self._random.getrandbits(64))
            self._fakers[language] = faker
        return self._fakers[language]


def shape_like(value: str, rng: random.Random, keep: int = 0) -> str:
    """Each digit a random digit, each letter a random letter of the same case; the first `keep`
    characters and every other character as they were."""
    out = list(value)
    for i, char in enumerate(value[keep:], start=keep):
        if char.isdigit():
            out[i] = str(rng.randrange(10))
        elif char.isalpha():  # any script: an accented or Cyrillic letter kept would leak the value
            letter = chr(rng.randrange(26) + ord("a"))
            out[i] = letter.upper() if char.isupper() else letter
    return "".join(out)


def phone_prefix_length(value: str) -> int:
    """Characters a fake phone number keeps: "+" and the country code, or a national leading 0."""
    if value.startswith("+"):
        return 3 if len(value) > 3 and value[1:3].isdigit() else 1
    return 1 if value.startswith("0") else 0


def luhn_like(value: str, rng: random.Random) -> str:
    """A card number of the same shape and first digit whose Luhn checksum holds."""
    fake = shape_like(value, rng, keep=1)
    positions = [i for i, char in enumerate(fake) if char.isdigit()]
    if len(positions) < 2:
        return fake
    out = list(fake)
    out[positions[-1]] = luhn_completed("".join(fake[i] for i in positions[:-1]))[-1]
    return "".join(out)


def iban_like(value: str, rng: random.Random) -> str:
    """An IBAN of the same country, length and grouping whose mod-97 check digits hold."""
    compact = [char for char in value if char.isascii() and char.isalnum()]
    if len(compact) < 5 or not "".join(compact[:2]).isalpha():
        return shape_like(value, rng)
    body = shape_like("".join(compact[4:]), rng)
    new = "".join(compact[:2]) + f"{98 - mod97(body + ''.join(compact[:2]).upper() + '00'):02d}" + body
    out, k = [], 0
    for char in value:  # the original grouping: spaces, dashes
        if char.isascii() and char.isalnum():
            out.append(new[k])
            k += 1
        else:
            out.append(char)
    return "".join(out)
