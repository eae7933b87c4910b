"""Staff and the companion day: who may see and change which enterprise's schedule, visits and
cancellations, and the rules each change keeps. Refusals are domain errors; the HTTP edge words them.

Scope is the ledger's (shared/scope.py) applied to enterprises: a chair their own enterprise, a
county officer the county's enterprises, the city and administrators all. Outside it an enterprise
does not exist (404). Within it, the chair of the enterprise, the stand-in the schedule names, and
the county and city officers may record a visit, call a day off and set the schedule.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import false, null, select

from services.companion import days
from services.companion.models import (
    cancellations,
    demands,
    enterprises,
    forum_items,
    forums,
    schedules,
    visits,
)
from services.companion.schemas import CancelIn, ForumIn, ForumQuery, ScheduleIn, VisitIn, VisitQuery
from shared import auth, clock, scope
from shared.db import insert_ignore, upsert
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.uow import Unit

OFFICERS = ("county_officer", "city_officer", "admin")


def in_scope(staff: auth.Staff):
    """The condition on ``enterprises`` that keeps what ``staff`` may see."""
    return scope.condition(
        staff,
        enterprise=enterprises.c.code,
        about_chair=false(),
        assignee_org=null(),
        in_county=lambda code: enterprises.c.county_code == code,
    )


def enterprise(conn, staff: auth.Staff, code: str):
    """The enterprise, if ``staff`` may see it: within their scope, or as the stand-in it names."""
    stand_in = schedules.c.stand_in_id == staff.id
    row = conn.execute(
        select(enterprises)
        .outerjoin(schedules, schedules.c.enterprise_code == enterprises.c.code)
        .where(enterprises.c.code == code, in_scope(staff) | stand_in)
    ).first()
    if row is None:
        raise NotFound("not_found", message="no_enterprise")
    return row


def schedule_of(conn, code: str):
    return conn.execute(select(schedules).where(schedules.c.enterprise_code == code)).first()


def _may_act(staff: auth.Staff, company, plan) -> None:
    if staff.role in OFFICERS:
        return
    if staff.role == "enterprise_chair" and staff.org_code == company.code:
        return
    if plan is not None and plan.stand_in_id == staff.id:
        return
    raise Forbidden("forbidden", message="not_yours")


# -- the schedule -----------------------------------------------------------------------------------
def view(conn, staff: auth.Staff, code: str, first: date | None, weeks: int) -> dict:
    company = enterprise(conn, staff, code)
    plan = schedule_of(conn, code)
    today = clock.today()
    first = first or today - timedelta(days=today.weekday())
    shown = []
    if plan is not None:
        cal = days.calendar(conn)
        found = days.companion_days(
            plan.weekday, plan.starts_on, first, first + timedelta(weeks=weeks, days=-1), cal
        )
        shown = days.with_status(conn, code, found, today, cal)
    return {
        "enterprise": {"code": company.code, "name": company.name, "county_code": company.county_code},
        "schedule": None
        if plan is None
        else {
            "weekday": plan.weekday,
            "goes": plan.stand_in_id or company.chair_id,
            "stand_in_id": plan.stand_in_id,
            "starts_on": plan.starts_on,
            "updated_at": plan.updated_at,
        },
        "days": shown,
    }


def listing(conn, staff: auth.Staff) -> list[dict]:
    rows = conn.execute(
        select(enterprises, schedules.c.weekday, schedules.c.stand_in_id)
        .outerjoin(schedules, schedules.c.enterprise_code == enterprises.c.code)
        .where(in_scope(staff), enterprises.c.active)
        .order_by(enterprises.c.county_code, enterprises.c.code)
    ).all()
    return [
        {
            "code": r.code,
            "name": r.name,
            "county_code": r.county_code,
            "weekday": r.weekday,
            "goes": r.stand_in_id or r.chair_id,
        }
        for r in rows
    ]


def set_schedule(uow: Unit, staff: auth.Staff, code: str, body: ScheduleIn) -> None:
    company = enterprise(uow.conn, staff, code)
    before = schedule_of(uow.conn, code)
    _may_act(staff, company, before)
    if not company.active:
        raise Conflict("enterprise_inactive")
    starts_on = body.starts_on
    if starts_on is None:  # the same weekday keeps its past; a new one holds from today
        starts_on = (
            before.starts_on if before is not None and before.weekday == body.weekday else clock.today()
        )
    upsert(
        uow.conn,
        schedules,
        {
            "enterprise_code": code,
            "weekday": body.weekday,
            "stand_in_id": body.stand_in_id,
            "starts_on": starts_on,
            "updated_at": clock.now(),
            "updated_by": staff.id,
        },
        keys=["enterprise_code"],
    )


def _companion_day(conn, code: str, day: date):
    plan = schedule_of(conn, code)
    if plan is None:
        raise Conflict("no_schedule")
    if days.is_companion_day(plan.weekday, plan.starts_on, day, days.calendar(conn)) is None:
        raise Invalid("invalid_fields", fields={"day": "not_a_companion_day"})
    return plan


# -- a day called off beforehand --------------------------------------------------------------------
def cancel(uow: Unit, staff: auth.Staff, code: str, day: date, body: CancelIn) -> None:
    conn = uow.conn
    company = enterprise(conn, staff, code)
    _may_act(staff, company, schedule_of(conn, code))
    _companion_day(conn, code, day)
    if day < clock.today():
        raise Conflict("too_late_to_cancel")
    if conn.execute(select(visits.c.id).where(visits.c.enterprise_code == code, visits.c.day == day)).first():
        raise Conflict("already_held")
    if not insert_ignore(
        conn,
        cancellations,
        {
            "enterprise_code": code,
            "day": day,
            "reason": body.reason,
            "cancelled_at": clock.now(),
            "cancelled_by": staff.id,
        },
    ):
        raise Conflict("already_cancelled")


# -- visits (走访) -----------------------------------------------------------------------------------
def record_visit(uow: Unit, staff: auth.Staff, body: VisitIn) -> str:
    conn = uow.conn
    company = enterprise(conn, staff, body.enterprise_code)
    plan = schedule_of(conn, company.code)
    _may_act(staff, company, plan)
    _companion_day(conn, company.code, body.day)
    if body.day > clock.today():
        raise Invalid("invalid_fields", fields={"day": "day_to_come"})
    called_off = conn.execute(
        select(cancellations.c.day).where(
            cancellations.c.enterprise_code == company.code, cancellations.c.day == body.day
        )
    ).first()
    if called_off:
        raise Conflict("day_cancelled")
    visit_id = str(uuid.uuid4())
    if not insert_ignore(
        conn,
        visits,
        {
            "id": visit_id,
            "enterprise_code": company.code,
            "day": body.day,
            "visitor_id": staff.id,
            "visitor_role": staff.role,
            "workshops": list(body.workshops),
            "workers_met": body.workers_met,
            "summary": body.summary,
            "recorded_at": clock.now(),
        },
    ):
        raise Conflict("already_recorded")
    return visit_id


def visit_view(row) -> dict:
    return {
        "id": row.id,
        "enterprise_code": row.enterprise_code,
        "day": row.day,
        "visitor_id": row.visitor_id,
        "visitor_role": row.visitor_role,
        "workshops": row.workshops,
        "workers_met": row.workers_met,
        "summary": row.summary,
        "recorded_at": row.recorded_at,
    }


def _visits_seen_by(staff: auth.Staff):
    """Visits joined to what decides who sees them: the ledger's scope, or the schedule's stand-in."""
    seen = in_scope(staff) | (schedules.c.stand_in_id == staff.id)
    joined = visits.join(enterprises, enterprises.c.code == visits.c.enterprise_code).outerjoin(
        schedules, schedules.c.enterprise_code == visits.c.enterprise_code
    )
    return joined, seen


def visit(conn, staff: auth.Staff, visit_id: str) -> dict:
    joined, seen = _visits_seen_by(staff)
    row = conn.execute(select(visits).select_from(joined).where(visits.c.id == visit_id, seen)).first()
    if row is None:
        raise NotFound("not_found", message="no_visit")
    return visit_view(row)


def visit_list(conn, staff: auth.Staff, q: VisitQuery) -> list[dict]:
    joined, seen = _visits_seen_by(staff)
    where = [seen]
    if q.enterprise:
        where.append(visits.c.enterprise_code == q.enterprise)
    if q.start:
        where.append(visits.c.day >= q.start)
    if q.end:
        where.append(visits.c.day <= q.end)
    rows = conn.execute(
        select(visits)
        .select_from(joined)
        .where(*where)
        .order_by(visits.c.day.desc(), visits.c.enterprise_code)
        .limit(500)
    ).all()
    return [visit_view(r) for r in rows]


# -- micro-forums (微座谈) ----------------------------------------------------------------------------
def record_forum(uow: Unit, staff: auth.Staff, body: ForumIn) -> str:
    """Keep the forum and its items; each item then goes to the ledger through intake's batch."""
    conn = uow.conn
    company = enterprise(conn, staff, body.enterprise_code)
    _may_act(staff, company, schedule_of(conn, company.code))
    if body.day > clock.today():
        raise Invalid("invalid_fields", fields={"day": "day_to_come"})
    forum_id = str(uuid.uuid4())
    conn.execute(
        forums.insert(),
        {
            "id": forum_id,
            "enterprise_code": company.code,
            "day": body.day,
            "topic": body.topic,
            "participants": body.participants,
            "minutes": body.minutes,
            "recorded_by": staff.id,
            "recorded_at": clock.now(),
        },
    )
    if body.items:
        conn.execute(
            forum_items.insert(),
            [
                {
                    "forum_id": forum_id,
                    "item": n,
                    "text": i.text,
                    "category": i.category,
                    "about_chair": i.about_chair,
                }
                for n, i in enumerate(body.items, 1)
            ],
        )
    return forum_id


def _forums_seen_by(staff: auth.Staff):
    seen = in_scope(staff) | (schedules.c.stand_in_id == staff.id)
    joined = forums.join(enterprises, enterprises.c.code == forums.c.enterprise_code).outerjoin(
        schedules, schedules.c.enterprise_code == forums.c.enterprise_code
    )
    return joined, seen


REFERRED = "referred_to_county_union"  # what the chair sees of an item about the chair


def forum(conn, staff: auth.Staff, forum_id: str) -> dict:
    joined, seen = _forums_seen_by(staff)
    row = conn.execute(select(forums).select_from(joined).where(forums.c.id == forum_id, seen)).first()
    if row is None:
        raise NotFound("not_found", message="no_forum")
    heard = {
        d.item: d
        for d in conn.execute(
            select(demands).where(demands.c.source_kind == "forum", demands.c.source_id == forum_id)
        )
    }
    chair = staff.role == "enterprise_chair"
    items, waiting = [], []
    for i in conn.execute(
        select(forum_items).where(forum_items.c.forum_id == forum_id).order_by(forum_items.c.item)
    ):
        d = heard.get(i.item)
        if chair and i.about_chair:
            items.append({"item": i.item, "about_chair": True, "outcome": REFERRED})
        else:
            items.append(
                {
                    "item": i.item,
                    "text": i.text,
                    "category": i.category,
                    "about_chair": i.about_chair,
                    "tracking_code": d.tracking_code if d else None,
                    "status": d.status if d else "not_posted",
                    "status_at": d.status_at if d else None,
                    "public_note": d.public_note if d else None,
                }
            )
        if d is None:
            waiting.append({"category": i.category, "description": i.text, "about_chair": i.about_chair})
    batch = None
    if waiting and len(waiting) == len(items):  # a batch is all or nothing: only a forum not yet posted
        batch = {
            "enterprise_code": row.enterprise_code,
            "source": {"kind": "forum", "id": row.id},
            "items": waiting,
        }
    return {
        "id": row.id,
        "enterprise_code": row.enterprise_code,
        "day": row.day,
        "topic": row.topic,
        "participants": row.participants,
        "minutes": row.minutes,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at,
        "items": items,
        "batch": batch,
    }


def forum_list(conn, staff: auth.Staff, q: ForumQuery) -> list[dict]:
    joined, seen = _forums_seen_by(staff)
    where = [seen] + ([forums.c.enterprise_code == q.enterprise] if q.enterprise else [])
    rows = conn.execute(
        select(forums.c.id, forums.c.enterprise_code, forums.c.day, forums.c.topic, forums.c.participants)
        .select_from(joined)
        .where(*where)
        .order_by(forums.c.day.desc(), forums.c.recorded_at.desc())
        .limit(500)
    ).all()
    return [dict(r._mapping) for r in rows]
