"""Values of a strict shape: phones, IBANs and BICs, national identity numbers, cards, IPs, passwords.

Checksummed ones are valid (IBAN mod-97, French RIB and NIR keys, Luhn cards, EAN), as real ones are.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from functools import cache
from typing import TYPE_CHECKING

from extract.checksums import luhn_completed, mod97
from extract.synth.text import digits, draw_shape, group, strip_accents
from extract.synth.values import Rows, checked_lists, column, options_by_key

if TYPE_CHECKING:
    from extract.synth.fill import Fill
    from extract.synth.people import Person

# Shares of phone numbers in another country's format (templates/_values/contact.txt) and in odd
# shapes with mixed separators and groupings ("+337.817-989 4440", "(696).6205793").
WORLD_PHONE_SHARE = 0.17
ODD_PHONE_SHARE = 0.13
# A share of IBANs come from other countries, each in its registered shape, so the head meets the
# lengths and letters other people's text holds, not only FR76 and GB.
WORLD_IBAN_SHARE = 0.35
# Share of national identity numbers from other countries where the template does not fix the form.
WORLD_ID_SHARE = 0.2
# A share of cards come from schemes Faker lacks (templates/_values/banking.txt), so the head learns
# a card from its length and its context, not from a leading 4 or 5. Luhn-valid, 16 digits
# (UnionPay and Verve sometimes 19).
WORLD_CARD_SHARE = 0.3
# Share of account numbers from banks of other countries: 8 to 12 digits, leading zeros kept.
WORLD_ACCOUNT_SHARE = 0.35
_BBAN_ALPHABETS = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}


@cache
def contact_lists() -> dict[str, Rows]:
    """templates/_values/contact.txt: mail providers, phone shapes, free mail domains, the words of
    passwords and handles."""
    return checked_lists("contact", {"mail providers": (1,), "phone formats": (1,), "free mail domains": (2,),
                                     "password words": (1,), "password seasons": (1,), "keyboard walks": (1,),
                                     "passphrase words": (1,), "leet letters": (2,), "handle words": (1,),
                                     "handle hobbies": (1,), "handle places": (1,)})


@cache
def _leet_letters() -> dict[str, tuple[str, ...]]:
    return options_by_key(contact_lists()["leet letters"])


@cache
def free_mail_domains() -> dict[str, tuple[str, ...]]:
    """The free e-mail providers of each locale's country."""
    return options_by_key(contact_lists()["free mail domains"])


@cache
def _banking_lists() -> dict[str, Rows]:
    """templates/_values/banking.txt: Faker card types, other schemes' prefixes, IBAN shapes."""
    return checked_lists("banking", {"card types": (1,), "world card prefixes": (1,), "iban shapes": (2,)})


def _odd_phone(rng: random.Random) -> str:
    """Digits grouped at random, separators mixed: what forms and generated data hold."""
    prefix = rng.choices((f"+{rng.randint(1, 99)}", f"00{rng.randint(1, 99)}", f"({rng.randint(200, 999)})", "0", ""),
                         weights=(35, 12, 15, 20, 18))[0]
    body = digits(rng, rng.randint(8, 11))
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


def phone(fill: Fill, style: str | None) -> str:
    rng = fill.rng
    if style in (None, "mobile", "landline"):
        roll = rng.random()
        if roll < WORLD_PHONE_SHARE:
            return draw_shape(rng, rng.choice(column(contact_lists()["phone formats"])))
        if roll < WORLD_PHONE_SHARE + ODD_PHONE_SHARE:
            return _odd_phone(rng)
    if fill.fr:
        mobile = style == "mobile" or (style != "landline" and rng.random() < 0.6)
        first = rng.choice("67") if mobile else rng.choice("123459")
        pairs = [digits(rng, 2) for _ in range(4)]
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
            number = f"7{rng.randint(400, 999)} {digits(rng, 6)}"
        else:
            london = f"20 {rng.randint(3, 8)}{digits(rng, 3)} {digits(rng, 4)}"
            regional = f"1{rng.randint(13, 99)} {digits(rng, 3)} {digits(rng, 4)}"
            number = rng.choice((london, regional))
        return f"+44 {number}" if rng.random() < 0.35 else f"0{number}"
    area = rng.randint(201, 989)
    exchange = rng.choice((555, rng.randint(201, 989)))
    line = digits(rng, 4)
    return rng.choice((f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"+1 {area} {exchange} {line}",
                       f"{area}.{exchange}.{line}", f"({area}) {exchange}-{line}"))


def _bban(rng: random.Random, shape: str) -> str:
    """A BBAN of `shape`: runs of n digits, a capitals, c capitals or digits ('4a10n')."""
    return "".join(rng.choice(_BBAN_ALPHABETS[kind]) for count, kind in re.findall(r"(\d+)([nac])", shape)
                   for _ in range(int(count)))


def iban(fill: Fill, style: str | None) -> str:
    rng = fill.rng
    if rng.random() < WORLD_IBAN_SHARE:
        shapes = dict(_banking_lists()["iban shapes"])
        country = rng.choice(sorted(shapes))
        bban = _bban(rng, shapes[country])
    elif fill.fr:
        bank, branch = f"{rng.randint(10000, 99999)}", f"{rng.randint(0, 99999):05d}"
        account = f"{rng.randint(0, 10 ** 11 - 1):011d}"
        rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97  # French RIB key
        bban, country = f"{bank}{branch}{account}{rib_key:02d}", "FR"
    else:
        bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban, country = f"{bank}{rng.randint(0, 999999):06d}{rng.randint(0, 10 ** 8 - 1):08d}", "GB"
    check = 98 - mod97(bban + country + "00")
    number = f"{country}{check:02d}{bban}"  # a valid RIB key always gives FR76
    grouped = style == "grouped" or (style is None and rng.random() < 0.6)
    return group(number) if grouped else number


def bic(fill: Fill) -> str:
    rng = fill.rng
    country = "FR" if fill.fr else "GB" if fill.gb else rng.choice(("US", "US", "GB"))
    bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
    locations = ("PP", "PP", "P1", "M1", "2A") if country == "FR" else ("PP", "PL", "2X", "22", "33", "3N", "LN", "MM")
    location = rng.choice(locations)
    branch = rng.choice(("", "", "XXX", f"{rng.randint(100, 999)}"))
    return bank + country + location + branch


def ean_check(body: str) -> str:
    """Check digit of an EAN-13 (and of a Swiss AHV number, which is one)."""
    total = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(body))
    return str((10 - total % 10) % 10)


@cache
def _national_id_shapes() -> tuple[str, ...]:
    """templates/_values/identity.txt: shapes of other countries' identity numbers ('DDMMYY-###A')."""
    return column(checked_lists("identity", {"national id shapes": (2,)})["national id shapes"], 1)


_CODED_NATIONAL_IDS = ("ahv", "steuer", "dni", "nie", "bsn", "pesel", "sin", "aadhaar", "cpf", "be", "se", "dk", "tc",
                       "cn", "cf")


def _world_national_id(rng: random.Random, person: Person) -> str:
    """Identity numbers of other countries, in the shapes their owners write them."""
    b = person.birth
    yymmdd, ddmmyy = f"{b.year % 100:02d}{b.month:02d}{b.day:02d}", f"{b.day:02d}{b.month:02d}{b.year % 100:02d}"
    kind = rng.choice(_CODED_NATIONAL_IDS + ("shape",) * len(_national_id_shapes()))
    if kind == "shape":  # Irish PPS, Finnish HETU, Korean RRN, Mexican CURP ...
        shape = rng.choice(_national_id_shapes()).replace("YYMMDD", yymmdd).replace("DDMMYY", ddmmyy)
        return draw_shape(rng, shape)
    if kind == "ahv":  # Switzerland: 756.1234.5678.97
        body = "756" + digits(rng, 9)
        number = body + ean_check(body)
        return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"
    if kind == "steuer":  # German tax identification number
        return rng.choice(("{} {} {} {}", "{}{}{}{}")).format(digits(rng, 2), digits(rng, 3), digits(rng, 3),
                                                               digits(rng, 3))
    if kind in ("dni", "nie"):  # Spain: 12345678Z, X1234567L
        number = digits(rng, 8 if kind == "dni" else 7)
        prefix = "" if kind == "dni" else rng.choice("XYZ")
        value = int(str("XYZ".index(prefix)) + number) if prefix else int(number)
        return f"{prefix}{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[value % 23]}"
    if kind == "bsn":  # Netherlands
        return digits(rng, 9)
    if kind == "pesel":  # Poland: birth date first
        return yymmdd + digits(rng, 5)
    if kind == "sin":  # Canada
        return f"{digits(rng, 3)} {digits(rng, 3)} {digits(rng, 3)}"
    if kind == "aadhaar":  # India
        return f"{rng.randint(2, 9)}{digits(rng, 3)} {digits(rng, 4)} {digits(rng, 4)}"
    if kind == "cpf":  # Brazil
        return f"{digits(rng, 3)}.{digits(rng, 3)}.{digits(rng, 3)}-{digits(rng, 2)}"
    if kind == "be":  # Belgium: 85.07.30-033.28
        return f"{yymmdd[:2]}.{yymmdd[2:4]}.{yymmdd[4:]}-{digits(rng, 3)}.{digits(rng, 2)}"
    if kind == "se":  # Sweden: personnummer
        return f"{yymmdd}-{digits(rng, 4)}"
    if kind == "dk":  # Denmark: CPR
        return f"{ddmmyy}-{digits(rng, 4)}"
    if kind == "tc":  # Turkey
        return f"{rng.randint(1, 9)}{digits(rng, 10)}"
    if kind == "cn":  # China: resident identity card
        return f"{rng.randint(11, 65)}{digits(rng, 4)}{b.year}{b.month:02d}{b.day:02d}{digits(rng, 3)}{rng.choice('0123456789X')}"
    # Italy: codice fiscale, letters of the names, birth year, month letter, day (+40 for women), town, check
    consonants = lambda name: (re.sub(r"[^B-DF-HJ-NP-TV-Z]", "", strip_accents(name).upper()) + "XXX")[:3]  # noqa: E731
    day = b.day + (40 if person.gender == "f" else 0)
    return (f"{consonants(person.last)}{consonants(person.first)}{b.year % 100:02d}{'ABCDEHLMPRST'[b.month - 1]}"
            f"{day:02d}{rng.choice('ABCDEFGHLM')}{digits(rng, 3)}{rng.choice(string.ascii_uppercase)}")


def ssn(fill: Fill, person: Person, style: str | None) -> str:
    rng = fill.rng
    if style == "intl" or (style is None and rng.random() < WORLD_ID_SHARE):
        return _world_national_id(rng, person)
    if fill.fr:
        # NIR: sex, birth year and month, place of birth (department and commune; overseas 97x and a
        # two-digit commune; 99 and a country code when born abroad), order number, then the mod-97 key.
        place = rng.random()
        if place < 0.08:
            birthplace = f"99{rng.randint(100, 499)}"
        elif place < 0.12:
            birthplace = f"97{rng.randint(1, 6)}{rng.randint(1, 99):02d}"
        else:
            birthplace = rng.choice([f"{d:02d}" for d in range(1, 96) if d != 20]) + f"{rng.randint(1, 999):03d}"
        body = (f"{1 if person.gender == 'm' else 2}{person.birth.year % 100:02d}{person.birth.month:02d}"
                f"{birthplace}{rng.randint(1, 999):03d}")
        key = 97 - int(body) % 97
        form = style or rng.choices(("compact", "spaced", "key apart"), weights=(30, 55, 15))[0]
        if form == "compact":
            return f"{body}{key:02d}"
        if form == "key apart":  # "1850578006084 36": forms give the key its own two boxes
            return f"{body} {key:02d}"
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"
    if fill.gb:  # National Insurance number
        first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
        second = rng.choice([c for c in "ABCEGHJKLMNPRSTWXYZ" if first + c not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ")])
        number = f"{rng.randint(0, 999999):06d}"
        suffix = rng.choice("ABCD")
        if style == "compact" or (style is None and rng.random() < 0.3):
            return f"{first}{second}{number}{suffix}"
        return f"{first}{second} {number[:2]} {number[2:4]} {number[4:]} {suffix}"
    area = rng.choice([a for a in range(1, 900) if a != 666])
    number = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return number.replace("-", "") if style == "compact" or (style is None and rng.random() < 0.1) else number


def card(fill: Fill, style: str | None) -> str:
    rng = fill.rng
    if rng.random() < WORLD_CARD_SHARE:  # guard: cards-of-other-schemes
        prefix = rng.choice(column(_banking_lists()["world card prefixes"]))
        length = 19 if prefix in ("62", "5061") and rng.random() < 0.3 else 16
        number = luhn_completed(prefix + digits(rng, length - len(prefix) - 1))
    else:
        number = fill.fake.credit_card_number(card_type=rng.choice(column(_banking_lists()["card types"])))
    form = style or rng.choice(("spaces", "spaces", "dashes", "compact", "compact"))
    if form == "compact":
        return number
    sep = "-" if form == "dashes" else " "
    if len(number) in (14, 15):  # Diners groups 4-6-4, Amex 4-6-5
        return sep.join((number[:4], number[4:10], number[10:]))
    return group(number, 4, sep)


def account_number(fill: Fill) -> str:
    rng = fill.rng
    if rng.random() < WORLD_ACCOUNT_SHARE:
        return digits(rng, rng.randint(8, 12))
    if fill.fr:
        return f"{rng.randint(0, 10 ** 11 - 1):011d}"
    if fill.gb:
        return f"{rng.randint(0, 10 ** 8 - 1):08d}"
    return str(rng.randint(10 ** 9, 10 ** 12 - 1))


# Shapes of passwords (weights), as people make them: "Sunset#4821k" (word, symbol, digits), random
# characters, "Summer2024!Blue" (season or word, year, symbol, word), "P@ssw0rd#2021" and "Tr0ub4dor&3"
# (leetspeak), "xX_dragon_Xx" (gamer tag), "!Qaz2wsx" (keyboard walk), "correct-horse-battery-staple"
# and "blue.moon.river.42" (passphrase). Their words are in templates/_values/contact.txt.
PASSWORD_SHAPES = {"word": 18, "random": 16, "season": 18, "leet": 16, "gamer": 6, "walk": 10, "phrase": 16}
_PASSWORD_ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_SPECIALS = "#$&*@_-+=!?"
# Sentence punctuation never ends a password (a span edge there would read as the sentence's), and only
# '!' of it may start one ("!Qaz2wsx"): see the span edge rules of templates/README.md.
_PASSWORD_NO_END = ",;:!?.()[]"


def _leet(rng: random.Random, word: str) -> str:
    """'Password' -> 'P@ssw0rd', 'motdepasse' -> 'm0td3p@ss3': most replaceable letters replaced."""
    table = _leet_letters()
    return "".join(rng.choice(table[c.lower()]) if c.lower() in table and rng.random() < 0.7 else c for c in word)


def password(fill: Fill) -> str:
    """Never ends on sentence punctuation and holds no '%', quotes, spaces or brackets."""
    rng, lists = fill.rng, contact_lists()
    alnum, specials = _PASSWORD_ALNUM, _PASSWORD_SPECIALS
    word = lambda: rng.choice(column(lists["password words"]))  # noqa: E731
    year = lambda: str(rng.randint(1975, fill.today.year + 1))  # noqa: E731
    shape = rng.choices(list(PASSWORD_SHAPES), weights=list(PASSWORD_SHAPES.values()))[0]
    if shape == "word":
        value = f"{word()}{rng.choice(specials)}{rng.randint(10, 9999)}{rng.choice(alnum)}"
    elif shape == "random":
        middle = "".join(rng.choice(alnum + specials) for _ in range(rng.randint(8, 12)))
        value = rng.choice(alnum) + middle + rng.choice(specials) + rng.choice(alnum)
    elif shape == "season":  # "Summer2024!Blue", "Blue#House2021", "Hiver2023*"
        stem = rng.choice(column(lists["password seasons"])) if rng.random() < 0.6 else word()
        value = rng.choice((f"{stem}{year()}{rng.choice(specials)}{word()}",
                            f"{stem}{rng.choice(specials)}{word()}{year()}",
                            f"{stem}{year()[-2:]}{rng.choice('#$&*@_-+=')}",
                            f"{stem.lower()}{year()}{rng.choice(specials)}{word()}"))
    elif shape == "leet":  # "P@ssw0rd#2021", "Tr0ub4dor&3", "m0t2p@sse"
        stem = _leet(rng, word() if rng.random() < 0.7 else word().lower())
        value = rng.choice((f"{stem}{rng.choice(specials)}{year()}", f"{stem}{rng.choice('&#*+')}{rng.randint(1, 99)}",
                            f"{stem}{rng.randint(1, 9)}", stem + rng.choice(alnum)))
    elif shape == "gamer":  # "xX_dragon_Xx", "xXShadow99Xx"
        stem = rng.choice(column(lists["handle words"]))
        other = rng.choice(column(lists["handle words"]))
        value = rng.choice((f"xX_{stem}_Xx", f"xX{stem.capitalize()}{rng.randint(1, 99)}Xx",
                            f"xX_{_leet(rng, stem)}_Xx", f"{stem}_{other}{rng.randint(1, 999)}"))
    elif shape == "walk":  # "!Qaz2wsx", "1q2w3e4r$", "Azerty123!x"
        walk = rng.choice(column(lists["keyboard walks"]))
        value = rng.choice((f"!{walk}", f"{walk}{rng.randint(1, 999)}{rng.choice('#$&*@_-+=')}",
                            f"{rng.choice('#$*@')}{walk}{rng.randint(1, 99)}", f"{walk}{rng.choice(specials)}{year()}"))
    else:  # passphrase: "correct-horse-battery-staple", "blue.moon.river.42", "Maison_Soleil_1987"
        words = rng.sample(column(lists["passphrase words"]), rng.randint(3, 4))
        sep = rng.choice(("-", "-", ".", "_", ""))
        if sep == "" or rng.random() < 0.3:
            words = [w.capitalize() for w in words]
        value = sep.join(words) + (f"{sep or '-'}{rng.randint(1, 99)}" if rng.random() < 0.4 else "")
    while value[-1] in _PASSWORD_NO_END:
        value += rng.choice(alnum)
    return value


def ipv6(rng: random.Random) -> str:
    if rng.random() < 0.5:  # full form, as most logs print it
        groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
        if rng.random() < 0.3:  # a first group of letters only reads like a word: "ccbb:e269:..."
            groups[0] = "".join(rng.choice("abcdef") for _ in range(rng.randint(2, 4)))
        text = ":".join(groups)
        return text.upper() if rng.random() < 0.15 else text
    prefix = rng.choice((0x20010DB8 << 96, 0xFE80 << 112, 0x2A01 << 112 | rng.randint(0, 0xFFFF) << 96))
    return str(ipaddress.IPv6Address(prefix | rng.randint(0, 2 ** 64 - 1)))


def ipv4(fill: Fill, style: str | None) -> str:
    rng = fill.rng
    if style == "private" or (style is None and rng.random() < 0.35):
        return rng.choice((f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                           f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                           f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"))
    return fill.fake.ipv4_public()
