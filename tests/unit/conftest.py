"""Fixtures of the unit tests."""
import pytest

from tests.unit.intake_client import make_intake


@pytest.fixture
def intake(sqlite_runtime):
    """intake's test client and runtime: active E001 and E002, inactive E900."""
    return make_intake(sqlite_runtime)
