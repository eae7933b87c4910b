"""The notification log of one case as staff read it: who was told what, when, on which channel,
and whether it went out; within the reader's scope (``shared.scope``), from the scope facts notify
keeps of each case (``case_scopes``, from ``case.assigned``). Outside it, or unknown: None (a 404).

A worker is never named: no contact, no name, and not the subject of their messages (it holds the
tracking code, the worker's only key).
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, or_, select

from services.notify.models import case_scopes, notifications
from shared import auth, scope, text

_s, _n = case_scopes.c, notifications.c


def in_scope(staff: auth.Staff):
    """The condition on ``case_scopes`` that keeps what ``staff`` may see."""
    return scope.condition(
        staff,
        enterprise=_s.enterprise_code,
        about_chair=_s.about_chair,
        assignee_org=_s.assignee_org,
        in_county=lambda code: _s.county_code == code,
    )


def for_case(conn: Connection, staff: auth.Staff, case_id: str) -> dict | None:
    if not text.is_uuid(case_id):
        return None
    grievance = conn.execute(select(_s.grievance_id).where(_s.case_id == case_id)).scalar()
    # Messages about the case, and to its worker before the case had an id (the acknowledgement).
    about = _n.case_id == case_id
    if grievance is not None:
        about = or_(about, and_(_n.case_id.is_(None), _n.grievance_id == grievance))
    # The case's scope facts joined to each of its messages (none for a case notify knows only from
    # messages older than the facts: then only the city and administrators see it).
    rows = conn.execute(
        select(notifications)
        .outerjoin(case_scopes, _s.case_id == case_id)
        .where(about, in_scope(staff))
        .order_by(_n.created_at, _n.id)
    ).all()
    if not rows and (
        grievance is None
        or conn.execute(select(_s.case_id).where(_s.case_id == case_id, in_scope(staff))).first() is None
    ):
        return None
    return {"case_id": case_id, "items": [view(row) for row in rows]}


def view(row) -> dict:
    worker = row.audience == "worker"
    told = {"audience": row.audience, "id": None, "name": None, "org_code": None}
    if row.audience == "group":
        told["org_code"] = row.recipient_id
    elif not worker:
        told.update(id=row.recipient_id, name=row.recipient_name)
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": None if worker else row.subject,
        "to": told,
        "medium": row.medium,
        "channel": row.channel,
        "status": row.status,
        "attempts": row.attempts,
        "error": row.error,
        "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
        "sent_at": row.sent_at,
    }
