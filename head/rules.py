"""A rule layer for the redactor: PII whose form has a checksum or a strict shape, found by regex and validator.
`rule_spans(text)` gives every validated match (email, URL, IBAN, BIC, card, SSN, IP, written date, phone) as sorted,
disjoint spans.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import phonenumbers

from extract.checksums import iban_valid, luhn_completed
from extract.records import Span
from extract.synth.dates import month_abbreviations, months, weekdays
from extract.synth.text import strip_accents

# Rule name -> the project label its matches get. The order is the priority order: on overlap the
# longer match wins, then the rule listed first. Phones come last and lose to any other match.
RULE_LABELS: dict[str, str] = {
    "email": "EMAIL",
    "url": "URL",
    "iban": "IBAN",
    "bic": "BIC",
    "card": "CREDITCARDNUMBER",
    "nir": "SSN",
    "us_ssn": "SSN",
    "ipv4": "IPV4",
    "ipv6": "IPV6",
    "date": "DATE",
    "phone": "PHONENUMBER",
}

# Labels whose validator proves the form (a checksum, or a parser of the standard): where such a
# match is most of the span it widens, its label wins over the head's (an IPv4 address the head
# read as a phone number). A date, a phone or an SSN by its shape proves less: the head's label stays.
PROVEN_LABELS = frozenset({"EMAIL", "URL", "IBAN", "CREDITCARDNUMBER", "IPV4", "IPV6"})

# Regions whose numbering plans phonenumbers reads national (no +CC) numbers in: the project's
# texts are French and English, so France, the United Kingdom and the United States.
PHONE_REGIONS = ("FR", "GB", "US")

# Every pattern opens with this lookbehind (or a stricter one) so that it can only start at the beginning of a run:
# a match never starts inside a word, and the engine never retries a long run from each of its
# characters (what would make the scan quadratic). `[^\W_]` is a letter or digit, in any script.
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_NOT_BEFORE_ALNUM = r"(?![^\W_])"

# --- EMAIL -------------------------------------------------------------------------------------
# Letters of any script (`\w`), as internationalised addresses have them: "zoé@exemple.fr". The TLD
# is letters only, so a sentence's final "." is never part of the match.
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w@-])")


def _email_ok(email: str) -> bool:
    local, domain = email.split("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    # `\w` lets "_" into the domain, where it has no place.
    return all(label and "_" not in label and not label.startswith("-") and not label.endswith("-")
               for label in domain.split("."))


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL.finditer(text):
        if _email_ok(m.group()):
            yield m.span()


# --- URL ---------------------------------------------------------------------------------------
# A URL runs to the next whitespace; quotes and angle brackets never occur in one (RFC 3986), and
# stopping there keeps `href="http://x.fr">` to the URL alone.
_URL = re.compile(_NOT_AFTER_ALNUM + r"(?:[Hh][Tt][Tt][Pp][Ss]?://|[Ww][Ww][Ww]\.)[^\s<>\"]+")
# Punctuation that ends a sentence or a parenthesis rather than the URL. A closing bracket is kept
# when the URL holds as many of its openers ("wiki/Foo_(bar)").
_URL_CLOSERS = {")": "(", "]": "[", "}": "{", "»": "«"}
_URL_TRAILING = frozenset(".,;:!?'\"…") | frozenset(_URL_CLOSERS)


def _strip_url_tail(url: str) -> str:
    while url and url[-1] in _URL_TRAILING:
        opener = _URL_CLOSERS.get(url[-1])
        if opener is not None and url.count(opener) >= url.count(url[-1]):
            break
        url = url[:-1]
    return url


def _host_ok(host: str) -> bool:
    """An IP address, or a dotted name whose labels are letters, digits and inner hyphens, ending in a TLD."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2:
        return False
    for label in labels:
        if not label or label.startswith("-") or label.endswith("-") or not label.replace("-", "").isalnum():
            return False
    tld = labels[-1]
    return (len(tld) >= 2 and tld.isalpha()) or tld.startswith("xn--")


def _url_ok(url: str) -> bool:
    absolute = url if "://" in url else "http://" + url  # "www.x.fr": a host with no scheme
    try:
        host = urlsplit(absolute).hostname
    except ValueError:  # an unclosed "[" of an IPv6 host
        return False
    return bool(host) and _host_ok(host)


def _urls(text: str) -> Iterator[tuple[int, int]]:
    for m in _URL.finditer(text):
        url = _strip_url_tail(m.group())
        if _url_ok(url):
            yield m.start(), m.start() + len(url)


# --- IBAN --------------------------------------------------------------------------------------
# Country, check digits, then the account: compact, or in groups of 4 after single spaces (the
# last group may be shorter; 34 characters at most, so 9 groups). Upper case only: a lower-case
# run is prose far more often.
_IBAN = re.compile(
    _NOT_AFTER_ALNUM
    + r"[A-Z]{2}[0-9]{2}(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?|[A-Z0-9]{11,30})"
    + _NOT_BEFORE_ALNUM
)
_IBAN_LENGTHS = range(15, 35)  # the shortest IBAN (Norway) has 15 characters, the longest 34


def _ibans(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN.finditer(text):
        groups = m.group().split(" ")
        # A grouped candidate may have taken an upper-case word after the IBAN ("... 189 CODE"):
        # try it whole, then without its last groups, one at a time.
        for count in range(len(groups), 0, -1):
            compact = "".join(groups[:count])
            if len(compact) < _IBAN_LENGTHS.start:
                break
            if len(compact) in _IBAN_LENGTHS and iban_valid(compact):
                yield m.start(), m.start() + len(" ".join(groups[:count]))
                break


# --- BIC ---------------------------------------------------------------------------------------
# ISO 9362: four letters (the bank), a country (ISO 3166, the regions phonenumbers knows), two letters
# or figures (the place) and an optional branch of three. Words in capitals have that shape too
# ("TRAINING": NI is Nicaragua; "SERVER01", "SUMMER24"), so a BIC also needs the head office's
# branch "XXX" ("SOJSGB3NXXX") or a word naming it or its bank shortly before ("BIC : DEUTDEFF").
_BIC = re.compile(
    _NOT_AFTER_ALNUM + r"[A-Z]{4}(?P<country>[A-Z]{2})[A-Z0-9]{2}(?P<branch>[A-Z0-9]{3})?" + _NOT_BEFORE_ALNUM
)
_BIC_CUE = re.compile(r"(?i)\b(?:bic|swift|bank|banque|banco|bancaire)\b[^\n]{0,30}$")
_BIC_CUE_REACH = 40  # characters before a BIC where its cue word may stand
_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


def _bics(text: str) -> Iterator[tuple[int, int]]:
    for m in _BIC.finditer(text):
        cued = m["branch"] == "XXX" or _BIC_CUE.search(text, max(0, m.start() - _BIC_CUE_REACH), m.start())
        if m["country"] in _COUNTRIES and cued:  # guard: bic-shape
            yield m.span()


# --- CREDITCARDNUMBER --------------------------------------------------------------------------
# Compact 13-19 digits; or groups of 4 (4-4-4-4, 4-4-4-4-3, 4-4-4-1..) or 4-6-5/4-6-4 (Amex,
# Diners), one separator (space or dash) used throughout.
_CARD = re.compile(
    _NOT_AFTER_ALNUM
    + r"(?:[0-9]{13,19}"
    + r"|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{1,4}(?:(?P=sep)[0-9]{1,3})?"
    + r"|[0-9]{4}(?P<amex>[ -])[0-9]{6}(?P=amex)[0-9]{4,5})"
    + _NOT_BEFORE_ALNUM
)


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits ends in the Luhn check digit of the ones before it."""
    return len(digits) >= 2 and digits.isascii() and digits.isdigit() and luhn_completed(digits[:-1]) == digits


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        # "0000 0000 0000 0000" passes Luhn, and so do placeholder runs of one digit.
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            yield m.span()


# --- SSN: the French NIR and the US SSN ------------------------------------------------------------
# Sex, year, month, department (2A/2B in Corsica), commune, order, key; a single space allowed
# between groups: "1 85 05 78 006 084 36" or "185057800608436". Sex 3/4/7/8: provisional numbers.
_NIR = re.compile(
    _NOT_AFTER_ALNUM
    + r"(?P<sex>[1-478]) ?(?P<year>[0-9]{2}) ?(?P<month>[0-9]{2}) ?(?P<dept>[0-9]{2}|2[AB])"
    + r" ?(?P<commune>[0-9]{3}) ?(?P<order>[0-9]{3}) ?(?P<key>[0-9]{2})"
    + _NOT_BEFORE_ALNUM
)
# Months a NIR may carry: 01-12, and 20-42 or 50-99 for people born abroad or with an unknown month.
_NIR_MONTHS = frozenset(range(1, 13)) | frozenset(range(20, 43)) | frozenset(range(50, 100))
# The key is computed with Corsica's departments as numbers: 2A -> 19, 2B -> 18.
_CORSICA = {"2A": "19", "2B": "18"}


def _nir_ok(m: re.Match) -> bool:
    if int(m["month"]) not in _NIR_MONTHS:
        return False
    dept = _CORSICA.get(m["dept"], m["dept"])
    number = int(m["sex"] + m["year"] + m["month"] + dept + m["commune"] + m["order"])
    return 97 - number % 97 == int(m["key"])


def _nirs(text: str) -> Iterator[tuple[int, int]]:
    for m in _NIR.finditer(text):
        if _nir_ok(m):
            yield m.span()


# US SSN, only written with its dashes (nine bare digits are anything); not a piece of a longer
# dashed number ("555-123-45-6789").
_US_SSN = re.compile(
    _NOT_AFTER_ALNUM + r"(?<![0-9]-)(?P<area>[0-9]{3})-(?P<group>[0-9]{2})-(?P<serial>[0-9]{4})(?!-[0-9])"
    + _NOT_BEFORE_ALNUM
)


def _us_ssns(text: str) -> Iterator[tuple[int, int]]:
    for m in _US_SSN.finditer(text):
        area = m["area"]
        # Never issued: area 000, 666 or 900-999, group 00, serial 0000.
        if area != "000" and area != "666" and not area.startswith("9") and m["group"] != "00" \
                and m["serial"] != "0000":
            yield m.span()


# --- IPV4 / IPV6 -------------------------------------------------------------------------------
# Not a piece of a longer dotted number: "10.0.19045.3803" is a Windows build, not an address.
_IPV4 = re.compile(
    _NOT_AFTER_ALNUM + r"(?<![0-9]\.)[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?!\.[0-9])" + _NOT_BEFORE_ALNUM
)


def _ipv4s(text: str) -> Iterator[tuple[int, int]]:
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())  # octets 0-255, no leading zeros
        except ValueError:
            continue
        yield m.span()


# A run of hex digits, colons and dots (an embedded IPv4: "::ffff:192.0.2.1") holding a colon,
# starting after neither a letter, a digit, a colon nor a dot.
_IPV6 = re.compile(_NOT_AFTER_ALNUM + r"(?<![:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_HEX_LETTER = re.compile(r"[A-Fa-f]")


def _ipv6s(text: str) -> Iterator[tuple[int, int]]:
    for m in _IPV6.finditer(text):
        candidate = m.group().rstrip(".")  # a sentence's full stop
        # Digits and two colons are a time or a score ("12:30:45", "::1" aside) far more often.
        if not _HEX_LETTER.search(candidate) and candidate.count(":") < 3:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield m.start(), m.start() + len(candidate)


# --- DATE --------------------------------------------------------------------------------------
# A date written with a month's name and a day or a year: "12 juillet 1993", "juillet 1986", "1er mars",
# "16 et 17 avril 1997", "mars, avril et juin 1989", "March 3rd, 2021", "Friday 9 June". A month
# alone is no date (the labelling convention), nor here a year alone: a shape cannot tell a year of
# birth, which is one, from any other year, which is not; the head judges those. English month names
# only capitalised ("may 5" is no date), abbreviated or not; French ones in either case, with or without
# their accents, abbreviated or not. Lists hold at most six items
# before the last: an unbounded one is retried from each of its items (quadratic on long inputs).
_DAY = r"(?:1er|(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th|er|e)?)"
_YEAR = r"[0-9]{4}(?![0-9])"
_AND = r"(?:, | et | ou | and | or | & |-|–| au | to )"
_MAX_LISTED = 6


def _alternatives(names) -> str:
    return "|".join(re.escape(name) for name in sorted(set(names), key=lambda name: (-len(name), name)))


def _month_pattern(with_year_only: bool) -> str:
    """A month: its name, or an abbreviation ("janv", "Sept", "Jan"; French ones in any case, with or
    without accents: "aout", "fevr"), whose full stop is the date's only where the date goes on (its
    day or year must follow: "3 Jan. 2021", "Sept. 14"; in "on 22 May." or "le 2 déc." the stop is
    the sentence's). `with_year_only`: for a month followed by a year alone, where a bare "sept"
    is the number seven ("sept 2000 personnes") and needs its full stop."""
    fr_full, en_full = months("fr"), months("en")
    fr_short = {name.rstrip(".") for name in month_abbreviations("fr")} - set(fr_full)
    en_short = {*month_abbreviations("en"), "Sept"} - set(en_full)
    fr_full, fr_short = {*fr_full, *map(strip_accents, fr_full)}, fr_short | set(map(strip_accents, fr_short))
    fr_bare = fr_short - {"sept"} if with_year_only else fr_short
    bare = rf"(?i:{_alternatives(fr_full | fr_bare)})|{_alternatives([*en_full, *en_short])}"
    dotted = rf"(?:(?i:{_alternatives(fr_short)})|{_alternatives(en_short)})\.(?=,? [0-9])"
    return rf"(?:{dotted}|{bare})"


def _written_date_pattern() -> re.Pattern:
    month, month_y = _month_pattern(False), _month_pattern(True)
    weekday = rf"(?:(?i:{'|'.join(weekdays('fr'))})|{'|'.join(weekdays('en'))}),? (?:(?:le|the) )?"
    # A dotted month must take what follows it: "14 juil. 2 jours" is "14 juil" and a sentence's stop.
    dated = rf"(?:{month}(?<=\.),? {_YEAR}|{month}(?<!\.)(?:,? {_YEAR})?)"
    day_month = rf"(?:{_DAY}{_AND}){{0,{_MAX_LISTED}}}{_DAY} (?:of )?{dated}"
    month_day = rf"{month} {_DAY}(?:,? {_YEAR})?"
    month_year = rf"(?:{month_y}{_AND}){{0,{_MAX_LISTED}}}{month_y},? {_YEAR}"
    return re.compile(rf"{_NOT_AFTER_ALNUM}(?:{weekday})?(?:{day_month}|{month_year}|{month_day}){_NOT_BEFORE_ALNUM}")


_WRITTEN_DATE = _written_date_pattern()


def _written_dates(text: str) -> Iterator[tuple[int, int]]:
    for m in _WRITTEN_DATE.finditer(text):
        yield m.span()


# --- PHONENUMBER -------------------------------------------------------------------------------
# Dates and times phonenumbers may read as numbers: "le 06.12.2021 12:30" holds the French mobile
# "06.12.2021 12". ISO 2024-03-05, 12/03/2021, 5.3.24, 06-12-2021 (one separator throughout), 12:30:45.
# Bounded by no digit (nor separator and digit) on either side, so that a dotted French phone
# "01.02.03.04.05" does not hold a "date".
_DATE_OR_TIME = re.compile(
    r"(?<![0-9])(?<![0-9][./:-])"
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{1,2}(?P<sep>[/.-])[0-9]{1,2}(?P=sep)[0-9]{2,4}"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"(?![0-9])(?![./:-][0-9])"
)


def _phones(text: str) -> Iterator[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            found.add((match.start, match.end))  # str indices into `text`
    yield from sorted(found)


# --- Combining ----------------------------------------------------------------------------------
# The detectors other than phones, in priority order.
_DETECTORS: tuple[tuple[str, Callable[[str], Iterable[tuple[int, int]]]], ...] = (
    ("email", _emails),
    ("url", _urls),
    ("iban", _ibans),
    ("bic", _bics),
    ("card", _cards),
    ("nir", _nirs),
    ("us_ssn", _us_ssns),
    ("ipv4", _ipv4s),
    ("ipv6", _ipv6s),
    ("date", _written_dates),
)
_PRIORITY = {name: rank for rank, name in enumerate(RULE_LABELS)}


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether the range neither starts nor ends inside a word."""
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


class _Ranges:
    """Disjoint ranges kept sorted by start, so that a long text's many matches are checked in log time."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(ranges):  # overlapping ones are merged: only their union matters
            if self.ends and start < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end)

    def add(self, start: int, end: int) -> None:
        """Add a range that overlaps none of those held."""
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _resolve(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep a disjoint subset: longer first, then the rule earlier in priority order, then the earlier start."""
    ranked = sorted(candidates, key=lambda c: (-(c[1] - c[0]), _PRIORITY[c[2]], c[0]))
    taken = _Ranges()
    kept: list[tuple[int, int, str]] = []
    for start, end, rule in ranked:
        if not taken.overlaps(start, end):
            taken.add(start, end)
            kept.append((start, end, rule))
    return sorted(kept)


def rule_spans(text: str) -> list[Span]:
    """Every validated match in `text`, sorted by start, non-overlapping (on overlap the longer wins, then the
    earlier rule in priority order)."""
    candidates = [(start, end, name) for name, detect in _DETECTORS for start, end in detect(text)
                  if end > start and _bounded(text, start, end)]
    # A phone never wins against a checksum or a strict shape: drop one that touches any of those,
    # or a date or time.
    blocked = _Ranges([(start, end) for start, end, _ in candidates] + [m.span() for m in _DATE_OR_TIME.finditer(text)])
    candidates += [(start, end, "phone") for start, end in _phones(text)
                   if _bounded(text, start, end) and not blocked.overlaps(start, end)]
    return [Span(start, end, RULE_LABELS[rule]) for start, end, rule in _resolve(candidates)]
