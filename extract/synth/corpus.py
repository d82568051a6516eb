"""The corpus: how many texts, templates dealt from shuffled decks, each one written out with exact spans.

Deterministic for a given SynthConfig; written as AI4Privacy-style JSONL, one file per language.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from extract.errors import PiiTaggerError
from extract.files import atomic_write_text, check_own_files, remove_files
from extract.records import Record, Span
from extract.synth.fill import LOCALES, Fill, Segment
from extract.synth.lookalikes import FILLERS
from extract.synth.people import person_of
from extract.synth.renderers import PLACEHOLDERS
from extract.synth.template_files import Template, shipped_templates

# The files `write_corpus` writes, per language (the CLI checks and replaces only these).
CORPUS_FILES: dict[str, str] = {"en": "english_synthetic.jsonl", "fr": "french_synthetic.jsonl"}

# Labels of values whose first sound the word before them agrees with: "d'Angers", "an engineer".
_ELIDED_LABELS = frozenset({"FIRSTNAME", "MIDDLENAME", "LASTNAME", "CITY", "STATE", "COMPANYNAME", "JOBTITLE",
                            "USERNAME", "AGE"})
_FR_ELISION = re.compile(r"(?:^|(?<=[\s(«\"']))([Dd]e|[Qq]ue|[Jj]usque) $")
_EN_ARTICLE = re.compile(r"(?:^|(?<=[\s(\"']))([Aa]) $")


@dataclass(kw_only=True)
class SynthConfig:
    """How many texts to make and how they are drawn."""

    # Enough English texts for every template to appear a few times and every label to occur,
    # few enough that extracting LLM features for them stays a short job.
    n_english: int = 500
    # The same for French, so that neither language outweighs the other.
    n_french: int = 500
    # Any fixed number works; fixing one makes two runs give byte-identical files.
    seed: int = 42
    # Share of texts drawn from the no-PII templates (news, reviews, docs, recipes, trivia, look-alike
    # words...), dealt from their own deck so the share is exact. A head that never sees ordinary
    # prose tags "What", "radio" or "masterpiece"; too much of it starves the labels. This share
    # shows every no-PII template a few times in a default corpus while most texts still hold PII.
    no_pii_fraction: float = 0.3

    def validate(self) -> None:
        for name in ("n_english", "n_french"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PiiTaggerError(f"`{name}` must be a whole number, got {value!r}")
            if value < 0:
                raise PiiTaggerError(f"`{name}` must be 0 or more, got {value}")
        fraction = self.no_pii_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction <= 1.0:
            raise PiiTaggerError(f"`no_pii_fraction` must be a number between 0 and 1, got {fraction!r}")


@dataclass(frozen=True)
class SynthResult:
    """What `write_synthetic` made: texts per language, texts without PII, entities, files written."""

    english: int
    french: int
    without_pii: int
    entities: int
    labels: int  # distinct labels among the entities
    paths: tuple[Path, ...]

    def summary(self) -> list[tuple[str, str]]:
        """(name, value) rows for the command's closing summary."""
        return [("texts", f"{self.english} English, {self.french} French ({self.without_pii} without PII)"),
                ("entities", f"{self.entities} in {self.labels} labels"),
                ("wrote", ", ".join(str(path) for path in self.paths))]


class _Deck:
    """Deals templates in shuffled rounds: every template is used before any is used twice,
    so even a small corpus covers every template (and with them every label)."""

    def __init__(self, templates: list[Template], rng: random.Random):
        self.templates, self.rng, self.cards = templates, rng, []

    def draw(self) -> Template:
        if not self.cards:
            self.cards = list(self.templates)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def render_template(template: Template, fill: Fill) -> tuple[str, tuple[Span, ...]]:
    """Concatenate literals and values, noting each labelled value's offsets as it goes."""
    pieces: list[str] = []
    spans: list[Span] = []
    position = 0
    previous_label: str | None = "start"  # label of the last piece written (None: literal text)
    for part in template.parts:
        if isinstance(part, str):
            segments: list[Segment] = [(part, None)]
        elif part[0] == "~":
            segments = [(fill.rng.choice(part[1]), None)]
        elif part[0] == "@":  # agreement with a person's gender: he/she, né/née
            _, person, (masculine, feminine) = part
            segments = [(masculine if person_of(fill, person).gender == "m" else feminine, None)]
        else:
            _, key, name, index, variants = part
            segments = fill.cache.get(key)
            if segments is None:
                if name in PLACEHOLDERS:
                    segments = PLACEHOLDERS[name].render(fill, index, set(variants))
                else:
                    segments = [(FILLERS[name](fill), None)]
                fill.cache[key] = segments
        for text, label in segments:
            if label is not None:
                if pieces and previous_label is None:  # "de Angers" -> "d'Angers", "a engineer" -> "an engineer"
                    joined = _join_article(fill.lang, pieces[-1], text, label)
                    position += len(joined) - len(pieces[-1])
                    pieces[-1] = joined
                spans.append(Span(position, position + len(text), label))
            pieces.append(text)
            position += len(text)
            previous_label = label
    return "".join(pieces), tuple(spans)


def _join_article(lang: str, literal: str, value: str, label: str) -> str:
    """The literal before a value, with French elision (de/que before a vowel) or English a/an."""
    if label not in _ELIDED_LABELS or not value:
        return literal
    if lang == "fr":
        if value[0].lower() in "aeiouyàâäéèêëîïôöùûüœ" and _FR_ELISION.search(literal):
            return _FR_ELISION.sub(lambda m: m.group(1)[:-1] + "'", literal)
        return literal
    vowel_sound = (re.match(r"8|1[18](?!\d)", value) is not None if value[0].isdigit()
                   else value[0].lower() in "aeio" or (value[0].lower() == "u" and not value.lower().startswith(("uni", "us", "ut"))))
    if vowel_sound and _EN_ARTICLE.search(literal):
        return _EN_ARTICLE.sub(lambda m: m.group(1) + "n ", literal)
    return literal


def _generate_language(language: str, n: int, config: SynthConfig) -> list[Record]:
    from faker import Faker

    # Each language has its own random streams, so changing n_french never changes English texts.
    rng = random.Random(f"synth:{config.seed}:{language}")
    fakers = {}
    for locale in LOCALES[language]:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(f"synth:{config.seed}:{locale}")
    # Texts without PII come from their own deck, so their share is exact whatever the number
    # of templates on either side.
    no_pii = set(rng.sample(range(n), round(n * config.no_pii_fraction)))
    templates = shipped_templates()[language]
    decks = {True: _Deck([t for t in templates if t.has_pii], rng),
             False: _Deck([t for t in templates if not t.has_pii], rng)}
    out = []
    for index in range(n):
        template = decks[index not in no_pii].draw()
        locale = rng.choice(template.locales)
        today = date(2023, 1, 1) + timedelta(days=rng.randint(0, 3 * 365))
        fill = Fill(language, locale, fakers[locale], rng, today, children=template.children)
        text, spans = render_template(template, fill)
        out.append(Record(f"synth-{language}-{index:06d}", language, text, spans, template=template.id))
    return out


def generate(config: SynthConfig) -> list[Record]:
    """Deterministic for a given config (same seed -> byte-identical output).

    English records come first, then French; ids are `synth-en-000000`, `synth-fr-000000`, ...;
    each record's `template` is the id of the template it was made from (e.g. 'fr-caf-courrier').
    """
    config.validate()
    return _generate_language("en", config.n_english, config) + _generate_language("fr", config.n_french, config)


def generate_with_templates(config: SynthConfig) -> list[tuple[Record, str]]:
    """Like `generate`, paired with the id of the template behind each record (also `record.template`)."""
    return [(record, record.template) for record in generate(config)]


def write_corpus(records: list[Record], out_dir: Path) -> list[Path]:
    """Write AI4Privacy-style JSONL: out_dir/english_synthetic.jsonl and out_dir/french_synthetic.jsonl
    (one file per language present), one object per line:
    {"id": ..., "language": "en"|"fr", "source_text": ..., "privacy_mask": [{"value", "start", "end", "label"}],
    "template": ...} (the template id, when the record has one) using extract.files.atomic_write_text.
    Returns the paths written."""
    out_dir = Path(out_dir)
    lines: dict[str, list[str]] = {}
    for record in records:
        if record.language not in CORPUS_FILES:
            raise PiiTaggerError(f"record {record.id}: language {record.language!r} is not one of {', '.join(CORPUS_FILES)}")
        obj = {
            "id": record.id,
            "language": record.language,
            "source_text": record.text,
            "privacy_mask": [{"value": record.text[s.start:s.end], "start": s.start, "end": s.end, "label": s.label}
                             for s in record.spans],
        }
        if record.template is not None:
            obj["template"] = record.template
        lines.setdefault(record.language, []).append(json.dumps(obj, ensure_ascii=False) + "\n")
    paths = []
    for language, name in CORPUS_FILES.items():
        if language in lines:
            path = out_dir / name
            atomic_write_text(path, "".join(lines[language]))
            paths.append(path)
    return paths


def write_synthetic(config: SynthConfig, out: Path | str, overwrite: bool = False) -> SynthResult:
    """Generate the corpus of `config` into the folder `out`, touching only its CORPUS_FILES: an
    existing one is refused unless `overwrite`, and one of a language not generated this time is
    stale and removed. Other files in `out` are left alone."""
    check_own_files(out, CORPUS_FILES.values(), overwrite)
    records = generate(config)
    paths = write_corpus(records, Path(out))
    remove_files(out, [name for name in CORPUS_FILES.values() if name not in {p.name for p in paths}])
    return SynthResult(english=config.n_english, french=config.n_french,
                       without_pii=sum(not record.spans for record in records),
                       entities=sum(len(record.spans) for record in records),
                       labels=len({span.label for record in records for span in record.spans}), paths=tuple(paths))
