"""A staff member removed, moved or given a new password loses the sessions opened before, in
routing at once and in every other service with staff endpoints through ``staff.revoked``."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from services.reports.app import create_app as reports_app
from services.routing import directory
from services.routing.models import outbox
from services.routing.revocations import revoke
from shared import auth, clock
from shared.uow import unit_of_work
from tests.support.events import deliver, payloads
from tests.support.routing import SECRET
from tests.unit.routing.test_handlers import demo_data, enterprise

CHAIR = auth.Staff("e001-chair", "enterprise_chair", "E001")


def header(staff: auth.Staff = CHAIR) -> dict:
    return {"Authorization": "Bearer " + auth.issue(SECRET, staff)}


def import_directory(rt, data: dict) -> None:
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.Directory.model_validate(data))


@pytest.fixture
def routing(ledger):
    ledger.application.extensions["xinsheng.revocations"].ttl = 0  # read the table on every request
    return ledger


def opened_before_revocation() -> dict:
    """A token whose second has passed before the revocation that follows."""
    token = header()
    time.sleep(1.05)
    return token


def test_a_chair_removed_from_the_directory_loses_the_open_session_and_the_others_learn_it(routing):
    token = opened_before_revocation()
    assert routing.get("/api/v1/cases", headers=token).status_code == 200
    data = demo_data()
    enterprise(data, "E001")["chair"] = None
    import_directory(routing.rt, data)

    refused = routing.get("/api/v1/cases", headers=token)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    [revoked] = payloads(routing.rt, "staff.revoked")
    assert (revoked.staff_id, revoked.reason) == ("e001-chair", "removed")
    assert (
        routing.get(
            "/api/v1/cases", headers=header(auth.Staff("c01-officer", "county_officer", "C01"))
        ).status_code
        == 200
    )


def test_a_chair_moved_to_another_enterprise_loses_the_old_scope(routing):
    token = opened_before_revocation()
    data = demo_data()
    moved = enterprise(data, "E001")["chair"]
    enterprise(data, "E001")["chair"], enterprise(data, "E002")["chair"] = None, moved
    import_directory(routing.rt, data)
    assert routing.get("/api/v1/cases", headers=token).status_code == 401
    revoked = {p.staff_id: p.reason for p in payloads(routing.rt, "staff.revoked")}
    assert revoked == {"e001-chair": "moved", "e002-chair": "removed"}


def test_re_importing_the_same_directory_revokes_nobody(routing):
    token = header()
    import_directory(routing.rt, demo_data())
    assert payloads(routing.rt, "staff.revoked") == []
    assert routing.get("/api/v1/cases", headers=token).status_code == 200


def test_a_session_opened_after_the_revocation_works(routing):
    with unit_of_work(routing.rt.engine, outbox, routing.rt.settings) as uow:
        revoke(uow, "e001-chair", "password_reset")
    time.sleep(1.05)  # a log-in after the reset, in a later second
    assert routing.get("/api/v1/cases", headers=header()).status_code == 200


def test_reports_refuses_a_revoked_session_once_the_event_arrives_and_keeps_the_latest(sqlite_runtime):
    rt = sqlite_runtime("reports", secret_key=SECRET)
    app = reports_app(rt)
    app.extensions["xinsheng.revocations"].ttl = 0
    client = app.test_client()
    token = opened_before_revocation()
    assert client.get("/api/v1/reports/summary", headers=token).status_code == 200

    from shared.events import StaffRevoked

    later = clock.now()
    deliver(rt, StaffRevoked(staff_id="e001-chair", revoked_at=later, reason="removed"))
    deliver(rt, StaffRevoked(staff_id="e001-chair", revoked_at=later - timedelta(days=1), reason="moved"))
    refused = client.get("/api/v1/reports/summary", headers=token)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_revoked"
    with rt.engine.connect() as conn:
        from services.reports.models import revocations

        [(stored,)] = conn.execute(revocations.select().with_only_columns(revocations.c.revoked_at)).all()
    assert stored == later  # the late, older event did not lower it


def test_a_process_reads_the_revocations_again_within_its_ttl(sqlite_runtime):
    rt = sqlite_runtime("reports", secret_key=SECRET)
    app = reports_app(rt)
    cache = app.extensions["xinsheng.revocations"]
    assert cache.ttl <= 60  # "within a minute in every service"
    from services.reports.models import revocations

    issued = clock.now() - timedelta(minutes=5)
    assert cache.refuses("e001-chair", issued) is False
    with rt.engine.begin() as conn:
        auth.record_revocation(conn, revocations, "e001-chair", clock.now())
    cache._read_at -= cache.ttl  # the ttl has passed
    assert cache.refuses("e001-chair", issued) is True
