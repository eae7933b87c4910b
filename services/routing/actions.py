"""Staff acting on a case: every action checked against the life cycle, written to the append-only
history and published through the outbox, in one transaction.

Order of the checks, so an answer never tells more than the caller may know: the case must be in
the caller's scope (404), the caller's role must be allowed the action (403), the ``version`` the
caller saw must be current (409 with the current state), the status must allow the action (409 with
the allowed actions), then the action's own rules (409 or 422). The update itself compares and sets
``version``, so of two staff acting at once one wins and the other gets the 409.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, update

from shared import auth, events, labels
from shared.db import utcnow
from shared.errors import ApiError
from shared.text import StaffId, Uuid, clean_text, is_uuid
from shared.uow import Unit
from services.routing import lifecycle
from services.routing.cases import detail, in_scope, view
from services.routing.deadlines import CST
from services.routing.models import cases, enterprises, history, staff

Note = clean_text(1, 2000, multiline=True)
Reason = clean_text(2, 2000, multiline=True)
MAX_EXTENSION_DAYS = 30


class ActionIn(BaseModel):
    """What every action carries: the case ``version`` the caller saw, and an optional internal note."""
    model_config = ConfigDict(extra="forbid", strict=True)
    version: Annotated[int, Field(ge=1)]
    internal_note: Note | None = None


class AcceptIn(ActionIn):
    public_note: Note | None = None


class NoteIn(ActionIn):
    public_note: Note | None = None

    @model_validator(mode="after")
    def _some_note(self):
        if self.public_note is None and self.internal_note is None:
            raise ValueError(_("Give a public note, an internal note or both."))
        return self


class ResolveIn(ActionIn):
    resolution: clean_text(5, 2000, multiline=True)  # shown to the worker


class RejectIn(ActionIn):
    reason: clean_text(5, 2000, multiline=True)  # shown to the worker: a rejection is still an answer


class ReassignIn(ActionIn):
    assignee_id: StaffId


class EscalateIn(ActionIn):
    reason: Reason
    level: Annotated[int, Field(ge=1, le=2)] | None = None  # default: one above the current level


class ExtendIn(ActionIn):
    reason: Reason
    resolve_due: Annotated[date, Field(strict=False)]  # the new last day, China Standard Time


class MergeIn(ActionIn):
    into: Uuid  # the surviving case's id


BODIES: dict[str, type[ActionIn]] = {
    "accept": AcceptIn, "note": NoteIn, "resolve": ResolveIn, "reject": RejectIn,
    "reassign": ReassignIn, "escalate": EscalateIn, "extend": ExtendIn, "merge": MergeIn}


def act(uow: Unit, actor: auth.Staff, case_id: str, action: str, body: ActionIn) -> dict:
    """Take ``action`` on the case for ``actor``; the case as it is afterwards (with history)."""
    conn = uow.conn
    row = _visible(conn, actor, case_id)
    if row is None:
        raise ApiError(404, "not_found", _("No such case."))
    if not lifecycle.role_may(action, actor, row):
        raise ApiError(403, "forbidden", _("Your role may not take this action on this case."),
                       allowed=lifecycle.allowed(actor, row))
    if body.version != row.version:
        raise stale(conn, actor, case_id)
    if not lifecycle.status_allows(action, row.status):
        allowed = lifecycle.allowed(actor, row)
        raise ApiError(409, "action_not_allowed", _(
            "A case that is %(status)s does not allow this action. Allowed now: %(allowed)s.",
            status=labels.shown(labels.STATUS, row.status), allowed=", ".join(allowed) or _("none")),
            allowed=allowed)
    now = utcnow()
    step = Step(uow, actor, row, action, now, body.internal_note)
    _RULES[action](step, body)
    step.commit()
    return detail(conn, actor, case_id)


def stale(conn, actor: auth.Staff, case_id: str) -> ApiError:
    """409 for a caller who acted on an older version: the case as it is now, and what it allows."""
    row = _visible(conn, actor, case_id)
    if row is None:
        return ApiError(404, "not_found", _("No such case."))
    return ApiError(409, "version_conflict", _(
        "Someone changed this case since you loaded it; here is its current state. Check it and try again."),
        allowed=lifecycle.allowed(actor, row), current=view(row))


def _visible(conn, actor: auth.Staff, case_id: str):
    if not is_uuid(case_id):
        return None
    return conn.execute(select(cases).where(cases.c.id == case_id, in_scope(actor))).first()


def record(uow: Unit, row, to: str, now: datetime, actor_id: str | None, actor_role: str, action: str, *,
           public_note: str | None = None, internal_note: str | None = None, level: int | None = None,
           changes: dict | None = None, merged_into_grievance_id: str | None = None) -> bool:
    """One step of a case, whoever takes it: the row moves to ``to`` if it is still at ``row.version``
    (False, and nothing written, if not), the step joins the history, and a status change or a public
    note is published as ``case.status_changed``."""
    conn = uow.conn
    done = conn.execute(update(cases).where(cases.c.id == row.id, cases.c.version == row.version).values(
        status=to, updated_at=now, version=row.version + 1, **(changes or {})))
    if done.rowcount != 1:
        return False
    conn.execute(history.insert(), {
        "case_id": row.id, "at": now, "actor_id": actor_id, "actor_role": actor_role, "from_status": row.status,
        "to_status": to, "action": action, "supervision_level": level, "public_note": public_note,
        "internal_note": internal_note})
    if to != row.status or public_note:
        uow.emit("case.status_changed", events.CaseStatusChanged(
            case_id=row.id, grievance_id=row.grievance_id, from_=row.status, to=to, public_note=public_note,
            actor_role=actor_role, at=now, merged_into_grievance_id=merged_into_grievance_id),
            correlation_id=row.grievance_id)
    return True


class Step:
    """One change of one case: the row's new values, its history entry and its events."""

    def __init__(self, uow: Unit, actor: auth.Staff, row, action: str, now: datetime,
                 internal_note: str | None):
        self.uow, self.actor, self.row, self.action, self.now = uow, actor, row, action, now
        self.to = lifecycle.next_status(action, row.status)
        self.changes: dict = {}
        self.public_note: str | None = None
        self.internal_note = internal_note
        self.level: int | None = None
        self.extra_events: list[tuple[str, events.Frozen]] = []
        self.merged_into_grievance_id: str | None = None

    def commit(self) -> None:
        row = self.row
        if not record(self.uow, row, self.to, self.now, self.actor.id, self.actor.role, self.action,
                      public_note=self.public_note, internal_note=self.internal_note, level=self.level,
                      changes=self.changes, merged_into_grievance_id=self.merged_into_grievance_id):
            raise stale(self.uow.conn, self.actor, row.id)  # another change committed since our read
        for etype, payload in self.extra_events:
            self.uow.emit(etype, payload, correlation_id=row.grievance_id)


def _accept(step: Step, body: AcceptIn) -> None:
    step.public_note = body.public_note


def _note(step: Step, body: NoteIn) -> None:
    step.public_note = body.public_note


def _resolve(step: Step, body: ResolveIn) -> None:
    step.public_note = body.resolution
    step.changes["resolved_at"] = step.now


def _reject(step: Step, body: RejectIn) -> None:
    step.public_note = body.reason


def _reassign(step: Step, body: ReassignIn) -> None:
    conn, actor, row = step.uow.conn, step.actor, step.row
    person = conn.execute(select(staff).where(staff.c.id == body.assignee_id, staff.c.active,
                                              staff.c.role != "admin")).first()
    target = person and auth.Staff(person.id, person.role, person.org_code)
    if target is None or not _within(conn, actor, target) or _visible(conn, target, row.id) is None:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), {"assignee_id": _(
            "No active staff member within your scope who may see this case has this id.")})
    if (target.role, target.org_code) == (row.assignee_role, row.assignee_org) and target.id == row.assignee_id:
        raise ApiError(409, "already_assigned", _("The case is already assigned to this person."),
                       allowed=lifecycle.allowed(actor, row))
    step.changes.update(assignee_id=target.id, assignee_role=target.role, assignee_org=target.org_code)
    step.internal_note = _joined(f"→ {target.role} {target.id}", step.internal_note)
    step.extra_events.append(("case.assigned", events.CaseAssigned(
        case_id=row.id, grievance_id=row.grievance_id, level=row.supervision_level,
        assignee=events.Assignee(id=person.id, name=person.name, role=person.role, org_code=person.org_code,
                                 email=person.email, phone=person.phone),
        accept_due=row.accept_due, resolve_due=row.resolve_due, enterprise_code=row.enterprise_code,
        county_code=row.county_code, category=row.category, urgency=row.urgency, assigned_at=step.now,
        reassigned=True)))


def _within(conn, actor: auth.Staff, target: auth.Staff) -> bool:
    """Whether ``target``'s organisation lies within ``actor``'s: the actor's own organisation, for a
    county its enterprises too, for the city and administrators every one."""
    if actor.role in ("city_officer", "admin"):
        return True
    if (target.role, target.org_code) == (actor.role, actor.org_code):
        return True
    if actor.role == "county_officer" and target.role == "enterprise_chair":
        county = conn.execute(select(enterprises.c.county_code)
                              .where(enterprises.c.code == target.org_code)).scalar()
        return county == actor.org_code
    return False


def _escalate(step: Step, body: EscalateIn) -> None:
    row, actor = step.row, step.actor
    level = body.level if body.level is not None else row.supervision_level + 1
    ceiling = lifecycle.MAX_LEVEL[actor.role]
    if level <= row.supervision_level:
        raise ApiError(409, "supervision_not_raised", _(
            "The case is already supervised at level %(level)s; supervision only rises.",
            level=row.supervision_level), allowed=lifecycle.allowed(actor, row))
    if level > ceiling:
        raise ApiError(403, "forbidden", _("Your role may raise supervision to level %(level)s at most.",
                                           level=ceiling), allowed=lifecycle.allowed(actor, row))
    step.level = level
    step.changes["supervision_level"] = level
    step.internal_note = _joined(body.reason, step.internal_note)
    step.extra_events.append(("case.supervision_raised", events.CaseSupervisionRaised(
        case_id=row.id, grievance_id=row.grievance_id, level=level, reason=body.reason,
        supervisor=f"{actor.role} {actor.org_code}", at=step.now)))


def _extend(step: Step, body: ExtendIn) -> None:
    row = step.row
    if row.extended_at is not None:
        raise ApiError(409, "already_extended", _("This case has had its one extension already."),
                       allowed=lifecycle.allowed(step.actor, row))
    due = datetime.combine(body.resolve_due, time(23, 59, 59), CST).astimezone(timezone.utc)
    latest = row.resolve_due + timedelta(days=MAX_EXTENSION_DAYS)
    if not row.resolve_due < due <= latest:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), {"resolve_due": _(
            "The new date must be after the current deadline and at most %(days)s days later.",
            days=MAX_EXTENSION_DAYS)})
    step.changes.update(resolve_due=due, extended_at=step.now)
    step.internal_note = _joined(body.reason, step.internal_note)
    step.extra_events.append(("case.deadline_extended", events.CaseDeadlineExtended(
        case_id=row.id, grievance_id=row.grievance_id, resolve_due=due, at=step.now)))


def _merge(step: Step, body: MergeIn) -> None:
    conn, actor, row = step.uow.conn, step.actor, step.row
    # Both rows are written: lock them in one order, so two merges of A into B and B into A at once
    # queue up instead of deadlocking (the second then finds a changed version: 409).
    conn.execute(select(cases.c.id).where(cases.c.id.in_([row.id, body.into])).order_by(cases.c.id)
                 .with_for_update())
    survivor = _visible(conn, actor, body.into)
    if (survivor is None or survivor.id == row.id or survivor.status not in lifecycle.OPEN
            or survivor.enterprise_code != row.enterprise_code or survivor.about_chair != row.about_chair):
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), {"into": _(
            "Merge into another open case of the same enterprise, within your scope, "
            "of the same kind (about the chair or not).")})
    if not record(step.uow, survivor, survivor.status, step.now, actor.id, actor.role, "merge",
                  internal_note=f"← merged {row.id}"):
        raise stale(conn, actor, survivor.id)
    step.changes["merged_into"] = survivor.id
    step.merged_into_grievance_id = survivor.grievance_id


_RULES = {"accept": _accept, "note": _note, "resolve": _resolve, "reject": _reject,
          "reassign": _reassign, "escalate": _escalate, "extend": _extend, "merge": _merge}


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
    said = _joined(f"rating {f.rating}/5" if f.rating is not None else None, f.comment)
    return record(uow, row, to, utcnow(), None, "worker", "feedback", internal_note=said)  # row locked
