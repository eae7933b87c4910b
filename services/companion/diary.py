"""The public-opinion diary (民意日记) of an enterprise: day by day, what the programme did (the
companion day and its visit, or why it was called off or missed; the forums), the demands heard and
what became of them, and the chair's own notes. Staff in scope read all of it; the workers read a
public version (the kiosk's "this week we heard 12 demands; 9 answered"): counts only, and a count
under ``K`` is never shown, so no worker can be singled out.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from services.companion import days
from services.companion.models import (
    demands,
    diary_notes,
    enterprises,
    forums,
    schedules,
    survey_texts,
    surveys,
    visits,
)
from services.companion.programme import REFERRED, _may_act, enterprise, schedule_of
from services.companion.schemas import NoteIn
from services.companion.surveys import state as survey_state
from shared import auth, clock
from shared.errors import Invalid, NotFound
from shared.uow import Unit

K = 5  # the smallest count the public diary shows
ANSWERED = ("resolved", "closed", "rejected")  # a rejection with its reason is an answer too


def add_note(uow: Unit, staff: auth.Staff, code: str, body: NoteIn) -> str:
    company = enterprise(uow.conn, staff, code)
    _may_act(staff, company, schedule_of(uow.conn, code))
    if body.day > clock.today():
        raise Invalid("invalid_fields", fields={"day": "day_to_come"})
    note_id = str(uuid.uuid4())
    uow.conn.execute(
        diary_notes.insert(),
        {
            "id": note_id,
            "enterprise_code": code,
            "day": body.day,
            "text": body.text,
            "written_by": staff.id,
            "written_at": clock.now(),
        },
    )
    return note_id


def _heard(conn, code: str, first: date, last: date) -> dict[date, list]:
    """The demands heard at the enterprise's forums, visits and surveys from ``first`` to ``last``, by
    day (a survey's: the day of the answer the chair made a demand of)."""
    by_day: dict[date, list] = defaultdict(list)
    for kind, table, owner in (
        ("forum", forums, forums),
        ("visit", visits, visits),
        ("survey", survey_texts, surveys),
    ):
        heard = (
            select(table.c.day, demands)
            .join(demands, (demands.c.source_id == table.c.id) & (demands.c.source_kind == kind))
            .where(owner.c.enterprise_code == code, table.c.day >= first, table.c.day <= last)
        )
        if owner is not table:
            heard = heard.join(owner, owner.c.id == survey_texts.c.survey_id)
        for r in conn.execute(heard).all():
            by_day[r.day].append(r)
    return by_day


def staff_diary(conn, staff: auth.Staff, code: str, first: date, last: date) -> dict:
    company = enterprise(conn, staff, code)
    plan = schedule_of(conn, code)
    cal, today = days.calendar(conn), clock.today()
    entries: dict[date, dict] = defaultdict(
        lambda: {"companion_day": None, "forums": [], "surveys": [], "demands": {}, "notes": []}
    )
    if plan is not None:
        found = days.companion_days(plan.weekday, plan.starts_on, first, last, cal)
        for d in days.with_status(conn, code, found, today, cal):
            entries[d["day"]]["companion_day"] = d
    for v in conn.execute(
        select(visits).where(visits.c.enterprise_code == code, visits.c.day.between(first, last))
    ):
        entries[v.day]["visit"] = {
            "id": v.id,
            "workshops": v.workshops,
            "workers_met": v.workers_met,
            "summary": v.summary,
            "visitor_id": v.visitor_id,
        }
    for f in conn.execute(
        select(forums).where(forums.c.enterprise_code == code, forums.c.day.between(first, last))
    ):
        entries[f.day]["forums"].append({"id": f.id, "topic": f.topic, "participants": f.participants})
    for sv in conn.execute(
        select(surveys).where(surveys.c.enterprise_code == code, surveys.c.opened_on.between(first, last))
    ):
        entries[sv.opened_on]["surveys"].append(
            {"id": sv.id, "title": sv.title, "state": survey_state(sv), "closes_on": sv.closes_on}
        )
    chair = staff.role == "enterprise_chair"
    for day, heard in _heard(conn, code, first, last).items():
        shown = Counter(REFERRED if chair and d.about_chair else d.status for d in heard)
        entries[day]["demands"] = {"heard": len(heard), "by_status": dict(sorted(shown.items()))}
    for n in conn.execute(
        select(diary_notes).where(
            diary_notes.c.enterprise_code == code, diary_notes.c.day.between(first, last)
        )
    ):
        entries[n.day]["notes"].append(
            {"text": n.text, "written_by": n.written_by, "written_at": n.written_at}
        )
    return {
        "enterprise": {"code": company.code, "name": company.name},
        "start": first,
        "end": last,
        "days": [{"day": day, **entry} for day, entry in sorted(entries.items(), reverse=True)],
    }


def public_diary(conn, code: str, weeks: int) -> dict:
    """Per week: whether the companion day was held, how many demands were heard and how many answered,
    each count shown only from ``K`` up (else ``null``, with ``"fewer_than": K``)."""
    company = conn.execute(
        select(enterprises).where(enterprises.c.code == code, enterprises.c.active)
    ).first()
    if company is None:
        raise NotFound("not_found", message="no_enterprise")
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    plan = conn.execute(select(schedules).where(schedules.c.enterprise_code == code)).first()
    cal = days.calendar(conn)
    held_weeks: dict[date, str] = {}
    if plan is not None:
        found = days.companion_days(plan.weekday, plan.starts_on, first, today, cal)
        for d in days.with_status(conn, code, found, today, cal):
            held_weeks[d["day"] - timedelta(days=d["day"].weekday())] = d["status"]
    heard_by_week: dict[date, list] = defaultdict(list)
    for day, heard in _heard(conn, code, first, today).items():
        heard_by_week[day - timedelta(days=day.weekday())].extend(heard)
    rows = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        heard = heard_by_week.get(week, [])
        answered = sum(1 for d in heard if d.status in ANSWERED)
        rows.append(
            {
                "week": week,
                "companion_day": held_weeks.get(week),
                "heard": _shown(len(heard)),
                "answered": _shown(answered),
            }
        )
    return {"enterprise": {"code": company.code, "name": company.name}, "fewer_than": K, "weeks": rows[::-1]}


def _shown(n: int) -> int | None:
    """A count as the public may read it: none under K (0 is no group: it is shown)."""
    return n if n == 0 or n >= K else None
