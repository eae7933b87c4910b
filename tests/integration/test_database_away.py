"""A database that goes away while workers submit: a 503 with Retry-After (never a 500), and no log
line holds the worker's identity or the statement's parameters."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from harness.private import PG_ADMIN_URL
from services.intake.app import create_app
from tests.conftest import seed_enterprises
from tests.support.intake import count_rows

pytestmark = pytest.mark.integration
MARK = uuid.uuid4().hex[:12]
NAMED = {
    "enterprise_code": "E001",
    "category": "wages",
    "description": f"工资拖欠 marker-{MARK}",
    "anonymous": False,
    "contact": {"name": f"工人{MARK[:6]}", "phone": "13912345678", "email": f"w-{MARK}@example.org"},
}


class Outage:
    """Refuse new connections to one database and cut the ones it has."""

    def __init__(self, url: sa.URL):
        self.name = url.database
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def begin(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": self.name},
            )

    def end(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
        self.admin.dispose()


@pytest.fixture
def intake_on_pg(pg_runtime):
    rt = pg_runtime("intake")
    seed_enterprises(rt, "E001")
    app = create_app(rt)
    app.testing = True
    client = app.test_client()
    assert client.get("/api/v1/enterprises").status_code == 200  # the pool holds a live connection
    return client, rt


def test_a_named_demand_while_the_database_is_away_is_503_and_no_log_holds_the_worker(intake_on_pg, caplog):
    client, rt = intake_on_pg
    caplog.set_level(logging.DEBUG)
    outage = Outage(rt.engine.url)
    outage.begin()
    try:
        api = client.post("/api/v1/grievances", json=NAMED)
        page = client.post(
            "/",
            data={
                "enterprise_code": "E001",
                "category": "wages",
                "description": NAMED["description"],
                "anonymous": "false",
                "contact_phone": "13912345678",
            },
        )
    finally:
        outage.end()

    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json()["error"]["code"] == "unavailable"
    assert page.status_code == 503 and page.mimetype == "text/html" and page.headers["Retry-After"] == "5"
    logged = "\n".join(f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)
    assert "database unavailable" in logged
    for secret in (MARK, "13912345678", "parameters:"):
        assert secret not in logged, secret
    # Back again: the next submission is stored, and only it.
    assert client.post("/api/v1/grievances", json=NAMED).status_code == 201
    assert count_rows(rt, "grievances") == 1
