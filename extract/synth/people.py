"""The people a text talks about: names of its country and of many origins, prefix, age, birth date.

Names of other scripts come romanized or transliterated, in Latin letters, as texts write them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Callable

from extract.synth.text import letter_tables
from extract.synth.values import Rows, checked_lists, column, options, options_by_key, translation

if TYPE_CHECKING:
    from faker import Faker

    from extract.synth.fill import Fill

# Share of people named from another origin than the text's country: real texts name people of
# every origin, and a head that has only seen Anglo-American and French names misses "Yıldız".
WORLD_NAME_SHARE = 0.35
# Share of people whose first name (or surname) is also a word or a place: "Hope", "Lincoln", "Baker".
WORD_NAME_SHARE = 0.04
# Share of hyphenated double surnames ("Smith-Ashworth", "Lefèvre-Dumas").
DOUBLE_SURNAME_SHARE = 0.05
# Share of surnames with a particle, for origins that use them ("de la Cruz", "van der Berg", "al-Hashimi").
PARTICLE_SHARE = 0.08
# Share of Spanish-speaking people written with both their surnames ("García López"), as they sign.
TWO_SURNAMES_SHARE = 0.3
# Share of people addressed with a neutral prefix (Dr, Mx, Me) rather than their gendered one.
NEUTRAL_PREFIX_SHARE = 0.1

# Origins whose names come from a hand list of templates/_values/names.txt, not from a Faker locale.
HAND_ORIGINS = ("arabic", "nepali", "korean")
# Faker surnames that carry a generation or degree ("Koch II") are left out.
_NAME_NOISE = re.compile(r"[\d.,()]| (?:I{1,3}|IV|Jr|Sr)$")


@dataclass
class Person:
    gender: str
    prefix: str
    first: str
    middle: str
    last: str
    age: int
    birth: date


@cache
def name_lists() -> dict[str, Rows]:
    """templates/_values/names.txt: hand lists, word names, particles, origins and prefixes."""
    return checked_lists("names", {
        **{f"{origin} {part}": (1,) for origin in HAND_ORIGINS for part in ("male", "female", "last")},
        **{f"{lang} word {part}": (1,) for lang in ("en", "fr") for part in ("first male", "first female", "last")},
        "particles": (2,), "name origins": (2,), "particle groups": (2,), "prefixes": (4,),
        "doctor prefixes": (2,), "lawyer prefixes": (2,)})


@cache
def name_origins() -> tuple[tuple[str, int], ...]:
    """(source, weight): a Faker locale with names in Latin script, a romanized or transliterated
    one, or a hand list. Only the locales the installed Faker has (a release may lack a few)."""
    from faker.config import AVAILABLE_LOCALES

    return tuple((source, int(weight)) for source, weight in name_lists()["name origins"]
                 if source in HAND_ORIGINS or source in AVAILABLE_LOCALES)


@cache
def _particle_groups() -> dict[str, str]:
    """Faker locale or language -> the particle group of its surnames."""
    return dict(name_lists()["particle groups"])


@cache
def _particles(group: str) -> tuple[str, ...]:
    return tuple(particle for owner, particle in name_lists()["particles"] if owner == group)


@cache
def prefixes(locale: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(male, female, neutral) prefixes of a locale; a repeated one is drawn more often."""
    for row in name_lists()["prefixes"]:
        if row[0] == locale:
            return options(row[1]), options(row[2]), options(row[3])
    raise KeyError(locale)


@cache
def doctor_prefixes() -> dict[str, tuple[str, ...]]:
    return options_by_key(name_lists()["doctor prefixes"])


@cache
def lawyer_prefixes() -> dict[str, tuple[str, ...]]:
    return options_by_key(name_lists()["lawyer prefixes"])


@cache
def _faker_of(locale: str) -> Faker:
    from faker import Faker

    return Faker(locale)


def world_faker(locale: str, rng: random.Random) -> Faker:
    """A Faker of another locale, reseeded from `rng` at each use: built once per process, yet
    every value still depends only on the text's random stream (so on the seed)."""
    fake = _faker_of(locale)
    fake.seed_instance(rng.getrandbits(32))
    return fake


@cache
def _cyrillic() -> dict[int, str]:
    return translation(letter_tables()["cyrillic"])


@cache
def _cyrillic_of(locale: str) -> dict[int, str]:
    """Where Ukrainian and Bulgarian romanize differently from Russian ("Гнатюк" -> "Hnatiuk")."""
    return translation(tuple((letter, written) for owner, letter, written in letter_tables()["cyrillic by locale"]
                             if owner == locale))


@cache
def _apostrophes() -> dict[int, str]:
    return translation(letter_tables()["apostrophes"])


def transliterate(text: str, locale: str) -> str:
    """Cyrillic to Latin letters: 'Гришин' -> 'Grishin', 'Жукова' -> 'Zhukova'."""
    out = []
    for char in text:
        latin = char.lower().translate(_cyrillic_of(locale)).translate(_cyrillic())
        out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def origin_names(source: str, gender: str, rng: random.Random) -> tuple[str, str, str]:
    """(first, middle, last) of one person from `source` (one of name_origins())."""
    sex = "male" if gender == "m" else "female"
    if source in HAND_ORIGINS:
        first, middle = rng.sample(column(name_lists()[f"{source} {sex}"]), 2)
        return first, middle, rng.choice(column(name_lists()[f"{source} last"]))
    fake = world_faker(source, rng)
    if source in ("zh_CN", "zh_TW", "ja_JP"):  # romanized; Taiwanese ones come in capitals
        first_name = getattr(fake, f"first_romanized_name{'' if source == 'zh_CN' else '_' + sex}")
        names = [first_name(), first_name(), fake.last_romanized_name()]
        return tuple(n.title() if n.isupper() else n for n in names)  # type: ignore[return-value]
    first_name = fake.first_name_male if gender == "m" else fake.first_name_female
    last_name = fake.last_name_male if gender == "m" else fake.last_name_female
    names = []
    for draw in (first_name, first_name, last_name):
        name = draw()
        for _ in range(5):  # no "Koch II", no "Hans-J."
            if not _NAME_NOISE.search(name):
                break
            name = draw()
        names.append(name)
    if source in ("ru_RU", "uk_UA", "bg_BG"):
        names = [transliterate(n, source) for n in names]
    first, middle, last = (_NAME_NOISE.sub("", name.translate(_apostrophes())).strip(" -") or name for name in names)
    return first, middle, last


def surname_shape(source: str, last: str, second_last: Callable[[], str], rng: random.Random) -> str:
    """Double, hyphenated and particle surnames: 'García López', 'Smith-Ashworth', 'de la Cruz'."""
    if source.startswith("es_") and rng.random() < TWO_SURNAMES_SHARE:
        return f"{last} {second_last()}"
    if rng.random() < DOUBLE_SURNAME_SHARE:
        other = second_last()
        if other != last and " " not in last + other:
            return f"{last}-{other}"
    groups = _particle_groups()
    group = groups.get(source, groups.get(source.split("_")[0]))
    if group and " " not in last and not last[0].islower() and rng.random() < PARTICLE_SHARE:
        particle = rng.choice(_particles(group))
        return f"{particle}{last}" if particle.endswith("-") else f"{particle} {last}"
    return last


def person_names(fill: Fill, gender: str) -> tuple[str, str, str]:
    """First, middle and last name: mostly of the text's country, a share of other origins."""
    fake, rng = fill.fake, fill.rng
    if rng.random() < WORLD_NAME_SHARE:
        origins = name_origins()
        source = rng.choices([s for s, _ in origins], weights=[w for _, w in origins])[0]
        first, middle, last = origin_names(source, gender, rng)
        while middle == first:
            middle = origin_names(source, gender, rng)[0]
        last = surname_shape(source, last, lambda: origin_names(source, gender, rng)[2], rng)
        return first, middle, last
    first_name = fake.first_name_male if gender == "m" else fake.first_name_female
    first = first_name()
    middle = first_name()
    while middle == first:
        middle = first_name()
    last = surname_shape(fill.locale, fake.last_name(), fake.last_name, rng)
    lang = "fr" if fill.fr else "en"
    if rng.random() < WORD_NAME_SHARE:
        first = rng.choice(column(name_lists()[f"{lang} word first {'male' if gender == 'm' else 'female'}"]))
    if rng.random() < WORD_NAME_SHARE:
        last = rng.choice(column(name_lists()[f"{lang} word last"]))
    return first, middle, last


def birth_for_age(rng: random.Random, today: date, age: int) -> date:
    """A birth date that makes the person exactly `age` on `today`."""
    def years_before(n: int) -> date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)
    latest = years_before(age)
    earliest = years_before(age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def new_person(fill: Fill, child: bool = False) -> Person:
    rng = fill.rng
    gender = rng.choice("mf")
    first, middle, last = person_names(fill, gender)
    male, female, neutral = prefixes(fill.locale)
    prefix = rng.choice(neutral) if rng.random() < NEUTRAL_PREFIX_SHARE else rng.choice(male if gender == "m" else female)
    age = rng.randint(4, 15) if child else rng.randint(18, 88)
    return Person(gender, prefix, first, middle, last, age, birth_for_age(rng, fill.today, age))


def person_of(fill: Fill, index: int) -> Person:
    """Person `index` of the text, made on first use: a template that names it twice names one person."""
    if index not in fill.people:
        fill.people[index] = new_person(fill, child=index in fill.children)
    return fill.people[index]
