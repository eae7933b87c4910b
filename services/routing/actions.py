"""Staff acting on a case: every action checked against the life cycle, written as one ``Step``
(the row, the append-only history, the events through the outbox) in one transaction.

Order of the checks, so an answer never tells more than the caller may know: the case must be in
the caller's scope (not found), the caller's role must be allowed the action (forbidden), the
``version`` the caller saw must be current (a conflict with the current state), the status must
allow the action (a conflict naming the allowed actions), then the action's own rules. The update
itself compares and sets ``version``, so of two staff acting at once one wins and the other gets
the conflict. Refusals are domain errors; the HTTP edge words them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.routing import calendar, lifecycle, timers
from services.routing.cases import detail, in_scope, view
from services.routing.models import cases, enterprises, staff
from services.routing.schemas import (
    AcceptIn,
    ActionIn,
    EscalateIn,
    ExtendIn,
    MergeIn,
    NoteIn,
    PauseIn,
    ReassignIn,
    RejectIn,
    ResolveIn,
    ResumeIn,
)
from services.routing.steps import Step
from shared import auth, clock, events
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.text import is_uuid
from shared.uow import Unit

MAX_EXTENSION_DAYS = 30


def act(uow: Unit, actor: auth.Staff, case_id: str, action: str, body: ActionIn) -> dict:
    """Take ``action`` on the case for ``actor``; the case as it is afterwards (with history)."""
    conn = uow.conn
    row = _visible(conn, actor, case_id)
    if row is None:
        raise NotFound("not_found")
    if not lifecycle.role_may(action, actor, row):
        raise Forbidden("forbidden", message="action_forbidden", allowed=lifecycle.allowed(actor, row))
    if body.version != row.version:
        raise stale(conn, actor, case_id)
    if not lifecycle.status_allows(action, row.status):
        allowed = lifecycle.allowed(actor, row)
        raise Conflict(
            "action_not_allowed", params={"status": row.status, "allowed": allowed}, allowed=allowed
        )
    step = Step(
        row,
        action,
        lifecycle.next_status(action, row.status),
        actor.id,
        actor.role,
        clock.now(),
        internal_note=body.internal_note,
    )
    _RULES[action](uow, actor, step, body)
    if not step.write(uow):
        raise stale(conn, actor, case_id)  # another change committed since our read
    return detail(conn, actor, case_id)


def stale(conn, actor: auth.Staff, case_id: str) -> Conflict | NotFound:
    """The refusal for a caller who acted on an older version: the case as it is now, and what it allows."""
    row = _visible(conn, actor, case_id)
    if row is None:
        return NotFound("not_found")
    return Conflict("version_conflict", allowed=lifecycle.allowed(actor, row), current=view(row))


def _visible(conn, actor: auth.Staff, case_id: str):
    if not is_uuid(case_id):
        return None
    return conn.execute(select(cases).where(cases.c.id == case_id, in_scope(actor))).first()


def _accept(uow: Unit, actor: auth.Staff, step: Step, body: AcceptIn) -> None:
    step.public_note = body.public_note


def _note(uow: Unit, actor: auth.Staff, step: Step, body: NoteIn) -> None:
    step.public_note = body.public_note


def _resolve(uow: Unit, actor: auth.Staff, step: Step, body: ResolveIn) -> None:
    step.public_note = body.resolution
    step.changes["resolved_at"] = step.at
    if step.row.paused_at is not None:  # resolved while waiting: the pause ends with it
        paused = step.at - step.row.paused_at
        step.changes.update(
            paused_at=None,
            pause_reason=None,
            pause_ends=None,
            paused_seconds=step.row.paused_seconds + int(paused.total_seconds()),
        )
    timers.set_feedback_close(uow, step.row.id, step.at, uow.settings)  # type: ignore[arg-type]


def _reject(uow: Unit, actor: auth.Staff, step: Step, body: RejectIn) -> None:
    step.public_note = body.reason


def _reassign(uow: Unit, actor: auth.Staff, step: Step, body: ReassignIn) -> None:
    conn, row = uow.conn, step.row
    person = conn.execute(
        select(staff).where(staff.c.id == body.assignee_id, staff.c.active, staff.c.role != "admin")
    ).first()
    target = person and auth.Staff(person.id, person.role, person.org_code)
    if target is None or not _within(conn, actor, target) or _visible(conn, target, row.id) is None:
        raise Invalid("invalid_fields", fields={"assignee_id": "unknown_assignee"})
    if (target.role, target.org_code) == (
        row.assignee_role,
        row.assignee_org,
    ) and target.id == row.assignee_id:
        raise Conflict("already_assigned", allowed=lifecycle.allowed(actor, row))
    step.changes.update(assignee_id=target.id, assignee_role=target.role, assignee_org=target.org_code)
    step.internal_note = _joined(f"→ {target.role} {target.id}", step.internal_note)
    step.events.append(
        (
            "case.assigned",
            events.CaseAssigned(
                case_id=row.id,
                grievance_id=row.grievance_id,
                level=row.supervision_level,
                assignee=events.Assignee(
                    id=person.id,
                    name=person.name,
                    role=person.role,
                    org_code=person.org_code,
                    email=person.email,
                    phone=person.phone,
                ),
                accept_due=row.accept_due,
                resolve_due=row.resolve_due,
                enterprise_code=row.enterprise_code,
                county_code=row.county_code,
                category=row.category,
                urgency=row.urgency,
                assigned_at=step.at,
                reassigned=True,
                about_chair=row.about_chair,
            ),
        )
    )


def _within(conn, actor: auth.Staff, target: auth.Staff) -> bool:
    """Whether ``target``'s organisation lies within ``actor``'s: the actor's own organisation, for a
    county its enterprises too, for the city and administrators every one."""
    if actor.role in ("city_officer", "admin"):
        return True
    if (target.role, target.org_code) == (actor.role, actor.org_code):
        return True
    if actor.role == "county_officer" and target.role == "enterprise_chair":
        county = conn.execute(
            select(enterprises.c.county_code).where(enterprises.c.code == target.org_code)
        ).scalar()
        return county == actor.org_code
    return False


def _escalate(uow: Unit, actor: auth.Staff, step: Step, body: EscalateIn) -> None:
    row = step.row
    level = body.level if body.level is not None else row.supervision_level + 1
    ceiling = lifecycle.MAX_LEVEL[actor.role]
    if level <= row.supervision_level:
        raise Conflict(
            "supervision_not_raised",
            params={"level": row.supervision_level},
            allowed=lifecycle.allowed(actor, row),
        )
    if level > ceiling:
        raise Forbidden(
            "forbidden",
            message="level_ceiling",
            params={"level": ceiling},
            allowed=lifecycle.allowed(actor, row),
        )
    step.internal_note = _joined(body.reason, step.internal_note)
    timers.supervise(uow, step, level, body.reason, f"{actor.role} {actor.org_code}", automatic=False)


def _extend(uow: Unit, actor: auth.Staff, step: Step, body: ExtendIn) -> None:
    row = step.row
    if row.extended_at is not None:
        raise Conflict("already_extended", allowed=lifecycle.allowed(actor, row))
    due = clock.day_end(body.resolve_due)
    latest = row.resolve_due + timedelta(days=MAX_EXTENSION_DAYS)
    if not row.resolve_due < due <= latest:
        raise Invalid(
            "invalid_fields", fields={"resolve_due": "extension_range"}, params={"days": MAX_EXTENSION_DAYS}
        )
    step.changes.update(resolve_due=due, extended_at=step.at)
    step.internal_note = _joined(body.reason, step.internal_note)
    timers.set_deadline(uow, row.id, "resolve", step.at, due, timers.terms_of(uow.conn, row))
    step.events.append(
        (
            "case.deadline_extended",
            events.CaseDeadlineExtended(
                case_id=row.id, grievance_id=row.grievance_id, resolve_due=due, at=step.at
            ),
        )
    )


def _merge(uow: Unit, actor: auth.Staff, step: Step, body: MergeIn) -> None:
    conn, row = uow.conn, step.row
    # Both rows are written: lock them in one order, so two merges of A into B and B into A at once
    # queue up instead of deadlocking (the second then finds a changed version: a conflict).
    conn.execute(
        select(cases.c.id).where(cases.c.id.in_([row.id, body.into])).order_by(cases.c.id).with_for_update()
    )
    survivor = _visible(conn, actor, body.into)
    if (
        survivor is None
        or survivor.id == row.id
        or survivor.status not in lifecycle.OPEN
        or survivor.enterprise_code != row.enterprise_code
        or survivor.about_chair != row.about_chair
    ):
        raise Invalid("invalid_fields", fields={"into": "merge_target"})
    if not Step(
        survivor, "merge", survivor.status, actor.id, actor.role, step.at, internal_note=f"← merged {row.id}"
    ).write(uow):
        raise stale(conn, actor, survivor.id)
    step.changes["merged_into"] = survivor.id
    step.merged_into_grievance_id = survivor.grievance_id


def _pause(uow: Unit, actor: auth.Staff, step: Step, body: PauseIn) -> None:
    row = step.row
    pauses = timers.terms_of(uow.conn, row).pauses
    if row.paused_at is not None:
        raise Conflict("already_paused", allowed=lifecycle.allowed(actor, row))
    if row.pauses_used >= pauses.max_pauses:
        raise Conflict(
            "pauses_used_up", params={"count": pauses.max_pauses}, allowed=lifecycle.allowed(actor, row)
        )
    ends = step.at + timedelta(days=pauses.max_days)
    step.public_note = body.reason
    step.changes.update(
        paused_at=step.at, pause_reason=body.reason, pause_ends=ends, pauses_used=row.pauses_used + 1
    )
    timers.set_pause_end(uow, row.id, step.at, ends)
    step.events.append(
        (
            "case.clock_paused",
            events.CaseClockPaused(
                case_id=row.id, grievance_id=row.grievance_id, reason=body.reason, resume_by=ends, at=step.at
            ),
        )
    )


def _resume(uow: Unit, actor: auth.Staff, step: Step, body: ResumeIn) -> None:
    row = step.row
    if row.paused_at is None:
        raise Conflict("not_paused", allowed=lifecycle.allowed(actor, row))
    resumed = timers.resume(uow, row, actor.id, actor.role, step.at, automatic=False)
    step.changes.update(resumed.changes)
    step.events.extend(resumed.events)


_RULES = {
    "accept": _accept,
    "note": _note,
    "resolve": _resolve,
    "reject": _reject,
    "reassign": _reassign,
    "escalate": _escalate,
    "extend": _extend,
    "merge": _merge,
    "pause": _pause,
    "resume": _resume,
}


def _joined(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "\n".join(kept) if kept else None


def feedback(uow: Unit, f: events.GrievanceFeedbackGiven) -> bool:
    """The worker's answer on a resolved case: closed (销账) or reopened. False when the case is not
    waiting for one (intake checks first; a late duplicate or a race ends here, changing nothing)."""
    conn = uow.conn
    row = conn.execute(select(cases).where(cases.c.grievance_id == f.grievance_id).with_for_update()).first()
    start, to = lifecycle.FEEDBACK[f.satisfied]
    if row is None or row.status != start:
        return False
    now = clock.now()
    step = Step(row, "feedback", to, None, "worker", now, worker_comment=f.comment, worker_rating=f.rating)
    if to == "reopened":  # a new resolve deadline, not an escalation at once
        terms = timers.terms_of(conn, row)
        due = terms.reopened.due(now, calendar.current(conn))[0]
        step.changes["resolve_due"] = due
        timers.set_deadline(uow, row.id, "resolve", now, due, terms)
        step.events.append(
            (
                "case.deadlines_changed",
                events.CaseDeadlinesChanged(
                    case_id=row.id,
                    grievance_id=row.grievance_id,
                    accept_due=row.accept_due,
                    resolve_due=due,
                    provisional=row.deadlines_provisional,
                    at=now,
                ),
            )
        )
    return step.write(uow)  # the row is locked: the step applies
