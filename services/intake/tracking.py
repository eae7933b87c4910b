"""Tracking codes: the worker's only key to a demand.

Eleven random symbols from a 31-symbol alphabet with no look-alikes (no 0/O, 1/I/L) give
54 random bits; a twelfth is a check symbol (position-weighted sum mod 31, a prime, so any
single wrong symbol and any swap of two neighbours is caught). Shown as ``XXXX-XXXX-XXXX``.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_SYMBOLS = 11
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def _check(symbols: str) -> str:
    return ALPHABET[sum((i + 1) * _INDEX[c] for i, c in enumerate(symbols)) % len(ALPHABET)]


def new() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    code = body + _check(body)
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalize(text: str) -> str | None:
    """The canonical form of a code as typed (any case, spaces or dashes), or None if it is not one."""
    raw = "".join(ch for ch in text.upper() if ch not in " -")
    if len(raw) != RANDOM_SYMBOLS + 1 or any(ch not in _INDEX for ch in raw):
        return None
    if _check(raw[:-1]) != raw[-1]:
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
