"""Was the day held? The worker decides each companion day once its visit can no longer be recorded
(the end of the next working day): held, called off beforehand, or missed. A missed day is kept and
told to the county union (``companion_day.missed``, its officers as recipients; notify mails them),
in the same transaction, once; every day decided is published once as ``companion_day.decided``
(reports counts the days held for the public scoreboard). Schedules are claimed ``FOR UPDATE SKIP LOCKED`` a batch at a time,
so several workers share the work; ``checked_until`` remembers how far each schedule is decided,
across restarts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, update

from services.companion import days
from services.companion.config import Settings
from services.companion.models import enterprises, missed_days, outbox, schedules
from shared import clock, events
from shared.db import insert_ignore
from shared.uow import Unit, unit_of_work

BATCH = 50
DECIDED = ("held", "cancelled", "missed")


def find_missed(engine: Engine, settings: Settings) -> int:
    """Look at every schedule not decided up to yesterday, a batch per transaction; how many missed
    days were found. Returns when all were looked at (the sweep then waits)."""
    found, after = 0, ""
    while True:
        with unit_of_work(engine, outbox, settings) as uow:
            plans = uow.conn.execute(
                select(
                    schedules, enterprises.c.name, enterprises.c.county_code, enterprises.c.county_officers
                )
                .join(enterprises, enterprises.c.code == schedules.c.enterprise_code)
                .where(
                    schedules.c.enterprise_code > after,
                    schedules.c.checked_until.is_(None)
                    | (schedules.c.checked_until < clock.today() - timedelta(days=1)),
                )
                .order_by(schedules.c.enterprise_code)
                .limit(BATCH)
                .with_for_update(of=schedules, skip_locked=True)
            ).all()
            for plan in plans:
                found += _decide(uow, plan)
        if len(plans) < BATCH:
            return found
        after = plans[-1].enterprise_code


def _decide(uow: Unit, plan) -> int:
    conn, today = uow.conn, clock.today()
    cal = days.calendar(conn)
    first = plan.checked_until + timedelta(days=1) if plan.checked_until else plan.starts_on
    coming = days.companion_days(plan.weekday, plan.starts_on, first, today, cal)
    missed, undecided = 0, None
    for day in days.with_status(conn, plan.enterprise_code, coming, today, cal):
        if day["status"] not in DECIDED:
            undecided = day["day"]
            break
        uow.emit(
            "companion_day.decided",
            events.CompanionDayDecided(
                enterprise_code=plan.enterprise_code,
                county_code=plan.county_code,
                day=day["day"],
                outcome=day["status"],
                at=clock.now(),
            ),
            correlation_id=None,
        )
        if day["status"] == "missed" and insert_ignore(
            conn,
            missed_days,
            {
                "enterprise_code": plan.enterprise_code,
                "day": day["day"],
                "county_code": plan.county_code,
                "found_at": clock.now(),
            },
        ):
            missed += 1
            uow.emit(
                "companion_day.missed",
                events.CompanionDayMissed(
                    enterprise_code=plan.enterprise_code,
                    enterprise_name=plan.name,
                    county_code=plan.county_code,
                    day=day["day"],
                    planned=day["planned"],
                    recipients=tuple(events.Assignee.model_validate(o) for o in plan.county_officers or ()),
                    at=clock.now(),
                ),
                correlation_id=None,
            )
    checked = undecided - timedelta(days=1) if undecided else today - timedelta(days=1)
    conn.execute(
        update(schedules)
        .where(schedules.c.enterprise_code == plan.enterprise_code)
        .values(checked_until=max(checked, plan.checked_until or checked))
    )
    return missed
