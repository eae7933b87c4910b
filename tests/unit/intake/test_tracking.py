"""Tracking codes (DESIGN §4): unguessable, no look-alike symbols, a check symbol that catches typos."""

from __future__ import annotations

import math
import re

import pytest

from services.intake import tracking

LOOK_ALIKES = "0O1IL"
GROUP = f"[{tracking.ALPHABET}]{{4}}"
CODE_SHAPE = re.compile(f"^{GROUP}-{GROUP}-{GROUP}$")
SAMPLE = 200


def symbols(code: str) -> str:
    return code.replace("-", "")


def shown(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def substitutions(raw: str):
    """Every code that differs from ``raw`` in exactly one symbol."""
    for i, original in enumerate(raw):
        for other in tracking.ALPHABET:
            if other != original:
                yield raw[:i] + other + raw[i + 1 :]


def transpositions(raw: str):
    """Every code made by swapping two neighbouring, different symbols of ``raw``."""
    for i in range(len(raw) - 1):
        if raw[i] != raw[i + 1]:
            yield raw[:i] + raw[i + 1] + raw[i] + raw[i + 2 :]


@pytest.fixture(scope="module")
def sample_codes() -> list[str]:
    return [tracking.new() for _ in range(SAMPLE)]


def test_code_is_shown_as_three_groups_of_four_symbols():
    for _ in range(100):
        assert CODE_SHAPE.match(tracking.new())


def test_alphabet_has_no_look_alike_symbols():
    assert not set(LOOK_ALIKES) & set(tracking.ALPHABET)
    assert len(set(tracking.ALPHABET)) == len(tracking.ALPHABET)


def test_codes_use_only_alphabet_symbols(sample_codes):
    used = set("".join(symbols(code) for code in sample_codes))
    assert used <= set(tracking.ALPHABET)
    assert not used & set(LOOK_ALIKES)


def test_code_carries_at_least_50_random_bits():
    assert tracking.RANDOM_SYMBOLS * math.log2(len(set(tracking.ALPHABET))) >= 50
    # the random part plus one check symbol
    assert len(symbols(tracking.new())) == tracking.RANDOM_SYMBOLS + 1


def test_generated_code_is_its_own_normal_form(sample_codes):
    assert all(tracking.normalize(code) == code for code in sample_codes)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: symbols(code),
        lambda code: symbols(code).lower(),
        lambda code: " ".join(code.split("-")),
        lambda code: f"  {code[:2]} {code[2:]}  ",
    ],
    ids=["lowercase", "no-dashes", "lowercase-no-dashes", "spaces-for-dashes", "stray-spaces"],
)
def test_normalize_accepts_the_code_as_people_type_it(typed):
    code = tracking.new()
    assert tracking.normalize(typed(code)) == code


@pytest.mark.parametrize("text", ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JK0N", "ABCD-EFGH-JK!N"])
def test_normalize_refuses_what_is_not_a_code(text):
    assert tracking.normalize(text) is None


def test_check_symbol_catches_every_single_symbol_substitution(sample_codes):
    missed = [
        (code, shown(wrong))
        for code in sample_codes
        for wrong in substitutions(symbols(code))
        if tracking.normalize(wrong) is not None
    ]
    assert missed == []


def test_check_symbol_catches_every_adjacent_transposition(sample_codes):
    missed = [
        (code, shown(wrong))
        for code in sample_codes
        for wrong in transpositions(symbols(code))
        if tracking.normalize(wrong) is not None
    ]
    assert missed == []


def test_ten_thousand_generated_codes_are_distinct():
    codes = [tracking.new() for _ in range(10_000)]
    assert len(set(codes)) == len(codes)
