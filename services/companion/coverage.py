"""Was the programme held? Coverage per county and week: the companion days held out of those due
(both numbers; a day called off beforehand is no miss and is not due), the days missed and still
open, and each enterprise's streak of days held."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from services.companion import days
from services.companion.models import enterprises, schedules
from services.companion.programme import in_scope
from shared import auth, clock


def day_outcomes(conn, staff: auth.Staff | None, first: date, last: date) -> list[tuple]:
    """(county code, county name, enterprise, day, status) of every companion day from ``first`` to
    ``last`` of the enterprises ``staff`` may see (all of them for None)."""
    query = select(schedules, enterprises.c.county_code, enterprises.c.county_name).join(
        enterprises, enterprises.c.code == schedules.c.enterprise_code
    )
    if staff is not None:
        query = query.where(in_scope(staff))
    cal, today, found = days.calendar(conn), clock.today(), []
    for plan in conn.execute(query.order_by(schedules.c.enterprise_code)).all():
        coming = days.companion_days(plan.weekday, plan.starts_on, first, last, cal)
        for d in days.with_status(conn, plan.enterprise_code, coming, today, cal):
            found.append((plan.county_code, plan.county_name, plan.enterprise_code, d["day"], d["status"]))
    return found


def coverage(conn, staff: auth.Staff, first: date, last: date) -> dict:
    weeks: dict[tuple[str, date], Counter] = defaultdict(Counter)
    names: dict[str, str] = {}
    by_enterprise: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for county, name, code, day, status in day_outcomes(conn, staff, first, last):
        names[county] = name
        weeks[(county, day - timedelta(days=day.weekday()))][status] += 1
        by_enterprise[code].append((day, status))
    counties = []
    for county in sorted(names):
        rows = [
            _counts(n) | {"week": week}
            for (c, week), n in sorted(weeks.items(), key=lambda kv: kv[0][1])
            if c == county
        ]
        total = sum((weeks[k] for k in weeks if k[0] == county), Counter())
        counties.append(
            {"county_code": county, "county_name": names[county], **_counts(total), "weeks": rows}
        )
    streaks = [
        {"enterprise_code": code, "streak": _streak(found)} for code, found in sorted(by_enterprise.items())
    ]
    return {"start": first, "end": last, "counties": counties, "enterprises": streaks}


def _counts(n: Counter) -> dict:
    """Held out of due (held, missed and still open: a day called off is not due), and the rest."""
    return {
        "held": n["held"],
        "due": n["held"] + n["missed"] + n["open"],
        "missed": n["missed"],
        "open": n["open"],
        "cancelled": n["cancelled"],
        "scheduled": n["scheduled"],
    }


def _streak(found: list[tuple[date, str]]) -> int:
    """Days held in a row up to the latest decided one (a day called off neither breaks nor counts)."""
    streak = 0
    for _, status in sorted(found, reverse=True):
        if status in ("scheduled", "open", "cancelled"):
            continue
        if status != "held":
            break
        streak += 1
    return streak
