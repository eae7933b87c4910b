"""Fixtures of companion's unit tests: its test client (tests.support.companion) and the clock,
put back after each test."""

from datetime import date

import pytest

from shared import clock
from tests.support.companion import make_companion, now_is, put_schedule


@pytest.fixture(autouse=True)
def _clock_back():
    yield
    clock.set_offset(None)


@pytest.fixture
def companion(sqlite_runtime):
    """companion's test client: the enterprises of tests.support.companion, routing's 2026 calendar."""
    return make_companion(sqlite_runtime)


@pytest.fixture
def bare(sqlite_runtime):
    """companion's test client before routing published any calendar (the package's 2026 only)."""
    return make_companion(sqlite_runtime, calendar=False)


@pytest.fixture
def wednesdays(companion):
    """The client on Wednesday 30 September 2026, 10:00 in China, E001's day set to Wednesday from
    1 September: its days are 2, 9, 16, 23 and 30 September, then Thursday 8 October (国庆节 moved the
    7th), 14 October …"""
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 2, starts_on="2026-09-01")
    assert answer.status_code == 200, answer.get_json()
    return companion
