"""Hostile input on the staff API over real PostgreSQL, which refuses NUL bytes that SQLite takes:
every answer is a clear 4xx, never a 500, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.reports.app import create_app as reports_app
from services.routing.models import history
from tests.support.routing import CHAIR, CITY, SECRET, submit

pytestmark = pytest.mark.integration
NUL = "e001\x00chair"


@pytest.fixture
def routing(pg_ledger):
    client = pg_ledger.test_client()
    client.rt, client.case_id = pg_ledger.rt, submit(pg_ledger.rt, "E001")
    return client


def written(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(history)).scalar()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/%00",
        "/api/v1/cases/abc%00def",
        "/api/v1/cases/" + "9" * 5000,
        "/api/v1/cases?q=%00",
        "/api/v1/cases?enterprise=E0%0001",
        "/api/v1/cases?county=%00",
        "/api/v1/cases?status=%00",
    ],
)
def test_hostile_reads_are_clear_errors(routing, path):
    response = routing.get(path, headers=CITY)
    assert response.status_code in (404, 422), response.get_json()
    assert response.get_json()["error"]["code"] in ("not_found", "invalid_fields")


@pytest.mark.parametrize(
    "action,body",
    [
        ("reassign", {"assignee_id": NUL}),
        ("merge", {"into": "\x00" * 36}),
        ("note", {"public_note": "a\x00b"}),
        ("resolve", {"resolution": "已解决\x00了吧"}),
        ("extend", {"reason": "复杂", "resolve_due": "2026-12-01\x00"}),
    ],
)
def test_hostile_actions_are_422_and_write_nothing(routing, action, body):
    before = written(routing.rt)
    response = routing.post(
        f"/api/v1/cases/{routing.case_id}/{action}", json={"version": 1, **body}, headers=CHAIR
    )
    assert response.status_code == 422, response.get_json()
    assert written(routing.rt) == before


def test_an_action_on_a_hostile_case_id_is_404(routing):
    response = routing.post("/api/v1/cases/%00/accept", json={"version": 1}, headers=CHAIR)
    assert response.status_code == 404


def test_a_hostile_log_in_is_a_clear_error(routing):
    response = routing.post("/api/v1/auth/token", json={"staff_id": NUL, "password": "x\x00"})
    assert response.status_code == 422 and "staff_id" in response.get_json()["error"]["fields"]


def test_hostile_report_queries_are_clear_errors(pg_runtime):
    client = reports_app(pg_runtime("reports", secret_key=SECRET)).test_client()
    for query in ("start=%00", "end=2026-01-01%00", "start=2026-01-01&colour=%00"):
        response = client.get(f"/api/v1/reports/summary?{query}", headers=CITY)
        assert response.status_code == 422, (query, response.get_json())
