"""intake's test client and the small helpers its unit tests share (no broker, SQLite)."""

from __future__ import annotations

import sqlalchemy as sa

from shared import clock
from tests.conftest import seed_enterprises
from tests.support.events import deliver

URL = "/api/v1/grievances"
DEMAND = {"enterprise_code": "E001", "category": "wages", "description": "工资已经拖欠三个月了。"}


def make_intake(sqlite_runtime, **overrides):
    """intake's test client on a fresh database holding active E001, E002 and inactive E900."""
    from services.intake.app import create_app

    rt = sqlite_runtime("intake", **overrides)
    seed_enterprises(rt, "E001", "E002")
    seed_enterprises(rt, "E900", active=False)
    app = create_app(rt)
    app.testing = True
    return app.test_client(), rt


def post_json(client, body=None, headers=None, **demand):
    """POST a demand (DEMAND with ``demand`` merged in, or exactly ``body``) as JSON."""
    return client.post(URL, json=body if body is not None else {**DEMAND, **demand}, headers=headers or {})


def count_rows(rt, table: str, **where) -> int:
    query = f"SELECT count(*) FROM {table}" + "".join(
        f" {'AND' if i else 'WHERE'} {column} = :{column}" for i, column in enumerate(where)
    )
    with rt.engine.connect() as conn:
        return conn.execute(sa.text(query), where).scalar()


def stored(rt, table: str) -> list[dict]:
    with rt.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))]


def grievance_id(rt, code: str) -> str:
    with rt.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id FROM grievances WHERE tracking_code = :c"), {"c": code}
        ).scalar_one()


def move(rt, code: str, to: str, at=None, note: str | None = None, **extra) -> None:
    """routing says the demand's case moved to ``to`` (``at`` defaults to now)."""
    from shared import events

    gid = grievance_id(rt, code)
    deliver(
        rt,
        events.CaseStatusChanged(
            case_id=gid,
            grievance_id=gid,
            to=to,
            public_note=note,
            actor_role="enterprise_chair",
            at=at or clock.now(),
            **extra,
        ),
        producer="routing",
    )
