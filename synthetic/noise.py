"""Source noise: how one real identity comes out different in each agency's records."""

from __future__ import annotations

import random
from datetime import date

from synthetic.names import NICKNAMES

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: random.Random, text: str) -> str:
    """One keying error: a swapped, dropped, doubled or wrong letter (never the first letter)."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice(_LETTERS) + text[i + 1 :]


def first_name_variant(rng: random.Random, first: str, p_nickname: float, p_typo: float) -> str:
    r = rng.random()
    nicks = NICKNAMES.get(first, ())
    if nicks and r < p_nickname:
        return rng.choice(nicks)
    if r > 1 - p_typo:
        return typo(rng, first)
    return first


def dob_variant(rng: random.Random, dob: date, p_swap: float, p_typo: float) -> date:
    """Day and month transposed (where both could be months), or one digit mistyped."""
    variant = _dob_variant(rng, dob, p_swap, p_typo)
    # a keying error never makes an adult younger than 16 at the reference date
    return variant if variant.year <= 2010 or variant <= dob else dob


def _dob_variant(rng: random.Random, dob: date, p_swap: float, p_typo: float) -> date:
    r = rng.random()
    if r < p_swap and dob.day <= 12 and dob.day != dob.month:
        try:
            return date(dob.year, dob.day, dob.month)
        except ValueError:
            return dob
    if r < p_swap + p_typo:
        kind = rng.randrange(3)
        try:
            if kind == 0:
                return dob.replace(day=dob.day + 1 if dob.day < 28 else dob.day - 1)
            if kind == 1:
                return dob.replace(year=dob.year + rng.choice((-1, 1)))
            # year digits transposed within the decade, e.g. 1987 -> 1978
            y = dob.year
            swapped = (y // 100) * 100 + (y % 10) * 10 + (y // 10) % 10
            return dob.replace(year=swapped) if abs(swapped - y) <= 30 else dob.replace(year=y - 10)
        except ValueError:
            return dob
    return dob
