"""Sums of money: the number in the grouping styles of many countries, the currency beside it.

The currency (sign, code or name) stays outside the AMOUNT span, even when glued to the number.
"""

from __future__ import annotations

import random
from functools import cache
from typing import TYPE_CHECKING

from extract.synth.values import Rows, checked_lists, options

if TYPE_CHECKING:
    from extract.synth.fill import Fill

# Share of sums in another currency than the text's country's: "₹4,500", "zł58,481.62", "250 Swiss francs".
WORLD_CURRENCY_SHARE = 0.3
# Where a currency goes beside the number: (text before the number, text after it).
_POSITIONS = {"glued": lambda sign: (sign, None), "before": lambda sign: (sign + " ", None),
              "after": lambda sign: (None, " " + sign), "after glued": lambda sign: (None, sign)}


@cache
def _money_lists() -> dict[str, Rows]:
    """templates/_values/money.txt: currencies, home currencies, number styles."""
    return checked_lists("money", {"currencies": (5,), "home currencies": (4,), "number styles": (3,)})


def currencies() -> Rows:
    """(code, signs, English names, French names, decimals) of many countries' currencies."""
    return _money_lists()["currencies"]


@cache
def home_currency(locale: str) -> tuple[tuple[tuple[str | None, str | None], ...], tuple[int, ...]]:
    """((before, after), ...) and weights: how texts of `locale` write their own currency."""
    rows = [(_POSITIONS[position](text), int(weight))
            for owner, position, text, weight in _money_lists()["home currencies"] if owner == locale]
    return tuple(pair for pair, _ in rows), tuple(weight for _, weight in rows)


@cache
def _number_styles(lang: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """How the number of a sum is written, with weights: "comma" 1,234.56, "dot" 1.234,56,
    "space" 1 234,56, "plain" 1234.56 (1234,56 in French), "suffix" 998k / 0.4m / 0.001b."""
    rows = [(style, int(weight)) for owner, style, weight in _money_lists()["number styles"] if owner == lang]
    return tuple(style for style, _ in rows), tuple(weight for _, weight in rows)


def amount_text(fill: Fill, value: float, decimals: bool) -> str:
    """'12,400' or '12 400': a number in the text's own grouping, for figures that are not sums."""
    text = f"{value:,.2f}" if decimals else f"{round(value):,}"
    if fill.fr:  # 1 234,56
        text = text.replace(",", " ").replace(".", ",")
    return text


def grouped_number(value: float, decimals: int, thousands: str, point: str) -> str:
    """1234.5 -> '1,234.50' (thousands ',', point '.'), '1.234,50', '1 234,50', '1234.50' (thousands '')."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def magnitude_number(rng: random.Random, lang: str, value: float) -> str:
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


def money_number(rng: random.Random, lang: str, value: float, decimals: int, suffix_ok: bool = True) -> str:
    styles, weights = _number_styles(lang)
    style = rng.choices(list(styles), weights=list(weights))[0]
    if style == "suffix" and suffix_ok:
        return magnitude_number(rng, lang, value)
    if style == "space":  # French typography also writes a (narrow) no-break space
        space = rng.choices((" ", "\u00a0", "\u202f"), weights=(84, 8, 8))[0] if lang == "fr" else " "
        return grouped_number(value, decimals, space, ",")
    if style == "plain":
        return grouped_number(value, decimals, "", "," if lang == "fr" else ".")
    if style == "dot":
        return grouped_number(value, decimals, ".", ",")
    if style == "comma" or lang == "en":
        return grouped_number(value, decimals, ",", ".")
    return grouped_number(value, decimals, " ", ",")


def world_currency(rng: random.Random, lang: str) -> tuple[str | None, str | None, int]:
    """(text before the number, text after it, decimals) for a currency of any country."""
    code, signs, names_en, names_fr, decimals = rng.choice(currencies())
    kind = rng.choices(("sign", "code", "name"), weights=(50, 30, 20))[0]
    if kind == "name":
        return None, " " + rng.choice(options(names_fr if lang == "fr" else names_en)), int(decimals)
    if kind == "code":
        position = rng.choices(("before", "after", "glued"), weights=(45, 45, 10))[0]
        return _POSITIONS[position](code) + (int(decimals),)
    sign = rng.choice(options(signs))
    symbol = not sign[0].isalpha()  # "$", "₹", "R$" go before, glued; "zł", "Kč", "kr" mostly after
    weights = (60, 10, 20, 10) if symbol else (10, 30, 55, 5)
    position = rng.choices(("glued", "before", "after", "after glued"), weights=weights)[0]
    if position == "after glued" and sign.endswith("."):
        position = "after"
    return _POSITIONS[position](sign) + (int(decimals),)


def amount_parts(fill: Fill, variants: set[str]) -> tuple[str | None, str, str | None]:
    """(currency before, number, currency after) of one sum; the number alone is the AMOUNT,
    with its magnitude suffix if it has one ('998k')."""
    rng = fill.rng
    low, high = (2, 300) if "small" in variants else (1500, 95000) if "big" in variants else (15, 4000)
    # Prices carry cents; salaries and large sums are mostly whole (and rounded to tens).
    cents = rng.random() < (0.15 if "big" in variants else 0.65)
    if rng.random() < WORLD_CURRENCY_SHARE:
        before, after, decimals = world_currency(rng, fill.lang)
    else:
        choices, weights = home_currency(fill.locale)
        (before, after), decimals = rng.choices(choices, weights=weights)[0], 2
    if decimals == 4:  # bitcoin: small sums, many decimals
        text = grouped_number(rng.uniform(0.001, 2.5), 4, "", "," if fill.fr else ".")
    else:
        cents = cents and decimals > 0
        if cents:
            value = rng.uniform(low, high)
        else:
            step = 10 if high > 1000 else 1
            value = float(rng.randint(low, high) // step * step)
        text = money_number(rng, fill.lang, value, 2 if cents else 0, suffix_ok="small" not in variants)
    if after and text[-1].isalpha() and after[0].isalpha():  # "998k USD", never "998kUSD"
        after = " " + after
    return before, text, after
