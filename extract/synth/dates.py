"""Dates, clock times, ordinals and numbers in words, written the ways English and French texts do.

A text writes each family of dates or times one way, as one writer does; ages may come in words.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from extract.synth.values import Rows, checked_lists, column

if TYPE_CHECKING:
    from extract.synth.fill import Fill

# Share of texts that write a family of dates (or times) another common way than the locale's
# usual one: "5.3.2021", "2021/03/05", "July 5th, 2023", "9e novembre 1945", "4 PM", "17 h 36".
DATE_VARIANT_SHARE = 0.3
TIME_VARIANT_SHARE = 0.3
# The ways of writing a date a template may ask for ({DATE:long}, {DATE:my} ...).
DATE_STYLES = frozenset({"long", "num", "iso", "abbr", "short", "wd", "wdshort", "my", "monthyear", "year"})


@cache
def _calendar() -> dict[str, tuple[str, ...]]:
    """templates/_values/calendar.txt: month and weekday names, in calendar order."""
    lists = checked_lists("calendar", {}, {"en months": 12, "fr months": 12, "fr month abbreviations": 12,
                                           "en weekdays": 7, "fr weekdays": 7})
    return {name: column(rows) for name, rows in lists.items()}


def months(lang: str) -> tuple[str, ...]:
    return _calendar()[f"{lang} months"]


def month_abbreviations(lang: str) -> tuple[str, ...]:
    """French abbreviations as the calendar list writes them ("janv."); English ones are the first three letters."""
    return _calendar()["fr month abbreviations"] if lang == "fr" else tuple(name[:3] for name in months("en"))


def weekdays(lang: str) -> tuple[str, ...]:
    return _calendar()[f"{lang} weekdays"]


@cache
def _number_lists() -> dict[str, Rows]:
    """templates/_values/numbers.txt: numbers in words and the units written after an age."""
    return checked_lists("numbers", {"age units": (4,)},
                         {"en units": 20, "en tens": 8, "fr units": 20, "fr tens": 5})


@cache
def age_units(lang: str, kind: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(units, weights) written after an age of `kind` "unit" ("34 years old") or "adj" ("a 72-year-old")."""
    rows = [(unit if unit.startswith("-") else " " + unit, int(weight))
            for owner, unit_kind, unit, weight in _number_lists()["age units"] if (owner, unit_kind) == (lang, kind)]
    return tuple(unit for unit, _ in rows), tuple(weight for _, weight in rows)


def number_words(n: int, lang: str) -> str:
    """0-119 in words, for ages written out: 'thirty-four', 'soixante et onze', 'quatre-vingt-deux'."""
    lists = _number_lists()
    units, tens_words = column(lists[f"{lang} units"]), column(lists[f"{lang} tens"])  # tens from twenty
    if n >= 100:
        return ("one hundred" if lang == "en" else "cent") + (f" {number_words(n - 100, lang)}" if n > 100 else "")
    if n < 20:
        return units[n]
    if lang == "en":
        tens, unit = divmod(n, 10)
        return tens_words[tens - 2] + (f"-{units[unit]}" if unit else "")
    if n >= 80:
        return "quatre-vingt" + (f"-{units[n - 80]}" if n > 80 else "s")
    tens = min(n // 10, 6)  # 70-79 are "soixante-dix" to "soixante-dix-neuf"
    rest = n - 10 * tens
    if rest == 0:
        return tens_words[tens - 2]
    return tens_words[tens - 2] + (" et " if rest in (1, 11) else "-") + units[rest]


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def ordinal_fr(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def variant_index(fill: Fill, key: str, share: float, count: int) -> int | None:
    """Which of `count` other ways this text writes family `key` in, or None for the usual one."""
    cache_key = ("written as", key)
    if cache_key not in fill.cache:
        fill.cache[cache_key] = fill.rng.randrange(count) if fill.rng.random() < share else None
    return fill.cache[cache_key]


def iso_moment(rng: random.Random, day: date) -> str:
    """'2021-03-05T14:22:09.285Z': a machine timestamp, one word, one DATE span."""
    ms = f".{rng.randint(0, 999):03d}" if rng.random() < 0.6 else ""
    return f"{day.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{ms}Z"


def date_variants(fill: Fill, d: date, style: str) -> tuple[str, ...]:
    """Other common ways of writing a date of family `style` (the locale's usual way is in format_date)."""
    dd, mm, yy, y, wd = f"{d.day:02d}", f"{d.month:02d}", f"{d.year % 100:02d}", d.year, d.weekday()
    iso = (f"{y}/{mm}/{dd}", iso_moment(fill.rng, d), f"{y}.{mm}.{dd}")
    if fill.fr:
        month, weekday = months("fr")[d.month - 1], weekdays("fr")[wd]
        abbr = _calendar()["fr month abbreviations"][d.month - 1]
        day = "1er" if d.day == 1 else str(d.day)
        return {
            "iso": iso,
            "long": (f"{dd} {month} {y}", f"{day} {month.capitalize()} {y}"),
            "num": (f"{d.day}/{d.month}/{y}", f"{dd}.{mm}.{y}", f"{dd}-{mm}-{y}", f"{dd}/{mm}/{yy}", f"{y}/{mm}/{dd}"),
            "abbr": (f"{d.day} {abbr} {y}", f"{dd}-{mm}-{y}"),
            "short": (f"{dd}/{mm}", f"{d.day}/{d.month}"),
            "wd": (f"{weekday} {dd}/{mm}/{y}", f"{weekday.capitalize()} {day} {month} {y}"),
            "wdshort": (f"{weekday} {dd}/{mm}", f"{weekday.capitalize()} {day} {month}"),
            "my": (f"{month}/{yy}", f"{mm}/{yy}", f"{mm}/{y}"),
            "monthyear": (f"{abbr} {y}", f"{month.capitalize()} {y}"),
        }[style]
    month, weekday = months("en")[d.month - 1], weekdays("en")[wd]
    md, dm = (f"{d.month}/{d.day}", f"{d.day}/{d.month}")[::1 if fill.us else -1]
    return {
        "iso": iso,
        "long": (f"{month} {ordinal(d.day)}, {y}", f"{ordinal(d.day)} of {month} {y}",
                 f"{d.day} {month} {y}" if fill.us else f"{month} {d.day}, {y}", f"{month} {d.day} {y}"),
        "num": (f"{md}/{y}", f"{dd}.{mm}.{y}", f"{dd}-{mm}-{y}", f"{y}/{mm}/{dd}",
                f"{mm}/{dd}/{yy}" if fill.us else f"{dd}/{mm}/{yy}"),
        "abbr": (f"{d.day} {month[:3]} {y}", f"{month[:3]} {d.day} {y}", f"{dd}-{month[:3]}-{y}",
                 f"{dd}-{month[:3].upper()}-{y}"),
        "short": (f"{ordinal(d.day)} {month}", f"{month} {ordinal(d.day)}", f"{d.day} {month[:3]}", md),
        "wd": (f"{weekday[:3]} {d.day} {month[:3]} {y}", f"{weekday}, {d.day} {month} {y}"),
        "wdshort": (f"{weekday[:3]} {d.day} {month[:3]}", f"{weekday} {ordinal(d.day)}"),
        "my": (f"{d.month}/{yy}", f"{mm}/{yy}", f"{mm}/{y}"),
        "monthyear": (f"{month[:3]} {y}", f"{month[:3]}{'.' if len(month) > 3 else ''} {y}", f"{month}, {y}"),
    }[style]


def format_date(fill: Fill, d: date, style: str | None) -> str:
    rng = fill.rng
    if style == "year":  # a year of birth alone ("né en 1944"): the one year that is a DATE
        return str(d.year)
    if style is None:
        style = rng.choices(("long", "num", "iso", "abbr", "my"), weights=(45, 35, 8, 12, 3))[0]
    variants = date_variants(fill, d, style)
    which = variant_index(fill, f"date {style}", 1.0 if style == "my" else DATE_VARIANT_SHARE, len(variants))
    if which is not None:
        return variants[which]
    if style == "iso":
        return d.isoformat()
    if fill.fr:
        day, month, weekday = "1er" if d.day == 1 else str(d.day), months("fr")[d.month - 1], weekdays("fr")[d.weekday()]
        return {
            "num": f"{d.day:02d}/{d.month:02d}/{d.year}",
            "long": f"{day} {month} {d.year}",
            "abbr": f"{day} {month} {d.year}",
            "short": f"{day} {month}",
            "wd": f"{weekday} {day} {month} {d.year}",
            "wdshort": f"{weekday} {day} {month}",
            "monthyear": f"{month} {d.year}",
        }[style]
    month, weekday = months("en")[d.month - 1], weekdays("en")[d.weekday()]
    if fill.us:
        return {
            "num": f"{d.month:02d}/{d.day:02d}/{d.year}",
            "long": f"{month} {d.day}, {d.year}",
            "abbr": f"{month[:3]} {d.day}, {d.year}",
            "short": f"{month} {d.day}",
            "wd": f"{weekday}, {month} {d.day}, {d.year}",
            "wdshort": f"{weekday}, {month} {d.day}",
            "monthyear": f"{month} {d.year}",
        }[style]
    day = ordinal(d.day) if rng.random() < 0.4 else str(d.day)
    return {
        "num": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "long": f"{day} {month} {d.year}",
        "abbr": f"{d.day} {month[:3]} {d.year}",
        "short": f"{day} {month}",
        "wd": f"{weekday} {day} {month} {d.year}",
        "wdshort": f"{weekday} {day} {month}",
        "monthyear": f"{month} {d.year}",
    }[style]


def time_variants(fill: Fill, hour: int, minute: int, second: int, style: str) -> tuple[str, ...]:
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


def format_time(fill: Fill, hour: int, minute: int, second: int, style: str | None) -> str:
    rng = fill.rng
    if style is None:
        style = rng.choice(("ampm", "ampm", "hm")) if fill.us else rng.choice(("hm", "hm", "ampm")) if fill.gb \
            else rng.choice(("h", "hm"))
    variants = time_variants(fill, hour, minute, second, style)
    which = variant_index(fill, f"time {style}", TIME_VARIANT_SHARE, len(variants))
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
