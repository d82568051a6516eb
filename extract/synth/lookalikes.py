"""Look-alikes: numbers and codes that resemble PII but are about no person, never labelled.

Order codes, versions, scores, barcodes...: the unlabelled {filler} placeholders of the templates.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Callable

from extract.synth.dates import months, ordinal, ordinal_fr, weekdays
from extract.synth.formats import ean_check
from extract.synth.money import amount_text
from extract.synth.text import digits, hex_digits
from extract.synth.places import country_name
from extract.synth.work import apps, products

if TYPE_CHECKING:
    from extract.synth.fill import Fill


def _en_fr(en: Callable[[random.Random], str], fr: Callable[[random.Random], str]) -> Callable[[Fill], str]:
    return lambda fill: fr(fill.rng) if fill.fr else en(fill.rng)


def _yearly_code(forms: Callable[[random.Random, int], list[str]],
                 french_forms: Callable[[random.Random, int], list[str]]) -> Callable[[Fill], str]:
    """Order and invoice numbers, some with the year: French texts also write the French forms."""
    def make(fill: Fill) -> str:
        r, year = fill.rng, fill.today.year
        choices = forms(r, year)
        if fill.fr:
            choices += french_forms(r, year)
        return r.choice(choices)
    return make


_order_code = _yearly_code(lambda r, year: [f"ORD-{year}-{r.randint(1, 99999):05d}", f"#{r.randint(10000, 99999)}"],
                           lambda r, year: [f"CMD-{year}-{r.randint(1, 99999):05d}", f"n° {r.randint(100000, 999999)}"])
_invoice_code = _yearly_code(lambda r, year: [f"INV-{r.randint(10000, 99999)}", f"INV-{year}-{r.randint(1, 9999):04d}"],
                             lambda r, year: [f"FAC-{year}-{r.randint(1, 9999):04d}", f"F{year}{r.randint(100, 999)}"])


def _ticket_code(fill: Fill) -> str:
    r = fill.rng
    return r.choice((f"TCK-{r.randint(1000, 9999)}", f"#{r.randint(10000, 99999)}", f"INC{r.randint(0, 9999999):07d}"))


def _reference(fill: Fill) -> str:
    r = fill.rng
    letters = "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return r.choice((f"REF-{r.randint(1000, 9999)}-{r.choice('ABCDEFGHK')}", f"{letters}{r.randint(100000, 999999)}",
                     f"TX{r.randint(10 ** 7, 10 ** 8 - 1)}"))


def _tracking_code(fill: Fill) -> str:
    r = fill.rng
    if fill.fr:  # Colissimo / La Poste shapes
        return r.choice((f"6A{digits(r, 11)}", f"8R{digits(r, 11)}", f"XY{digits(r, 9)}FR"))
    ups = "".join(r.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(16))
    return r.choice((f"1Z{ups}", f"TRK{r.randint(10 ** 9, 10 ** 10 - 1)}"))


def _version(fill: Fill) -> str:
    r = fill.rng
    return r.choice((f"v{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 30)}",
                     f"{r.randint(1, 15)}.{r.randint(0, 9)}.{r.randint(0, 20)}", f"v{r.randint(1, 9)}.{r.randint(0, 12)}"))


def _model_number(fill: Fill) -> str:
    """'XR-2200', 'K48', 'Pro 7': product model numbers, look-alikes of codes and postcodes."""
    r, letters = fill.rng, "ABCDEFGHKLMRSTVXZ"
    return r.choice((f"{r.choice(letters)}{r.choice(letters)}-{r.randint(100, 9900)}",
                     f"{r.choice(letters)}{r.randint(10, 990)}",
                     f"{r.choice(('Pro', 'Max', 'Lite', 'Series'))} {r.randint(2, 12)}"))


def _build_number(fill: Fill) -> str:
    """'10.0.19045.3803', 'v4.2.1.2201': four-part versions, one part above 255 so none is an IPv4."""
    r = fill.rng
    return r.choice((f"10.0.{r.randint(17000, 26000)}.{r.randint(100, 4000)}",
                     f"{r.choice(('v', ''))}{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(256, 9999)}",
                     f"{r.randint(1, 30)}.{r.randint(0, 9)}.{r.randint(1000, 6000)}.{r.randint(0, 200)}"))


def _big_count(fill: Fill) -> str:
    """'12k', '2.4M', '1,2 M': counts of views, downloads, followers, written like sums but not money."""
    r, point = fill.rng, "," if fill.fr else "."
    value = r.choice((f"{r.randint(2, 999)}{r.choice(('k', 'K'))}", f"{r.randint(1, 99) / 10:g}".replace(".", point) + "M",
                      f"{r.randint(11, 99) / 10:g}".replace(".", point) + r.choice(("k", "m"))))
    return value if not fill.fr or r.random() < 0.5 else value.replace("M", " M").replace("k", " k")


def _ean13(fill: Fill) -> str:
    """A product barcode (EAN-13 with its check digit): 13 digits like an old Visa card number."""
    body = fill.rng.choice(("400", "300", "500", "590", "800", "871", "978")) + digits(fill.rng, 9)
    return body + ean_check(body)


def _of_month(fill: Fill) -> str:
    """'of March'; in French the elision a month name needs: 'de mars', 'd'avril', 'd'octobre'."""
    if not fill.fr:
        return f"of {fill.rng.choice(months('en'))}"
    month = fill.rng.choice(months("fr"))
    return f"d'{month}" if month[0] in "ao" else f"de {month}"


def _item_count(fill: Fill) -> str:
    n = fill.rng.randint(1, 9)
    word = "article" if fill.fr else "item"
    return f"{n} {word}{'s' * (n > 1)}"


# The filler placeholders a template may use, by name, and their makers.
FILLERS: dict[str, Callable[[Fill], str]] = {
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
    "floor": _en_fr(lambda r: ordinal(r.randint(1, 12)), lambda r: ordinal_fr(r.randint(1, 12))),
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
    "sha": lambda f: hex_digits(f.rng, 7),
    "product": lambda f: f.rng.choice(products(f.lang)),
    "app": lambda f: f.rng.choice(apps()),
    "country": country_name,
    "gb": lambda f: f"{f.rng.choice((2, 4, 8, 16, 50, 100))} {'Go' if f.fr else 'GB'}",
    "kg": lambda f: f"{f.rng.randint(1, 30)} kg",
    "policy": lambda f: f"POL-{f.rng.randint(100000, 999999)}",
    # Numbers of ordinary prose (history, sport, recipes, reviews): never about a person.
    "old_year": lambda f: str(f.rng.randint(1550, 1995)),
    "decade": lambda f: str(f.rng.randint(192, 201) * 10),
    "score": lambda f: (lambda a: f"{a}-{f.rng.randint(0, a - 1)}")(f.rng.randint(1, 5)),  # winner first
    "temp": lambda f: str(f.rng.randint(-4, 34)),
    "model": _model_number,
    "thousands": lambda f: amount_text(f, f.rng.randint(12, 950) * 100, False),
    "km": lambda f: f"{f.rng.choice((3, 5, 8, 10, 12, 15, 21))} km",
    "grams": lambda f: f"{f.rng.randint(2, 20) * 25} g",
    "ordinal": _en_fr(lambda r: ordinal(r.randint(2, 40)), lambda r: ordinal_fr(r.randint(2, 40))),
    "isbn": lambda f: f"978-{f.rng.randint(0, 2)}-{digits(f.rng, 2)}-{digits(f.rng, 6)}-{digits(f.rng, 1)}",
    "month": lambda f: months(f.lang)[f.rng.randint(0, 11)],
    "of_month": _of_month,
    "weekday": lambda f: weekdays(f.lang)[f.rng.randint(0, 6)],
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
