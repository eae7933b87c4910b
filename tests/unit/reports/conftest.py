"""Fixtures of reports' unit tests."""

import pytest

from tests.unit.reports.test_reports import Client, seed_enterprises


@pytest.fixture
def client(sqlite_runtime):
    """reports' test client on its own facts (the enterprises of test_reports), as the city officer."""
    rt = sqlite_runtime("reports")
    seed_enterprises(rt)
    return Client(rt)
