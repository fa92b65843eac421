"""Synthetic Norwegian national identity numbers (fødselsnummer).

Layout: DDMMYY III K1 K2. Synthetic test numbers add 80 to the month (the range used by the
Norwegian test registry), so they can never be a real person's number. The individual number III
fixes the century, and its last digit the legal sex (odd = male). K1 and K2 are mod-11 check
digits; a check digit of 10 is impossible, so such an individual number is skipped.
"""

from __future__ import annotations

import datetime as dt
import random

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

SYNTHETIC_MONTH_OFFSET = 80


def _check(digits: list[int] | tuple[int, ...], weights: tuple[int, ...]) -> int:
    """The mod-11 check digit, or 10 when none exists."""
    k = 11 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if k == 11 else k


def _individual_ranges(year: int) -> tuple[tuple[int, int], ...]:
    if 1854 <= year <= 1899:
        return ((500, 749),)
    if 1900 <= year <= 1939:
        return ((0, 499),)
    if 1940 <= year <= 1999:
        return ((0, 499), (900, 999))
    if 2000 <= year <= 2039:
        return ((500, 999),)
    raise ValueError(f"no individual numbers for birth year {year}")


def _century(yy: int, individual: int) -> int | None:
    """The full birth year for a two-digit year and an individual number, or None."""
    if individual <= 499:
        return 1900 + yy
    if individual <= 749 and yy >= 54:
        return 1800 + yy
    if individual >= 900 and yy >= 40:
        return 1900 + yy
    if yy <= 39:
        return 2000 + yy
    return None


def make_fnr(birth_date: dt.date, male: bool, rng: random.Random | None = None) -> str:
    """A valid synthetic fødselsnummer (month + 80) for this birth date and legal sex."""
    rng = rng or random.Random()
    ranges = _individual_ranges(birth_date.year)
    head = (
        birth_date.day // 10,
        birth_date.day % 10,
        (birth_date.month + SYNTHETIC_MONTH_OFFSET) // 10,
        (birth_date.month + SYNTHETIC_MONTH_OFFSET) % 10,
        (birth_date.year % 100) // 10,
        birth_date.year % 10,
    )
    parity = 1 if male else 0
    while True:
        lo, hi = ranges[0] if len(ranges) == 1 else ranges[0 if rng.random() < 0.8 else 1]
        # Every range starts on an even number and holds an even count: pick the right parity.
        individual = lo + 2 * int(rng.random() * ((hi - lo + 1) // 2)) + parity
        digits = head + (individual // 100, (individual // 10) % 10, individual % 10)
        k1 = _check(digits, _W1)
        if k1 == 10:
            continue
        k2 = _check(digits + (k1,), _W2)
        if k2 == 10:
            continue
        return "".join(map(str, digits)) + str(k1) + str(k2)


def fnr_birth_date(fnr: str) -> dt.date | None:
    """The birth date a number encodes (synthetic, D-number and real forms), or None."""
    if len(fnr) != 11 or not fnr.isdigit():
        return None
    day, month, yy, individual = int(fnr[0:2]), int(fnr[2:4]), int(fnr[4:6]), int(fnr[6:9])
    if day > 40:  # D-number
        day -= 40
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    elif month > 40:  # H-number / older synthetic forms
        month -= 40
    year = _century(yy, individual)
    if year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def fnr_is_valid(fnr: str) -> bool:
    """True for a well-formed number with valid check digits and a real date.

    Accepts synthetic numbers (month + 80) as well as ordinary and D-numbers.
    """
    if not isinstance(fnr, str) or len(fnr) != 11 or not fnr.isdigit():
        return False
    digits = [int(c) for c in fnr]
    k1 = _check(digits[:9], _W1)
    if k1 == 10 or k1 != digits[9]:
        return False
    k2 = _check(digits[:10], _W2)
    if k2 == 10 or k2 != digits[10]:
        return False
    return fnr_birth_date(fnr) is not None


def fnr_is_synthetic(fnr: str) -> bool:
    """True for a valid number in the synthetic range (month + 80)."""
    return fnr_is_valid(fnr) and int(fnr[2:4]) > SYNTHETIC_MONTH_OFFSET


def fnr_is_male(fnr: str) -> bool:
    return int(fnr[8]) % 2 == 1
