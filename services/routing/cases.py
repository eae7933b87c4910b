"""The ledger as staff read it: cases within the reader's scope (``shared.scope``), with filters,
pages and history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from services.routing import lifecycle
from services.routing.models import cases, history
from shared import auth, clock, scope, text

CLOSED = ("resolved", *lifecycle.FINAL)


def in_scope(staff: auth.Staff):
    """The condition on ``cases`` that keeps what ``staff`` may see."""
    return scope.condition(
        staff,
        enterprise=cases.c.enterprise_code,
        about_chair=cases.c.about_chair,
        assignee_org=cases.c.assignee_org,
        in_county=lambda code: cases.c.county_code == code,
    )


def overdue(now: datetime):
    """Cases past a deadline whose action is not done: acceptance, or (the clock running) the
    resolution or the supervisors' deadline."""
    return or_(
        and_(cases.c.status == "assigned", cases.c.accept_due < now),
        and_(
            cases.c.status.not_in(CLOSED),
            cases.c.paused_at.is_(None),
            or_(
                cases.c.resolve_due < now,
                # NULL-safe: "not overdue" must keep the cases never supervised
                and_(cases.c.supervised_due.is_not(None), cases.c.supervised_due < now),
            ),
        ),
    )


def filters(f) -> list:
    """Conditions for the query parameters of the case list (a validated CaseQuery)."""
    conds = []
    for column, value in (
        (cases.c.status, f.status),
        (cases.c.category, f.category),
        (cases.c.enterprise_code, f.enterprise),
        (cases.c.county_code, f.county),
        (cases.c.supervision_level, f.supervision_level),
    ):
        if value is not None:
            conds.append(column == value)
    if f.overdue is not None:
        now = clock.now()
        conds.append(overdue(now) if f.overdue else ~overdue(now))
    if f.paused is not None:
        conds.append(cases.c.paused_at.is_not(None) if f.paused else cases.c.paused_at.is_(None))
    if f.submitted_from:
        conds.append(cases.c.submitted_at >= clock.day_start(f.submitted_from))
    if f.submitted_to:
        conds.append(cases.c.submitted_at < clock.day_start(f.submitted_to + timedelta(days=1)))
    if f.q:
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(cases.c.description.like(pattern, escape="\\"))
    return conds


def view(row) -> dict:
    return {
        "id": row.id,
        "status": row.status,
        "category": row.category,
        "urgency": row.urgency,
        "channel": row.channel,
        "enterprise_code": row.enterprise_code,
        "county_code": row.county_code,
        "anonymous": row.anonymous,
        "about_chair": row.about_chair,
        "description": row.description,
        "workshop": row.workshop,
        "supervision_level": row.supervision_level,
        "assignee": {"id": row.assignee_id, "role": row.assignee_role, "org_code": row.assignee_org},
        "accept_due": row.accept_due,
        "resolve_due": row.resolve_due,
        "extended": row.extended_at is not None,
        "deadlines_provisional": row.deadlines_provisional,  # counted days past the known calendar
        "supervised_due": row.supervised_due,
        "paused": row.paused_at is not None,
        "pause_reason": row.pause_reason,
        "pause_ends": row.pause_ends,
        "pauses_used": row.pauses_used,
        "merged_into": row.merged_into,
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


def page(conn, staff: auth.Staff, f) -> dict:
    where = [in_scope(staff), *filters(f)]
    total = conn.execute(select(func.count()).select_from(cases).where(*where)).scalar()
    rows = conn.execute(
        select(cases)
        .where(*where)
        .order_by(cases.c.submitted_at.desc(), cases.c.id)
        .limit(f.per_page)
        .offset((f.page - 1) * f.per_page)
    ).all()
    return {"items": [view(r) for r in rows], "total": total, "page": f.page, "per_page": f.per_page}


def detail(conn, staff: auth.Staff, case_id: str) -> dict | None:
    if not text.is_uuid(case_id):
        return None
    row = conn.execute(select(cases).where(cases.c.id == case_id, in_scope(staff))).first()
    if row is None:
        return None
    steps = conn.execute(
        select(history).where(history.c.case_id == case_id).order_by(history.c.at, history.c.seq)
    ).all()
    return {
        **view(row),
        "actions": lifecycle.allowed(staff, row),
        "history": [
            {
                "at": s.at,
                "actor_id": s.actor_id,
                "actor_role": s.actor_role,
                "action": s.action,
                "from": s.from_status,
                "to": s.to_status,
                "supervision_level": s.supervision_level,
                "public_note": s.public_note,
                "internal_note": s.internal_note,
                # The worker's answer in their own words, marked as theirs: never a staff note.
                "worker_comment": s.worker_comment,
                "worker_rating": s.worker_rating,
            }
            for s in steps
        ],
    }
