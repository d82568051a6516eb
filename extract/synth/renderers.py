"""Renderers: turn one PII placeholder ({EMAIL}, {DATE#2:dob}...) into labelled text segments.

Each takes the text's Fill, the entity number and the variant words; the PLACEHOLDERS table lists them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Callable, NamedTuple

from extract.synth.dates import DATE_STYLES, age_units, format_date, format_time, months, number_words
from extract.synth.fill import Fill, Segment
from extract.synth.formats import (account_number, bic, card, contact_lists, free_mail_domains, iban, ipv4, ipv6,
                                   password, phone, ssn)
from extract.synth.money import amount_parts
from extract.synth.people import doctor_prefixes, lawyer_prefixes, person_of
from extract.synth.places import Address, address_of
from extract.synth.text import cap_slug, cased, hex_digits, slug
from extract.synth.values import column
from extract.synth.work import company_of, job_title

Renderer = Callable[[Fill, int, set[str]], list[Segment]]

# Share of e-mail local parts and user names in the shapes of many real accounts: initials,
# capitals, digits first ("NS@aol.com", "1987KLM@outlook.com", "Jana_Novakova", "Kira83").
ODD_HANDLE_SHARE = 0.3
# Share of user names that are styled rather than made of the name alone: gamer tags, dotted hobby
# handles, names wrapped in underscores ("xX_gamer_Xx", "anna.travels.nyc", "j.doe-93", "_kev_").
STYLED_HANDLE_SHARE = 0.2
# Share of personal e-mails at a provider of another country (gmx.de, libero.it, wp.pl, naver.com ...).
WORLD_MAIL_SHARE = 0.3
# Share of e-mails at the person's employer where the template says neither work nor personal.
WORK_MAIL_SHARE = 0.3
# Share of whole addresses written with their flat or apartment where the template does not ask for it.
SECONDARY_SHARE = 0.35


def render_prefix(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    if "dr" in variants:
        return [(fill.rng.choice(doctor_prefixes()[fill.locale]), "PREFIX")]
    if "lawyer" in variants and fill.locale in lawyer_prefixes():
        return [(fill.rng.choice(lawyer_prefixes()[fill.locale]), "PREFIX")]
    return [(person_of(fill, index).prefix, "PREFIX")]


def _name_part(attribute: str, label: str) -> Renderer:
    def render(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
        value = getattr(person_of(fill, index), attribute)
        if attribute == "middle" and ("initial" in variants or (
                fill.lang == "en" and "full" not in variants and fill.rng.random() < 0.5)):
            value = value[0] + "."  # the initial keeps its abbreviation period, like a prefix
        return [(cased(value, variants), label)]
    return render


def render_email(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    person, rng = person_of(fill, index), fill.rng
    first, last = slug(person.first, "-") or "info", slug(person.last) or "mail"
    if rng.random() < ODD_HANDLE_SHARE:
        first_cap, last_cap = cap_slug(person.first), cap_slug(person.last)
        initials = first_cap[0] + last_cap[0]
        local = rng.choice((initials, first_cap[0],
                            f"{rng.randint(1990, fill.today.year)}{first_cap[0]}{cap_slug(person.middle)[0]}{last_cap[0]}",
                            f"{last_cap[0]}{rng.randint(1000, 9999)}", f"{first_cap}.{last_cap}",
                            f"{first_cap}{last_cap}{rng.randint(1, 99)}", f"{first}{rng.randint(1, 99)}",
                            f"{initials.lower()}{person.birth.year}"))
    else:
        local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}",
                            f"{first}_{last}{rng.randint(1, 99)}", f"{last}.{first}", f"{first[0]}{last}{rng.randint(70, 99)}"))
    work = "work" in variants or ("personal" not in variants and rng.random() < WORK_MAIL_SHARE)
    if work:
        domain = company_of(fill, 1).domain
    else:
        domain = rng.choice(column(contact_lists()["mail providers"]) if rng.random() < WORLD_MAIL_SHARE
                            else free_mail_domains()[fill.locale])
    return [(f"{local}@{domain}", "EMAIL")]


def _styled_handle(rng: random.Random, first: str, last: str, year: str) -> str:
    """'xX_gamer_Xx', 'anna.travels.nyc', 'j.doe-93', '_kev_', 'shadow_anna77': handles with symbols."""
    lists = contact_lists()
    word, hobby, place = (rng.choice(column(lists[section]))
                          for section in ("handle words", "handle hobbies", "handle places"))
    return rng.choice((f"xX_{word}_Xx", f"xX_{first}_Xx", f"{first[0]}.{last}-{year}", f"{first}.{hobby}.{place}",
                       f"{first}.{hobby}", f"{first}_{hobby}", f"_{first[:3]}_", f"__{first}__",
                       f"{word}_{first}{year}", f"{first}.{last}.{place}", f"the.real.{first}",
                       f"{first}-{last[:1]}-{year}"))


def render_username(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    person, rng = person_of(fill, index), fill.rng
    first, last = slug(person.first) or "user", slug(person.last) or "name"
    year = f"{person.birth.year % 100:02d}"
    if rng.random() < STYLED_HANDLE_SHARE:
        return [(_styled_handle(rng, first, last, year), "USERNAME")]
    if rng.random() < ODD_HANDLE_SHARE:
        first_cap, last_cap = cap_slug(person.first), cap_slug(person.last)
        return [(rng.choice((f"{first_cap}_{last_cap}", f"{first_cap}.{last_cap}", f"{first_cap}{rng.randint(1, 99)}",
                             f"{first}_{last}_{year}", f"{first_cap}{last_cap[0]}", f"{first[0]}.{last}",
                             f"{last}{rng.randint(100, 9999)}", f"{first_cap}-{last_cap}")), "USERNAME")]
    return [(rng.choice((f"{first[0]}{last}", f"{first}.{last}", f"{first}_{last}", f"{last}{first[0]}",
                         f"{first}{year}", f"{first[0]}{last}{rng.randint(1, 9)}", f"{first}-{last[:3]}")), "USERNAME")]


def render_url(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    rng = fill.rng
    domain = company_of(fill, index).domain
    person = person_of(fill, index)
    if "reset" in variants:
        url = rng.choice((f"https://account.{domain}/reset-password?token={hex_digits(rng, 24)}",
                          f"https://{domain}/auth/reset/{hex_digits(rng, 16)}"))
    elif "confirm" in variants:
        url = f"https://{domain}/confirm?code={hex_digits(rng, 20)}"
    elif "meeting" in variants:
        letters = "abcdefghijklmnopqrstuvwxyz"
        code = "-".join("".join(rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))
        url = rng.choice((f"https://meet.{domain}/{code}", f"https://{domain}/j/{rng.randint(10 ** 9, 10 ** 10 - 1)}"))
    elif "unsub" in variants:
        url = f"https://news.{domain}/unsubscribe?u={hex_digits(rng, 12)}"
    elif "profile" in variants:
        first, last = person.first, person.last
        url = rng.choice((f"https://www.linkedin.com/in/{slug(first, '-')}-{slug(last, '-')}-{hex_digits(rng, 6)}",
                          f"https://github.com/{slug(first)}{slug(last)}",
                          f"https://{slug(first)}{slug(last)}.{rng.choice(('dev', 'me', 'net'))}"))
    else:
        url = rng.choice((f"https://www.{domain}", f"https://www.{domain}/", f"https://{domain}/account",
                          f"http://portal.{domain}/login", f"www.{domain}"))
        if url.endswith("/"):
            url = url[:-1]
    return [(url, "URL")]


def _address_part(attribute: str, label: str) -> Renderer:
    def render(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
        return [(cased(getattr(address_of(fill, index), attribute), variants), label)]
    return render


def render_zipcode(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    """`compact` drops the space of a postcode ("SW1A1AA", "1012AB", "K1A0B1"), `lower` writes it in lower case."""
    zipcode = address_of(fill, index).zipcode
    if "compact" in variants:
        zipcode = zipcode.replace(" ", "")
    return [(cased(zipcode, variants), "ZIPCODE")]


def render_address(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    """A whole postal address laid out the way the locale writes it, each part its own span."""
    address, rng = address_of(fill, index), fill.rng
    lines = "lines" in variants
    with_secondary = "sec" in variants or rng.random() < SECONDARY_SHARE
    nl = "\n" if lines else ", "
    if address.layout != "home":
        return _address_abroad(address, rng, nl, with_secondary)
    seg: list[Segment] = []
    if fill.gb and with_secondary:
        seg += [(address.secondary, "SECONDARYADDRESS"), (nl, None)]
    fr_comma = fill.fr and rng.random() < 0.25  # "12, rue de la Paix"
    seg += [(address.number, "BUILDINGNUMBER"), (", " if fr_comma else " ", None), (address.street, "STREET")]
    if not fill.gb and with_secondary:
        seg += [(nl, None), (address.secondary, "SECONDARYADDRESS")]
    seg.append((nl, None))
    if fill.us:
        seg += [(address.city, "CITY"), (", ", None), (address.state, "STATE"), (" ", None),
                (address.zipcode, "ZIPCODE")]
    elif fill.gb:
        seg += [(address.city, "CITY"), (nl, None)]
        if rng.random() < 0.35:
            seg += [(address.state, "STATE"), (nl if lines else " ", None)]
        seg.append((address.zipcode, "ZIPCODE"))
    else:
        city = address.city.upper() if rng.random() < 0.3 else address.city
        seg += [(address.zipcode, "ZIPCODE"), (" ", None), (city, "CITY")]
    return seg


def _address_abroad(address: Address, rng: random.Random, nl: str, with_secondary: bool) -> list[Segment]:
    """An address abroad, laid out as its country writes it; the country name is unlabelled."""
    secondary: list[Segment] = [(nl, None), (address.secondary, "SECONDARYADDRESS")] if with_secondary else []
    number, street = (address.number, "BUILDINGNUMBER"), (address.street, "STREET")
    city, state, zipcode = (address.city, "CITY"), (address.state, "STATE"), (address.zipcode, "ZIPCODE")
    if address.layout == "eu":  # Hauptstraße 12, 80331 München
        seg = [street, (" ", None), number] + secondary + [(nl, None), zipcode, (" ", None), city]
        if rng.random() < 0.3:
            seg += [(", ", None), state]
    elif address.layout == "us":  # 12 King Street, Toronto, Ontario M5H 2N2
        seg = [number, (" ", None), street] + secondary + [(nl, None), city, (", ", None), state, (" ", None), zipcode]
    else:  # 14 Shrestha Marg, Kathmandu 44600, Bagmati
        seg = [number, (" ", None), street] + secondary + [(nl, None), city, (" ", None), zipcode, (", ", None), state]
    if rng.random() < 0.4:
        seg += [(nl, None), (address.country, None)]
    return seg


def _pick_date(fill: Fill, index: int, variants: set[str]) -> date:
    rng = fill.rng
    if "dob" in variants:
        return person_of(fill, index).birth
    if "later" in variants:  # the end of a period that DATE#(n-1) starts: check-out, "until", "au"
        d = fill.dates.get(index - 1, fill.today) + timedelta(days=rng.randint(1, 60))
    elif "today" in variants:
        d = fill.today
    elif "future" in variants:
        d = fill.today + timedelta(days=rng.randint(1, 90))
    elif "past" in variants:
        d = fill.today - timedelta(days=rng.randint(61, 400))
    else:
        d = fill.today + timedelta(days=rng.randint(-45, 45))
    fill.dates.setdefault(index, d)
    return d


def render_date(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    style = min(variants & DATE_STYLES, default=None)
    if "dob" in variants and style is None:
        style = fill.rng.choices(("long", "num", "my"), weights=(32, 60, 8))[0]
    return [(format_date(fill, _pick_date(fill, index, variants), style), "DATE")]


def render_time(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    rng = fill.rng
    style = min(variants & {"hm", "hms", "ampm", "h"}, default=None)
    if "seq" in variants or style == "hms":  # clock times of one chat or log, in order
        moment = fill.moment(index)
        return [(format_time(fill, moment.hour, moment.minute, moment.second, style), "TIME")]
    if "later" in variants and index - 1 in fill.times:  # the end of a window that TIME#(n-1) opens
        start_hour, start_minute = fill.times[index - 1]
        hour, minute = min(start_hour + rng.randint(1, 3), 23), start_minute
    else:
        hour, minute = rng.randint(8, 18), rng.choice((0, 0, 15, 30, 30, 45, 10, 20, 40, 50))
    fill.times.setdefault(index, (hour, minute))
    return [(format_time(fill, hour, minute, 0, style), "TIME")]


def render_timestamp(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    """A log timestamp: its date and its time are separate spans."""
    moment, rng = fill.moment(index), fill.rng
    clock = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    style = min(variants & {"iso", "isot", "syslog", "num"}, default=None)
    if style is None:  # one log, one timestamp format
        style = fill.cache.setdefault("timestamp style", rng.choice(("iso", "iso", "isot", "num")))
    if style == "syslog":
        return [(f"{months('en')[moment.month - 1][:3]} {moment.day}", "DATE"), (" ", None), (clock, "TIME")]
    if style == "isot":  # one word to a reader (and to word-aware spans): a single DATE, not DATE "T" TIME
        return [(f"{moment.date().isoformat()}T{clock}Z", "DATE")]
    if style == "num":
        day = f"{moment.day:02d}/{moment.month:02d}/{moment.year}" if not fill.us \
            else f"{moment.month:02d}/{moment.day:02d}/{moment.year}"
        return [(day, "DATE"), (" ", None), (clock, "TIME")]
    return [(moment.date().isoformat(), "DATE"), (" ", None), (clock, "TIME")]


def render_amount(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    """Currency sign, code or name as plain text, even when glued ('zł58,481.62'); the span is the
    number alone, with its magnitude suffix if it has one ('998k')."""
    before, number, after = amount_parts(fill, variants)
    seg: list[Segment] = [(before, None)] if before else []
    seg.append((number, "AMOUNT"))
    if after:
        seg.append((after, None))
    return seg


def render_age(fill: Fill, index: int, variants: set[str]) -> list[Segment]:
    """The age is the span, with its unit when the unit is a word of its own ("88 years old", "de 88
    ans", as AI4Privacy labels them); a hyphenated one stays plain text ("a 72-year-old")."""
    age = person_of(fill, index).age
    value = number_words(age, fill.lang) if "words" in variants else str(age)
    kind = "unit" if "unit" in variants else "adj" if "adj" in variants else None
    if kind is None:
        return [(value, "AGE")]
    units, weights = age_units(fill.lang, kind)
    unit = fill.rng.choices(units, weights=weights)[0]
    return [(value, "AGE"), (unit, None)] if unit.startswith("-") else [(value + unit, "AGE")]


def _labelled(label: str, make: Callable[[Fill, int, set[str]], str]) -> Renderer:
    """A renderer of one value, all of it the span."""
    return lambda fill, index, variants: [(make(fill, index, variants), label)]


def _style(variants: set[str]) -> str | None:
    """The one form word a template gives ({IBAN:compact}), or None."""
    return min(variants, default=None)


class Placeholder(NamedTuple):
    render: Renderer
    variants: frozenset[str]  # the variant words it understands: a typo is a load error, not a silent default


_NAME_VARIANTS = frozenset({"upper", "lower", "ascii"})
_PLACE_VARIANTS = frozenset({"upper", "lower"})

# Every PII placeholder a template may hold: the 28 labels, ADDRESS and TIMESTAMP (several spans).
PLACEHOLDERS: dict[str, Placeholder] = {
    "PREFIX": Placeholder(render_prefix, frozenset({"dr", "lawyer"})),
    "FIRSTNAME": Placeholder(_name_part("first", "FIRSTNAME"), _NAME_VARIANTS),
    "MIDDLENAME": Placeholder(_name_part("middle", "MIDDLENAME"), _NAME_VARIANTS | {"initial", "full"}),
    "LASTNAME": Placeholder(_name_part("last", "LASTNAME"), _NAME_VARIANTS),
    "EMAIL": Placeholder(render_email, frozenset({"work", "personal"})),
    "PHONENUMBER": Placeholder(_labelled("PHONENUMBER", lambda f, i, v: phone(f, _style(v))),
                               frozenset({"mobile", "landline", "spaces", "intl", "dots", "compact"})),
    "USERNAME": Placeholder(render_username, frozenset()),
    "PASSWORD": Placeholder(_labelled("PASSWORD", lambda f, i, v: password(f)), frozenset()),
    "URL": Placeholder(render_url, frozenset({"reset", "confirm", "meeting", "unsub", "profile"})),
    "IPV4": Placeholder(_labelled("IPV4", lambda f, i, v: ipv4(f, _style(v))), frozenset({"private", "public"})),
    "IPV6": Placeholder(_labelled("IPV6", lambda f, i, v: ipv6(f.rng)), frozenset()),
    "STREET": Placeholder(_address_part("street", "STREET"), _PLACE_VARIANTS),
    "BUILDINGNUMBER": Placeholder(_address_part("number", "BUILDINGNUMBER"), frozenset()),
    "SECONDARYADDRESS": Placeholder(_address_part("secondary", "SECONDARYADDRESS"), _PLACE_VARIANTS),
    "CITY": Placeholder(_address_part("city", "CITY"), _PLACE_VARIANTS),
    "STATE": Placeholder(_address_part("state", "STATE"), _PLACE_VARIANTS),
    "ZIPCODE": Placeholder(render_zipcode, frozenset({"lower", "compact"})),
    "ADDRESS": Placeholder(render_address, frozenset({"lines", "sec"})),
    "DATE": Placeholder(render_date, frozenset({"dob", "later", "today", "future", "past"}) | DATE_STYLES),
    "TIME": Placeholder(render_time, frozenset({"hm", "hms", "ampm", "h", "seq", "later"})),
    "TIMESTAMP": Placeholder(render_timestamp, frozenset({"iso", "isot", "syslog", "num"})),
    "AGE": Placeholder(render_age, frozenset({"words", "unit", "adj"})),
    "COMPANYNAME": Placeholder(_labelled("COMPANYNAME", lambda f, i, v: cased(company_of(f, i).name, v)), _PLACE_VARIANTS),
    "JOBTITLE": Placeholder(_labelled("JOBTITLE", job_title), _PLACE_VARIANTS),
    "IBAN": Placeholder(_labelled("IBAN", lambda f, i, v: iban(f, _style(v))), frozenset({"grouped", "compact"})),
    "BIC": Placeholder(_labelled("BIC", lambda f, i, v: bic(f)), frozenset()),
    "CREDITCARDNUMBER": Placeholder(_labelled("CREDITCARDNUMBER", lambda f, i, v: card(f, _style(v))),
                                    frozenset({"spaces", "dashes", "compact"})),
    "ACCOUNTNUMBER": Placeholder(_labelled("ACCOUNTNUMBER", lambda f, i, v: account_number(f)), frozenset()),
    "SSN": Placeholder(_labelled("SSN", lambda f, i, v: ssn(f, person_of(f, i), _style(v))),
                       frozenset({"compact", "spaced", "intl"})),
    "AMOUNT": Placeholder(render_amount, frozenset({"small", "big"})),
}
