"""Staff tokens and revocations keep the system's time: with CLOCK_OFFSET moved, a token issued before
a revocation is refused and one issued after it is accepted (shared/auth.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import MetaData, create_engine

from shared import auth, clock
from shared.db import revocations_table

SECRET = "auth-test"


@pytest.fixture
def revocations(tmp_path):
    metadata = MetaData()
    table = revocations_table(metadata)
    engine = create_engine(f"sqlite:///{tmp_path / 'auth.db'}")
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()
    clock.set_offset(None)


@pytest.mark.parametrize("offset", [timedelta(days=-3), timedelta(0), timedelta(days=9)])
def test_revocations_compare_in_the_systems_time_whatever_the_offset(revocations, offset):
    engine, table = revocations
    clock.set_offset(offset)
    before = auth.issue(SECRET, auth.Staff("e001-chair", "enterprise_chair", "E001"))
    staff, issued = auth._decode(SECRET, before)
    assert abs(issued - clock.now()) < timedelta(seconds=2)  # the system's now, not the machine's
    with engine.begin() as conn:
        auth.record_revocation(conn, table, "e001-chair", clock.now() + timedelta(seconds=2))
    clock.set_offset(offset + timedelta(seconds=3))
    after = auth.issue(SECRET, staff)
    seen = auth.Revocations(engine, table, ttl=0)
    assert seen.refuses("e001-chair", issued) is True
    assert seen.refuses("e001-chair", auth._decode(SECRET, after)[1]) is False


def test_a_token_of_before_this_change_still_opens(revocations):
    legacy = auth._serializer(SECRET).dumps(
        {"id": "c01-officer", "role": "county_officer", "org_code": "C01"}
    )
    assert auth.verify(SECRET, legacy) == auth.Staff("c01-officer", "county_officer", "C01")
