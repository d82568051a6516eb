"""The check digits real identifiers carry: IBAN mod-97 and the Luhn digit of card numbers.

Shared by the synthetic corpus (which makes valid ones), the label maps (which tell an IBAN from
an account number) and the `fake` operator (whose surrogates stay valid).
"""

from __future__ import annotations


def mod97(text: str) -> int:
    """An alphanumeric string as ISO 7064 reads it (A=10 ... Z=35), modulo 97."""
    return int("".join(str(int(c, 36)) for c in text)) % 97


def iban_valid(compact: str) -> bool:
    """Whether an IBAN without spaces has its check digits right (its first 4 characters moved last: 1)."""
    return len(compact) >= 5 and compact.isalnum() and compact.isascii() and mod97(compact[4:] + compact[:4]) == 1


def luhn_completed(partial: str) -> str:
    """`partial` followed by the Luhn check digit."""
    total = 0
    for i, digit in enumerate(reversed(partial)):
        value = int(digit) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return partial + str((10 - total % 10) % 10)
