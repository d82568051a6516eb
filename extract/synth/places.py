"""Addresses of a text: at home (real towns and Faker's) or abroad, with regions and postcodes.

Places abroad carry their country's layout, postcode shape and names in English, French or native.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from extract.errors import PiiTaggerError
from extract.synth.dates import ordinal_fr
from extract.synth.people import HAND_ORIGINS, origin_names, world_faker
from extract.synth.text import draw_shape
from extract.synth.values import NOTHING, VALUES_FOLDER, Rows, checked_lists, options, options_by_key

if TYPE_CHECKING:
    from extract.synth.fill import Fill

# Share of addresses (and with them of standalone cities and regions) in another country:
# "our office in Bavaria", "education in Uri", "a flat in Kraków".
WORLD_ADDRESS_SHARE = 0.2
# Share of home addresses whose region is one Faker does not give: UK regions and Welsh or
# Scottish areas ("North West England", "Gwynedd"), US counties ("Jefferson County"), French regions.
HOME_REGION_SHARE = 0.12
# Share of home addresses in a real town (the others are Faker's invented ones).
REAL_TOWN_SHARE = 0.5
# Share of places abroad written by their native name ("Bayern", "München").
NATIVE_NAME_SHARE = 0.35
# Faker locales whose town list is built from a set, so its order (and the town a seed gives)
# changes with PYTHONHASHSEED; their towns come from templates/_values/places.txt only.
_UNORDERED_FAKER_CITIES = frozenset({"it_IT"})
# Letters a British postcode's inward part uses.
_UK_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass
class Address:
    number: str
    street: str
    secondary: str
    city: str
    state: str
    zipcode: str
    layout: str = "home"  # "home": the text's country; else a Country layout ("eu", "us", "intl")
    country: str = ""  # the country's name in the text's language, for addresses abroad


@dataclass(frozen=True)
class Country:
    code: str
    name_en: str
    name_fr: str
    street_locale: str | None  # Faker locale for street names, or None: "<surname> <street word>"
    name_origin: str  # where those surnames come from (a name_origins() source)
    postcode: str  # shape: '#' a digit, 'A' a capital letter
    layout: str  # "eu", "us" or "intl" (see renderers.render_address)
    street_words: tuple[str, ...]


@cache
def _place_lists() -> dict[str, Rows]:
    return checked_lists("places", {"countries": (8,), "regions": (2, 3, 4), "cities": (2, 3, 4),
                                    "us places": (4,), "gb places": (3,), "fr places": (4,), "building suffixes": (3,),
                                    "home countries": (2,)})


@cache
def _building_suffixes() -> dict[str, tuple[float, tuple[str, ...]]]:
    """{locale: (share of numbers with a suffix, suffixes)}: '12B', '12 bis', '12-14'."""
    out = {}
    for locale, share, suffixes in _place_lists()["building suffixes"]:
        try:
            out[locale] = (float(share), options(suffixes))
        except ValueError:
            raise PiiTaggerError(f"extract/synth/templates/{VALUES_FOLDER}/places.txt: [building suffixes] share "
                                 f"{share!r} of {locale} is not a number") from None
    return out


def building_number(fill: Fill, number: int) -> str:
    """A home building number, sometimes with a letter, 'bis' or 'ter', or as a range: '12B', '4 ter', '12-14'."""
    rng = fill.rng
    share, suffixes = _building_suffixes().get(fill.locale, (0.0, ()))
    if not suffixes or rng.random() >= share:
        return str(number)
    suffix = rng.choice(suffixes)
    if suffix == "range":
        return f"{number}-{number + rng.choice((2, 2, 4, 1))}"
    return f"{number}{suffix}" if len(suffix) == 1 and suffix.isalpha() else f"{number} {suffix}"


def _places_by_country(section: str) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """{country code: ((English, French, native), ...)}; a missing French or native name is the English one."""
    out: dict[str, list] = {}
    for row in _place_lists()[section]:
        code, english, french, native = (row + (row[1], row[1]))[:4]
        out.setdefault(code, []).append((english, french, native))
    return {code: tuple(rows) for code, rows in out.items()}


@cache
def regions() -> dict[str, tuple[tuple[str, str, str], ...]]:
    return _places_by_country("regions")


@cache
def cities() -> dict[str, tuple[tuple[str, str, str], ...]]:
    return _places_by_country("cities")


@cache
def countries() -> tuple[Country, ...]:
    """The countries of addresses abroad whose Faker locales the installed Faker has."""
    from faker.config import AVAILABLE_LOCALES

    found = tuple(Country(code, en, fr, None if street == NOTHING else street, origin, postcode, layout,
                          () if words == NOTHING else options(words))
                  for code, en, fr, street, origin, postcode, layout, words in _place_lists()["countries"]
                  if street in (NOTHING, *AVAILABLE_LOCALES) and origin in (*HAND_ORIGINS, *AVAILABLE_LOCALES))
    for country in found:
        if country.code not in regions() or country.code not in cities():
            raise PiiTaggerError(f"extract/synth/templates/{VALUES_FOLDER}/places.txt: country {country.code} "
                                 f"needs [regions] and [cities] rows")
    return found


@cache
def _us_places() -> Rows:
    """(city, state, state abbreviation, first digits of the ZIP code): real towns with codes that fit."""
    return _place_lists()["us places"]


@cache
def _gb_places() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(city, county, outward codes of its postcodes)."""
    return tuple((city, county, options(outwards)) for city, county, outwards in _place_lists()["gb places"])


@cache
def _fr_places() -> Rows:
    """(city, postcode or its first digits, department, region)."""
    return _place_lists()["fr places"]


@cache
def _fr_regions() -> tuple[str, ...]:
    return tuple(sorted({place[3] for place in _fr_places()}))


def country_name(fill: Fill) -> str:
    """A country in the text's language, home or abroad, for prose around PII: never labelled."""
    rng = fill.rng
    if rng.random() < 0.5:
        return rng.choice(options_by_key(_place_lists()["home countries"])[fill.lang])
    country = rng.choice(countries())
    return country.name_fr if fill.fr else country.name_en


def place_name(fill: Fill, names: tuple[str, str, str]) -> str:
    """The English, French or native name of a place abroad: 'Bavaria', 'Bavière' or 'Bayern'."""
    english, french, native = names
    return native if fill.rng.random() < NATIVE_NAME_SHARE else french if fill.fr else english


def uk_postcode(rng: random.Random, outward: str) -> str:
    return f"{outward} {rng.randint(0, 9)}{rng.choice(_UK_INWARD_LETTERS)}{rng.choice(_UK_INWARD_LETTERS)}"


def world_address(fill: Fill) -> Address:
    rng = fill.rng
    country = rng.choice(countries())
    if country.street_locale and country.street_locale not in _UNORDERED_FAKER_CITIES and rng.random() < 0.5:
        city = world_faker(country.street_locale, rng).city()  # Faker's towns (some invented), or a known city
    else:
        city = place_name(fill, rng.choice(cities()[country.code]))
    state = place_name(fill, rng.choice(regions()[country.code]))
    if country.street_locale:
        fake = world_faker(country.street_locale, rng)
        street = fake.street_name()
        for _ in range(5):  # "Schnablstr." would end the span on a period that reads as punctuation
            if not street.endswith("."):
                break
            street = fake.street_name()
        street = street.rstrip(".")
    else:
        street = f"{origin_names(country.name_origin, rng.choice('mf'), rng)[2]} {rng.choice(country.street_words)}"
    secondary = rng.choice((f"Appartement {rng.randint(1, 60)}", f"Apt {rng.randint(1, 9)}{rng.choice('ABC')}",
                            f"{ordinal_fr(rng.randint(1, 9))} étage")) if fill.fr else \
        rng.choice((f"Apt {rng.randint(1, 60)}", f"Flat {rng.randint(1, 30)}", f"Unit {rng.randint(1, 40)}",
                    f"Suite {rng.randint(100, 990)}"))
    number = str(rng.randint(1, 250)) + (rng.choice("abc") if rng.random() < 0.08 else "")
    return Address(number, street, secondary, city, state, draw_shape(rng, country.postcode), country.layout,
                   country.name_fr if fill.fr else country.name_en)


def new_address(fill: Fill) -> Address:
    rng = fill.rng
    if rng.random() < WORLD_ADDRESS_SHARE:
        return world_address(fill)
    address = _home_address(fill)
    if rng.random() < HOME_REGION_SHARE:
        address.state = rng.choice(regions()["US" if fill.us else "GB" if fill.gb else "FR"])[1 if fill.fr else 0]
    return address


def _home_address(fill: Fill) -> Address:
    fake, rng = fill.fake, fill.rng
    real = rng.random() < REAL_TOWN_SHARE
    if fill.us:
        if real:
            city, state_name, state_abbr, prefix = rng.choice(_us_places())
            zipcode = prefix + f"{rng.randint(0, 10 ** (5 - len(prefix)) - 1):0{5 - len(prefix)}d}"
        else:
            city, state_name, zipcode = fake.city(), fake.state(), fake.zipcode()
            state_abbr = fake.state_abbr(include_territories=False, include_freely_associated_states=False)
        state = state_abbr if rng.random() < 0.6 else state_name
        if rng.random() < 0.2:  # ZIP+4
            zipcode += f"-{rng.randint(0, 9999):04d}"
        secondary = rng.choice((f"Apt {rng.randint(1, 30)}{rng.choice('ABCDEF')}", f"Apt. {rng.randint(1, 999)}",
                                f"Suite {rng.randint(100, 990)}", f"Unit {rng.randint(1, 60)}", fake.secondary_address()))
        number = building_number(fill, int(fake.building_number()) or 1)  # Faker may give '0810'
        return Address(number, fake.street_name(), secondary, city, state, zipcode)
    if fill.gb:
        if real:
            city, county, outwards = rng.choice(_gb_places())
            postcode = uk_postcode(rng, rng.choice(outwards))
        else:
            city, county, postcode = fake.city(), fake.county(), fake.postcode()
        secondary = rng.choice((f"Flat {rng.randint(1, 40)}", f"Flat {rng.randint(1, 12)}{rng.choice('ABCD')}",
                                f"Apartment {rng.randint(1, 80)}", f"Unit {rng.randint(1, 30)}"))
        number = building_number(fill, rng.randint(1, 250))
        return Address(number, fake.street_name(), secondary, city, county, postcode)
    if real:
        city, code, department, region = rng.choice(_fr_places())
        if len(code) == 3:  # Paris, Marseille: arrondissement
            postcode = code + f"{rng.randint(1, 16 if code == '130' else 20):02d}"
        elif len(code) == 4:  # Lyon
            postcode = code + str(rng.randint(1, 9))
        else:
            postcode = code
        state = department if rng.random() < 0.6 else region
    else:
        city, postcode = fake.city(), fake.postcode()
        state = fake.department_name() if rng.random() < 0.6 else rng.choice(_fr_regions())
    number = building_number(fill, rng.randint(1, 140))
    secondary = rng.choice((
        f"Bâtiment {rng.choice('ABCDE')}", f"Bât. {rng.choice('ABCD')}, {rng.randint(1, 8)}e étage",
        f"Appartement {rng.randint(1, 60)}", f"Apt {rng.randint(1, 9)}{rng.choice('ABC')}",
        f"Escalier {rng.randint(1, 4)}, porte {rng.randint(1, 30)}",
        f"Résidence Les {rng.choice(('Tilleuls', 'Pins', 'Acacias', 'Lilas', 'Glycines'))}",
        f"{rng.randint(1, 7)}e étage {rng.choice(('gauche', 'droite'))}",
    ))
    return Address(number, fake.street_name(), secondary, city, state, postcode)


def address_of(fill: Fill, index: int) -> Address:
    """Address `index` of the text, made on first use."""
    if index not in fill.addresses:
        fill.addresses[index] = new_address(fill)
    return fill.addresses[index]
