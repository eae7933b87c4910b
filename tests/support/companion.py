"""companion's test client (no broker, SQLite): five enterprises in two counties with their chairs,
delivered as routing's ``enterprise.updated``; staff tokens; the clock fixed at a moment in China;
the working calendar delivered as ``calendar.year_loaded``; the tables as rows, to compare."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from services.companion.app import create_app
from services.routing import calendar as routing_calendar
from shared import clock, events
from tests.support.events import deliver
from tests.support.routing import SECRET, as_

__all__ = ["SECRET", "as_"]

# code → (name, county, county name, chair, active). E001 and E011 lie in C01, E002 and E021 in C02;
# E021 has no chair; E900 (C01) is no longer active.
ENTERPRISES = {
    "E001": ("城关机械厂", "C01", "城关区", "e001-chair", True),
    "E011": ("城关纺织厂", "C01", "城关区", "e011-chair", True),
    "E002": ("高新电子厂", "C02", "高新区", "e002-chair", True),
    "E021": ("高新食品厂", "C02", "高新区", None, True),
    "E900": ("城关老厂", "C01", "城关区", "e900-chair", False),
}

CHAIR = as_("e001-chair", "enterprise_chair", "E001")
CHAIR_11 = as_("e011-chair", "enterprise_chair", "E011")
CHAIR_2 = as_("e002-chair", "enterprise_chair", "E002")
CHAIR_900 = as_("e900-chair", "enterprise_chair", "E900")
COUNTY = as_("c01-officer", "county_officer", "C01")
COUNTY_2 = as_("c02-officer", "county_officer", "C02")
CITY = as_("city-officer-1", "city_officer", "city")
ADMIN = as_("admin-1", "admin", "city")

TABLES = (
    "enterprises",
    "schedules",
    "cancellations",
    "visits",
    "revocations",
    "calendar_days",
    "calendar_years",
    "outbox",
)


def enterprise_updated(code: str, **changes) -> events.EnterpriseUpdated:
    """routing's ``enterprise.updated`` of one of ENTERPRISES, with ``changes``."""
    name, county, county_name, chair, active = ENTERPRISES[code]
    fields = dict(
        code=code,
        name=name,
        county_code=county,
        county_name=county_name,
        active=active,
        has_chair=chair is not None,
        chair_id=chair,
    )
    return events.EnterpriseUpdated(**(fields | changes))


def year_loaded(
    year: int, days: dict[date, tuple[bool, str]], source: str = "test"
) -> events.CalendarYearLoaded:
    """routing's ``calendar.year_loaded``: ``days`` maps a day to (a working day?, why)."""
    return events.CalendarYearLoaded(
        year=year,
        source=source,
        days=tuple(events.CalendarDay(day=d, workday=w, name=n) for d, (w, n) in sorted(days.items())),
    )


def shipped_2026() -> events.CalendarYearLoaded:
    """The 2026 notice the project ships, as routing publishes it after ``calendar import``."""
    schedule = routing_calendar.read(routing_calendar.SHIPPED / "2026.yaml")
    return year_loaded(schedule.year, schedule.differences(), schedule.source)


def make_companion(sqlite_runtime, *, calendar: bool = True):
    """companion's test client (``client.rt``: its runtime) with ENTERPRISES delivered and, unless
    ``calendar`` is False, routing's 2026 calendar. Revocations are read on every request."""
    rt = sqlite_runtime("companion", secret_key=SECRET)
    for code in ENTERPRISES:
        deliver(rt, enterprise_updated(code), producer="routing")
    if calendar:
        deliver(rt, shipped_2026(), producer="routing")
    app = create_app(rt)
    app.testing = True
    app.extensions["xinsheng.revocations"].ttl = 0
    client = app.test_client()
    client.rt = rt
    return client


# -- the clock -------------------------------------------------------------------------------------
def now_is(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """Move the clock so that it is ``day`` at ``hour:minute`` in China; that moment, in UTC."""
    moment = clock.day_start(day) + timedelta(hours=hour, minutes=minute)
    clock.set_offset(timedelta(0))
    clock.set_offset(moment - clock.now())
    return moment


def machine_now() -> datetime:
    """The machine's own time (what a token's timestamp is), whatever the clock's offset."""
    return clock.now() - clock.offset()


# -- the API ---------------------------------------------------------------------------------------
def visit_body(day: date | str, code: str = "E001", **changes) -> dict:
    body = {
        "enterprise_code": code,
        "day": str(day),
        "workshops": ["一车间", "装配车间"],
        "workers_met": 12,
        "summary": "与一线职工座谈，了解加班和食堂问题。",
    }
    return body | changes


def put_schedule(client, weekday: int, code: str = "E001", headers=None, **fields):
    """Set the schedule (as the city officer by default); the answer."""
    body = {"weekday": weekday, **fields}
    return client.put(f"/api/v1/schedules/{code}", json=body, headers=headers or CITY)


def record(client, day: date | str, code: str = "E001", headers=None, **changes):
    return client.post("/api/v1/visits", json=visit_body(day, code, **changes), headers=headers or CHAIR)


def cancel(client, day: date | str, code: str = "E001", reason: str = "厂区停电检修", headers=None):
    return client.post(
        f"/api/v1/schedules/{code}/days/{day}/cancel", json={"reason": reason}, headers=headers or CHAIR
    )


def shown_days(client, code: str = "E001", start: date | None = None, weeks: int = 8, headers=None) -> dict:
    """The days the schedule shows: day (ISO) → that day's entry."""
    query = f"?weeks={weeks}" + (f"&start={start}" if start else "")
    answer = client.get(f"/api/v1/schedules/{code}{query}", headers=headers or CITY)
    assert answer.status_code == 200, answer.get_json()
    return {d["day"]: d for d in answer.get_json()["days"]}


def error(answer) -> tuple[int, str]:
    """An error answer's status and code (and that it is the one JSON error shape)."""
    body = answer.get_json()
    assert answer.mimetype == "application/json", answer.data[:200]
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), body
    return answer.status_code, body["error"]["code"]


# -- the tables ------------------------------------------------------------------------------------
def rows(rt, table: str) -> list[dict]:
    with rt.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))]


def snapshot(rt) -> dict[str, list[dict]]:
    """Every table companion writes, as rows: what must stay the same when a request is refused."""
    return {table: rows(rt, table) for table in TABLES}
