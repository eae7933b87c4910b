"""Fixtures of the unit tests."""

import pytest

from tests.support.intake import make_intake
from tests.support.routing import make_ledger


@pytest.fixture
def intake(sqlite_runtime):
    """intake's test client and runtime: active E001 and E002, inactive E900."""
    return make_intake(sqlite_runtime)


@pytest.fixture
def ledger(sqlite_runtime):
    """routing's test client on the demo directory with five cases (see tests.support.routing)."""
    return make_ledger(sqlite_runtime)
