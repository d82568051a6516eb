"""Synthetic English/French PII corpus: Faker values poured into hand-written templates.

Templates are plain-text data files, extract/templates/<language>/<genre>.txt (format in
extract/templates/README.md). Spans are recorded while each text is assembled, so every offset
is exact by construction, and each record carries the id of its template.
"""

from __future__ import annotations

import importlib
import importlib.resources
import ipaddress
import json
import random
import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, NoReturn

from faker import Faker
from faker.config import AVAILABLE_LOCALES

from extract.errors import MissingInputError, PiiTaggerError
from extract.files import atomic_write_text, read_utf8
from extract.records import Record, Span

__all__ = ["CORPUS_FILES", "LABELS", "TEMPLATE_COUNTS", "SynthConfig", "generate", "generate_with_templates",
           "load_templates", "write_corpus"]

# The AI4Privacy label names this generator emits (every one occurs in each language).
LABELS: tuple[str, ...] = (
    "PREFIX", "FIRSTNAME", "MIDDLENAME", "LASTNAME", "EMAIL", "PHONENUMBER", "USERNAME", "PASSWORD",
    "URL", "IPV4", "IPV6", "STREET", "BUILDINGNUMBER", "SECONDARYADDRESS", "CITY", "STATE", "ZIPCODE",
    "DATE", "TIME", "AGE", "COMPANYNAME", "JOBTITLE", "IBAN", "BIC", "CREDITCARDNUMBER", "ACCOUNTNUMBER",
    "SSN", "AMOUNT",
)

# Faker locales behind each language: English texts are American or British, one per text.
_LOCALES = {"en": ("en_US", "en_GB"), "fr": ("fr_FR",)}
# The files `write_corpus` writes, per language (the CLI checks and replaces only these).
CORPUS_FILES: dict[str, str] = {"en": "english_synthetic.jsonl", "fr": "french_synthetic.jsonl"}


@dataclass
class SynthConfig:
    """How many texts to make and how they are drawn."""

    # 500 per language: every template (about 165 per language) appears about three times and
    # every label occurs, yet extracting LLM features for it stays a few minutes' job.
    n_english: int = 500
    n_french: int = 500
    # Any fixed number works; fixing one makes two runs of `synth` give byte-identical files.
    seed: int = 42
    # Share of texts drawn from the no-PII templates (news, reviews, docs, recipes, trivia, look-alike
    # words...), dealt from their own deck so the share is exact. A head that never sees ordinary
    # prose tags "What", "radio" or "masterpiece"; too much of it starves the labels. At 0.3 a
    # third of the words come from texts without PII and every no-PII template appears two or
    # three times in 500 texts, while the 70 % of texts with PII still hold about 6,800 entities
    # per 1,000 texts (0.1 gave 5 % of the words, each no-PII template used about once).
    no_pii_fraction: float = 0.3

    def validate(self) -> None:
        for name in ("n_english", "n_french"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PiiTaggerError(f"{name} must be a whole number, got {value!r}")
            if value < 0:
                raise PiiTaggerError(f"{name} must be 0 or more, got {value}")
        fraction = self.no_pii_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction <= 1.0:
            raise PiiTaggerError(f"no_pii_fraction must be a number between 0 and 1, got {fraction!r}")


# --------------------------------------------------------------------------------------------
# Locale data that Faker lacks or gets wrong
# --------------------------------------------------------------------------------------------

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FR_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# Real places beside Faker's invented ones, with codes that fit them: (city, state, code prefix).
_US_PLACES = (
    ("New York", "New York", "NY", "100"), ("Los Angeles", "California", "CA", "900"),
    ("Chicago", "Illinois", "IL", "606"), ("Houston", "Texas", "TX", "770"), ("Phoenix", "Arizona", "AZ", "850"),
    ("Philadelphia", "Pennsylvania", "PA", "191"), ("San Antonio", "Texas", "TX", "782"),
    ("San Diego", "California", "CA", "921"), ("Dallas", "Texas", "TX", "752"), ("Austin", "Texas", "TX", "787"),
    ("Jacksonville", "Florida", "FL", "322"), ("Columbus", "Ohio", "OH", "432"),
    ("Charlotte", "North Carolina", "NC", "282"), ("Indianapolis", "Indiana", "IN", "462"),
    ("San Francisco", "California", "CA", "941"), ("Seattle", "Washington", "WA", "981"),
    ("Denver", "Colorado", "CO", "802"), ("Boston", "Massachusetts", "MA", "021"),
    ("Nashville", "Tennessee", "TN", "372"), ("Portland", "Oregon", "OR", "972"),
    ("Las Vegas", "Nevada", "NV", "891"), ("Detroit", "Michigan", "MI", "482"), ("Atlanta", "Georgia", "GA", "303"),
    ("Miami", "Florida", "FL", "331"), ("Minneapolis", "Minnesota", "MN", "554"),
    ("Sacramento", "California", "CA", "958"), ("Pittsburgh", "Pennsylvania", "PA", "152"),
    ("Raleigh", "North Carolina", "NC", "276"), ("Salt Lake City", "Utah", "UT", "841"),
    ("Madison", "Wisconsin", "WI", "537"), ("Albany", "New York", "NY", "122"), ("Omaha", "Nebraska", "NE", "681"),
)
_GB_PLACES = (
    ("London", "Greater London", ("SW1A", "E1", "N1", "SE15", "W2", "NW3", "EC2A", "WC1N")),
    ("Manchester", "Greater Manchester", ("M1", "M14", "M20")), ("Birmingham", "West Midlands", ("B1", "B15", "B29")),
    ("Leeds", "West Yorkshire", ("LS1", "LS6")), ("Liverpool", "Merseyside", ("L1", "L17")),
    ("Sheffield", "South Yorkshire", ("S1", "S10")), ("Newcastle upon Tyne", "Tyne and Wear", ("NE1", "NE6")),
    ("Nottingham", "Nottinghamshire", ("NG1", "NG7")), ("Leicester", "Leicestershire", ("LE1", "LE2")),
    ("Cambridge", "Cambridgeshire", ("CB1", "CB2")), ("Oxford", "Oxfordshire", ("OX1", "OX4")),
    ("Brighton", "East Sussex", ("BN1", "BN2")), ("Norwich", "Norfolk", ("NR1", "NR2")),
    ("Exeter", "Devon", ("EX1", "EX4")), ("York", "North Yorkshire", ("YO1", "YO10")),
    ("Reading", "Berkshire", ("RG1", "RG4")), ("Southampton", "Hampshire", ("SO14", "SO15")),
    ("Canterbury", "Kent", ("CT1", "CT2")), ("Edinburgh", "Midlothian", ("EH1", "EH3")),
    ("Glasgow", "Lanarkshire", ("G1", "G12")), ("Bath", "Somerset", ("BA1", "BA2")),
    ("Chester", "Cheshire", ("CH1", "CH2")), ("Ipswich", "Suffolk", ("IP1", "IP4")),
)
_FR_PLACES = (  # (city, postcode prefix or code, department, region)
    ("Paris", "750", "Paris", "Île-de-France"), ("Lyon", "6900", "Rhône", "Auvergne-Rhône-Alpes"),
    ("Marseille", "130", "Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur"),
    ("Toulouse", "31000", "Haute-Garonne", "Occitanie"), ("Nice", "06000", "Alpes-Maritimes", "Provence-Alpes-Côte d'Azur"),
    ("Nantes", "44000", "Loire-Atlantique", "Pays de la Loire"), ("Strasbourg", "67000", "Bas-Rhin", "Grand Est"),
    ("Montpellier", "34000", "Hérault", "Occitanie"), ("Bordeaux", "33000", "Gironde", "Nouvelle-Aquitaine"),
    ("Lille", "59000", "Nord", "Hauts-de-France"), ("Rennes", "35000", "Ille-et-Vilaine", "Bretagne"),
    ("Reims", "51100", "Marne", "Grand Est"), ("Le Havre", "76600", "Seine-Maritime", "Normandie"),
    ("Saint-Étienne", "42000", "Loire", "Auvergne-Rhône-Alpes"), ("Toulon", "83000", "Var", "Provence-Alpes-Côte d'Azur"),
    ("Grenoble", "38000", "Isère", "Auvergne-Rhône-Alpes"), ("Dijon", "21000", "Côte-d'Or", "Bourgogne-Franche-Comté"),
    ("Angers", "49000", "Maine-et-Loire", "Pays de la Loire"), ("Nîmes", "30000", "Gard", "Occitanie"),
    ("Villeurbanne", "69100", "Rhône", "Auvergne-Rhône-Alpes"),
    ("Clermont-Ferrand", "63000", "Puy-de-Dôme", "Auvergne-Rhône-Alpes"),
    ("Le Mans", "72000", "Sarthe", "Pays de la Loire"),
    ("Aix-en-Provence", "13100", "Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur"),
    ("Brest", "29200", "Finistère", "Bretagne"), ("Tours", "37000", "Indre-et-Loire", "Centre-Val de Loire"),
    ("Amiens", "80000", "Somme", "Hauts-de-France"), ("Limoges", "87000", "Haute-Vienne", "Nouvelle-Aquitaine"),
    ("Annecy", "74000", "Haute-Savoie", "Auvergne-Rhône-Alpes"), ("Perpignan", "66000", "Pyrénées-Orientales", "Occitanie"),
    ("Metz", "57000", "Moselle", "Grand Est"), ("Besançon", "25000", "Doubs", "Bourgogne-Franche-Comté"),
    ("Orléans", "45000", "Loiret", "Centre-Val de Loire"), ("Rouen", "76000", "Seine-Maritime", "Normandie"),
    ("Caen", "14000", "Calvados", "Normandie"), ("Nancy", "54000", "Meurthe-et-Moselle", "Grand Est"),
    ("Argenteuil", "95100", "Val-d'Oise", "Île-de-France"), ("Montreuil", "93100", "Seine-Saint-Denis", "Île-de-France"),
    ("Mulhouse", "68100", "Haut-Rhin", "Grand Est"), ("Poitiers", "86000", "Vienne", "Nouvelle-Aquitaine"),
    ("Pau", "64000", "Pyrénées-Atlantiques", "Nouvelle-Aquitaine"),
    ("La Rochelle", "17000", "Charente-Maritime", "Nouvelle-Aquitaine"),
    ("Avignon", "84000", "Vaucluse", "Provence-Alpes-Côte d'Azur"), ("Versailles", "78000", "Yvelines", "Île-de-France"),
    ("Vannes", "56000", "Morbihan", "Bretagne"), ("Ajaccio", "20000", "Corse-du-Sud", "Corse"),
)
_FR_REGIONS = tuple(sorted({place[3] for place in _FR_PLACES}))

_PREFIXES = {  # (male, female, neutral); British usage mostly drops the period
    "en_US": (("Mr.", "Mr.", "Mr.", "Mr"), ("Ms.", "Mrs.", "Ms.", "Miss"), ("Dr.", "Mx.")),
    "en_GB": (("Mr", "Mr", "Mr."), ("Mrs", "Ms", "Miss", "Mrs."), ("Dr", "Mx")),
    "fr_FR": (("M.", "M.", "M.", "Monsieur"), ("Mme", "Mme", "Madame", "Mlle"), ("Dr", "Me")),
}
_DOCTOR_PREFIXES = {"en_US": ("Dr.",), "en_GB": ("Dr", "Dr."), "fr_FR": ("Dr", "Dr", "Docteur", "Pr")}
_LAWYER_PREFIXES = {"fr_FR": ("Me", "Me", "Maître")}  # English lawyers keep their Mr / Ms

_PRODUCTS = {
    "en": ("wireless keyboard", "USB-C charger", "running shoes", "coffee grinder", "desk lamp",
           "phone case", "yoga mat", "office chair", "water bottle", "noise-cancelling headphones",
           "printer cartridges", "backpack", "winter jacket", "HDMI cable"),
    "fr": ("clavier sans fil", "chargeur USB-C", "chaussures de course", "moulin à café", "lampe de bureau",
           "coque de téléphone", "tapis de yoga", "chaise de bureau", "gourde isotherme", "casque audio",
           "cartouches d'encre", "sac à dos", "veste d'hiver", "câble HDMI"),
}
_PASSWORD_WORDS = ("Sunset", "Harbor", "Maple", "Falcon", "Velvet", "Orbit", "Cactus", "Papillon", "Soleil",
                   "Nuage", "Tortue", "Granite", "Comet", "Tulipe", "Zephyr", "Pixel", "Lapin", "Rocket")
_FREE_DOMAINS = {
    "en_US": ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"),
    "en_GB": ("gmail.com", "yahoo.co.uk", "hotmail.co.uk", "outlook.com", "btinternet.com", "icloud.com"),
    "fr_FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "sfr.fr", "hotmail.fr", "yahoo.fr"),
}
_TLDS = {"en_US": (".com", ".com", ".io", ".net"), "en_GB": (".co.uk", ".com", ".co.uk", ".io"),
         "fr_FR": (".fr", ".fr", ".com", ".eu")}
# Faker card types (all Luhn-valid): 16 digits mostly, also 13 (old Visa), 14 (Diners), 15 (Amex,
# JCB), 19 (Visa) digits. Not Maestro: Faker gives some of 12 digits.
_CARD_TYPES = ("visa16", "visa16", "visa16", "mastercard", "mastercard", "mastercard", "amex", "discover", "visa13",
               "visa19", "diners", "jcb15", "jcb16")


def _job_titles(locale: str) -> tuple[str, ...]:
    """Faker's job list without entries like 'Engineer, civil (consulting)': no punctuation
    that would read as sentence punctuation at a span edge, nothing that needs brackets."""
    module = "en_US" if locale.startswith("en") else "fr_FR"
    jobs = importlib.import_module(f"faker.providers.job.{module}").Provider.jobs
    return tuple(job for job in jobs if not re.search(r"[,()/]", job) and len(job.split()) <= 5)


_JOBS = {locale: _job_titles(locale) for locale in ("en_US", "fr_FR")}
_JOBS["en_GB"] = _JOBS["en_US"]


# --------------------------------------------------------------------------------------------
# Value lists: extract/templates/_values/<topic>.txt (format in extract/templates/README.md)
# --------------------------------------------------------------------------------------------

_VALUES_FOLDER = "_values"
_VALUE_SECTION = re.compile(r"\[([a-z][a-z ]*)\]")


def _read_value_lists(topic: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The sections of extract/templates/_values/<topic>.txt (see _parse_value_lists)."""
    path = importlib.resources.files("extract").joinpath("templates", _VALUES_FOLDER, f"{topic}.txt")
    if not path.is_file():
        raise MissingInputError(f"{path}: value list missing (it ships with extract/templates)")
    return _parse_value_lists(read_utf8(path), str(path))


def _parse_value_lists(text: str, source: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """{section: rows}: '[section]' lines start a list, each other line is a row whose fields are
    split on ' | ', '#' lines are comments. A fault raises PiiTaggerError naming file and line."""
    sections: dict[str, list[tuple[str, ...]]] = {}
    current: list | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _VALUE_SECTION.fullmatch(line)
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


def _column(rows: tuple[tuple[str, ...], ...], index: int = 0) -> tuple[str, ...]:
    return tuple(row[index] for row in rows)


def _options(field_text: str) -> tuple[str, ...]:
    """'$ ; US$' -> ('$', 'US$'): alternatives inside one field."""
    return tuple(option.strip() for option in field_text.split(" ; "))


def _checked_lists(topic: str, widths: dict[str, tuple[int, ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The lists of one _values file, each section present, non-empty and with rows of the
    field counts the generator reads (`widths`, by section; sections not named there: 1 field)."""
    lists = _read_value_lists(topic)
    where = f"extract/templates/{_VALUES_FOLDER}/{topic}.txt"
    for section in widths:
        if not lists.get(section):
            raise PiiTaggerError(f"{where}: section [{section}] is missing or empty")
    for section, rows in lists.items():
        allowed = widths.get(section, (1,))
        for row in rows:
            if len(row) not in allowed:
                raise PiiTaggerError(f"{where}: [{section}] row {' | '.join(row)!r} has {len(row)} fields, "
                                     f"expected {' or '.join(map(str, allowed))}")
    return lists


_NAME_LISTS = _checked_lists("names", {
    **{f"{origin} {part}": (1,) for origin in ("arabic", "nepali", "korean") for part in ("male", "female", "last")},
    **{f"{lang} word {part}": (1,) for lang in ("en", "fr") for part in ("first male", "first female", "last")},
    "particles": (2,)})
_PLACE_LISTS = _checked_lists("places", {"countries": (8,), "regions": (2, 3, 4), "cities": (2, 3, 4)})
_EN_JOB_PARTS = ("descriptor", "area", "type", "seniority", "field", "role")
_JOB_LISTS = _checked_lists("jobs", {**{f"en {part}": (1,) for part in _EN_JOB_PARTS},
                                     "fr role": (2,), "fr domain": (1,), "fr level": (2,)})
_JOB_WORDS = {name: _column(rows) for name, rows in _JOB_LISTS.items() if not name.startswith("fr ")}
_FR_JOB_WORDS = {name: rows for name, rows in _JOB_LISTS.items() if name.startswith("fr ")}
# (code, signs, English names, French names, decimals)
_CURRENCIES = _checked_lists("money", {"currencies": (5,)})["currencies"]
_CONTACT_LISTS = _checked_lists("contact", {"mail providers": (1,), "phone formats": (1,)})
_WORLD_MAIL_DOMAINS = _column(_CONTACT_LISTS["mail providers"])
_WORLD_PHONE_FORMATS = _column(_CONTACT_LISTS["phone formats"])


@dataclass(frozen=True)
class _Country:
    code: str
    name_en: str
    name_fr: str
    street_locale: str | None  # Faker locale for street names, or None: "<surname> <street word>"
    name_origin: str  # where those surnames come from (a _NAME_ORIGINS source)
    postcode: str  # shape: '#' a digit, 'A' a capital letter
    layout: str  # "eu", "us" or "intl" (see _r_address)
    street_words: tuple[str, ...]


def _places_by_country(section: str) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """{country code: ((English, French, native), ...)}; a missing French or native name is the English one."""
    out: dict[str, list] = {}
    for row in _PLACE_LISTS[section]:
        code, english, french, native = (row + (row[1], row[1]))[:4]
        out.setdefault(code, []).append((english, french, native))
    return {code: tuple(rows) for code, rows in out.items()}


_COUNTRIES = tuple(_Country(code, en, fr, None if street == "-" else street, origin, postcode, layout,
                            () if words == "-" else _options(words))
                   for code, en, fr, street, origin, postcode, layout, words in _PLACE_LISTS["countries"]
                   # an older Faker may lack a locale: that country is left out
                   if street in ("-", *AVAILABLE_LOCALES)
                   and origin in ("arabic", "nepali", "korean", *AVAILABLE_LOCALES))
_REGIONS = _places_by_country("regions")
_CITIES = _places_by_country("cities")
for _country in _COUNTRIES:
    if _country.code not in _REGIONS or _country.code not in _CITIES:
        raise PiiTaggerError(f"extract/templates/{_VALUES_FOLDER}/places.txt: country {_country.code} needs "
                             f"[regions] and [cities] rows")


# --------------------------------------------------------------------------------------------
# Per-text state: the people, addresses and companies a text talks about
# --------------------------------------------------------------------------------------------

Segment = tuple[str, "str | None"]  # (text, label or None for unlabelled text)


@dataclass
class _Person:
    gender: str
    prefix: str
    first: str
    middle: str
    last: str
    age: int
    birth: date


@dataclass
class _Address:
    number: str
    street: str
    secondary: str
    city: str
    state: str
    zipcode: str
    layout: str = "home"  # "home": the text's country; else a _Country layout ("eu", "us", "intl")
    country: str = ""  # the country's name in the text's language, for addresses abroad


@dataclass
class _Company:
    name: str
    domain: str


@dataclass
class _Fill:
    """Everything one text needs; values are cached so a repeated placeholder repeats its value."""

    lang: str
    locale: str
    fake: Faker
    rng: random.Random  # format choices, fillers, alternatives
    today: date
    cache: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    addresses: dict = field(default_factory=dict)
    companies: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    children: frozenset = frozenset()  # person numbers the template describes as children

    @property
    def us(self) -> bool:
        return self.locale == "en_US"

    @property
    def gb(self) -> bool:
        return self.locale == "en_GB"

    @property
    def fr(self) -> bool:
        return self.locale == "fr_FR"

    def person(self, i: int) -> _Person:
        if i not in self.people:
            self.people[i] = _new_person(self, child=i in self.children)
        return self.people[i]

    def address(self, i: int) -> _Address:
        if i not in self.addresses:
            self.addresses[i] = _new_address(self)
        return self.addresses[i]

    def company(self, i: int) -> _Company:
        if i not in self.companies:
            self.companies[i] = _new_company(self)
        return self.companies[i]

    def moment(self, i: int) -> datetime:
        """Timestamps of one text (log lines) follow each other by seconds to minutes."""
        if i not in self.moments:
            if i <= 1:
                start = datetime(self.today.year, self.today.month, self.today.day)
                self.moments[i] = start + timedelta(seconds=self.rng.randrange(0, 86400 - 7200))
            else:
                self.moments[i] = self.moment(i - 1) + timedelta(seconds=self.rng.randint(1, 900))
        return self.moments[i]


# Letters that Unicode does not decompose into a base letter and an accent.
_LATIN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss",
                                "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "Þ": "Th", "ð": "d",
                                "Ð": "D", "ħ": "h", "Ħ": "H", "ŋ": "ng", "Ə": "E", "ə": "e"})


def _ascii(text: str) -> str:
    """'Jean-Rémi D'Angelo' -> 'jean-remi dangelo', 'Łukasz Yıldız' -> 'lukasz yildiz': the form
    names take in emails and logins."""
    plain = unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9 -]", "", plain.lower())


def _slug(text: str, sep: str = "") -> str:
    return re.sub(r"[ -]+", sep, _ascii(text)).strip(sep)


def _birth_for_age(rng: random.Random, today: date, age: int) -> date:
    """A birth date that makes the person exactly `age` on `today`."""
    def years_before(n: int) -> date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)
    latest = years_before(age)
    earliest = years_before(age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


# --- names of many origins ------------------------------------------------------------------

# Share of people named from another origin than the text's country: real texts name people of
# every origin, and a head that has only seen Anglo-American and French names misses "Yıldız".
_WORLD_NAME_SHARE = 0.35
# Share of people whose first name (or surname) is also a word or a place: "Hope", "Lincoln", "Baker".
_WORD_NAME_SHARE = 0.04
# Share of hyphenated double surnames ("Smith-Ashworth", "Lefèvre-Dumas").
_DOUBLE_SURNAME_SHARE = 0.05
# Share of surnames with a particle, for origins that use them ("de la Cruz", "van der Berg", "al-Hashimi").
_PARTICLE_SHARE = 0.08

# (source, weight): a Faker locale with names in Latin script, a romanized or transliterated one,
# or a hand list of extract/templates/_values/names.txt ("arabic", "nepali", "korean").
_NAME_ORIGINS: tuple[tuple[str, int], ...] = (
    ("de_DE", 4), ("de_AT", 1), ("de_CH", 1), ("it_IT", 4), ("es_ES", 4), ("es_MX", 2), ("es_AR", 1), ("es_CO", 1),
    ("pt_BR", 3), ("pt_PT", 2), ("pl_PL", 3), ("nl_NL", 2), ("nl_BE", 1), ("tr_TR", 4), ("sv_SE", 1), ("da_DK", 1),
    ("no_NO", 1), ("fi_FI", 1), ("is_IS", 1), ("cs_CZ", 1), ("sk_SK", 1), ("hu_HU", 1), ("ro_RO", 2), ("hr_HR", 1),
    ("sl_SI", 1), ("lt_LT", 1), ("lv_LV", 1), ("et_EE", 1), ("az_AZ", 1), ("uz_UZ", 1), ("ru_RU", 2), ("uk_UA", 2),
    ("bg_BG", 1), ("en_IN", 4), ("en_PK", 1), ("nepali", 2), ("arabic", 4), ("fr_DZ", 2), ("zh_CN", 3), ("zh_TW", 1),
    ("ja_JP", 2), ("korean", 2), ("vi_VN", 3), ("id_ID", 1), ("en_TH", 1), ("en_NG", 2), ("yo_NG", 1), ("ig_NG", 1),
    ("ha_NG", 1), ("en_KE", 2), ("sw", 1), ("zu_ZA", 1), ("tw_GH", 1), ("ga_IE", 1), ("en_IE", 1), ("fr_CA", 1),
    ("fr_BE", 1), ("fr_CH", 1),
)
_HAND_ORIGINS = ("arabic", "nepali", "korean")
# Origins the installed Faker knows (an older Faker lacks a few); hand lists always work.
_ORIGINS = tuple((source, weight) for source, weight in _NAME_ORIGINS
                 if source in _HAND_ORIGINS or source in AVAILABLE_LOCALES)
_CYRILLIC = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo", "є": "ye", "ж": "zh", "з": "z",
    "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "'": "", "ʼ": "", "’": ""})
# Where Ukrainian and Bulgarian romanize differently from Russian ("Гнатюк" -> "Hnatiuk", "Вълков" -> "Valkov").
_CYRILLIC_BY_LOCALE = {"uk_UA": str.maketrans({"г": "h", "и": "y", "ю": "iu", "я": "ia", "є": "ie"}),
                       "bg_BG": str.maketrans({"ъ": "a", "щ": "sht", "ю": "yu", "я": "ya"})}
# Apostrophe-like letters (Uzbek "Oʻtkir", Ukrainian "Demʼyan") are written as a plain apostrophe.
_APOSTROPHES = str.maketrans({"ʻ": "'", "ʼ": "'", "’": "'", "‘": "'"})
# Faker surnames that carry a generation or degree ("Koch II") are left out.
_NAME_NOISE = re.compile(r"[\d.,()]| (?:I{1,3}|IV|Jr|Sr)$")
# Origin group of a Faker locale for surname particles.
_PARTICLE_GROUPS = {"es": "es", "pt": "pt", "it": "it", "de": "de", "nl": "nl", "fr": "fr", "arabic": "ar", "fr_DZ": "ar"}
_PARTICLES = {group: tuple(particle for g, particle in _NAME_LISTS["particles"] if g == group)
              for group in set(_PARTICLE_GROUPS.values())}

_WORLD_FAKERS: dict[str, Faker] = {}


def _world_faker(locale: str, rng: random.Random) -> Faker:
    """A Faker of another locale, reseeded from `rng` at each use: built once per process, yet
    every value still depends only on the text's random stream (so on the seed)."""
    fake = _WORLD_FAKERS.get(locale)
    if fake is None:
        fake = _WORLD_FAKERS[locale] = Faker(locale)
    fake.seed_instance(rng.getrandbits(32))
    return fake


def _transliterate(text: str, locale: str) -> str:
    """Cyrillic to Latin letters: 'Гришин' -> 'Grishin', 'Жукова' -> 'Zhukova'."""
    out = []
    for char in text:
        latin = char.lower().translate(_CYRILLIC_BY_LOCALE.get(locale, {})).translate(_CYRILLIC)
        out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def _origin_names(source: str, gender: str, rng: random.Random) -> tuple[str, str, str]:
    """(first, middle, last) of one person from `source` (an entry of _NAME_ORIGINS)."""
    if source in _HAND_ORIGINS:
        firsts = _column(_NAME_LISTS[f"{source} {'male' if gender == 'm' else 'female'}"])
        first, middle = rng.sample(firsts, 2)
        return first, middle, rng.choice(_column(_NAME_LISTS[f"{source} last"]))
    fake = _world_faker(source, rng)
    if source in ("zh_CN", "zh_TW", "ja_JP"):  # romanized; Taiwanese ones come in capitals
        suffix = "" if source == "zh_CN" else f"_{'male' if gender == 'm' else 'female'}"
        first_name = getattr(fake, f"first_romanized_name{suffix}")
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
        names = [_transliterate(n, source) for n in names]
    first, middle, last = (_NAME_NOISE.sub("", name.translate(_APOSTROPHES)).strip(" -") or name for name in names)
    return first, middle, last


def _surname_shape(source: str, last: str, second_last: Callable[[], str], rng: random.Random) -> str:
    """Double, hyphenated and particle surnames: 'García López', 'Smith-Ashworth', 'de la Cruz'."""
    if source.startswith("es_") and rng.random() < 0.3:  # Spanish speakers carry two surnames
        return f"{last} {second_last()}"
    if rng.random() < _DOUBLE_SURNAME_SHARE:
        other = second_last()
        if other != last and " " not in last + other:
            return f"{last}-{other}"
    group = _PARTICLE_GROUPS.get(source, _PARTICLE_GROUPS.get(source.split("_")[0]))
    if group and " " not in last and not last[0].islower() and rng.random() < _PARTICLE_SHARE:
        particle = rng.choice(_PARTICLES[group])
        return f"{particle}{last}" if particle.endswith("-") else f"{particle} {last}"
    return last


def _person_names(fill: _Fill, gender: str) -> tuple[str, str, str]:
    """First, middle and last name: mostly of the text's country, a share of other origins."""
    fake, rng = fill.fake, fill.rng
    if rng.random() < _WORLD_NAME_SHARE:
        source = rng.choices([s for s, _ in _ORIGINS], weights=[w for _, w in _ORIGINS])[0]
        first, middle, last = _origin_names(source, gender, rng)
        while middle == first:
            middle = _origin_names(source, gender, rng)[0]
        last = _surname_shape(source, last, lambda: _origin_names(source, gender, rng)[2], rng)
        return first, middle, last
    first_name = fake.first_name_male if gender == "m" else fake.first_name_female
    first = first_name()
    middle = first_name()
    while middle == first:
        middle = first_name()
    last = _surname_shape(fill.locale, fake.last_name(), fake.last_name, rng)
    lang = "fr" if fill.fr else "en"
    if rng.random() < _WORD_NAME_SHARE:
        first = rng.choice(_column(_NAME_LISTS[f"{lang} word first {'male' if gender == 'm' else 'female'}"]))
    if rng.random() < _WORD_NAME_SHARE:
        last = rng.choice(_column(_NAME_LISTS[f"{lang} word last"]))
    return first, middle, last


def _new_person(fill: _Fill, child: bool = False) -> _Person:
    rng = fill.rng
    gender = rng.choice("mf")
    first, middle, last = _person_names(fill, gender)
    male, female, neutral = _PREFIXES[fill.locale]
    prefix = rng.choice(neutral) if rng.random() < 0.1 else rng.choice(male if gender == "m" else female)
    age = rng.randint(4, 15) if child else rng.randint(18, 88)
    return _Person(gender, prefix, first, middle, last, age, _birth_for_age(rng, fill.today, age))


def _uk_postcode(rng: random.Random, outward: str) -> str:
    return f"{outward} {rng.randint(0, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


# Share of addresses (and with them of standalone cities and regions) in another country:
# "our office in Bavaria", "education in Uri", "a flat in Kraków".
_WORLD_ADDRESS_SHARE = 0.2
# Share of home addresses whose region is one Faker does not give: UK regions and Welsh or
# Scottish areas ("North West England", "Gwynedd"), US counties ("Jefferson County"), French regions.
_HOME_REGION_SHARE = 0.12


def _place_name(fill: _Fill, names: tuple[str, str, str]) -> str:
    """The English, French or native name of a place abroad: 'Bavaria', 'Bavière' or 'Bayern'."""
    english, french, native = names
    return native if fill.rng.random() < 0.35 else french if fill.fr else english


def _shape(rng: random.Random, shape: str) -> str:
    """'A#A #A#' -> 'K2P 4B7': '#' a digit, 'A' a capital letter, 'N' a digit from 2 to 9."""
    return "".join(str(rng.randint(0, 9)) if c == "#" else str(rng.randint(2, 9)) if c == "N"
                   else rng.choice("ABCEGHJKLMNPRSTVWXY") if c == "A" else c for c in shape)


# Faker locales whose town list is built from a set, so its order (and the town a seed gives)
# changes with PYTHONHASHSEED; their towns come from extract/templates/_values/places.txt only.
_UNORDERED_FAKER_CITIES = frozenset({"it_IT"})


def _world_address(fill: _Fill) -> _Address:
    rng = fill.rng
    country = rng.choice(_COUNTRIES)
    if country.street_locale and country.street_locale not in _UNORDERED_FAKER_CITIES and rng.random() < 0.5:
        city = _world_faker(country.street_locale, rng).city()  # Faker's towns (some invented), or a known city
    else:
        city = _place_name(fill, rng.choice(_CITIES[country.code]))
    state = _place_name(fill, rng.choice(_REGIONS[country.code]))
    if country.street_locale:
        fake = _world_faker(country.street_locale, rng)
        street = fake.street_name()
        for _ in range(5):  # "Schnablstr." would end the span on a period that reads as punctuation
            if not street.endswith("."):
                break
            street = fake.street_name()
        street = street.rstrip(".")
    else:
        street = f"{_origin_names(country.name_origin, rng.choice('mf'), rng)[2]} {rng.choice(country.street_words)}"
    secondary = rng.choice((f"Appartement {rng.randint(1, 60)}", f"Apt {rng.randint(1, 9)}{rng.choice('ABC')}",
                            f"{_ordinal_fr(rng.randint(1, 9))} étage")) if fill.fr else \
        rng.choice((f"Apt {rng.randint(1, 60)}", f"Flat {rng.randint(1, 30)}", f"Unit {rng.randint(1, 40)}",
                    f"Suite {rng.randint(100, 990)}"))
    number = str(rng.randint(1, 250)) + (rng.choice("abc") if rng.random() < 0.08 else "")
    return _Address(number, street, secondary, city, state, _shape(rng, country.postcode), country.layout,
                    country.name_fr if fill.fr else country.name_en)


def _new_address(fill: _Fill) -> _Address:
    rng = fill.rng
    if rng.random() < _WORLD_ADDRESS_SHARE:
        return _world_address(fill)
    address = _home_address(fill)
    if rng.random() < _HOME_REGION_SHARE:
        address.state = rng.choice(_REGIONS["US" if fill.us else "GB" if fill.gb else "FR"])[1 if fill.fr else 0]
    return address


def _home_address(fill: _Fill) -> _Address:
    fake, rng = fill.fake, fill.rng
    real = rng.random() < 0.5  # half real towns, half Faker's invented ones
    if fill.us:
        if real:
            city, state_name, state_abbr, prefix = rng.choice(_US_PLACES)
            zipcode = prefix + f"{rng.randint(0, 10 ** (5 - len(prefix)) - 1):0{5 - len(prefix)}d}"
        else:
            city, state_name, zipcode = fake.city(), fake.state(), fake.zipcode()
            state_abbr = fake.state_abbr(include_territories=False, include_freely_associated_states=False)
        state = state_abbr if rng.random() < 0.6 else state_name
        if rng.random() < 0.2:  # ZIP+4
            zipcode += f"-{rng.randint(0, 9999):04d}"
        secondary = rng.choice((f"Apt {rng.randint(1, 30)}{rng.choice('ABCDEF')}", f"Apt. {rng.randint(1, 999)}",
                                f"Suite {rng.randint(100, 990)}", f"Unit {rng.randint(1, 60)}", fake.secondary_address()))
        number = str(int(fake.building_number()) or 1)  # Faker may give '0810'
        return _Address(number, fake.street_name(), secondary, city, state, zipcode)
    if fill.gb:
        if real:
            city, county, outwards = rng.choice(_GB_PLACES)
            postcode = _uk_postcode(rng, rng.choice(outwards))
        else:
            city, county, postcode = fake.city(), fake.county(), fake.postcode()
        secondary = rng.choice((f"Flat {rng.randint(1, 40)}", f"Flat {rng.randint(1, 12)}{rng.choice('ABCD')}",
                                f"Apartment {rng.randint(1, 80)}", f"Unit {rng.randint(1, 30)}"))
        return _Address(str(rng.randint(1, 250)), fake.street_name(), secondary, city, county, postcode)
    # France
    if real:
        city, code, department, region = rng.choice(_FR_PLACES)
        if len(code) == 3:  # Paris, Marseille: arrondissement
            postcode = code + f"{rng.randint(1, 16 if code == '130' else 20):02d}"
        elif len(code) == 4:  # Lyon
            postcode = code + str(rng.randint(1, 9))
        else:
            postcode = code
        state = department if rng.random() < 0.6 else region
    else:
        city, postcode = fake.city(), fake.postcode()
        state = fake.department_name() if rng.random() < 0.6 else rng.choice(_FR_REGIONS)
    number = str(rng.randint(1, 140)) + (" bis" if rng.random() < 0.08 else "")
    secondary = rng.choice((
        f"Bâtiment {rng.choice('ABCDE')}", f"Bât. {rng.choice('ABCD')}, {rng.randint(1, 8)}e étage",
        f"Appartement {rng.randint(1, 60)}", f"Apt {rng.randint(1, 9)}{rng.choice('ABC')}",
        f"Escalier {rng.randint(1, 4)}, porte {rng.randint(1, 30)}",
        f"Résidence Les {rng.choice(('Tilleuls', 'Pins', 'Acacias', 'Lilas', 'Glycines'))}",
        f"{rng.randint(1, 7)}e étage {rng.choice(('gauche', 'droite'))}",
    ))
    return _Address(number, fake.street_name(), secondary, city, state, postcode)


def _new_company(fill: _Fill) -> _Company:
    fake, rng = fill.fake, fill.rng
    name = fake.company()
    if fill.fr:
        # Faker writes 'S.A.R.L.'; the trailing period would read as sentence punctuation, and
        # French firms mostly write SARL / SAS today. A bare surname gets a legal form so it reads
        # as a firm rather than a person.
        name = name.replace(".", "")
        if " " not in name:
            name = rng.choice((f"{name} SAS", f"{name} SARL", f"Groupe {name}", f"{name} et Associés", f"{name} SA"))
    words = [w for w in re.split(r"[ ,]+", name) if w.lower() not in _LEGAL_WORDS]
    stem = _slug(" ".join(words[:2]) or name, "-")
    return _Company(name, stem + rng.choice(_TLDS[fill.locale]))


# Words of a company name that a web domain leaves out.
_LEGAL_WORDS = {"and", "sons", "inc", "llc", "ltd", "plc", "group", "groupe", "sa", "sas", "sarl", "et", "fils",
                "associés"}


# --------------------------------------------------------------------------------------------
# Formats: dates, times, numbers, phones, identifiers
# --------------------------------------------------------------------------------------------

def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Share of texts that write a family of dates (or times) another common way than the locale's
# usual one: "5.3.2021", "2021/03/05", "July 5th, 2023", "9e novembre 1945", "4 PM", "17 h 36".
# One text keeps one way per family, as one writer does.
_DATE_VARIANT_SHARE = 0.3
_TIME_VARIANT_SHARE = 0.3
_FR_MONTH_ABBR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def _variant_index(fill: _Fill, key: str, share: float, count: int) -> int | None:
    """Which of `count` other ways this text writes family `key` in, or None for the usual one."""
    cache_key = ("written as", key)
    if cache_key not in fill.cache:
        fill.cache[cache_key] = fill.rng.randrange(count) if fill.rng.random() < share else None
    return fill.cache[cache_key]


def _iso_moment(rng: random.Random, d: date) -> str:
    """'2021-03-05T14:22:09.285Z': a machine timestamp, one word, one DATE span."""
    ms = f".{rng.randint(0, 999):03d}" if rng.random() < 0.6 else ""
    return f"{d.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{ms}Z"


def _date_variants(fill: _Fill, d: date, style: str) -> tuple[str, ...]:
    """Other common ways of writing a date of family `style` (the locale's usual way is in _format_date)."""
    dd, mm, yy, y, wd = f"{d.day:02d}", f"{d.month:02d}", f"{d.year % 100:02d}", d.year, d.weekday()
    iso = (f"{y}/{mm}/{dd}", _iso_moment(fill.rng, d), f"{y}.{mm}.{dd}")
    if fill.fr:
        month, abbr, weekday = _FR_MONTHS[d.month - 1], _FR_MONTH_ABBR[d.month - 1], _FR_WEEKDAYS[wd]
        day = "1er" if d.day == 1 else str(d.day)
        return {
            "iso": iso,
            "long": (f"{d.day}e {month} {y}" if d.day > 1 else f"1er {month} {y}", f"{dd} {month} {y}",
                     f"{day} {month.capitalize()} {y}"),
            "num": (f"{d.day}/{d.month}/{y}", f"{dd}.{mm}.{y}", f"{dd}-{mm}-{y}", f"{dd}/{mm}/{yy}", f"{y}/{mm}/{dd}"),
            "abbr": (f"{d.day} {abbr} {y}", f"{dd}-{mm}-{y}"),
            "short": (f"{dd}/{mm}", f"{d.day}/{d.month}"),
            "wd": (f"{weekday} {dd}/{mm}/{y}", f"{weekday.capitalize()} {day} {month} {y}"),
            "wdshort": (f"{weekday} {dd}/{mm}", f"{weekday.capitalize()} {day} {month}"),
            "my": (f"{month}/{yy}", f"{mm}/{yy}", f"{mm}/{y}"),
            "monthyear": (f"{abbr} {y}", f"{month.capitalize()} {y}"),
        }[style]
    month, weekday = _EN_MONTHS[d.month - 1], _EN_WEEKDAYS[wd]
    md, dm = (f"{d.month}/{d.day}", f"{d.day}/{d.month}")[::1 if fill.us else -1]
    return {
        "iso": iso,
        "long": (f"{month} {_ordinal(d.day)}, {y}", f"{_ordinal(d.day)} of {month} {y}",
                 f"{d.day} {month} {y}" if fill.us else f"{month} {d.day}, {y}", f"{month} {d.day} {y}"),
        "num": (f"{md}/{y}", f"{dd}.{mm}.{y}", f"{dd}-{mm}-{y}", f"{y}/{mm}/{dd}",
                f"{mm}/{dd}/{yy}" if fill.us else f"{dd}/{mm}/{yy}"),
        "abbr": (f"{d.day} {month[:3]} {y}", f"{month[:3]} {d.day} {y}", f"{dd}-{month[:3]}-{y}",
                 f"{dd}-{month[:3].upper()}-{y}"),
        "short": (f"{_ordinal(d.day)} {month}", f"{month} {_ordinal(d.day)}", f"{d.day} {month[:3]}", md),
        "wd": (f"{weekday[:3]} {d.day} {month[:3]} {y}", f"{weekday}, {d.day} {month} {y}"),
        "wdshort": (f"{weekday[:3]} {d.day} {month[:3]}", f"{weekday} {_ordinal(d.day)}"),
        "my": (f"{d.month}/{yy}", f"{mm}/{yy}", f"{mm}/{y}"),
        "monthyear": (f"{month[:3]} {y}", f"{month[:3]}{'.' if len(month) > 3 else ''} {y}", f"{month}, {y}"),
    }[style]


def _format_date(fill: _Fill, d: date, style: str | None) -> str:
    rng = fill.rng
    if style is None:
        style = rng.choices(("long", "num", "iso", "abbr", "my"), weights=(45, 35, 8, 12, 3))[0]
    variants = _date_variants(fill, d, style)
    which = _variant_index(fill, f"date {style}", 1.0 if style == "my" else _DATE_VARIANT_SHARE, len(variants))
    if which is not None:
        return variants[which]
    if style == "iso":
        return d.isoformat()
    if fill.fr:
        day = "1er" if d.day == 1 else str(d.day)
        return {
            "num": f"{d.day:02d}/{d.month:02d}/{d.year}",
            "long": f"{day} {_FR_MONTHS[d.month - 1]} {d.year}",
            "abbr": f"{day} {_FR_MONTHS[d.month - 1]} {d.year}",
            "short": f"{day} {_FR_MONTHS[d.month - 1]}",
            "wd": f"{_FR_WEEKDAYS[d.weekday()]} {day} {_FR_MONTHS[d.month - 1]} {d.year}",
            "wdshort": f"{_FR_WEEKDAYS[d.weekday()]} {day} {_FR_MONTHS[d.month - 1]}",
            "monthyear": f"{_FR_MONTHS[d.month - 1]} {d.year}",
        }[style]
    month = _EN_MONTHS[d.month - 1]
    if fill.us:
        return {
            "num": f"{d.month:02d}/{d.day:02d}/{d.year}",
            "long": f"{month} {d.day}, {d.year}",
            "abbr": f"{month[:3]} {d.day}, {d.year}",
            "short": f"{month} {d.day}",
            "wd": f"{_EN_WEEKDAYS[d.weekday()]}, {month} {d.day}, {d.year}",
            "wdshort": f"{_EN_WEEKDAYS[d.weekday()]}, {month} {d.day}",
            "monthyear": f"{month} {d.year}",
        }[style]
    day = _ordinal(d.day) if rng.random() < 0.4 else str(d.day)
    return {
        "num": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "long": f"{day} {month} {d.year}",
        "abbr": f"{d.day} {month[:3]} {d.year}",
        "short": f"{day} {month}",
        "wd": f"{_EN_WEEKDAYS[d.weekday()]} {day} {month} {d.year}",
        "wdshort": f"{_EN_WEEKDAYS[d.weekday()]} {day} {month}",
        "monthyear": f"{month} {d.year}",
    }[style]


def _time_variants(fill: _Fill, hour: int, minute: int, second: int, style: str) -> tuple[str, ...]:
    """Other common ways of writing a clock time of family `style`: '4 PM', '12:21pm', '17 h 36'."""
    h12, pm = (hour - 1) % 12 + 1, hour >= 12
    short12 = f"{h12}" if minute == 0 else f"{h12}:{minute:02d}"
    return {
        "hm": (f"{hour}:{minute:02d}", f"{hour:02d}.{minute:02d}", f"{hour:02d}:{minute:02d}h"),
        "hms": ((f"{hour}:{minute:02d}:{second:02d}",) if fill.fr else
                (f"{h12}:{minute:02d}:{second:02d} {'PM' if pm else 'AM'}", f"{hour}:{minute:02d}:{second:02d}"))
        + (f"{hour:02d}h{minute:02d}m{second:02d}s",),
        "ampm": (f"{short12} {'PM' if pm else 'AM'}", f"{short12}{'pm' if pm else 'am'}",
                 f"{h12}.{minute:02d}{'pm' if pm else 'am'}", f"{hour % 12 or 12:02d}:{minute:02d} {'PM' if pm else 'AM'}"),
        "h": (f"{hour} h {minute:02d}" if minute else f"{hour} h", f"{hour}H{minute:02d}",
              f"{hour:02d}h{minute:02d}"),
    }[style]


def _format_time(fill: _Fill, hour: int, minute: int, second: int, style: str | None) -> str:
    rng = fill.rng
    if style is None:
        style = rng.choice(("ampm", "ampm", "hm")) if fill.us else rng.choice(("hm", "hm", "ampm")) if fill.gb \
            else rng.choice(("h", "hm"))
    variants = _time_variants(fill, hour, minute, second, style)
    which = _variant_index(fill, f"time {style}", _TIME_VARIANT_SHARE, len(variants))
    if which is not None:
        return variants[which]
    if style == "hms":
        return f"{hour:02d}:{minute:02d}:{second:02d}"
    if style == "h":
        return f"{hour}h{minute:02d}" if minute else f"{hour}h"
    if style == "ampm":
        suffix = ("AM", "PM") if fill.us else ("am", "pm")
        return f"{(hour - 1) % 12 + 1}:{minute:02d} {suffix[hour >= 12]}" if fill.us or rng.random() < 0.5 \
            else f"{(hour - 1) % 12 + 1}:{minute:02d}{suffix[hour >= 12]}"
    return f"{hour:02d}:{minute:02d}"


def _group(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i:i + size] for i in range(0, len(text), size))


def _amount_text(fill: _Fill, value: float, decimals: bool) -> str:
    text = f"{value:,.2f}" if decimals else f"{round(value):,}"
    if fill.fr:  # 1 234,56
        text = text.replace(",", " ").replace(".", ",")
    return text


# Shares of phone numbers in another country's format (extract/templates/_values/contact.txt) and
# in odd shapes with mixed separators and groupings ("+337.817-989 4440", "(696).6205793").
_WORLD_PHONE_SHARE = 0.17
_ODD_PHONE_SHARE = 0.13


def _odd_phone(rng: random.Random) -> str:
    """Digits grouped at random, separators mixed: what forms and generated data hold."""
    prefix = rng.choices((f"+{rng.randint(1, 99)}", f"00{rng.randint(1, 99)}", f"({rng.randint(200, 999)})", "0", ""),
                         weights=(35, 12, 15, 20, 18))[0]
    body = _digits(rng, rng.randint(8, 11))
    sizes, position = [], 0
    while position < len(body):
        size = min(rng.choice((2, 3, 3, 4, 4)), len(body) - position)
        sizes.append(size)
        position += size
    groups, position = [], 0
    for size in sizes:
        groups.append(body[position:position + size])
        position += size
    if len(groups) > 1 and len(groups[-1]) == 1:  # no lone trailing digit
        groups[-2:] = [groups[-2] + groups[-1]]
    if rng.random() < 0.3 and len(groups) > 1:  # a longer unbroken run: "(696).6205793", "0371-52754478"
        groups = [groups[0], "".join(groups[1:])]
    separators = rng.choice(((" ", ".", "-"), (".", " "), ("-", " "), (".", "-"), (" ", "")))
    glued = prefix in ("", "0") or rng.random() < 0.3  # the trunk 0 always, "+337.817-989 4440" sometimes
    text = prefix + ("" if glued else rng.choice([sep for sep in separators if sep] or [" "]))
    return text + groups[0] + "".join(rng.choice(separators) + group for group in groups[1:])


def _phone(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    if style in (None, "mobile", "landline"):
        roll = rng.random()
        if roll < _WORLD_PHONE_SHARE:
            return _shape(rng, rng.choice(_WORLD_PHONE_FORMATS))
        if roll < _WORLD_PHONE_SHARE + _ODD_PHONE_SHARE:
            return _odd_phone(rng)
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    if fill.fr:
        mobile = style == "mobile" or (style != "landline" and rng.random() < 0.6)
        first = rng.choice("67") if mobile else rng.choice("123459")
        pairs = [digits(2) for _ in range(4)]
        form = rng.choice(("spaces", "spaces", "intl", "dots", "compact")) if style in (None, "mobile", "landline") else style
        if form == "intl":
            return f"+33 {first} " + " ".join(pairs)
        if form == "dots":
            return f"0{first}." + ".".join(pairs)
        if form == "compact":
            return f"0{first}" + "".join(pairs)
        return f"0{first} " + " ".join(pairs)
    if fill.gb:
        mobile = style == "mobile" or (style != "landline" and rng.random() < 0.5)
        if mobile:
            number = f"7{rng.randint(400, 999)} {digits(6)}"
        else:
            london, regional = f"20 {rng.randint(3, 8)}{digits(3)} {digits(4)}", f"1{rng.randint(13, 99)} {digits(3)} {digits(4)}"
            number = rng.choice((london, regional))
        return f"+44 {number}" if rng.random() < 0.35 else f"0{number}"
    area = rng.randint(201, 989)
    exchange = rng.choice((555, rng.randint(201, 989)))
    line = digits(4)
    return rng.choice((f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"+1 {area} {exchange} {line}",
                       f"{area}.{exchange}.{line}", f"({area}) {exchange}-{line}"))


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


# A share of IBANs come from other countries, each in its registered shape (country: BBAN as runs of
# n digits, a capitals, c capitals or digits), so the head meets the lengths and letters other
# people's text holds, not only FR76 and GB.
_WORLD_IBAN_SHARE = 0.35
_WORLD_IBAN_SHAPES = {
    "DE": "18n", "AT": "16n", "CH": "5n12c", "BE": "12n", "NL": "4a10n", "LU": "3n13c", "ES": "20n",
    "PT": "21n", "IT": "1a10n12c", "IE": "4a14n", "NO": "11n", "SE": "20n", "DK": "14n", "FI": "14n",
    "PL": "24n", "TR": "6n16c", "QA": "4a21c", "SA": "2n18c", "AE": "19n",
}


_BBAN_ALPHABETS = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}


def _bban(rng: random.Random, shape: str) -> str:
    return "".join(rng.choice(_BBAN_ALPHABETS[kind]) for count, kind in re.findall(r"(\d+)([nac])", shape)
                   for _ in range(int(count)))


def _iban(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    if rng.random() < _WORLD_IBAN_SHARE:
        country = rng.choice(sorted(_WORLD_IBAN_SHAPES))
        bban = _bban(rng, _WORLD_IBAN_SHAPES[country])
    elif fill.fr:
        bank, branch = f"{rng.randint(10000, 99999)}", f"{rng.randint(0, 99999):05d}"
        account = f"{rng.randint(0, 10 ** 11 - 1):011d}"
        rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97  # French RIB key
        bban, country = f"{bank}{branch}{account}{rib_key:02d}", "FR"
    else:
        bank = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
        bban, country = f"{bank}{rng.randint(0, 999999):06d}{rng.randint(0, 10 ** 8 - 1):08d}", "GB"
    check = 98 - _mod97(bban + country + "00")
    iban = f"{country}{check:02d}{bban}"  # a valid RIB key always gives FR76
    grouped = style == "grouped" or (style is None and rng.random() < 0.6)
    return _group(iban) if grouped else iban


def _bic(fill: _Fill) -> str:
    rng = fill.rng
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    country = "FR" if fill.fr else "GB" if fill.gb else rng.choice(("US", "US", "GB"))
    bank = "".join(rng.choice(letters) for _ in range(4))
    locations = ("PP", "PP", "P1", "M1", "2A") if country == "FR" else ("PP", "PL", "2X", "22", "33", "3N", "LN", "MM")
    location = rng.choice(locations)
    branch = rng.choice(("", "", "XXX", f"{rng.randint(100, 999)}"))
    return bank + country + location + branch


# Share of national identity numbers from other countries where the template does not fix the form.
_WORLD_ID_SHARE = 0.2


def _ean_check(digits: str) -> str:
    """Check digit of an EAN-13 (and of a Swiss AHV number, which is one)."""
    total = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(digits))
    return str((10 - total % 10) % 10)


def _world_national_id(rng: random.Random, person: _Person) -> str:
    """Identity numbers of other countries, in the shapes their owners write them."""
    b = person.birth
    yymmdd, ddmmyy = f"{b.year % 100:02d}{b.month:02d}{b.day:02d}", f"{b.day:02d}{b.month:02d}{b.year % 100:02d}"
    kind = rng.choice(("ahv", "steuer", "dni", "nie", "bsn", "pesel", "sin", "aadhaar", "cpf", "be", "se", "dk", "tc",
                       "cn", "cf"))
    if kind == "ahv":  # Switzerland: 756.1234.5678.97
        body = "756" + _digits(rng, 9)
        number = body + _ean_check(body)
        return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"
    if kind == "steuer":  # German tax identification number
        return rng.choice(("{} {} {} {}", "{}{}{}{}")).format(_digits(rng, 2), _digits(rng, 3), _digits(rng, 3),
                                                               _digits(rng, 3))
    if kind in ("dni", "nie"):  # Spain: 12345678Z, X1234567L
        digits = _digits(rng, 8 if kind == "dni" else 7)
        prefix = "" if kind == "dni" else rng.choice("XYZ")
        value = int(str("XYZ".index(prefix)) + digits) if prefix else int(digits)
        return f"{prefix}{digits}{'TRWAGMYFPDXBNJZSQVHLCKE'[value % 23]}"
    if kind == "bsn":  # Netherlands
        return _digits(rng, 9)
    if kind == "pesel":  # Poland: birth date first
        return yymmdd + _digits(rng, 5)
    if kind == "sin":  # Canada
        return f"{_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 3)}"
    if kind == "aadhaar":  # India
        return f"{rng.randint(2, 9)}{_digits(rng, 3)} {_digits(rng, 4)} {_digits(rng, 4)}"
    if kind == "cpf":  # Brazil
        return f"{_digits(rng, 3)}.{_digits(rng, 3)}.{_digits(rng, 3)}-{_digits(rng, 2)}"
    if kind == "be":  # Belgium: 85.07.30-033.28
        return f"{yymmdd[:2]}.{yymmdd[2:4]}.{yymmdd[4:]}-{_digits(rng, 3)}.{_digits(rng, 2)}"
    if kind == "se":  # Sweden: personnummer
        return f"{yymmdd}-{_digits(rng, 4)}"
    if kind == "dk":  # Denmark: CPR
        return f"{ddmmyy}-{_digits(rng, 4)}"
    if kind == "tc":  # Turkey
        return f"{rng.randint(1, 9)}{_digits(rng, 10)}"
    if kind == "cn":  # China: resident identity card
        return f"{rng.randint(11, 65)}{_digits(rng, 4)}{b.year}{b.month:02d}{b.day:02d}{_digits(rng, 3)}{rng.choice('0123456789X')}"
    # Italy: codice fiscale, letters of the names, birth year, month letter, day (+40 for women), town, check
    consonants = lambda name: (re.sub(r"[^B-DF-HJ-NP-TV-Z]", "", _strip_accents(name).upper()) + "XXX")[:3]  # noqa: E731
    day = b.day + (40 if person.gender == "f" else 0)
    return (f"{consonants(person.last)}{consonants(person.first)}{b.year % 100:02d}{'ABCDEHLMPRST'[b.month - 1]}"
            f"{day:02d}{rng.choice('ABCDEFGHLM')}{_digits(rng, 3)}{rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}")


def _ssn(fill: _Fill, person: _Person, style: str | None) -> str:
    rng = fill.rng
    if style == "intl" or (style is None and rng.random() < _WORLD_ID_SHARE):
        return _world_national_id(rng, person)
    if fill.fr:
        # NIR: sex, birth year and month, department, commune, order number, then a mod-97 key.
        department = rng.choice([f"{d:02d}" for d in range(1, 96) if d != 20])
        body = (f"{1 if person.gender == 'm' else 2}{person.birth.year % 100:02d}{person.birth.month:02d}"
                f"{department}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
        key = 97 - int(body) % 97
        if style == "compact" or (style is None and rng.random() < 0.35):
            return f"{body}{key:02d}"
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"
    if fill.gb:  # National Insurance number
        first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
        second = rng.choice([c for c in "ABCEGHJKLMNPRSTWXYZ" if first + c not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ")])
        digits = f"{rng.randint(0, 999999):06d}"
        suffix = rng.choice("ABCD")
        if style == "compact" or (style is None and rng.random() < 0.3):
            return f"{first}{second}{digits}{suffix}"
        return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    area = rng.choice([a for a in range(1, 900) if a != 666])
    ssn = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return ssn.replace("-", "") if style == "compact" or (style is None and rng.random() < 0.1) else ssn


# A share of cards come from schemes Faker lacks, so the head learns a card from its length and its
# context, not from a leading 4 or 5: Maestro, UnionPay (62), Mir (2200-2204), RuPay (60, 65, 81, 82),
# Napas (9704), Troy (9792), Verve (5061), Elo (6362). Luhn-valid, 16 digits (UnionPay and Verve
# sometimes 19).
_WORLD_CARD_SHARE = 0.3
_WORLD_CARD_PREFIXES = ("50", "56", "58", "6304", "62", "2200", "2202", "2204", "60", "65", "81", "82", "9704",
                        "9792", "5061", "6362")


def _luhn_completed(partial: str) -> str:
    """`partial` followed by the Luhn check digit."""
    total = 0
    for i, digit in enumerate(reversed(partial)):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return partial + str((10 - total % 10) % 10)


def _card(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    if rng.random() < _WORLD_CARD_SHARE:
        prefix = rng.choice(_WORLD_CARD_PREFIXES)
        length = 19 if prefix in ("62", "5061") and rng.random() < 0.3 else 16
        number = _luhn_completed(prefix + _digits(rng, length - len(prefix) - 1))
    else:
        number = fill.fake.credit_card_number(card_type=rng.choice(_CARD_TYPES))
    form = style or rng.choice(("spaces", "spaces", "dashes", "compact", "compact"))
    if form == "compact":
        return number
    sep = "-" if form == "dashes" else " "
    if len(number) == 15:  # Amex groups 4-6-5
        return sep.join((number[:4], number[4:10], number[10:]))
    if len(number) == 14:  # Diners groups 4-6-4
        return sep.join((number[:4], number[4:10], number[10:]))
    return _group(number, 4, sep)


def _account_number(fill: _Fill) -> str:
    rng = fill.rng
    if rng.random() < 0.35:  # banks of other countries: 8 to 12 digits, leading zeros kept
        return _digits(rng, rng.randint(8, 12))
    if fill.fr:
        return f"{rng.randint(0, 10 ** 11 - 1):011d}"
    if fill.gb:
        return f"{rng.randint(0, 10 ** 8 - 1):08d}"
    return str(rng.randint(10 ** 9, 10 ** 12 - 1))


def _password(fill: _Fill) -> str:
    """Never ends on punctuation and holds no '%' or quotes, so no span edge looks like prose."""
    rng = fill.rng
    alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    specials = "#$&*@_-+=!?"
    if rng.random() < 0.5:
        word = rng.choice(_PASSWORD_WORDS)
        return f"{word}{rng.choice(specials)}{rng.randint(10, 9999)}{rng.choice(alnum)}"
    middle = "".join(rng.choice(alnum + specials) for _ in range(rng.randint(8, 12)))
    return rng.choice(alnum) + middle + rng.choice(specials) + rng.choice(alnum)


def _ipv6(rng: random.Random) -> str:
    if rng.random() < 0.5:  # full form, as most logs print it
        groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
        if rng.random() < 0.3:  # a first group of letters only reads like a word: "ccbb:e269:..."
            groups[0] = "".join(rng.choice("abcdef") for _ in range(rng.randint(2, 4)))
        text = ":".join(groups)
        return text.upper() if rng.random() < 0.15 else text
    prefix = rng.choice((0x20010DB8 << 96, 0xFE80 << 112, 0x2A01 << 112 | rng.randint(0, 0xFFFF) << 96))
    return str(ipaddress.IPv6Address(prefix | rng.randint(0, 2 ** 64 - 1)))


def _ipv4(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    if style == "private" or (style is None and rng.random() < 0.35):
        return rng.choice((f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                           f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                           f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"))
    return fill.fake.ipv4_public()


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


# --------------------------------------------------------------------------------------------
# Placeholders: {NAME} is PII (label NAME or a few labelled parts), {name} is unlabelled filler.
# `i` is the entity number (#2 -> second person, address, date...), `v` the variant words.
# --------------------------------------------------------------------------------------------

def _name_part(attr: str, label: str) -> Callable:
    def resolve(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
        value = getattr(fill.person(i), attr)
        if attr == "middle" and ("initial" in v or (fill.lang == "en" and "full" not in v and fill.rng.random() < 0.5)):
            value = value[0] + "."  # the initial keeps its abbreviation period, like a prefix
        return [(_cased(value, v), label)]
    return resolve


def _cased(value: str, v: set[str]) -> str:
    """The `upper` / `lower` / `ascii` variants: 'Hélène' -> 'HÉLÈNE', 'hélène', 'Helene' ('lower+ascii': 'helene')."""
    if "ascii" in v:
        value = _strip_accents(value)
    if "upper" in v:
        value = value.upper()
    if "lower" in v:
        value = value.lower()
    return value


def _strip_accents(text: str) -> str:
    """'Lefèvre Cœur' -> 'Lefevre Coeur': how names come out of keyboards without accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS)) if not unicodedata.combining(c))


def _r_prefix(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    if "dr" in v:
        return [(fill.rng.choice(_DOCTOR_PREFIXES[fill.locale]), "PREFIX")]
    if "lawyer" in v and fill.locale in _LAWYER_PREFIXES:
        return [(fill.rng.choice(_LAWYER_PREFIXES[fill.locale]), "PREFIX")]
    return [(fill.person(i).prefix, "PREFIX")]


# Share of e-mail local parts and user names in the shapes of many real accounts: initials,
# capitals, digits first ("NS@aol.com", "1987KLM@outlook.com", "Jana_Novakova", "Kira83").
_ODD_HANDLE_SHARE = 0.3
# Share of personal e-mails at a provider of another country (gmx.de, libero.it, wp.pl, naver.com ...).
_WORLD_MAIL_SHARE = 0.3


def _cap_slug(text: str) -> str:
    """'van der Berg' -> 'VanDerBerg', 'Łukasz' -> 'Lukasz': a name as people type it into a handle."""
    return "".join(word[:1].upper() + word[1:] for word in _strip_accents(text).translate(_LATIN_LETTERS).split()
                   if word.isascii() and word.replace("-", "").replace("'", "").isalnum()).replace("'", "") or "User"


def _r_email(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    p, rng = fill.person(i), fill.rng
    first, last = _slug(p.first, "-") or "info", _slug(p.last) or "mail"
    if rng.random() < _ODD_HANDLE_SHARE:
        First, Last = _cap_slug(p.first), _cap_slug(p.last)
        initials = First[0] + Last[0]
        local = rng.choice((initials, First[0], f"{rng.randint(1990, fill.today.year)}{First[0]}{_cap_slug(p.middle)[0]}{Last[0]}",
                            f"{Last[0]}{rng.randint(1000, 9999)}", f"{First}.{Last}", f"{First}{Last}{rng.randint(1, 99)}",
                            f"{first}{rng.randint(1, 99)}", f"{initials.lower()}{p.birth.year}"))
    else:
        local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}",
                            f"{first}_{last}{rng.randint(1, 99)}", f"{last}.{first}", f"{first[0]}{last}{rng.randint(70, 99)}"))
    work = "work" in v or ("personal" not in v and rng.random() < 0.3)
    if work:
        domain = fill.company(1).domain
    else:
        domain = rng.choice(_WORLD_MAIL_DOMAINS if rng.random() < _WORLD_MAIL_SHARE else _FREE_DOMAINS[fill.locale])
    return [(f"{local}@{domain}", "EMAIL")]


def _r_username(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    p, rng = fill.person(i), fill.rng
    first, last = _slug(p.first) or "user", _slug(p.last) or "name"
    if rng.random() < _ODD_HANDLE_SHARE:
        First, Last = _cap_slug(p.first), _cap_slug(p.last)
        return [(rng.choice((f"{First}_{Last}", f"{First}.{Last}", f"{First}{rng.randint(1, 99)}",
                             f"{first}_{last}_{p.birth.year % 100:02d}", f"{First}{Last[0]}", f"{first[0]}.{last}",
                             f"{last}{rng.randint(100, 9999)}", f"{First}-{Last}")), "USERNAME")]
    return [(rng.choice((f"{first[0]}{last}", f"{first}.{last}", f"{first}_{last}", f"{last}{first[0]}",
                         f"{first}{p.birth.year % 100:02d}", f"{first[0]}{last}{rng.randint(1, 9)}",
                         f"{first}-{last[:3]}")), "USERNAME")]


def _r_url(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    rng = fill.rng
    domain = fill.company(i).domain
    p = fill.person(i)
    if "reset" in v:
        url = rng.choice((f"https://account.{domain}/reset-password?token={_hex(rng, 24)}",
                          f"https://{domain}/auth/reset/{_hex(rng, 16)}"))
    elif "confirm" in v:
        url = f"https://{domain}/confirm?code={_hex(rng, 20)}"
    elif "meeting" in v:
        letters = "abcdefghijklmnopqrstuvwxyz"
        code = "-".join("".join(rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))
        url = rng.choice((f"https://meet.{domain}/{code}", f"https://{domain}/j/{rng.randint(10 ** 9, 10 ** 10 - 1)}"))
    elif "unsub" in v:
        url = f"https://news.{domain}/unsubscribe?u={_hex(rng, 12)}"
    elif "profile" in v:
        url = rng.choice((f"https://www.linkedin.com/in/{_slug(p.first, '-')}-{_slug(p.last, '-')}-{_hex(rng, 6)}",
                          f"https://github.com/{_slug(p.first)}{_slug(p.last)}",
                          f"https://{_slug(p.first)}{_slug(p.last)}.{rng.choice(('dev', 'me', 'net'))}"))
    else:
        url = rng.choice((f"https://www.{domain}", f"https://www.{domain}/", f"https://{domain}/account",
                          f"http://portal.{domain}/login", f"www.{domain}"))
        if url.endswith("/"):
            url = url[:-1]
    return [(url, "URL")]


def _r_address_part(attr: str, label: str) -> Callable:
    def resolve(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
        return [(_cased(getattr(fill.address(i), attr), v), label)]
    return resolve


def _r_address(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    """A whole postal address laid out the way the locale writes it, each part its own span."""
    a, rng = fill.address(i), fill.rng
    lines = "lines" in v
    with_secondary = "sec" in v or rng.random() < 0.35
    nl = "\n" if lines else ", "
    if a.layout != "home":
        return _world_address_segments(a, rng, nl, with_secondary)
    seg: list[Segment] = []
    if fill.gb and with_secondary:
        seg += [(a.secondary, "SECONDARYADDRESS"), (nl, None)]
    fr_comma = fill.fr and rng.random() < 0.25  # "12, rue de la Paix"
    seg += [(a.number, "BUILDINGNUMBER"), (", " if fr_comma else " ", None), (a.street, "STREET")]
    if not fill.gb and with_secondary:
        seg += [(nl, None), (a.secondary, "SECONDARYADDRESS")]
    seg.append((nl, None))
    if fill.us:
        seg += [(a.city, "CITY"), (", ", None), (a.state, "STATE"), (" ", None), (a.zipcode, "ZIPCODE")]
    elif fill.gb:
        seg += [(a.city, "CITY"), (nl, None)]
        if rng.random() < 0.35:
            seg += [(a.state, "STATE"), (nl if lines else " ", None)]
        seg.append((a.zipcode, "ZIPCODE"))
    else:
        city = a.city.upper() if rng.random() < 0.3 else a.city
        seg += [(a.zipcode, "ZIPCODE"), (" ", None), (city, "CITY")]
    return seg


def _world_address_segments(a: _Address, rng: random.Random, nl: str, with_secondary: bool) -> list[Segment]:
    """An address abroad, laid out as its country writes it; the country name is unlabelled."""
    secondary: list[Segment] = [(nl, None), (a.secondary, "SECONDARYADDRESS")] if with_secondary else []
    if a.layout == "eu":  # Hauptstraße 12, 80331 München
        seg = [(a.street, "STREET"), (" ", None), (a.number, "BUILDINGNUMBER")] + secondary + [
            (nl, None), (a.zipcode, "ZIPCODE"), (" ", None), (a.city, "CITY")]
        if rng.random() < 0.3:
            seg += [(", ", None), (a.state, "STATE")]
    elif a.layout == "us":  # 12 King Street, Toronto, Ontario M5H 2N2
        seg = [(a.number, "BUILDINGNUMBER"), (" ", None), (a.street, "STREET")] + secondary + [
            (nl, None), (a.city, "CITY"), (", ", None), (a.state, "STATE"), (" ", None), (a.zipcode, "ZIPCODE")]
    else:  # 14 Shrestha Marg, Kathmandu 44600, Bagmati
        seg = [(a.number, "BUILDINGNUMBER"), (" ", None), (a.street, "STREET")] + secondary + [
            (nl, None), (a.city, "CITY"), (" ", None), (a.zipcode, "ZIPCODE"), (", ", None), (a.state, "STATE")]
    if rng.random() < 0.4:
        seg += [(nl, None), (a.country, None)]
    return seg


def _pick_date(fill: _Fill, i: int, v: set[str]) -> date:
    rng = fill.rng
    if "dob" in v:
        return fill.person(i).birth
    if "later" in v:  # the end of a period that DATE#(i-1) starts: check-out, "until", "au"
        d = fill.dates.get(i - 1, fill.today) + timedelta(days=rng.randint(1, 60))
    elif "today" in v:
        d = fill.today
    elif "future" in v:
        d = fill.today + timedelta(days=rng.randint(1, 90))
    elif "past" in v:
        d = fill.today - timedelta(days=rng.randint(61, 400))
    else:
        d = fill.today + timedelta(days=rng.randint(-45, 45))
    fill.dates.setdefault(i, d)
    return d


_DATE_STYLES = frozenset({"long", "num", "iso", "abbr", "short", "wd", "wdshort", "my", "monthyear"})


def _r_date(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    style = min(v & _DATE_STYLES, default=None)
    if "dob" in v and style is None:
        style = fill.rng.choices(("long", "num", "my"), weights=(32, 60, 8))[0]
    return [(_format_date(fill, _pick_date(fill, i, v), style), "DATE")]


def _r_time(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    rng = fill.rng
    style = min(v & {"hm", "hms", "ampm", "h"}, default=None)
    if "seq" in v or style == "hms":  # clock times of one chat or log, in order
        moment = fill.moment(i)
        return [(_format_time(fill, moment.hour, moment.minute, moment.second, style), "TIME")]
    if "later" in v and i - 1 in fill.times:  # the end of a window that TIME#(i-1) opens
        start_hour, start_minute = fill.times[i - 1]
        hour, minute = min(start_hour + rng.randint(1, 3), 23), start_minute
    else:
        hour, minute = rng.randint(8, 18), rng.choice((0, 0, 15, 30, 30, 45, 10, 20, 40, 50))
    fill.times.setdefault(i, (hour, minute))
    return [(_format_time(fill, hour, minute, 0, style), "TIME")]


def _r_timestamp(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    """A log timestamp: its date and its time are separate spans."""
    m, rng = fill.moment(i), fill.rng
    t = f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    style = min(v & {"iso", "isot", "syslog", "num"}, default=None)
    if style is None:  # one log, one timestamp format
        style = fill.cache.setdefault("timestamp style", rng.choice(("iso", "iso", "isot", "num")))
    if style == "syslog":
        return [(f"{_EN_MONTHS[m.month - 1][:3]} {m.day}", "DATE"), (" ", None), (t, "TIME")]
    if style == "isot":  # one word to a reader (and to word-aware spans): a single DATE, not DATE "T" TIME
        return [(f"{m.date().isoformat()}T{t}Z", "DATE")]
    if style == "num":
        d = f"{m.day:02d}/{m.month:02d}/{m.year}" if not fill.us else f"{m.month:02d}/{m.day:02d}/{m.year}"
        return [(d, "DATE"), (" ", None), (t, "TIME")]
    return [(m.date().isoformat(), "DATE"), (" ", None), (t, "TIME")]


# Share of sums in another currency than the text's country's: "₹4,500", "zł58,481.62", "250 Swiss francs".
_WORLD_CURRENCY_SHARE = 0.3
# How the number of a sum is written, per language (weights): "comma" 1,234.56, "dot" 1.234,56,
# "space" 1 234,56, "plain" 1234.56 (1234,56 in French), "suffix" 998k / 0.4m / 0.001b.
_NUMBER_STYLES = {"en": {"comma": 64, "plain": 12, "dot": 6, "space": 4, "suffix": 14},
                  "fr": {"space": 62, "plain": 14, "dot": 8, "comma": 6, "suffix": 10}}
# The currency beside the number, for the text's own currency: (before, after) and weights.
_HOME_CURRENCY = {
    "fr_FR": (((None, " €"), ("EUR ", None), (None, " EUR"), (None, " euros"), (None, "€"), ("€", None)),
              (58, 10, 9, 12, 6, 5)),
    "en_GB": ((("£", None), ("GBP ", None), ("€", None), (None, " GBP"), (None, " pounds"), ("£ ", None)),
              (68, 10, 9, 5, 5, 3)),
    "en_US": ((("$", None), ("USD ", None), (None, " USD"), ("US$", None), (None, " dollars"), ("$ ", None)),
              (70, 10, 8, 4, 5, 3)),
}


def _grouped_number(value: float, decimals: int, thousands: str, point: str) -> str:
    """1234.5 -> '1,234.50' (thousands ',', point '.'), '1.234,50', '1 234,50', '1234.50' (thousands '')."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def _magnitude_number(rng: random.Random, lang: str, value: float) -> str:
    """A sum written with a magnitude suffix, suffix included in the span: '80.7k', '998k', '0.4m',
    '2.5M', '0.001b', '3bn' ('1,5 M', '3 Md' style suffixes glued in French: '1,5M', '3Md')."""
    point = "," if lang == "fr" else "."
    if value >= 1000 and rng.random() < 0.7:  # the sum itself, in thousands
        amount, unit = round(value / 1000, rng.choice((0, 1))), rng.choice(("k", "k", "K"))
    else:  # millions or billions, in the sizes generated business text uses
        unit = rng.choice(("M", "M", "Md")) if lang == "fr" else rng.choice(("m", "M", "b", "bn", "B"))
        if unit in ("m", "M"):
            amount = rng.choice((rng.randint(1, 500), round(rng.uniform(0.1, 9.9), 1), round(rng.uniform(0.01, 0.99), 2)))
        else:
            amount = rng.choice((rng.randint(1, 40), round(rng.uniform(0.1, 9.9), 1), round(rng.uniform(0.001, 0.009), 3)))
    return f"{amount:g}".replace(".", point) + unit


def _money_number(rng: random.Random, lang: str, value: float, decimals: int, suffix_ok: bool = True) -> str:
    styles = _NUMBER_STYLES[lang]
    style = rng.choices(list(styles), weights=list(styles.values()))[0]
    if style == "suffix" and suffix_ok:
        return _magnitude_number(rng, lang, value)
    if style == "space":  # French typography also writes a (narrow) no-break space
        space = rng.choices((" ", "\u00a0", "\u202f"), weights=(84, 8, 8))[0] if lang == "fr" else " "
        return _grouped_number(value, decimals, space, ",")
    if style == "plain":
        return _grouped_number(value, decimals, "", "," if lang == "fr" else ".")
    if style == "dot":
        return _grouped_number(value, decimals, ".", ",")
    if style == "comma" or lang == "en":
        return _grouped_number(value, decimals, ",", ".")
    return _grouped_number(value, decimals, " ", ",")


def _world_currency(rng: random.Random, lang: str) -> tuple[str | None, str | None, int]:
    """(text before the number, text after it, decimals) for a currency of any country."""
    code, signs, names_en, names_fr, decimals = rng.choice(_CURRENCIES)
    kind = rng.choices(("sign", "code", "name"), weights=(50, 30, 20))[0]
    if kind == "name":
        return None, " " + rng.choice(_options(names_fr if lang == "fr" else names_en)), int(decimals)
    if kind == "code":
        position = rng.choices(("before", "after", "glued"), weights=(45, 45, 10))[0]
        return ((code + " ", None) if position == "before" else (None, " " + code) if position == "after"
                else (code, None)) + (int(decimals),)
    sign = rng.choice(_options(signs))
    symbol = not sign[0].isalpha()  # "$", "₹", "R$" go before, glued; "zł", "Kč", "kr" mostly after
    weights = (60, 10, 20, 10) if symbol else (10, 30, 55, 5)
    position = rng.choices(("glued", "before", "after", "after glued"), weights=weights)[0]
    if position == "after glued" and sign.endswith("."):
        position = "after"
    return {"glued": (sign, None), "before": (sign + " ", None), "after": (None, " " + sign),
            "after glued": (None, sign)}[position] + (int(decimals),)


def _r_amount(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    """Currency sign, code or name as plain text, even when glued ('zł58,481.62'); the span is the
    number alone, with its magnitude suffix if it has one ('998k')."""
    rng = fill.rng
    low, high = (2, 300) if "small" in v else (1500, 95000) if "big" in v else (15, 4000)
    # Prices carry cents; salaries and large sums are mostly whole (and rounded to tens).
    cents = rng.random() < (0.15 if "big" in v else 0.65)
    if rng.random() < _WORLD_CURRENCY_SHARE:
        before, after, decimals = _world_currency(rng, fill.lang)
    else:
        choices, weights = _HOME_CURRENCY[fill.locale]
        (before, after), decimals = rng.choices(choices, weights=weights)[0], 2
    if decimals == 4:  # bitcoin: small sums, many decimals
        text = _grouped_number(rng.uniform(0.001, 2.5), 4, "", "," if fill.fr else ".")
    else:
        cents = cents and decimals > 0
        if cents:
            value = rng.uniform(low, high)
        else:
            step = 10 if high > 1000 else 1
            value = float(rng.randint(low, high) // step * step)
        text = _money_number(rng, fill.lang, value, 2 if cents else 0, suffix_ok="small" not in v)
    if after and text[-1].isalpha() and after[0].isalpha():  # "998k USD", never "998kUSD"
        after = " " + after
    seg: list[Segment] = [(before, None)] if before else []
    seg.append((text, "AMOUNT"))
    if after:
        seg.append((after, None))
    return seg


_EN_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_FR_UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
             "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf")
_FR_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")


def _number_words(n: int, lang: str) -> str:
    """0-119 in words, for ages written out: 'thirty-four', 'soixante et onze', 'quatre-vingt-deux'."""
    if n >= 100:
        return ("one hundred" if lang == "en" else "cent") + (f" {_number_words(n - 100, lang)}" if n > 100 else "")
    if lang == "en":
        if n < 20:
            return _EN_UNITS[n]
        tens, unit = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_UNITS[unit]}" if unit else "")
    if n < 20:
        return _FR_UNITS[n]
    if n >= 80:
        return "quatre-vingt" + (f"-{_FR_UNITS[n - 80]}" if n > 80 else "s")
    tens = min(n // 10, 6)  # 70-79 are "soixante-dix" to "soixante-dix-neuf"
    rest = n - 10 * tens
    if rest == 0:
        return _FR_TENS[tens]
    return _FR_TENS[tens] + (" et " if rest in (1, 11) else "-") + _FR_UNITS[rest]


# Job titles: Faker's lists, then titles made of parts, the way business text and generated
# data write them ("Senior Marketing Coordinator", "Central Infrastructure Manager"; "Chargée de clientèle").
_COMPOSED_JOB_SHARE = 0.5
# Share of job titles written in lower case where the template does not fix the case ("as a senior data analyst").
_LOWER_JOB_SHARE = 0.2


def _job_title(fill: _Fill, i: int, v: set[str]) -> str:
    rng = fill.rng
    if rng.random() >= _COMPOSED_JOB_SHARE:
        title = rng.choice(_JOBS[fill.locale])
    elif fill.fr:
        title = _french_job_title(rng, fill.person(i).gender == "f")
    elif rng.random() < 0.5:  # descriptor + area + type
        title = " ".join(rng.choice(_JOB_WORDS[f"en {part}"]) for part in ("descriptor", "area", "type"))
    else:  # seniority + field + role; the seniority is often left out
        seniority = rng.choice(_JOB_WORDS["en seniority"]) + " " if rng.random() < 0.6 else ""
        title = seniority + rng.choice(_JOB_WORDS["en field"]) + " " + rng.choice(_JOB_WORDS["en role"])
        if seniority == "Head ":
            title = f"Head of {title.split(' ', 1)[1].rsplit(' ', 1)[0]}"
    if not v & {"upper", "lower"} and rng.random() < _LOWER_JOB_SHARE:
        title = title[0].lower() + title[1:] if fill.fr else " ".join(
            w if w.isupper() and len(w) > 1 else w.lower() for w in title.split())  # "HR", "UX", "IT" keep their capitals
    return _cased(title, v)


def _french_job_title(rng: random.Random, feminine: bool) -> str:
    """'Responsable marketing', 'Chargée de clientèle', 'Directeur des opérations', 'Ingénieure qualité senior'."""
    role = rng.choice(_FR_JOB_WORDS["fr role"])[feminine]
    domains = _column(_FR_JOB_WORDS["fr domain"])
    if role.startswith("Chargé"):  # "chargé de" + a noun: "Chargée de clientèle", "Chargé de communication"
        domain = rng.choice([d for d in domains if d.startswith(("de ", "d'", "des ", "du "))]
                            + ["de communication", "de marketing", "de recrutement", "de formation"])
    else:
        domain = rng.choice(domains)
    if feminine:  # the adjective agrees: "Directrice commerciale", "Responsable financière"
        domain = {"commercial": "commerciale", "financier": "financière"}.get(domain, domain)
    title = f"{role} {domain}"
    if rng.random() < 0.2:
        title += " " + rng.choice(_FR_JOB_WORDS["fr level"])[feminine]
    return title


# Units written after an age (outside the AGE span): predicative ("is 34 years old") and
# attributive ("a 72-year-old man", "une femme de 72 ans").
_AGE_UNITS = {
    ("en", "unit"): ((" years old", 50), (" yrs old", 8), (" y/o", 6), (" years of age", 8), (" year old", 6),
                     (" yo", 4), (" yrs", 6), (" years", 12)),
    ("en", "adj"): (("-year-old", 70), (" year old", 18), ("-yr-old", 6), (" years old", 6)),
    ("fr", "unit"): ((" ans", 88), (" ans révolus", 4), (" ans et demi", 8)),
    ("fr", "adj"): ((" ans", 100),),
}


def _r_age(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    age = fill.person(i).age
    segments: list[Segment] = [(_number_words(age, fill.lang) if "words" in v else str(age), "AGE")]
    kind = "unit" if "unit" in v else "adj" if "adj" in v else None
    if kind:
        units = _AGE_UNITS[(fill.lang, kind)]
        segments.append((fill.rng.choices([u for u, _ in units], weights=[w for _, w in units])[0], None))
    return segments


def _simple(label: str, make: Callable[[_Fill, int, set[str]], str]) -> Callable:
    return lambda fill, i, v: [(make(fill, i, v), label)]


_PII: dict[str, Callable[[_Fill, int, set[str]], list[Segment]]] = {
    "PREFIX": _r_prefix,
    "FIRSTNAME": _name_part("first", "FIRSTNAME"),
    "MIDDLENAME": _name_part("middle", "MIDDLENAME"),
    "LASTNAME": _name_part("last", "LASTNAME"),
    "EMAIL": _r_email,
    "PHONENUMBER": _simple("PHONENUMBER", lambda f, i, v: _phone(f, min(v, default=None))),
    "USERNAME": _r_username,
    "PASSWORD": _simple("PASSWORD", lambda f, i, v: _password(f)),
    "URL": _r_url,
    "IPV4": _simple("IPV4", lambda f, i, v: _ipv4(f, min(v, default=None))),
    "IPV6": _simple("IPV6", lambda f, i, v: _ipv6(f.rng)),
    "STREET": _r_address_part("street", "STREET"),
    "BUILDINGNUMBER": _r_address_part("number", "BUILDINGNUMBER"),
    "SECONDARYADDRESS": _r_address_part("secondary", "SECONDARYADDRESS"),
    "CITY": _r_address_part("city", "CITY"),
    "STATE": _r_address_part("state", "STATE"),
    "ZIPCODE": _r_address_part("zipcode", "ZIPCODE"),
    "ADDRESS": _r_address,
    "DATE": _r_date,
    "TIME": _r_time,
    "TIMESTAMP": _r_timestamp,
    "AGE": _r_age,
    "COMPANYNAME": _simple("COMPANYNAME", lambda f, i, v: _cased(f.company(i).name, v)),
    "JOBTITLE": _simple("JOBTITLE", lambda f, i, v: _job_title(f, i, v)),
    "IBAN": _simple("IBAN", lambda f, i, v: _iban(f, min(v, default=None))),
    "BIC": _simple("BIC", lambda f, i, v: _bic(f)),
    "CREDITCARDNUMBER": _simple("CREDITCARDNUMBER", lambda f, i, v: _card(f, min(v, default=None))),
    "ACCOUNTNUMBER": _simple("ACCOUNTNUMBER", lambda f, i, v: _account_number(f)),
    "SSN": _simple("SSN", lambda f, i, v: _ssn(f, f.person(i), min(v, default=None))),
    "AMOUNT": _r_amount,
}


def _en_fr(en: Callable[[random.Random], str], fr: Callable[[random.Random], str]) -> Callable[[_Fill], str]:
    return lambda fill: fr(fill.rng) if fill.fr else en(fill.rng)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def _order_code(fill: _Fill) -> str:
    r, year = fill.rng, fill.today.year
    forms = [f"ORD-{year}-{r.randint(1, 99999):05d}", f"#{r.randint(10000, 99999)}"]
    if fill.fr:
        forms += [f"CMD-{year}-{r.randint(1, 99999):05d}", f"n° {r.randint(100000, 999999)}"]
    return r.choice(forms)


def _invoice_code(fill: _Fill) -> str:
    r, year = fill.rng, fill.today.year
    forms = [f"INV-{r.randint(10000, 99999)}", f"INV-{year}-{r.randint(1, 9999):04d}"]
    if fill.fr:
        forms += [f"FAC-{year}-{r.randint(1, 9999):04d}", f"F{year}{r.randint(100, 999)}"]
    return r.choice(forms)


def _ticket_code(fill: _Fill) -> str:
    r = fill.rng
    return r.choice((f"TCK-{r.randint(1000, 9999)}", f"#{r.randint(10000, 99999)}", f"INC{r.randint(0, 9999999):07d}"))


def _reference(fill: _Fill) -> str:
    r = fill.rng
    letters = "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return r.choice((f"REF-{r.randint(1000, 9999)}-{r.choice('ABCDEFGHK')}", f"{letters}{r.randint(100000, 999999)}",
                     f"TX{r.randint(10 ** 7, 10 ** 8 - 1)}"))


def _tracking_code(fill: _Fill) -> str:
    r = fill.rng
    if fill.fr:  # Colissimo / La Poste shapes
        return r.choice((f"6A{_digits(r, 11)}", f"8R{_digits(r, 11)}", f"XY{_digits(r, 9)}FR"))
    ups = "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(16))
    return r.choice((f"1Z{ups}", f"TRK{r.randint(10 ** 9, 10 ** 10 - 1)}"))


def _version(fill: _Fill) -> str:
    r = fill.rng
    return r.choice((f"v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 30)}",
                     f"{r.randint(1, 15)}.{r.randint(0, 9)}.{r.randint(0, 20)}", f"v{r.randint(1, 9)}.{r.randint(0, 12)}"))


def _ordinal_fr(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def _model_number(fill: _Fill) -> str:
    """'XR-2200', 'K48', 'Pro 7': product model numbers, look-alikes of codes and postcodes."""
    r, letters = fill.rng, "ABCDEFGHKLMRSTVXZ"
    return r.choice((f"{r.choice(letters)}{r.choice(letters)}-{r.randint(100, 9900)}",
                     f"{r.choice(letters)}{r.randint(10, 990)}",
                     f"{r.choice(('Pro', 'Max', 'Lite', 'Series'))} {r.randint(2, 12)}"))


def _build_number(fill: _Fill) -> str:
    """'10.0.19045.3803', 'v4.2.1.2201': four-part versions, one part above 255 so none is an IPv4."""
    r = fill.rng
    return r.choice((f"10.0.{r.randint(17000, 26000)}.{r.randint(100, 4000)}",
                     f"{r.choice(('v', ''))}{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(256, 9999)}",
                     f"{r.randint(1, 30)}.{r.randint(0, 9)}.{r.randint(1000, 6000)}.{r.randint(0, 200)}"))


def _big_count(fill: _Fill) -> str:
    """'12k', '2.4M', '1,2 M': counts of views, downloads, followers, written like sums but not money."""
    r, point = fill.rng, "," if fill.fr else "."
    value = r.choice((f"{r.randint(2, 999)}{r.choice(('k', 'K'))}", f"{r.randint(1, 99) / 10:g}".replace(".", point) + "M",
                      f"{r.randint(11, 99) / 10:g}".replace(".", point) + r.choice(("k", "m"))))
    return value if not fill.fr or r.random() < 0.5 else value.replace("M", " M").replace("k", " k")


def _ean13(fill: _Fill) -> str:
    """A product barcode (EAN-13 with its check digit): 13 digits like an old Visa card number."""
    body = fill.rng.choice(("400", "300", "500", "590", "800", "871", "978")) + _digits(fill.rng, 9)
    return body + _ean_check(body)


def _of_month(fill: _Fill) -> str:
    """'of March'; in French the elision a month name needs: 'de mars', 'd'avril', 'd'octobre'."""
    if not fill.fr:
        return f"of {fill.rng.choice(_EN_MONTHS)}"
    month = fill.rng.choice(_FR_MONTHS)
    return f"d'{month}" if month[0] in "ao" else f"de {month}"


def _item_count(fill: _Fill) -> str:
    n = fill.rng.randint(1, 9)
    word = "article" if fill.fr else "item"
    return f"{n} {word}{'s' * (n > 1)}"


# Look-alikes: numbers and codes that resemble PII but are not about a person; never labelled.
_FILLERS: dict[str, Callable[[_Fill], str]] = {
    "order_code": _order_code,
    "invoice": _invoice_code,
    "ticket": _ticket_code,
    "ref": _reference,
    "claim": lambda f: f"CLM-{f.today.year}-{f.rng.randint(1, 999999):06d}",
    "tracking": _tracking_code,
    "version": _version,
    "items": _item_count,
    "users": _en_fr(lambda r: f"{r.randint(2, 480)} users", lambda r: f"{r.randint(2, 480)} utilisateurs"),
    "pct": _en_fr(lambda r: f"{r.choice((5, 10, 12, 15, 20, 25, 30, 40, 50, 75, 99))}%",
                  lambda r: f"{r.choice((5, 10, 12, 15, 20, 25, 30, 40, 50, 75, 99))}{r.choice((' %', ' %', '%'))}"),
    "vat": _en_fr(lambda r: r.choice(("20%", "5%", "8.875%", "7.25%")), lambda r: r.choice(("20 %", "10 %", "5,5 %"))),
    "year": lambda f: str(f.today.year - f.rng.randint(0, 6)),
    "room": _en_fr(lambda r: r.choice((f"room {r.randint(100, 699)}", f"room {r.choice('ABCD')}{r.randint(1, 30)}",
                                      f"meeting room {r.randint(1, 12)}")),
                   lambda r: r.choice((f"salle {r.randint(100, 699)}", f"salle {r.choice('ABCD')}{r.randint(1, 30)}",
                                      f"bureau {r.randint(1, 5)}.{r.randint(1, 40):02d}"))),
    "floor": _en_fr(lambda r: _ordinal(r.randint(1, 12)), lambda r: _ordinal_fr(r.randint(1, 12))),
    "http": lambda f: f.rng.choice(("500", "502", "503", "504", "404", "403", "429")),
    "err": lambda f: f.rng.choice((f"E{f.rng.randint(1000, 9999)}", f"ERR-{f.rng.randint(100, 9999)}",
                                   f"0x8007{f.rng.randint(0, 0xFFFF):04X}")),
    "qty": lambda f: str(f.rng.randint(1, 12)),
    "page": _en_fr(lambda r: (lambda n: f"page {r.randint(1, n)} of {n}")(r.randint(2, 12)),
                   lambda r: (lambda n: f"page {r.randint(1, n)} sur {n}")(r.randint(2, 12))),
    "days": _en_fr(lambda r: f"{r.choice((3, 7, 14, 30, 60))} days", lambda r: f"{r.choice((3, 7, 14, 30, 60))} jours"),
    "hours": _en_fr(lambda r: f"{r.choice((24, 48, 72))} hours", lambda r: f"{r.choice((24, 48, 72))} heures"),
    "mins": _en_fr(lambda r: f"{r.choice((10, 15, 20, 30))} minutes", lambda r: f"{r.choice((10, 15, 20, 30))} minutes"),
    "n": lambda f: str(f.rng.randint(2, 9)),
    "nn": lambda f: str(f.rng.randint(10, 250)),
    "port": lambda f: str(f.rng.choice((22, 443, 8080, 8443, f.rng.randint(30000, 65000)))),
    "pid": lambda f: str(f.rng.randint(300, 65000)),
    "ms": lambda f: str(f.rng.randint(12, 9000)),
    "flight": lambda f: f"{f.rng.choice(('BA', 'AF', 'UA', 'DL', 'LH', 'KL', 'U2', 'IB'))} {f.rng.randint(100, 9999)}",
    "train": lambda f: str(f.rng.randint(6000, 9999)),
    "seat": lambda f: f"{f.rng.randint(1, 40)}{f.rng.choice('ABCDEF')}",
    "pnr": lambda f: "".join(f.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
    "sha": lambda f: _hex(f.rng, 7),
    "product": lambda f: f.rng.choice(_PRODUCTS[f.lang]),
    "gb": lambda f: f"{f.rng.choice((2, 4, 8, 16, 50, 100))} {'Go' if f.fr else 'GB'}",
    "kg": lambda f: f"{f.rng.randint(1, 30)} kg",
    "policy": lambda f: f"POL-{f.rng.randint(100000, 999999)}",
    # Numbers of ordinary prose (history, sport, recipes, reviews): never about a person.
    "old_year": lambda f: str(f.rng.randint(1550, 1995)),
    "decade": lambda f: str(f.rng.randint(192, 201) * 10),
    "score": lambda f: (lambda a: f"{a}-{f.rng.randint(0, a - 1)}")(f.rng.randint(1, 5)),  # winner first
    "temp": lambda f: str(f.rng.randint(-4, 34)),
    "model": _model_number,
    "thousands": lambda f: _amount_text(f, f.rng.randint(12, 950) * 100, False),
    "km": lambda f: f"{f.rng.choice((3, 5, 8, 10, 12, 15, 21))} km",
    "grams": lambda f: f"{f.rng.randint(2, 20) * 25} g",
    "ordinal": _en_fr(lambda r: _ordinal(r.randint(2, 40)), lambda r: _ordinal_fr(r.randint(2, 40))),
    "isbn": lambda f: f"978-{f.rng.randint(0, 2)}-{_digits(f.rng, 2)}-{_digits(f.rng, 6)}-{_digits(f.rng, 1)}",
    "month": lambda f: (_FR_MONTHS if f.fr else _EN_MONTHS)[f.rng.randint(0, 11)],
    "of_month": _of_month,
    "weekday": lambda f: (_FR_WEEKDAYS if f.fr else _EN_WEEKDAYS)[f.rng.randint(0, 6)],
    "rating": lambda f: (lambda x: x.replace(".", ",") if f.fr else x)(f"{f.rng.randint(4, 10) / 2:.1f}"),
    "runtime": lambda f: str(f.rng.randint(84, 175)),
    # Look-alikes of the value formats above: builds next to IP addresses, counts with k/m like
    # sums, ratios like dates and times, barcodes like card numbers, serials like identifiers.
    "build": _build_number,
    "bigcount": _big_count,
    "ratio": lambda f: f.rng.choice(("16:9", "4:3", "21:9", "24/7", "3/4", "1/2", "50/50", "2:1", "9/10", "1:1")),
    "ean": _ean13,
    "serial": lambda f: f.rng.choice(("SN", "S/N", "SN-", "SN ", "S/N ")) + "".join(
        f.rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(f.rng.randint(8, 12))),
    "quarter": lambda f: f"Q{f.rng.randint(1, 4)} {f.today.year - f.rng.randint(0, 3)}"
    if not f.fr else f"{f.rng.choice(('T', 'Q'))}{f.rng.randint(1, 4)} {f.today.year - f.rng.randint(0, 3)}",
}


# --------------------------------------------------------------------------------------------
# Templates: plain-text data files, extract/templates/<language>/<genre>.txt
# (the format is described in extract/templates/README.md)
# --------------------------------------------------------------------------------------------

# {NAME}, {NAME#2}, {NAME:variant+words}, {NAME#2:variant}, {~one|other|choice} or {@1:he|she}
_PLACEHOLDER = re.compile(r"\{(~[^{}]*|@\d+:[^{}]*|[A-Za-z][A-Za-z0-9_]*(?:#\d+)?(?::[a-z0-9+_]+)?)\}")
_TEMPLATE_ID = re.compile(r"[a-z]{2}(?:-[a-z0-9]+)+")
_HEADER_MARK = "==="
_HEADER_KEYS = ("locales", "children", "prose")
# A paragraph with a line longer than this is prose and is joined into one line; a paragraph of
# shorter lines (address block, signature, list of details) keeps its layout.
_PROSE_LINE_LENGTH = 70

_NAME_VARIANTS = frozenset({"upper", "lower", "ascii"})
_PLACE_VARIANTS = frozenset({"upper", "lower"})
# Variant words each PII placeholder understands; a typo is a load error, not a silent default.
_VARIANTS: dict[str, frozenset[str]] = {
    "PREFIX": frozenset({"dr", "lawyer"}),
    "FIRSTNAME": _NAME_VARIANTS,
    "MIDDLENAME": _NAME_VARIANTS | {"initial", "full"},
    "LASTNAME": _NAME_VARIANTS,
    "EMAIL": frozenset({"work", "personal"}),
    "PHONENUMBER": frozenset({"mobile", "landline", "spaces", "intl", "dots", "compact"}),
    "USERNAME": frozenset(),
    "PASSWORD": frozenset(),
    "URL": frozenset({"reset", "confirm", "meeting", "unsub", "profile"}),
    "IPV4": frozenset({"private", "public"}),
    "IPV6": frozenset(),
    "STREET": _PLACE_VARIANTS,
    "BUILDINGNUMBER": frozenset(),
    "SECONDARYADDRESS": _PLACE_VARIANTS,
    "CITY": _PLACE_VARIANTS,
    "STATE": _PLACE_VARIANTS,
    "ZIPCODE": frozenset(),
    "ADDRESS": frozenset({"lines", "sec"}),
    "DATE": frozenset({"dob", "later", "today", "future", "past"}) | _DATE_STYLES,
    "TIME": frozenset({"hm", "hms", "ampm", "h", "seq", "later"}),
    "TIMESTAMP": frozenset({"iso", "isot", "syslog", "num"}),
    "AGE": frozenset({"words", "unit", "adj"}),
    "COMPANYNAME": _PLACE_VARIANTS,
    "JOBTITLE": _PLACE_VARIANTS,
    "IBAN": frozenset({"grouped", "compact"}),
    "BIC": frozenset(),
    "CREDITCARDNUMBER": frozenset({"spaces", "dashes", "compact"}),
    "ACCOUNTNUMBER": frozenset(),
    "SSN": frozenset({"compact", "spaced", "intl"}),
    "AMOUNT": frozenset({"small", "big"}),
}
assert set(_VARIANTS) == set(_PII), "every PII placeholder lists its variant words"


@dataclass(frozen=True)
class _Template:
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


class _TemplateFileParser:
    """Reads one template file; every fault raises PiiTaggerError with the file and line."""

    def __init__(self, text: str, source: str, language: str):
        self.text, self.source, self.language = text, source, language

    def fail(self, line: int, reason: str) -> NoReturn:
        raise PiiTaggerError(f"{self.source}, line {line}: {reason}")

    def parse(self) -> list[_Template]:
        templates: list[_Template] = []
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
            unknown = [item for item in items if item not in _LOCALES[self.language]]
            if unknown:
                self.fail(number, f"template {template_id}: locale {unknown[0]!r} is not one of "
                                  f"{', '.join(_LOCALES[self.language])}")
            return tuple(dict.fromkeys(items))
        if key == "children":
            if not all(item.isdigit() and int(item) >= 1 for item in items):
                self.fail(number, f"template {template_id}: children={value} must list person numbers (1, 2, ...)")
            return frozenset(int(item) for item in items)
        if value not in ("on", "off"):
            self.fail(number, f"template {template_id}: prose={value} must be 'on' or 'off'")
        return value == "on"

    def template(self, header: tuple[int, str, dict], body: list[tuple[int, str]]) -> _Template:
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
        return _Template(template_id, self.language, attributes.get("locales", _LOCALES[self.language]), has_pii,
                         _split_parts(text), attributes.get("children", frozenset()),
                         f"{self.source}, line {number}")

    def check_line(self, number: int, template_id: str, line: str) -> bool:
        """Reject unknown placeholders, variants and stray braces; True if the line holds PII."""
        has_pii = False
        for match in _PLACEHOLDER.finditer(line):
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
            if name in _PII:
                unknown = sorted(words - _VARIANTS[name])
                if unknown:
                    known = ", ".join(sorted(_VARIANTS[name])) or "none"
                    self.fail(number, f"{where}: {{{body}}}: unknown variant {unknown[0]!r} (known: {known})")
                has_pii = True
            elif name in _FILLERS:
                if words:
                    self.fail(number, f"{where}: {{{body}}}: filler placeholders take no variant")
            else:
                self.fail(number, f"{where}: unknown placeholder {{{body}}}")
        rest = _PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), line)
        for column, char in enumerate(rest, start=1):
            if char in "{}":
                self.fail(number, f"template {template_id}, column {column}: stray {char!r} "
                                  f"(not part of a {{PLACEHOLDER}})")
        return has_pii


def _split_parts(text: str) -> tuple:
    """Literals and placeholders of an already checked template text, in order."""
    parts: list = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position:match.start()])
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
        position = match.end()
    parts.append(text[position:])
    return tuple(part for part in parts if part != "")


def load_templates(folder: Path | str | None = None) -> dict[str, list[_Template]]:
    """Every template of `folder`/en/*.txt and `folder`/fr/*.txt (default: the files shipped in
    extract/templates), files in name order. A malformed file, a duplicate id or an unknown language
    folder raises PiiTaggerError naming the file and line."""
    root = importlib.resources.files("extract").joinpath("templates") if folder is None else Path(folder)
    if not root.is_dir():
        raise MissingInputError(f"{root}: no such template folder")
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in _LOCALES and not entry.name.startswith(("_", ".")):
            raise PiiTaggerError(f"{entry}: template folder for an unsupported language "
                                 f"(expected {', '.join(_LOCALES)})")
    templates: dict[str, list[_Template]] = {}
    first_seen: dict[str, str] = {}
    for language in _LOCALES:
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


def _render(template: _Template, fill: _Fill) -> tuple[str, tuple[Span, ...]]:
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
            segments = [(masculine if fill.person(person).gender == "m" else feminine, None)]
        else:
            _, key, name, index, variant = part
            segments = fill.cache.get(key)
            if segments is None:
                if name in _PII:
                    segments = _PII[name](fill, index, set(variant))
                else:
                    segments = [(_FILLERS[name](fill), None)]
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


# Values whose first sound the word before them must agree with.
_ELIDED_LABELS = frozenset({"FIRSTNAME", "MIDDLENAME", "LASTNAME", "CITY", "STATE", "COMPANYNAME", "JOBTITLE",
                            "USERNAME", "AGE"})
_FR_ELISION = re.compile(r"(?:^|(?<=[\s(«\"']))([Dd]e|[Qq]ue|[Jj]usque) $")
_EN_ARTICLE = re.compile(r"(?:^|(?<=[\s(\"']))([Aa]) $")


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


_TEMPLATES = load_templates()
_PII_TEMPLATES = {lang: [t for t in _TEMPLATES[lang] if t.has_pii] for lang in _LOCALES}
_NO_PII_TEMPLATES = {lang: [t for t in _TEMPLATES[lang] if not t.has_pii] for lang in _LOCALES}

# Distinct templates per language, with and without PII.
TEMPLATE_COUNTS: dict[str, int] = {lang: len(_TEMPLATES[lang]) for lang in _LOCALES}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

class _Deck:
    """Deals templates in shuffled rounds: every template is used before any is used twice,
    so even a small corpus covers every template (and with them every label)."""

    def __init__(self, templates: list[_Template], rng: random.Random):
        self.templates, self.rng, self.cards = templates, rng, []

    def draw(self) -> _Template:
        if not self.cards:
            self.cards = list(self.templates)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def _generate_language(language: str, n: int, config: SynthConfig) -> list[Record]:
    # Each language has its own random streams, so changing n_french never changes English texts.
    rng = random.Random(f"synth:{config.seed}:{language}")
    fakers = {}
    for locale in _LOCALES[language]:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(f"synth:{config.seed}:{locale}")
    # Texts without PII come from their own deck, so their share is exact whatever the number
    # of templates on either side.
    no_pii = set(rng.sample(range(n), round(n * config.no_pii_fraction)))
    decks = {True: _Deck(_PII_TEMPLATES[language], rng), False: _Deck(_NO_PII_TEMPLATES[language], rng)}
    out = []
    for index in range(n):
        template = decks[index not in no_pii].draw()
        locale = rng.choice(template.locales)
        today = date(2023, 1, 1) + timedelta(days=rng.randint(0, 3 * 365))
        fill = _Fill(language, locale, fakers[locale], rng, today, children=template.children)
        text, spans = _render(template, fill)
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
