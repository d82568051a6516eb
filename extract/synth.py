"""Synthetic English/French PII corpus: Faker values poured into hand-written templates.

Spans are recorded while each text is assembled, so every offset is exact by construction.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import random
import re
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from faker import Faker

from extract.errors import PiiTaggerError
from extract.files import atomic_write_text
from extract.records import Record, Span

__all__ = ["LABELS", "TEMPLATE_COUNTS", "SynthConfig", "generate", "generate_with_templates", "write_corpus"]

# The AI4Privacy label names this generator emits (every one occurs in each language).
LABELS: tuple[str, ...] = (
    "PREFIX", "FIRSTNAME", "MIDDLENAME", "LASTNAME", "EMAIL", "PHONENUMBER", "USERNAME", "PASSWORD",
    "URL", "IPV4", "IPV6", "STREET", "BUILDINGNUMBER", "SECONDARYADDRESS", "CITY", "STATE", "ZIPCODE",
    "DATE", "TIME", "AGE", "COMPANYNAME", "JOBTITLE", "IBAN", "BIC", "CREDITCARDNUMBER", "ACCOUNTNUMBER",
    "SSN", "AMOUNT",
)

# Faker locales behind each language: English texts are American or British, one per text.
_LOCALES = {"en": ("en_US", "en_GB"), "fr": ("fr_FR",)}
_FILE_NAMES = {"en": "english_synthetic.jsonl", "fr": "french_synthetic.jsonl"}


@dataclass
class SynthConfig:
    """How many texts to make and how they are drawn."""

    # 500 per language: every template (about 60 per language) appears about eight times and
    # every label occurs, yet extracting LLM features for it stays a few minutes' job.
    n_english: int = 500
    n_french: int = 500
    # Any fixed number works; fixing one makes two runs of `synth` give byte-identical files.
    seed: int = 42
    # Real documents often hold no PII at all; without such texts a head learns that every
    # text must contain something to tag. 10 % keeps them present without diluting the rest.
    no_pii_fraction: float = 0.1

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
_CARD_TYPES = ("visa16", "visa16", "mastercard", "mastercard", "amex", "discover")


def _job_titles(locale: str) -> tuple[str, ...]:
    """Faker's job list without entries like 'Engineer, civil (consulting)': no punctuation
    that would read as sentence punctuation at a span edge, nothing that needs brackets."""
    module = "en_US" if locale.startswith("en") else "fr_FR"
    jobs = importlib.import_module(f"faker.providers.job.{module}").Provider.jobs
    return tuple(job for job in jobs if not re.search(r"[,()/]", job) and len(job.split()) <= 5)


_JOBS = {locale: _job_titles(locale) for locale in ("en_US", "fr_FR")}
_JOBS["en_GB"] = _JOBS["en_US"]


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


def _ascii(text: str) -> str:
    """'Jean-Rémi D'Angelo' -> 'jean-remi dangelo': the form names take in emails and logins."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9 -]", "", plain)


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


def _new_person(fill: _Fill, child: bool = False) -> _Person:
    fake, rng = fill.fake, fill.rng
    gender = rng.choice("mf")
    first_name = fake.first_name_male if gender == "m" else fake.first_name_female
    first = first_name()
    middle = first_name()
    while middle == first:
        middle = first_name()
    male, female, neutral = _PREFIXES[fill.locale]
    prefix = rng.choice(neutral) if rng.random() < 0.1 else rng.choice(male if gender == "m" else female)
    age = rng.randint(4, 15) if child else rng.randint(18, 88)
    return _Person(gender, prefix, first, middle, fake.last_name(), age, _birth_for_age(rng, fill.today, age))


def _uk_postcode(rng: random.Random, outward: str) -> str:
    return f"{outward} {rng.randint(0, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _new_address(fill: _Fill) -> _Address:
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


def _format_date(fill: _Fill, d: date, style: str | None) -> str:
    rng = fill.rng
    if style is None:
        style = rng.choices(("long", "num", "iso", "abbr"), weights=(45, 35, 8, 12))[0]
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
        }[style]
    month = _EN_MONTHS[d.month - 1]
    if fill.us:
        return {
            "num": f"{d.month:02d}/{d.day:02d}/{d.year}",
            "long": f"{month} {d.day}, {d.year}",
            "abbr": f"{month[:3]} {d.day}, {d.year}",
            "short": f"{month} {d.day}",
            "wd": f"{_EN_WEEKDAYS[d.weekday()]}, {month} {d.day}, {d.year}",
        }[style]
    day = _ordinal(d.day) if rng.random() < 0.4 else str(d.day)
    return {
        "num": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "long": f"{day} {month} {d.year}",
        "abbr": f"{d.day} {month[:3]} {d.year}",
        "short": f"{day} {month}",
        "wd": f"{_EN_WEEKDAYS[d.weekday()]} {day} {month} {d.year}",
    }[style]


def _format_time(fill: _Fill, hour: int, minute: int, second: int, style: str | None) -> str:
    rng = fill.rng
    if style is None:
        style = rng.choice(("ampm", "ampm", "hm")) if fill.us else rng.choice(("hm", "hm", "ampm")) if fill.gb \
            else rng.choice(("h", "hm"))
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


def _phone(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
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


def _iban(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    if fill.fr:
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


def _ssn(fill: _Fill, person: _Person, style: str | None) -> str:
    rng = fill.rng
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


def _card(fill: _Fill, style: str | None) -> str:
    rng = fill.rng
    number = fill.fake.credit_card_number(card_type=rng.choice(_CARD_TYPES))
    form = style or rng.choice(("spaces", "spaces", "dashes", "compact"))
    if form == "compact":
        return number
    sep = "-" if form == "dashes" else " "
    if len(number) == 15:  # Amex groups 4-6-5
        return sep.join((number[:4], number[4:10], number[10:]))
    return _group(number, 4, sep)


def _account_number(fill: _Fill) -> str:
    rng = fill.rng
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
        return ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(8))
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
        if "upper" in v:
            value = value.upper()
        return [(value, label)]
    return resolve


def _r_prefix(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    if "dr" in v:
        return [(fill.rng.choice(_DOCTOR_PREFIXES[fill.locale]), "PREFIX")]
    return [(fill.person(i).prefix, "PREFIX")]


def _r_email(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    p, rng = fill.person(i), fill.rng
    first, last = _slug(p.first, "-"), _slug(p.last)
    local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}",
                        f"{first}_{last}{rng.randint(1, 99)}", f"{last}.{first}", f"{first[0]}{last}{rng.randint(70, 99)}"))
    work = "work" in v or ("personal" not in v and rng.random() < 0.3)
    domain = fill.company(1).domain if work else rng.choice(_FREE_DOMAINS[fill.locale])
    return [(f"{local}@{domain}", "EMAIL")]


def _r_username(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    p, rng = fill.person(i), fill.rng
    first, last = _slug(p.first), _slug(p.last)
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
        value = getattr(fill.address(i), attr)
        return [(value.upper() if "upper" in v else value, label)]
    return resolve


def _r_address(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    """A whole postal address laid out the way the locale writes it, each part its own span."""
    a, rng = fill.address(i), fill.rng
    lines = "lines" in v
    with_secondary = "sec" in v or rng.random() < 0.35
    nl = "\n" if lines else ", "
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


_DATE_STYLES = {"long", "num", "iso", "abbr", "short", "wd"}


def _r_date(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    style = next(iter(v & _DATE_STYLES), None)
    if "dob" in v and style is None:
        style = fill.rng.choice(("long", "num", "num"))
    return [(_format_date(fill, _pick_date(fill, i, v), style), "DATE")]


def _r_time(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    rng = fill.rng
    style = next(iter(v & {"hm", "hms", "ampm", "h"}), None)
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
    style = next(iter(v & {"iso", "isot", "syslog", "num"}), None)
    if style is None:  # one log, one timestamp format
        style = fill.cache.setdefault("timestamp style", rng.choice(("iso", "iso", "isot", "num")))
    if style == "syslog":
        return [(f"{_EN_MONTHS[m.month - 1][:3]} {m.day}", "DATE"), (" ", None), (t, "TIME")]
    if style == "isot":
        return [(m.date().isoformat(), "DATE"), ("T", None), (t, "TIME"), ("Z", None)]
    if style == "num":
        d = f"{m.day:02d}/{m.month:02d}/{m.year}" if not fill.us else f"{m.month:02d}/{m.day:02d}/{m.year}"
        return [(d, "DATE"), (" ", None), (t, "TIME")]
    return [(m.date().isoformat(), "DATE"), (" ", None), (t, "TIME")]


def _r_amount(fill: _Fill, i: int, v: set[str]) -> list[Segment]:
    """Currency sign or code as plain text; the span is the number alone."""
    rng = fill.rng
    low, high = (2, 300) if "small" in v else (1500, 95000) if "big" in v else (15, 4000)
    # Prices carry cents; salaries and large sums are mostly whole (and rounded to tens).
    decimals = rng.random() < (0.15 if "big" in v else 0.65)
    if decimals:
        value = rng.uniform(low, high)
    else:
        step = 10 if high > 1000 else 1
        value = float(rng.randint(low, high) // step * step)
    number = (_amount_text(fill, value, decimals), "AMOUNT")
    if fill.fr:
        before, after = rng.choices(((None, " €"), ("EUR ", None), (None, " EUR"), (None, " euros")), weights=(65, 12, 10, 13))[0]
    elif fill.gb:
        before, after = rng.choices((("£", None), ("GBP ", None), ("€", None), (None, " GBP")), weights=(72, 12, 10, 6))[0]
    else:
        before, after = rng.choices((("$", None), ("USD ", None), (None, " USD"), ("US$", None)), weights=(75, 12, 8, 5))[0]
    seg: list[Segment] = [(before, None)] if before else []
    seg.append(number)
    if after:
        seg.append((after, None))
    return seg


def _simple(label: str, make: Callable[[_Fill, int, set[str]], str]) -> Callable:
    return lambda fill, i, v: [(make(fill, i, v), label)]


_PII: dict[str, Callable[[_Fill, int, set[str]], list[Segment]]] = {
    "PREFIX": _r_prefix,
    "FIRSTNAME": _name_part("first", "FIRSTNAME"),
    "MIDDLENAME": _name_part("middle", "MIDDLENAME"),
    "LASTNAME": _name_part("last", "LASTNAME"),
    "EMAIL": _r_email,
    "PHONENUMBER": _simple("PHONENUMBER", lambda f, i, v: _phone(f, next(iter(v), None))),
    "USERNAME": _r_username,
    "PASSWORD": _simple("PASSWORD", lambda f, i, v: _password(f)),
    "URL": _r_url,
    "IPV4": _simple("IPV4", lambda f, i, v: _ipv4(f, next(iter(v), None))),
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
    "AGE": _simple("AGE", lambda f, i, v: str(f.person(i).age)),
    "COMPANYNAME": _simple("COMPANYNAME", lambda f, i, v: f.company(i).name),
    "JOBTITLE": _simple("JOBTITLE", lambda f, i, v: f.rng.choice(_JOBS[f.locale])),
    "IBAN": _simple("IBAN", lambda f, i, v: _iban(f, next(iter(v), None))),
    "BIC": _simple("BIC", lambda f, i, v: _bic(f)),
    "CREDITCARDNUMBER": _simple("CREDITCARDNUMBER", lambda f, i, v: _card(f, next(iter(v), None))),
    "ACCOUNTNUMBER": _simple("ACCOUNTNUMBER", lambda f, i, v: _account_number(f)),
    "SSN": _simple("SSN", lambda f, i, v: _ssn(f, f.person(i), next(iter(v), None))),
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
    "floor": _en_fr(lambda r: _ordinal(r.randint(1, 12)), lambda r: f"{r.randint(1, 12)}e"),
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
}


# --------------------------------------------------------------------------------------------
# Templates and rendering
# --------------------------------------------------------------------------------------------

# {NAME}, {NAME#2}, {NAME:variant+words}, {NAME#2:variant} or {~one|other|choice}
_PLACEHOLDER = re.compile(r"\{(~[^{}]*|[A-Za-z][A-Za-z0-9_]*(?:#\d+)?(?::[a-z0-9+_]+)?)\}")


@dataclass(frozen=True)
class _Template:
    id: str
    language: str
    locales: tuple[str, ...]
    has_pii: bool
    parts: tuple  # literal strings, ("~", options) and ("ph", key, name, index, variant words)
    children: frozenset = frozenset()  # person numbers who are children (ages 4-15)


def _prose(text: str) -> str:
    """Unwrap the paragraphs of a letter or email template.

    Prose is wrapped in the source file only: once values are filled in, fixed line breaks would
    fall at odd places. A paragraph with a long line is prose and becomes one line; a paragraph
    of short lines (address block, signature, list of details) keeps its layout.
    """
    paragraphs = textwrap.dedent(text).strip("\n").split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines())
                        if max(len(line) for line in p.splitlines()) > 70 else p for p in paragraphs)


def _parse(template_id: str, language: str, text: str, locales: tuple[str, ...], has_pii: bool,
           children: frozenset = frozenset()) -> _Template:
    """Split a template into literals and placeholders once, rejecting unknown names early."""
    text = textwrap.dedent(text).strip("\n")
    parts: list = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(text[position:match.start()])
        body = match.group(1)
        if body.startswith("~"):
            parts.append(("~", tuple(body[1:].split("|"))))
        else:
            name, _, variant = body.partition(":")
            name, _, index = name.partition("#")
            if name not in _PII and name not in _FILLERS:
                raise PiiTaggerError(f"template {template_id}: unknown placeholder {{{body}}}")
            if name in _PII and not has_pii:
                raise PiiTaggerError(f"template {template_id}: a no-PII template uses {{{body}}}")
            parts.append(("ph", body, name, int(index or 1), frozenset(variant.split("+")) - {""}))
        position = match.end()
    parts.append(text[position:])
    for literal in parts:
        if isinstance(literal, str) and ("{" in literal or "}" in literal):
            raise PiiTaggerError(f"template {template_id}: stray brace in {literal!r}")
    if has_pii and not any(isinstance(p, tuple) and p[0] == "ph" and p[2] in _PII for p in parts):
        raise PiiTaggerError(f"template {template_id}: a PII template without any PII placeholder")
    return _Template(template_id, language, locales, has_pii, tuple(p for p in parts if p != ""), children)


def _render(template: _Template, fill: _Fill) -> tuple[str, tuple[Span, ...]]:
    """Concatenate literals and values, noting each labelled value's offsets as it goes."""
    pieces: list[str] = []
    spans: list[Span] = []
    position = 0
    for part in template.parts:
        if isinstance(part, str):
            segments: list[Segment] = [(part, None)]
        elif part[0] == "~":
            segments = [(fill.rng.choice(part[1]), None)]
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
                spans.append(Span(position, position + len(text), label))
            pieces.append(text)
            position += len(text)
    return "".join(pieces), tuple(spans)


def _templates(language: str, has_pii: bool, entries: list[tuple]) -> list[_Template]:
    """Entries are (id, text), optionally followed by the locales allowed (US / GB) and the
    person numbers who are children."""
    result = []
    for template_id, text, *rest in entries:
        locales = rest[0] if rest and rest[0] else _LOCALES[language]
        children = frozenset(rest[1]) if len(rest) > 1 else frozenset()
        result.append(_parse(f"{language}-{template_id}", language, text, locales, has_pii, children))
    return result


US, GB, ANY = ("en_US",), ("en_GB",), None

_EN_PII = [
    ("support-login", _prose("""
        Subject: Can't log in after the {version} update

        Hi,

        Since the update to {version} I can't sign in to the customer portal. My username is {USERNAME} and the
        account email is {EMAIL}. I tried {n} times and now get error {err}. Ticket {ticket} was closed but the
        problem is back.

        You can reach me on {PHONENUMBER} {~any time|in the afternoon|during office hours}.

        {~Thanks|Cheers|Best regards},
        {FIRSTNAME} {LASTNAME}
    """)),
    ("support-billing", _prose("""
        Hello, I was charged twice for invoice {invoice} ({AMOUNT} each time) on {DATE:past}. My account number is
        {ACCOUNTNUMBER}. Could you refund the duplicate payment to the card on file? {~Regards|Thank you}, {FIRSTNAME} {LASTNAME}
    """)),
    ("hr-offer", _prose("""
        Subject: Welcome to {COMPANYNAME}!

        Dear {FIRSTNAME},

        We are delighted to confirm your appointment as {JOBTITLE}, starting on {DATE:future+long}. Your annual
        salary will be {AMOUNT:big}, paid monthly, with a first review after six months. On your first day please come to
        reception at {TIME} and ask for {FIRSTNAME#2} {LASTNAME#2}; your desk is in {room} on the {floor} floor.

        Your login will be {USERNAME} and your work email {EMAIL:work}. Please bring photo ID and your bank details.

        Kind regards,
        {FIRSTNAME#2} {LASTNAME#2}
        {JOBTITLE#2}, {COMPANYNAME}
    """)),
    ("hr-bank-details", _prose("""
        Hi {FIRSTNAME#2},

        Please update my bank details for payroll from next month:
        Account holder: {FIRSTNAME} {MIDDLENAME} {LASTNAME}
        IBAN: {IBAN}
        BIC: {BIC}

        My old account ({ACCOUNTNUMBER}) will be closed on {DATE:future}. Thanks for sorting this out!

        {FIRSTNAME}
    """)),
    ("bank-fraud", _prose("""
        Dear {PREFIX} {LASTNAME},

        We noticed an unusual payment of {AMOUNT} with your card {CREDITCARDNUMBER} on {DATE:past} at {TIME} in
        {CITY}. If you did not make this payment, call us immediately on {PHONENUMBER#2} quoting reference {ref}.
        Do not share your PIN or passwords with anyone, including our staff.

        Fraud Prevention Team
        {COMPANYNAME}
    """)),
    ("bank-transfer", """
        TRANSFER CONFIRMATION {ref}

        Amount: {AMOUNT:big}
        Beneficiary: {FIRSTNAME} {LASTNAME}
        IBAN: {IBAN}
        BIC/SWIFT: {BIC}
        Execution date: {DATE}
        Fee: {pct} of the amount, minimum {AMOUNT#2:small}

        Ordered from account {ACCOUNTNUMBER} by {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2}.
    """),
    ("form-patient", """
        PATIENT REGISTRATION FORM ({page})
        Title: {PREFIX}
        First name: {FIRSTNAME}
        Middle name: {MIDDLENAME:full}
        Last name: {LASTNAME}
        Date of birth: {DATE:dob}    Age: {AGE}
        SSN: {SSN}
        Address: {BUILDINGNUMBER} {STREET}, {SECONDARYADDRESS}
        City: {CITY}    State: {STATE}    ZIP: {ZIPCODE}
        Phone: {PHONENUMBER}
        Email: {EMAIL:personal}
        Emergency contact: {FIRSTNAME#2} {LASTNAME#2}, {PHONENUMBER#2}
    """, US),
    ("form-application-uk", """
        Application form - {page}
        Title: {PREFIX}
        Forename(s): {FIRSTNAME} {MIDDLENAME:full}
        Surname: {LASTNAME:upper}
        Date of birth: {DATE:dob+num}
        National Insurance number: {SSN}
        Home address:
        {BUILDINGNUMBER} {STREET}
        {CITY}
        {STATE}
        {ZIPCODE}
        Mobile: {PHONENUMBER:mobile}
        Email: {EMAIL}
        Occupation: {JOBTITLE}
    """, GB),
    ("form-contact", """
        Name: {FIRSTNAME} {LASTNAME}
        Company: {COMPANYNAME}
        Job title: {JOBTITLE}
        Phone: {PHONENUMBER}
        Email: {EMAIL:work}
        Message: We have {users} on the current plan and would like a quote for {nn} more seats before the end of {year}.
    """),
    ("chat-new-number", """
        hey {FIRSTNAME#2}{~!|,} it's {FIRSTNAME}, new number: {PHONENUMBER:mobile}{~ - my old one died| (lost my phone lol)|, save it}. still on for {DATE:short}?
    """),
    ("chat-it-password", """
        [{TIME:seq+hm}] {USERNAME}: @{USERNAME#2} can you reset my VPN password? the temp one you sent ({PASSWORD}) expired after {hours}
        [{TIME#2:seq+hm}] {USERNAME#2}: done, new temp password is {PASSWORD#2} - change it at first login pls
    """),
    ("log-auth", """
        {TIMESTAMP} INFO  auth-service {version} login ok user={USERNAME} ip={IPV4}
        {TIMESTAMP#2} WARN  auth-service {n} failed attempts user={USERNAME#2} ip={IPV4#2}
        {TIMESTAMP#3} ERROR api-gateway HTTP {http} on /orders/{order_code} ({ms} ms)
    """),
    ("log-ssh", """
        {TIMESTAMP:syslog} bastion-02 sshd[{pid}]: Failed password for invalid user {USERNAME} from {IPV6} port {port} ssh2
        {TIMESTAMP#2:syslog} bastion-02 sshd[{pid}]: Accepted publickey for {USERNAME#2} from {IPV4} port {port#2} ssh2
        {TIMESTAMP#3:syslog} bastion-02 sshd[{pid#2}]: pam_unix(sshd:session): session opened for user {USERNAME#2}
    """),
    ("log-app", """
        [{TIMESTAMP:iso}] ERROR payment-worker {version}: card declined for customer {EMAIL} (code {err}), amount={AMOUNT}, retry {~1|2|3|4}/5
    """),
    ("order-confirmation", """
        Thank you for your order, {FIRSTNAME}!

        Order number: {order_code}
        Basket: {items}
        Subtotal: {AMOUNT}
        Discount: {pct}
        Total paid: {AMOUNT#2}

        Shipping to:
        {FIRSTNAME} {LASTNAME}
        {ADDRESS:lines}

        We'll email {EMAIL} as soon as your parcel ships.
    """),
    ("invoice", """
        INVOICE {invoice}
        From: {COMPANYNAME}, {ADDRESS}
        Bill to: {FIRSTNAME} {LASTNAME}, {ADDRESS#2}
        Issued: {DATE:past}    Due: {DATE#2:future}

        {qty} x {product} ........ {AMOUNT}
        VAT ({vat}) ........ {AMOUNT#2:small}
        Total due ........ {AMOUNT#3}

        Please pay by bank transfer to account {ACCOUNTNUMBER} or IBAN {IBAN}, quoting {invoice}. See {page} for terms.
    """),
    ("delivery", _prose("""
        Your parcel {tracking} is out for delivery today between {TIME} and {TIME#2:later}. Delivery address: {ADDRESS}.
        Not home? We'll leave it with a neighbour, or call your driver {FIRSTNAME} on {PHONENUMBER}.
    """)),
    ("delivery-failed", _prose("""
        Sorry we missed you, {PREFIX} {LASTNAME}. We tried to deliver {items} ({kg}) to {BUILDINGNUMBER} {STREET},
        {CITY} on {DATE:today} at {TIME}. Rebook a delivery online with reference {tracking}.
    """)),
    ("medical-reminder", _prose("""
        Appointment reminder: {PREFIX} {LASTNAME}, you are booked with {PREFIX#2:dr} {LASTNAME#2} on {DATE:future+wd}
        at {TIME}, {room}. Please arrive {mins} early and bring your insurance card. To reschedule, call {PHONENUMBER}.
    """)),
    ("medical-nhs", _prose("""
        Dear {PREFIX} {FIRSTNAME} {LASTNAME},

        Your appointment at the {~outpatient|physiotherapy|dermatology} clinic is on {DATE:future} at {TIME}.
        Date of birth on record: {DATE:dob}. If you need to cancel, reply CANCEL or call {PHONENUMBER#2}.
        This is an automated message from the NHS; please do not reply with personal information.
    """), GB),
    ("signup", _prose("""
        Welcome aboard, {FIRSTNAME}! Your account {USERNAME} has been created with the email {EMAIL}. Confirm your
        address within {hours} by visiting {URL:confirm}. You are one of {users} who joined this week.
    """)),
    ("password-reset", _prose("""
        We received a request to reset the password for {EMAIL} from IP address {IPV4} ({CITY}, {STATE}) on {DATE} at
        {TIME}. If this was you, use this link: {URL:reset}
        If not, ignore this email and your password will stay the same.
    """)),
    ("it-access", """
        IT access request {ticket}
        Requester: {FIRSTNAME} {LASTNAME} ({JOBTITLE})
        Username: {USERNAME}
        Workstation IP: {IPV4:private}
        Access needed: read/write on the finance share, VPN client {version}
        Temporary password: {PASSWORD}
        Approved by: {FIRSTNAME#2} {LASTNAME#2}
    """),
    ("travel-flight", _prose("""
        Booking confirmed! Passenger: {PREFIX} {FIRSTNAME} {MIDDLENAME} {LASTNAME}. Flight {flight} departs on {DATE:future}
        at {TIME}, seat {seat}. Booking reference {pnr}. Total charged to card {CREDITCARDNUMBER}: {AMOUNT}.
        Questions? Call us on {PHONENUMBER#2}.
    """)),
    ("travel-hotel", _prose("""
        Hi {FIRSTNAME}, your stay at {COMPANYNAME} is confirmed: check-in {DATE:future}, check-out {DATE#2:later},
        {n} guests. The hotel is at {ADDRESS}. A deposit of {AMOUNT} has been taken; the balance is due on arrival.
    """)),
    ("letter-landlord", _prose("""
        {FIRSTNAME} {LASTNAME}
        {ADDRESS:lines}

        {DATE:today+long}

        Dear {PREFIX#2} {LASTNAME#2},

        I am writing about the flat I rent from you at the address above. Since the start of the winter the
        heating has failed {n} times, and for the past {days} there has been no hot water at all. I first reported
        the problem by phone on {DATE#2:past}, and again by email to {EMAIL#2} the following week, but no engineer has
        come. I have had to buy two electric heaters, which cost {AMOUNT} together, and my energy bills have risen
        by about {pct}.

        Under my tenancy agreement, repairs to the heating and hot water are your responsibility. I would be grateful
        if you could arrange for a qualified engineer to visit within the next week. I am at home most mornings, and
        you can call me on {PHONENUMBER} to agree a time. I would also ask that the cost of the heaters be deducted
        from next month's rent of {AMOUNT#2}.

        If I do not hear from you by {DATE#3:future}, I will contact the local council's housing team for advice.
        I have kept copies of all my messages and receipts.

        I hope we can resolve this quickly; I have always found you helpful in the past.

        Yours sincerely,
        {FIRSTNAME} {LASTNAME}
    """)),
    ("letter-tax-irs", _prose("""
        {PREFIX} {FIRSTNAME} {LASTNAME}
        {ADDRESS:lines}

        {DATE:today}

        Re: Your {year} federal tax return

        Dear {PREFIX} {LASTNAME},

        Thank you for choosing {COMPANYNAME} to prepare your return again this year. We have now completed your
        {year} federal return and a copy is enclosed for your records. Based on the documents you supplied, you
        are due a federal refund of {AMOUNT}. The IRS usually issues refunds within {days} of accepting an
        electronically filed return.

        Please check the following details carefully before signing form 8879 on {page}:

        Social Security number: {SSN}
        Date of birth: {DATE#2:dob}
        Refund deposit account: {ACCOUNTNUMBER}

        Your state return shows a balance due of {AMOUNT#2:small}, payable by {DATE#3:future}. If you would rather
        pay in instalments, let us know and we will set up a plan with the state.

        If anything looks wrong, call me directly on {PHONENUMBER#2} or write to {EMAIL#2:work}. Please keep this
        letter with your tax records for at least {n} years.

        Sincerely,
        {FIRSTNAME#2} {LASTNAME#2}
        {JOBTITLE#2}
    """), US),
    ("letter-hmrc", _prose("""
        Dear {PREFIX} {LASTNAME},

        Following our meeting on {DATE:past}, we have submitted your Self Assessment return to HMRC. Your National
        Insurance number on the return is {SSN}. The tax due for the year is {AMOUNT}, and HMRC expects payment by
        {DATE#2:future}. You can pay online or by bank transfer; please quote your reference exactly as it appears on
        {page} of your statement.

        Our fee of {AMOUNT#2:small} will be collected from account {ACCOUNTNUMBER} in {days}.

        Best wishes,
        {FIRSTNAME#2} {LASTNAME#2}, {JOBTITLE#2}
        {COMPANYNAME}
    """), GB),
    ("dmv-appointment", """
        Your DMV appointment is confirmed.
        Name: {FIRSTNAME} {MIDDLENAME} {LASTNAME}
        Date of birth: {DATE:dob}
        Appointment: {DATE#2:future+wd} at {TIME}
        Mailing address: {ADDRESS}
        Bring proof of residency ({n} documents) and your current license. The fee of {AMOUNT:small} is payable on site.
    """, US),
    ("insurance-claim", """
        Claim {claim} - policy {policy}
        Policyholder: {PREFIX} {FIRSTNAME} {LASTNAME}, aged {AGE}
        Incident: water damage at {ADDRESS} on {DATE:past} around {TIME}
        Estimated cost: {AMOUNT}
        Contact: {PHONENUMBER} / {EMAIL}
        An adjuster will call within {hours}. Excess payable: {AMOUNT#2:small}.
    """),
    ("recruiter", _prose("""
        Hi {FIRSTNAME}, I'm {FIRSTNAME#2} {LASTNAME#2}, a recruiter at {COMPANYNAME}. I came across your profile
        ({URL:profile}) and think you'd be a great fit for our {JOBTITLE} role - the range is {AMOUNT:big} to
        {AMOUNT#2:big} plus {pct} bonus. Would you have {mins} for a call this week? You can reach me on
        {PHONENUMBER#2} or at {EMAIL#2:work}.
    """)),
    ("reference-letter", _prose("""
        To whom it may concern,

        I am pleased to recommend {FIRSTNAME} {LASTNAME}, who worked at {COMPANYNAME} as a {JOBTITLE} from
        {DATE:past+long} until {DATE#2:later+long}. During that time {FIRSTNAME} led a team of {n} people, cut our
        support backlog by {pct} and trained {users} on the new reporting tools released in version {version}.

        {FIRSTNAME} is reliable, calm under pressure and generous with colleagues. In {year} we asked them to take over
        a struggling project at short notice; they rebuilt the plan, kept the client informed every week and delivered
        on budget. I would not hesitate to hire them again.

        Please feel free to contact me on {PHONENUMBER#2} or at {EMAIL#2:work} if you need any further information.

        Yours faithfully,
        {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2}
        {JOBTITLE#2}, {COMPANYNAME}
    """)),
    ("meeting-invite", """
        {FIRSTNAME} {LASTNAME} has invited you to "Quarterly review"
        When: {DATE:wd}, {TIME} - {TIME#2:later}
        Where: {room} or online at {URL:meeting}
        Agenda: results for Q{~1|2|3|4} (revenue up {pct}), hiring plan, release {version}
    """),
    ("crm-note", _prose("""
        {DATE:num} - Called {FIRSTNAME} {LASTNAME} ({PHONENUMBER}) about invoice {invoice}. Promised payment of
        {AMOUNT} by {DATE#2:short}. Prefers email: {EMAIL}. Follow up in {days} if nothing arrives.
    """)),
    ("git-commit", """
        commit {sha}
        Author: {FIRSTNAME} {LASTNAME} <{EMAIL:work}>
        Date:   {TIMESTAMP:iso}

            Bump parser to {version} and fix {err} on large uploads ({pct} faster)

            Reviewed-by: {FIRSTNAME#2} {LASTNAME#2} <{EMAIL#2:work}>
    """),
    ("chat-wedding", """
        Save the date!! {FIRSTNAME} & {FIRSTNAME#2} are getting married on {DATE:future+long} at {TIME} 💍 venue is {ADDRESS}, RSVP to {PHONENUMBER} by the end of the month
    """),
    ("form-rental", """
        RENTAL APPLICATION
        Applicant: {FIRSTNAME} {MIDDLENAME} {LASTNAME}    Age: {AGE}
        SSN: {SSN}
        Current address: {ADDRESS}
        Employer: {COMPANYNAME}    Position: {JOBTITLE}
        Monthly income: {AMOUNT:big}
        Phone: {PHONENUMBER}    Email: {EMAIL}
        Number of occupants: {n}    Pets: none
    """, US),
    ("expenses", """
        Expense report - {FIRSTNAME} {LASTNAME}, {JOBTITLE}
        {DATE:past+num}  Train tickets       {AMOUNT}
        {DATE#2:past+num}  Hotel ({n} nights)  {AMOUNT#2}
        {DATE#3:past+num}  Client dinner       {AMOUNT#3:small}
        Please reimburse to account {ACCOUNTNUMBER}. Receipts attached ({n} files).
    """),
    ("subscription-renewal", _prose("""
        Hi {USERNAME}, your annual plan renews on {DATE:future}. We'll charge {AMOUNT:small} to the card
        {CREDITCARDNUMBER}. To change plan or cancel, visit {URL}. You used {gb} of storage this year ({pct} of your quota).
    """)),
    ("loan-application", _prose("""
        Hello {PREFIX} {LASTNAME}, thanks for applying for a personal loan of {AMOUNT:big}. To continue we need to
        confirm a few details: date of birth {DATE:dob}, Social Security number {SSN}, and gross annual income of
        {AMOUNT#2:big}. A decision usually takes {hours}. Questions? Call {FIRSTNAME#2} on {PHONENUMBER#2}.
    """), US),
    ("school-enrolment", """
        New pupil enrolment
        Child: {FIRSTNAME} {LASTNAME#2}, age {AGE}
        Date of birth: {DATE:dob}
        Parent/guardian: {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2}
        Address: {ADDRESS}
        Phone: {PHONENUMBER#2}    Email: {EMAIL#2}
        Class requested: Year {n}, {room}
    """, ANY, (1,)),
    ("gym-membership", _prose("""
        Welcome to the club, {FIRSTNAME}! Membership summary: {FIRSTNAME} {LASTNAME}, {AGE} years old, member since
        {DATE:today}. Monthly fee: {AMOUNT:small}, taken from account {ACCOUNTNUMBER} on the {floor} of each month.
        Your app login is {USERNAME}. Classes are limited to {nn} people.
    """)),
    ("garage", _prose("""
        Hi {FIRSTNAME}, this is {FIRSTNAME#2} from {COMPANYNAME}. Your car is ready for collection: we replaced {n}
        brake pads and did the {nn}k service. The total comes to {AMOUNT}. We're open until {TIME}; call {PHONENUMBER#2} with any questions.
    """)),
    ("refund", _prose("""
        Your refund for order {order_code} has been processed: {AMOUNT} will be returned to your card within {days}.
        We also applied a {pct} discount code to your account {EMAIL} for your next purchase. Sorry again, {FIRSTNAME}!
    """)),
    ("security-alert", """
        New sign-in to your account {EMAIL}
        When: {DATE} at {TIME:hm}
        Where: {CITY}, {STATE} (approximate)
        IP address: {IPV4}
        Device: browser {version} on a laptop
        If this wasn't you, reset your password now at {URL:reset}
    """),
    ("vpn-config", """
        VPN profile for {USERNAME}
        Tunnel address: {IPV6}
        Gateway: {IPV4}
        Username: {USERNAME}
        Initial password: {PASSWORD}
        Client version {version} or later is required; {n} simultaneous devices allowed. Contact {FIRSTNAME#2} {LASTNAME#2} ({PHONENUMBER#2}) for help.
    """),
    ("newsletter", """
        You're subscribed! We'll send the weekly digest to {EMAIL}. Changed your mind? Unsubscribe at {URL:unsub}
    """),
    ("payslip-uk", """
        PAYSLIP - {COMPANYNAME}
        Employee: {FIRSTNAME} {LASTNAME}    Role: {JOBTITLE}
        NI number: {SSN}    Tax code: 1257L
        Pay date: {DATE:num}
        Gross pay: {AMOUNT:big}
        Income tax: {AMOUNT#2}    National Insurance: {AMOUNT#3:small}
        Paid to account {ACCOUNTNUMBER}
    """, GB),
    ("complaint", _prose("""
        Dear customer service,

        I am writing to complain about order {order_code}, placed on {DATE:past} for {items}. The parcel was due on
        {DATE#2:later} but arrived {n} days late, and the contents ({product}) were damaged. I contacted your support team
        twice (tickets {ticket} and {ticket#2}); each time I was promised a call back within {hours}, and each time
        nobody called.

        I paid {AMOUNT} for this order, including {AMOUNT#2:small} for express delivery that was clearly not express.
        I would like a full refund of the delivery charge and either a replacement item or a refund of the full
        price. I have attached photos of the damage and of the box, which was torn on {n#2} sides.

        I have been a customer for years and have usually been happy with your service, which makes this more
        disappointing. Please reply to {EMAIL} or call me on {PHONENUMBER} within the next {days}. If I do not hear
        from you, I will dispute the charge with my card provider.

        Yours faithfully,
        {PREFIX} {FIRSTNAME} {LASTNAME}
        {ADDRESS}
    """)),
    ("emergency-contacts", """
        EMERGENCY CONTACTS - {FIRSTNAME} {LASTNAME} ({JOBTITLE}, {room})
        1. {FIRSTNAME#2} {LASTNAME#2} (spouse) - {PHONENUMBER#2}
        2. {FIRSTNAME#3} {LASTNAME#3} (sister), {CITY#3} - {PHONENUMBER#3}
        Blood type: on file. Allergies: none declared.
    """),
    ("contract-parties", _prose("""
        This agreement is made on {DATE:long} between {COMPANYNAME}, whose office is at {ADDRESS}, represented by
        {PREFIX} {FIRSTNAME} {LASTNAME}, {JOBTITLE}, and {COMPANYNAME#2}, represented by {FIRSTNAME#2} {LASTNAME#2}.
        The fee for phase {n} is {AMOUNT:big}, with {pct} payable on signature.
    """)),
    ("chat-support", """
        Agent: Hi, can I have your full name and date of birth to verify the account?
        Customer: {FIRSTNAME} {LASTNAME}, {DATE:dob}
        Agent: Thanks. And the {~postcode|ZIP code} on the account?
        Customer: {ZIPCODE}
        Agent: Perfect, I can see {items} in order {order_code}. How can I help?
    """),
]

_EN_NO_PII = [
    ("release-notes", "Release notes {version}: fixed {err} when uploading files over {gb}, search is {pct} faster, and {n} translation bugs were closed."),
    ("incident", _prose("""
        Incident {ticket} resolved. Root cause: a misconfigured cache node returned HTTP {http} for {pct} of
        requests over {mins}. {users} were affected. We have added an alert and will publish a full review in {days}.
    """)),
    ("order-status", "Order {order_code} contains {items} and ships in {n} working days. Returns are free within {days}."),
    ("meeting-move", "Heads up: tomorrow's planning session moves to {room} on the {floor} floor. Please read pages {n} to {nn} of the spec beforehand."),
    ("annual-summary", "In {year} the team shipped {nn} releases, closed {nn#2} tickets and cut average response time by {pct}."),
    ("invoice-policy", "Invoices such as {invoice} are payable within {days}. A late fee of {pct} applies after that; see {page} of the terms."),
    ("warehouse", "Stock check: {qty} pallets of {product} in aisle {n}, {kg} each. Reorder when fewer than {nn} units remain."),
    ("deploy-log", "deploy {version} -> staging OK ({ms} ms), {n}/{n} health checks passed, error rate {pct}, build {sha}"),
    ("faq", "Can I change my order after paying? Yes, as long as it has not shipped. Open a ticket from the Help page and quote your order number (it looks like {order_code})."),
]

_FR_PII = [
    ("support-connexion", _prose("""
        Objet : impossible de me connecter depuis la mise à jour {version}

        Bonjour,

        Depuis la mise à jour {version}, je n'arrive plus à me connecter à l'espace client. Mon identifiant est
        {USERNAME} et l'adresse e-mail du compte {EMAIL}. J'ai essayé {n} fois et j'obtiens l'erreur {err}.
        Le ticket {ticket} a été clôturé mais le problème est revenu.

        Vous pouvez me joindre au {PHONENUMBER} {~en journée|le matin|après 18 heures}.

        {~Cordialement|Merci d'avance|Bien à vous},
        {FIRSTNAME} {LASTNAME}
    """)),
    ("reclamation-facture", _prose("""
        Bonjour, j'ai été prélevé deux fois pour la facture {invoice} ({AMOUNT} à chaque fois) le {DATE:past+short}.
        Mon numéro de compte client est le {ACCOUNTNUMBER}. Pouvez-vous rembourser le doublon ? Cordialement, {PREFIX} {LASTNAME}
    """)),
    ("rh-promesse-embauche", _prose("""
        Objet : votre arrivée chez {COMPANYNAME}

        {~Bonjour|Chère|Cher} {FIRSTNAME},

        Nous avons le plaisir de vous confirmer votre embauche en CDI au poste de {JOBTITLE}, à compter du
        {DATE:future+long}. Votre rémunération annuelle brute sera de {AMOUNT:big}, versée en 12 mensualités.
        Le premier jour, présentez-vous à l'accueil à {TIME} et demandez {FIRSTNAME#2} {LASTNAME#2} ; votre bureau
        se trouve au {floor} étage, {room}.

        Votre identifiant sera {USERNAME} et votre adresse professionnelle {EMAIL:work}. Merci d'apporter une pièce
        d'identité, votre carte Vitale et un RIB.

        Bien cordialement,
        {FIRSTNAME#2} {LASTNAME#2}
        {JOBTITLE#2}, {COMPANYNAME}
    """)),
    ("rh-changement-rib", _prose("""
        Bonjour {FIRSTNAME#2},

        Pouvez-vous mettre à jour mes coordonnées bancaires pour la paie du mois prochain ?

        Titulaire : {FIRSTNAME} {LASTNAME:upper}
        IBAN : {IBAN}
        BIC : {BIC}

        L'ancien compte ({ACCOUNTNUMBER}) sera clôturé le {DATE:future}. Merci beaucoup !

        {FIRSTNAME}
    """)),
    ("banque-fraude", _prose("""
        {PREFIX} {LASTNAME},

        Nous avons détecté un paiement inhabituel de {AMOUNT} avec votre carte {CREDITCARDNUMBER} le {DATE:past} à
        {TIME} à {CITY}. Si vous n'êtes pas à l'origine de cette opération, appelez immédiatement le {PHONENUMBER#2}
        en indiquant la référence {ref}. Ne communiquez jamais vos codes, même à nos conseillers.

        Le service sécurité
        {COMPANYNAME}
    """)),
    ("banque-virement", """
        AVIS D'EXÉCUTION DE VIREMENT {ref}

        Montant : {AMOUNT:big}
        Bénéficiaire : {FIRSTNAME} {LASTNAME}
        IBAN : {IBAN}
        BIC : {BIC}
        Date d'exécution : {DATE}
        Frais : {pct} du montant, minimum {AMOUNT#2:small}

        Ordonné depuis le compte n° {ACCOUNTNUMBER} par {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2}.
    """),
    ("formulaire-etat-civil", """
        FORMULAIRE D'INSCRIPTION ({page})
        Civilité : {PREFIX}
        Nom : {LASTNAME:upper}
        Prénom : {FIRSTNAME}
        Né(e) le : {DATE:dob}    Âge : {AGE} ans
        N° de sécurité sociale : {SSN}
        Adresse : {BUILDINGNUMBER} {STREET}
        Complément d'adresse : {SECONDARYADDRESS}
        Code postal : {ZIPCODE}    Ville : {CITY}
        Département : {STATE}
        Tél. : {PHONENUMBER}
        Courriel : {EMAIL:personal}
    """),
    ("formulaire-mutuelle", """
        Demande d'adhésion - mutuelle santé
        Nom de naissance : {LASTNAME:upper}
        Prénoms : {FIRSTNAME}, {MIDDLENAME}
        Date de naissance : {DATE:dob+num}
        Numéro de sécurité sociale : {SSN}
        Profession : {JOBTITLE}
        Employeur : {COMPANYNAME}
        Adresse : {ADDRESS}
        Téléphone portable : {PHONENUMBER:mobile}
        Cotisation mensuelle choisie : {AMOUNT:small}
    """),
    ("formulaire-contact", """
        Nom : {LASTNAME}
        Prénom : {FIRSTNAME}
        Société : {COMPANYNAME}
        Fonction : {JOBTITLE}
        Téléphone : {PHONENUMBER}
        E-mail : {EMAIL:work}
        Message : nous sommes {users} sur l'offre actuelle et souhaiterions un devis pour {nn} licences supplémentaires d'ici fin {year}.
    """),
    ("chat-nouveau-numero", """
        coucou {FIRSTNAME#2} c'est {FIRSTNAME}{~ !|,} nouveau numéro : {PHONENUMBER:mobile}{~ (j'ai perdu mon tel)|, tu peux l'enregistrer| 😅}. toujours ok pour {~le|ce} {DATE:short} ?
    """),
    ("chat-it-mdp", """
        [{TIME:seq+hm}] {USERNAME} : @{USERNAME#2} tu peux réinitialiser mon mot de passe VPN ? le provisoire ({PASSWORD}) a expiré au bout de {hours}
        [{TIME#2:seq+hm}] {USERNAME#2} : c'est fait, nouveau mot de passe provisoire : {PASSWORD#2} (à changer à la première connexion)
    """),
    ("log-auth", """
        {TIMESTAMP} INFO  auth-service {version} connexion ok user={USERNAME} ip={IPV4}
        {TIMESTAMP#2} WARN  auth-service {n} échecs de connexion user={USERNAME#2} ip={IPV4#2}
        {TIMESTAMP#3} ERROR api-gateway HTTP {http} sur /commandes/{order_code} ({ms} ms)
    """),
    ("log-ssh", """
        {TIMESTAMP:syslog} srv-paris-01 sshd[{pid}]: Failed password for invalid user {USERNAME} from {IPV6} port {port} ssh2
        {TIMESTAMP#2:syslog} srv-paris-01 sshd[{pid}]: Accepted publickey for {USERNAME#2} from {IPV4} port {port#2} ssh2
    """),
    ("log-appli", """
        {TIMESTAMP:num} [ERREUR] paiement {version} : carte refusée pour le client {EMAIL} (code {err}), montant={AMOUNT}, tentative {~1|2|3|4}/5
    """),
    ("confirmation-commande", """
        Merci pour votre commande, {FIRSTNAME} !

        Commande {order_code}
        Contenu : {items}
        Sous-total : {AMOUNT}
        Remise : {pct}
        Total payé : {AMOUNT#2}

        Livraison à :
        {PREFIX} {FIRSTNAME} {LASTNAME}
        {ADDRESS:lines}

        Nous vous écrirons à {EMAIL} dès l'expédition de votre colis.
    """),
    ("facture", """
        FACTURE {invoice}
        Émetteur : {COMPANYNAME}, {ADDRESS}
        Client : {FIRSTNAME} {LASTNAME}, {ADDRESS#2}
        Date : {DATE:past}    Échéance : {DATE#2:future}

        {qty} x {product} ........ {AMOUNT}
        TVA ({vat}) ........ {AMOUNT#2:small}
        Total TTC ........ {AMOUNT#3}

        Règlement par virement sur l'IBAN {IBAN} (BIC {BIC}) en rappelant la référence {invoice}. Conditions générales : {page}.
    """),
    ("avis-livraison", _prose("""
        Votre colis {tracking} sera livré aujourd'hui entre {TIME:h} et {TIME#2:h+later} au {ADDRESS}.
        Absent ? Votre livreur {FIRSTNAME} peut le déposer chez un voisin : appelez-le au {PHONENUMBER}.
    """)),
    ("avis-passage", _prose("""
        {PREFIX} {LASTNAME}, nous sommes passés le {DATE:today+short} à {TIME} au {BUILDINGNUMBER} {STREET}, {ZIPCODE} {CITY},
        pour vous remettre {items} ({kg}). Votre colis vous attend en point relais pendant {days} (référence {tracking}).
    """)),
    ("rappel-rdv-medical", _prose("""
        Rappel : {PREFIX} {LASTNAME}, vous avez rendez-vous avec le {PREFIX#2:dr} {LASTNAME#2} {~le|ce} {DATE:future+wd} à {TIME},
        {room}. Merci d'arriver {mins} en avance avec votre carte Vitale. Pour annuler : {PHONENUMBER#2}.
    """)),
    ("cpam-remboursement", _prose("""
        Bonjour {PREFIX} {LASTNAME},

        L'Assurance Maladie vous informe du remboursement de {AMOUNT:small} pour les soins du {DATE:past} (assuré :
        {FIRSTNAME} {LASTNAME}, n° de sécurité sociale {SSN}). Le virement sera effectué sur votre compte
        {IBAN} sous {n} jours. Votre complémentaire santé recevra les informations automatiquement.

        Ceci est un message automatique de la CPAM, merci de ne pas y répondre.
    """)),
    ("caf-courrier", _prose("""
        {PREFIX} {FIRSTNAME} {LASTNAME:upper}
        {ADDRESS:lines}

        Objet : votre aide personnalisée au logement

        Madame, Monsieur,

        Suite à l'examen de votre dossier, la CAF a le plaisir de vous informer que vous avez droit à une aide
        personnalisée au logement d'un montant mensuel de {AMOUNT:small} à compter du {DATE:future+long}. Cette aide
        sera versée directement sur votre compte bancaire ({IBAN}), en général le 5 de chaque mois.

        Ce montant a été calculé à partir des ressources déclarées pour l'année {year}, de la composition de votre
        foyer ({n} personnes) et du montant de votre loyer, soit {AMOUNT#2}. Si votre situation change (naissance,
        séparation, reprise d'activité, déménagement), vous devez nous le signaler dans les meilleurs délais depuis
        votre espace en ligne ; un changement non déclaré peut entraîner un rappel de sommes versées à tort.

        Pour toute question, vous pouvez nous écrire depuis la rubrique « Mon compte », ou vous présenter à l'accueil
        avec une pièce d'identité. Pensez à vous munir de ce courrier. Nous vous rappelons que votre déclaration
        trimestrielle de ressources doit être faite avant le {DATE#2:future+short}.

        Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

        Votre Caisse d'allocations familiales
    """)),
    ("impots-courrier", _prose("""
        {PREFIX} {FIRSTNAME} {LASTNAME}
        {BUILDINGNUMBER} {STREET}
        {ZIPCODE} {CITY:upper}

        {CITY}, le {DATE:today+long}

        Objet : demande de délai de paiement - impôt sur le revenu {year}

        Madame, Monsieur,

        J'ai bien reçu mon avis d'impôt sur le revenu {year}, qui fait apparaître un solde à payer de {AMOUNT}
        avant le {DATE#2:future+long}. À la suite de la perte de mon emploi de {JOBTITLE} chez {COMPANYNAME}, mes
        revenus ont fortement baissé et je ne suis pas en mesure de régler cette somme en une seule fois.

        Je sollicite donc un échelonnement du paiement en {n} mensualités d'environ {AMOUNT#2:small}, prélevées sur
        mon compte {IBAN}. Vous trouverez ci-joint mon attestation Pôle emploi ainsi que mes trois derniers relevés
        bancaires.

        Je reste à votre disposition pour tout renseignement complémentaire au {PHONENUMBER} ou par courriel à
        l'adresse {EMAIL}.

        Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.

        {FIRSTNAME} {LASTNAME}
    """)),
    ("prefecture-rdv", """
        Préfecture - confirmation de rendez-vous
        Demandeur : {PREFIX} {LASTNAME:upper} {FIRSTNAME}
        Né(e) le {DATE:dob} à {CITY#2}
        Motif : renouvellement de titre de séjour
        Rendez-vous : {DATE#2:future+wd} à {TIME:h}, guichet {n}
        Adresse de correspondance : {ADDRESS}
        Pièces à fournir : passeport, justificatif de domicile de moins de 3 mois, {n#2} photos d'identité.
    """),
    ("france-travail", _prose("""
        Bonjour {FIRSTNAME},

        Votre conseiller France Travail, {FIRSTNAME#2} {LASTNAME#2}, vous propose un entretien le {DATE:future} à {TIME}
        pour faire le point sur votre recherche d'emploi de {JOBTITLE}. Vous avez {AGE} ans et êtes inscrit(e) depuis
        {n} mois : vous pouvez prétendre à l'accompagnement renforcé. En cas d'empêchement, prévenez au {PHONENUMBER#2}.
    """)),
    ("urssaf-auto-entrepreneur", _prose("""
        Bonjour {PREFIX} {LASTNAME}, votre déclaration de chiffre d'affaires du trimestre a bien été enregistrée par
        l'URSSAF : {AMOUNT} déclarés, cotisations de {AMOUNT#2:small} ({pct}) prélevées le {DATE:future} sur le compte
        {IBAN}. Votre espace en ligne est accessible avec l'identifiant {EMAIL}.
    """)),
    ("inscription-compte", _prose("""
        Bienvenue {FIRSTNAME} ! Votre compte {USERNAME} a bien été créé avec l'adresse {EMAIL}. Confirmez-la sous
        {hours} en cliquant sur ce lien : {URL:confirm}
        Vous faites partie des {users} inscrits cette semaine.
    """)),
    ("reinit-mdp", _prose("""
        Une demande de réinitialisation du mot de passe a été faite pour {EMAIL} depuis l'adresse IP {IPV4} ({CITY},
        {STATE}) le {DATE} à {TIME}. Si c'est bien vous, suivez ce lien : {URL:reset}
        Sinon, ignorez ce message : votre mot de passe reste inchangé.
    """)),
    ("demande-acces-si", """
        Demande d'accès {ticket}
        Demandeur : {FIRSTNAME} {LASTNAME} ({JOBTITLE})
        Identifiant : {USERNAME}
        IP du poste : {IPV4:private}
        Accès demandés : lecture/écriture sur le partage Comptabilité, client VPN {version}
        Mot de passe provisoire : {PASSWORD}
        Validé par : {FIRSTNAME#2} {LASTNAME#2}
    """),
    ("reservation-train", _prose("""
        Votre réservation est confirmée ! Voyageur : {PREFIX} {FIRSTNAME} {LASTNAME} ({AGE} ans). Train n° {train} le
        {DATE:future+wd}, départ à {TIME:h}, voiture {n}, place {nn}. Référence de dossier : {pnr}. Montant débité sur
        la carte {CREDITCARDNUMBER} : {AMOUNT}.
    """)),
    ("reservation-vol", _prose("""
        Bonjour {FIRSTNAME}, votre vol {flight} du {DATE:future} est confirmé : départ {TIME:hm}, siège {seat}.
        Passager : {LASTNAME:upper} {FIRSTNAME} {MIDDLENAME}. Référence {pnr}, {n} bagage(s) en soute inclus.
        Besoin d'aide ? Appelez le {PHONENUMBER#2}.
    """)),
    ("reservation-gite", _prose("""
        Bonjour {PREFIX} {LASTNAME}, votre séjour au gîte {COMPANYNAME} est confirmé du {DATE:future+short} au
        {DATE#2:later}, pour {n} personnes. Adresse : {ADDRESS}. Un acompte de {AMOUNT} a été encaissé ; le solde est
        payable à l'arrivée. Arrivée à partir de {TIME:h}.
    """)),
    ("quittance-loyer", _prose("""
        QUITTANCE DE LOYER

        Je soussigné(e) {PREFIX} {FIRSTNAME} {LASTNAME}, propriétaire du logement situé au {BUILDINGNUMBER} {STREET},
        {SECONDARYADDRESS}, {ZIPCODE} {CITY}, déclare avoir reçu de {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2} la somme de
        {AMOUNT} au titre du loyer et des charges pour la période du {DATE:past+long} au {DATE#2:later+long}.

        Détail : loyer {AMOUNT#2}, provision pour charges {AMOUNT#3:small}.
        Fait à {CITY}, le {DATE#3:today+num}.
    """)),
    ("resiliation-abonnement", _prose("""
        {PREFIX} {FIRSTNAME} {LASTNAME}
        {ADDRESS:lines}
        Tél. : {PHONENUMBER}

        À l'attention du service clients de {COMPANYNAME}

        Lettre recommandée avec accusé de réception
        {CITY}, le {DATE:today}

        Objet : résiliation de mon abonnement - compte client n° {ACCOUNTNUMBER}

        Madame, Monsieur,

        Par la présente, je vous informe de ma volonté de résilier mon abonnement internet et téléphone, souscrit
        le {DATE#2:past+long}. Ayant déménagé, je ne peux plus bénéficier de votre offre à ma nouvelle adresse, ce
        qui constitue un motif légitime de résiliation sans frais selon l'article {n} de vos conditions générales.

        Je vous remercie de bien vouloir mettre fin au contrat dans un délai de {days} à compter de la réception de
        ce courrier, de cesser tout prélèvement sur mon compte {IBAN} et de m'indiquer les modalités de restitution
        du matériel (box et décodeur). Je vous rappelle que le dépôt de garantie de {AMOUNT:small} devra m'être
        remboursé.

        Je vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.

        {FIRSTNAME} {LASTNAME}
    """)),
    ("declaration-sinistre", """
        Déclaration de sinistre - contrat {policy}
        Assuré : {PREFIX} {FIRSTNAME} {LASTNAME}, {AGE} ans
        Nature : dégât des eaux au {ADDRESS}, constaté le {DATE:past} vers {TIME}
        Estimation des dommages : {AMOUNT}
        Contact : {PHONENUMBER} / {EMAIL}
        Un expert vous contactera sous {hours}. Franchise applicable : {AMOUNT#2:small}.
    """),
    ("recrutement", _prose("""
        Bonjour {FIRSTNAME}, je suis {FIRSTNAME#2} {LASTNAME#2}, chargée de recrutement chez {COMPANYNAME}. J'ai vu
        votre profil ({URL:profile}) et je pense que notre poste de {JOBTITLE} pourrait vous intéresser : salaire
        entre {AMOUNT:big} et {AMOUNT#2:big} brut par an, {pct} de variable, télétravail {n} jours par semaine.
        Auriez-vous {mins} pour en parler ? Mon numéro : {PHONENUMBER#2}, mon adresse : {EMAIL#2:work}.
    """)),
    ("invitation-reunion", """
        {FIRSTNAME} {LASTNAME} vous invite à « Point trimestriel »
        Quand : {DATE:wd}, de {TIME:h} à {TIME#2:h+later}
        Où : {room} ou en visio sur {URL:meeting}
        Ordre du jour : résultats du T{~1|2|3|4} (chiffre d'affaires en hausse de {pct}), recrutements, version {version}
    """),
    ("note-crm", _prose("""
        {DATE:num} - Appel de {PREFIX} {FIRSTNAME} {LASTNAME} ({PHONENUMBER}) concernant la facture {invoice} : promet un
        règlement de {AMOUNT} d'ici le {DATE#2:short}. Préfère être contacté(e) par e-mail : {EMAIL}. Relancer dans {days}.
    """)),
    ("commit-git", """
        commit {sha}
        Author: {FIRSTNAME} {LASTNAME} <{EMAIL:work}>
        Date:   {TIMESTAMP:iso}

            Passage du parseur en {version}, correction de l'erreur {err} sur les gros fichiers ({pct} plus rapide)
    """),
    ("faire-part", """
        🎉 {FIRSTNAME} et {FIRSTNAME#2} se marient le {DATE:future+long} à {TIME:h} ! La fête aura lieu au {ADDRESS}. Merci de répondre avant la fin du mois au {PHONENUMBER} ou à {EMAIL}
    """),
    ("dossier-location", """
        DOSSIER DE CANDIDATURE - LOCATION
        Nom et prénoms : {LASTNAME:upper} {FIRSTNAME} {MIDDLENAME}
        Âge : {AGE} ans
        Adresse actuelle : {ADDRESS}
        Employeur : {COMPANYNAME} - poste : {JOBTITLE}
        Revenus nets mensuels : {AMOUNT:big}
        Téléphone : {PHONENUMBER}    Courriel : {EMAIL}
        Nombre d'occupants : {n}
    """),
    ("note-de-frais", """
        Note de frais - {FIRSTNAME} {LASTNAME}, {JOBTITLE}
        {DATE:past+num}  Billets de train     {AMOUNT}
        {DATE#2:past+num}  Hôtel ({n} nuits)     {AMOUNT#2}
        {DATE#3:past+num}  Dîner client        {AMOUNT#3:small}
        À rembourser sur le compte {IBAN}. Justificatifs joints ({n} fichiers).
    """),
    ("renouvellement-abonnement", _prose("""
        Bonjour {USERNAME}, votre abonnement annuel sera renouvelé le {DATE:future}. Nous débiterons {AMOUNT:small} sur
        la carte {CREDITCARDNUMBER}. Pour changer d'offre ou résilier : {URL}. Vous avez utilisé {gb} cette année ({pct} de votre quota).
    """)),
    ("simulation-credit", _prose("""
        {PREFIX} {LASTNAME}, merci pour votre demande de prêt immobilier de {AMOUNT:big} sur {nn} mois. Pour étudier
        votre dossier, nous avons besoin de votre date de naissance ({DATE:dob}), de vos revenus annuels ({AMOUNT#2:big})
        et de votre numéro de compte ({ACCOUNTNUMBER}). Votre conseiller, {FIRSTNAME#2} {LASTNAME#2}, vous rappellera au {PHONENUMBER}.
    """)),
    ("inscription-ecole", """
        Fiche d'inscription scolaire
        Élève : {FIRSTNAME} {LASTNAME#2:upper}, {AGE} ans
        Date de naissance : {DATE:dob}
        Responsable légal : {PREFIX#2} {FIRSTNAME#2} {LASTNAME#2}
        Adresse : {ADDRESS}
        Téléphone : {PHONENUMBER#2}    Courriel : {EMAIL#2}
        Classe demandée : CE{~1|2}, {room}
    """, ANY, (1,)),
    ("salle-de-sport", _prose("""
        Bienvenue au club, {FIRSTNAME} ! Récapitulatif : {FIRSTNAME} {LASTNAME}, {AGE} ans, adhérent(e) depuis le
        {DATE:today}. Mensualité : {AMOUNT:small}, prélevée sur l'IBAN {IBAN}. Identifiant de l'appli : {USERNAME}.
        Les cours collectifs sont limités à {nn} personnes.
    """)),
    ("garage", _prose("""
        Bonjour {FIRSTNAME}, ici {FIRSTNAME#2} du garage {COMPANYNAME}. Votre voiture est prête : nous avons changé {n}
        plaquettes et fait la révision des {nn} 000 km. Le total s'élève à {AMOUNT}. Nous sommes ouverts jusqu'à
        {TIME:h} ; pour toute question, appelez le {PHONENUMBER#2}.
    """)),
    ("remboursement-commande", _prose("""
        Le remboursement de votre commande {order_code} a été effectué : {AMOUNT} seront recrédités sur votre carte
        sous {days}. Nous avons aussi ajouté un bon de réduction de {pct} sur votre compte {EMAIL}. Encore désolés, {FIRSTNAME} !
    """)),
    ("alerte-connexion", """
        Nouvelle connexion à votre compte {EMAIL}
        Quand : le {DATE} à {TIME:hm}
        Où : {CITY}, {STATE} (approximatif)
        Adresse IP : {IPV4}
        Appareil : navigateur {version} sur ordinateur portable
        Si ce n'était pas vous, changez votre mot de passe : {URL:reset}
    """),
    ("config-vpn", """
        Profil VPN de {USERNAME}
        Adresse du tunnel : {IPV6}
        Passerelle : {IPV4}
        Identifiant : {USERNAME}
        Mot de passe initial : {PASSWORD}
        Version {version} du client requise ; {n} appareils simultanés autorisés. Support : {FIRSTNAME#2} {LASTNAME#2}, {PHONENUMBER#2}.
    """),
    ("newsletter", """
        Inscription confirmée ! Vous recevrez notre lettre hebdomadaire à l'adresse {EMAIL}. Pour vous désabonner : {URL:unsub}
    """),
    ("bulletin-paie", """
        BULLETIN DE PAIE - {COMPANYNAME}
        Salarié : {PREFIX} {FIRSTNAME} {LASTNAME}    Emploi : {JOBTITLE}
        N° de sécurité sociale : {SSN}
        Période : du {DATE:past+num} au {DATE#2:later+num}
        Salaire brut : {AMOUNT:big}
        Cotisations salariales : {AMOUNT#2}
        Net payé : {AMOUNT#3} par virement sur le compte {ACCOUNTNUMBER}
    """),
    ("contacts-urgence", """
        CONTACTS EN CAS D'URGENCE - {FIRSTNAME} {LASTNAME} ({JOBTITLE}, {room})
        1. {FIRSTNAME#2} {LASTNAME#2} (conjoint) - {PHONENUMBER#2}
        2. {FIRSTNAME#3} {LASTNAME#3} (sœur), {CITY#3} ({STATE#3}) - {PHONENUMBER#3}
        Allergies : aucune déclarée.
    """),
    ("contrat-parties", _prose("""
        Le présent contrat est conclu le {DATE:long} entre {COMPANYNAME}, dont le siège est situé au {ADDRESS},
        représentée par {PREFIX} {FIRSTNAME} {LASTNAME}, {JOBTITLE}, et {COMPANYNAME#2}, représentée par
        {FIRSTNAME#2} {LASTNAME#2}. Le montant de la phase {n} est fixé à {AMOUNT:big}, dont {pct} payables à la signature.
    """)),
    ("chat-support", """
        Conseiller : Bonjour, pouvez-vous me donner vos nom, prénom et date de naissance pour vérifier le compte ?
        Client : {LASTNAME} {FIRSTNAME}, {DATE:dob}
        Conseiller : Merci. Et le code postal associé au compte ?
        Client : {ZIPCODE}
        Conseiller : Parfait, je vois {items} dans la commande {order_code}. Que puis-je faire pour vous ?
    """),
    ("sms-medecin", """
        Cabinet du {PREFIX:dr} {LASTNAME} : votre RDV du {DATE:future+short} à {TIME:h} est confirmé. Âge du patient : {AGE#2} ans. Merci de prévenir 24 h à l'avance en cas d'annulation au {PHONENUMBER:landline}.
    """),
]

_FR_NO_PII = [
    ("notes-version", "Notes de version {version} : correction de l'erreur {err} lors de l'envoi de fichiers de plus de {gb}, recherche {pct} plus rapide, {n} bugs de traduction corrigés."),
    ("incident", _prose("""
        Incident {ticket} résolu. Cause : un nœud de cache mal configuré renvoyait une erreur HTTP {http} pour {pct} des
        requêtes pendant {mins}. {users} ont été concernés. Une alerte a été ajoutée ; le compte rendu complet suivra sous {days}.
    """)),
    ("statut-commande", "La commande {order_code} contient {items} et sera expédiée sous {n} jours ouvrés. Retours gratuits pendant {days}."),
    ("reunion-deplacee", "Pour info : la réunion de planification de demain aura lieu en {room}, au {floor} étage. Merci de lire les pages {n} à {nn} du cahier des charges avant."),
    ("bilan-annuel", "En {year}, l'équipe a livré {nn} versions, clôturé {nn#2} tickets et réduit le temps de réponse moyen de {pct}."),
    ("conditions-factures", "Les factures comme la {invoice} sont payables sous {days}. Des pénalités de {pct} s'appliquent au-delà ; voir les conditions générales, {page}."),
    ("entrepot", "Inventaire : {qty} palettes de {product} dans l'allée {n}, {kg} chacune. Recommander en dessous de {nn} unités."),
    ("deploiement", "déploiement {version} -> préprod OK ({ms} ms), {n}/{n} contrôles de santé réussis, taux d'erreur {pct}, build {sha}"),
    ("faq", "Puis-je modifier ma commande après paiement ? Oui, tant qu'elle n'est pas expédiée. Ouvrez un ticket depuis la page Aide en indiquant votre numéro de commande (du type {order_code})."),
]

_PII_TEMPLATES = {"en": _templates("en", True, _EN_PII), "fr": _templates("fr", True, _FR_PII)}
_NO_PII_TEMPLATES = {"en": _templates("en", False, _EN_NO_PII), "fr": _templates("fr", False, _FR_NO_PII)}

# Distinct templates per language, with and without PII.
TEMPLATE_COUNTS: dict[str, int] = {
    lang: len(_PII_TEMPLATES[lang]) + len(_NO_PII_TEMPLATES[lang]) for lang in ("en", "fr")
}


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


def _generate_language(language: str, n: int, config: SynthConfig) -> list[tuple[Record, str]]:
    # Each language has its own random streams, so changing n_french never changes English texts.
    rng = random.Random(f"synth:{config.seed}:{language}")
    fakers = {}
    for locale in _LOCALES[language]:
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(f"synth:{config.seed}:{locale}")
    no_pii = set(rng.sample(range(n), round(n * config.no_pii_fraction)))
    decks = {True: _Deck(_PII_TEMPLATES[language], rng), False: _Deck(_NO_PII_TEMPLATES[language], rng)}
    out = []
    for index in range(n):
        template = decks[index not in no_pii].draw()
        locale = rng.choice(template.locales)
        today = date(2023, 1, 1) + timedelta(days=rng.randint(0, 3 * 365))
        fill = _Fill(language, locale, fakers[locale], rng, today, children=template.children)
        text, spans = _render(template, fill)
        out.append((Record(f"synth-{language}-{index:06d}", language, text, spans), template.id))
    return out


def generate_with_templates(config: SynthConfig) -> list[tuple[Record, str]]:
    """Like `generate`, with the id of the template behind each record (e.g. 'fr-caf-courrier')."""
    config.validate()
    return (_generate_language("en", config.n_english, config)
            + _generate_language("fr", config.n_french, config))


def generate(config: SynthConfig) -> list[Record]:
    """Deterministic for a given config (same seed -> byte-identical output).

    English records come first, then French; ids are `synth-en-000000`, `synth-fr-000000`, ...
    """
    return [record for record, _ in generate_with_templates(config)]


def write_corpus(records: list[Record], out_dir: Path) -> list[Path]:
    """Write AI4Privacy-style JSONL: out_dir/english_synthetic.jsonl and out_dir/french_synthetic.jsonl
    (one file per language present), one object per line:
    {"id": ..., "language": "en"|"fr", "source_text": ..., "privacy_mask": [{"value", "start", "end", "label"}]}
    using extract.files.atomic_write_text. Returns the paths written."""
    out_dir = Path(out_dir)
    lines: dict[str, list[str]] = {}
    for record in records:
        if record.language not in _FILE_NAMES:
            raise PiiTaggerError(f"record {record.id}: language {record.language!r} is not one of {', '.join(_FILE_NAMES)}")
        obj = {
            "id": record.id,
            "language": record.language,
            "source_text": record.text,
            "privacy_mask": [{"value": record.text[s.start:s.end], "start": s.start, "end": s.end, "label": s.label}
                             for s in record.spans],
        }
        lines.setdefault(record.language, []).append(json.dumps(obj, ensure_ascii=False) + "\n")
    paths = []
    for language, name in _FILE_NAMES.items():
        if language in lines:
            path = out_dir / name
            atomic_write_text(path, "".join(lines[language]))
            paths.append(path)
    return paths
