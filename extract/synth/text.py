"""Small text helpers of the value makers: names without accents or in a case, runs of digits.

Names reach e-mails and logins in ASCII, templates ask for capitals, identifiers need digit runs.
"""

from __future__ import annotations

import random
import re
import unicodedata
from functools import cache

from extract.synth.values import Rows, checked_lists, translation


@cache
def letter_tables() -> dict[str, Rows]:
    """templates/_values/letters.txt: Latin letters without a decomposition, Cyrillic, apostrophes."""
    return checked_lists("letters", {"latin letters": (2,), "cyrillic": (2,), "cyrillic by locale": (3,),
                                     "apostrophes": (2,)})


@cache
def _latin_letters() -> dict[int, str]:
    """'ł' -> 'l', 'ß' -> 'ss': letters that Unicode does not decompose into a base letter and an accent."""
    return translation(letter_tables()["latin letters"])


def ascii_form(text: str) -> str:
    """'Jean-Rémi D'Angelo' -> 'jean-remi dangelo', 'Łukasz Yıldız' -> 'lukasz yildiz': the form
    names take in emails and logins."""
    plain = unicodedata.normalize("NFKD", text.translate(_latin_letters())).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9 -]", "", plain.lower())


def slug(text: str, sep: str = "") -> str:
    return re.sub(r"[ -]+", sep, ascii_form(text)).strip(sep)


def strip_accents(text: str) -> str:
    """'Lefèvre Cœur' -> 'Lefevre Coeur': how names come out of keyboards without accents."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_latin_letters()))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cap_slug(text: str) -> str:
    """'van der Berg' -> 'VanDerBerg', 'Łukasz' -> 'Lukasz': a name as people type it into a handle."""
    return "".join(word[:1].upper() + word[1:] for word in strip_accents(text).translate(_latin_letters()).split()
                   if word.isascii() and word.replace("-", "").replace("'", "").isalnum()).replace("'", "") or "User"


def cased(value: str, variants: set[str]) -> str:
    """The `upper` / `lower` / `ascii` variants: 'Hélène' -> 'HÉLÈNE', 'hélène', 'Helene' ('lower+ascii': 'helene')."""
    if "ascii" in variants:
        value = strip_accents(value)
    if "upper" in variants:
        value = value.upper()
    if "lower" in variants:
        value = value.lower()
    return value


def digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(count))


def hex_digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(count))


def draw_shape(rng: random.Random, shape: str) -> str:
    """'A#A #A#' -> 'K2P 4B7': '#' a digit, 'A' a capital letter, 'N' a digit from 2 to 9."""
    return "".join(str(rng.randint(0, 9)) if c == "#" else str(rng.randint(2, 9)) if c == "N"
                   else rng.choice("ABCEGHJKLMNPRSTVWXY") if c == "A" else c for c in shape)


def group(text: str, size: int = 4, sep: str = " ") -> str:
    """'FR7630001007941234567890185' -> 'FR76 3000 1007 ...': a long number in blocks."""
    return sep.join(text[i:i + size] for i in range(0, len(text), size))
