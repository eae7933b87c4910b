"""The ledger's time-based work (DESIGN §2), on the shared timer runner (shared/timers.py).

Each deadline of a case (accept, resolve, the supervisors' own) gets, when it is set, its
reminders (at a share of its time and one working day before; the policy's terms) and its
"overdue" timer. A timer belongs to the deadline as it was set: its key names the deadline and
its date, so when a deadline moves (extended, paused, recomputed, reopened) the old timers find
the case's date changed and fire as no-ops, and the new date has timers of its own. What fires:

- ``remind``: ``case.reminder_due`` to the assignee, if the action is not done yet;
- ``overdue``: supervision (督办) rises one level (to the city at once for a case the county union
  holds), to at most 2, with a history step by ``system`` (``accept_overdue``, ``resolve_overdue``,
  ``supervised_overdue``), ``case.supervision_raised`` to the officers of that level, and a
  supervised deadline; a paused clock misses nothing;
- ``resume``: a pause reached its bound; the clock runs again;
- ``feedback_close``: a resolution the worker has not answered within the feedback window (and a
  grace hour, so an answer given in time and still on its way arrives first) is closed (销账),
  feedback "none", never counted as satisfied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.routing import calendar, lifecycle, policy
from services.routing.config import CITY_ORG, Settings
from services.routing.models import cases, staff, timers
from services.routing.policy import Terms
from services.routing.steps import Step
from shared import clock, events
from shared.timers import schedule
from shared.uow import Unit

GRACE = timedelta(hours=1)
BATCH = 100
DEADLINES = {"accept": "accept_due", "resolve": "resolve_due", "supervised": "supervised_due"}
OVERDUE_REASON = {d: f"{d}_overdue" for d in DEADLINES}
LEVEL_NAMES = {1: "county union", 2: "city federation"}


# -- setting timers ---------------------------------------------------------------------------------
def key(deadline: str, due: datetime, when: str = "") -> str:
    return f"{deadline}|{due.isoformat()}" + (f"|{when}" if when else "")


def set_deadline(
    uow: Unit, case_id: str, deadline: str, start: datetime, due: datetime, terms: Terms
) -> None:
    """The timers of one deadline running from ``start`` to ``due``: its reminders and its miss."""
    cal = calendar.current(uow.conn)
    for when, at in policy.reminder_times(terms, start, due, cal):
        schedule(uow.conn, timers, case_id, "remind", key(deadline, due, when), at)
    schedule(uow.conn, timers, case_id, "overdue", key(deadline, due), due)


def set_feedback_close(uow: Unit, case_id: str, resolved_at: datetime, settings: Settings) -> None:
    due = resolved_at + timedelta(days=settings.feedback_days) + GRACE
    schedule(uow.conn, timers, case_id, "feedback_close", resolved_at.isoformat(), due)


def set_pause_end(uow: Unit, case_id: str, paused_at: datetime, ends: datetime) -> None:
    schedule(uow.conn, timers, case_id, "resume", paused_at.isoformat(), ends)


def terms_of(conn, row: Any) -> Terms:
    """The terms a case was given (a case older than the policy: the current policy's)."""
    if row.terms:
        return Terms.model_validate(row.terms)
    return policy.current(conn)[1].terms(row.category, row.urgency)


# -- what fires -------------------------------------------------------------------------------------
def _case(uow: Unit, timer: Any) -> Any:
    return uow.conn.execute(select(cases).where(cases.c.id == timer.subject).with_for_update()).first()


def _pending(row: Any, deadline: str, due: datetime) -> bool:
    """Whether ``deadline`` of the case is still ``due`` and its action not yet done."""
    if row is None or getattr(row, DEADLINES[deadline]) != due:
        return False
    if deadline == "accept":
        return row.status == "assigned"
    return row.status in lifecycle.OPEN and row.paused_at is None


def _parse(timer_key: str) -> tuple[str, datetime, str]:
    deadline, due, *when = timer_key.split("|")
    return deadline, datetime.fromisoformat(due), (when[0] if when else "")


def remind(uow: Unit, timer: Any) -> bool:
    deadline, due, when = _parse(timer.key)
    row = _case(uow, timer)
    if not _pending(row, deadline, due) or clock.now() >= due:
        return False  # done, moved, or missed already (a worker that was down): no reminder after it
    recipients = assignees(uow.conn, row)
    if not recipients:
        return False
    share = float(when.split(":", 1)[1]) if when.startswith("share:") else None
    uow.emit(
        "case.reminder_due",
        events.CaseReminderDue(
            case_id=row.id,
            grievance_id=row.grievance_id,
            deadline=deadline,
            when="day_before" if share is None else "half_time",
            fraction=share,
            due=due,
            recipients=recipients,
            urgency=row.urgency,
            at=clock.now(),
        ),
        correlation_id=row.grievance_id,
    )
    return True


def overdue(uow: Unit, timer: Any) -> bool:
    deadline, due, _ = _parse(timer.key)
    row = _case(uow, timer)
    if not _pending(row, deadline, due):
        return False
    level = 2 if row.assignee_role == "county_officer" else min(row.supervision_level + 1, 2)
    if level <= row.supervision_level:
        return False  # at the city already: it cannot rise further, and never falls
    now = clock.now()
    step = Step(row, OVERDUE_REASON[deadline], row.status, None, "system", now)
    step.internal_note = f"{deadline} deadline {clock.for_people(due)} missed"
    supervise(uow, step, level, OVERDUE_REASON[deadline], "system", automatic=True)
    return step.write(uow)  # the row is locked: the step applies


def supervise(uow: Unit, step: Step, level: int, reason: str, supervisor: str, automatic: bool) -> None:
    """Raise ``step``'s case to ``level``: the supervisors' deadline with its timers, and
    ``case.supervision_raised`` to the officers of that level (never the chair)."""
    row, conn = step.row, uow.conn
    terms = terms_of(conn, row)
    due = terms.supervised.due(step.at, calendar.current(conn))[0]
    step.level = level
    step.changes.update(supervision_level=level, supervised_due=due)
    set_deadline(uow, row.id, "supervised", step.at, due, terms)
    step.events.append(
        (
            "case.supervision_raised",
            events.CaseSupervisionRaised(
                case_id=row.id,
                grievance_id=row.grievance_id,
                level=level,
                reason=reason,
                supervisor=supervisor,
                at=step.at,
                recipients=officers(conn, level, row.county_code),
                automatic=automatic,
                about_chair=row.about_chair,
                urgency=row.urgency,
                enterprise_code=row.enterprise_code,
                county_code=row.county_code,
                accept_due=row.accept_due,
                resolve_due=row.resolve_due,
                supervised_due=due,
            ),
        )
    )


def pause_ends(uow: Unit, timer: Any) -> bool:
    row = _case(uow, timer)
    if row is None or row.paused_at != datetime.fromisoformat(timer.key):
        return False  # resumed by hand, or a later pause
    step = resume(uow, row, None, "system", clock.now(), automatic=True)
    return step.write(uow)


def resume(uow: Unit, row: Any, actor_id: str | None, actor_role: str, at: datetime, automatic: bool) -> Step:
    """The step that runs the case's resolve clock again: its deadlines move by the time paused."""
    paused = at - row.paused_at
    moved = {c: getattr(row, c) + paused for c in ("resolve_due", "supervised_due") if getattr(row, c)}
    step = Step(row, "pause_ended" if automatic else "resume", row.status, actor_id, actor_role, at)
    step.changes.update(
        paused_at=None,
        pause_reason=None,
        pause_ends=None,
        paused_seconds=row.paused_seconds + int(paused.total_seconds()),
        **moved,
    )
    terms = terms_of(uow.conn, row)
    for column, due in moved.items():
        deadline = "resolve" if column == "resolve_due" else "supervised"
        set_deadline(uow, row.id, deadline, at, due, terms)
    step.events.append(
        (
            "case.clock_resumed",
            events.CaseClockResumed(
                case_id=row.id,
                grievance_id=row.grievance_id,
                paused_seconds=int(paused.total_seconds()),
                resolve_due=moved.get("resolve_due", row.resolve_due),
                supervised_due=moved.get("supervised_due"),
                automatic=automatic,
                at=at,
            ),
        )
    )
    return step


def close_unanswered(uow: Unit, timer: Any) -> bool:
    row = _case(uow, timer)
    if row is None or row.status != "resolved" or row.resolved_at != datetime.fromisoformat(timer.key):
        return False  # answered, or resolved again since
    days = uow.settings.feedback_days  # type: ignore[attr-defined]
    note = f"no feedback within {days} days: feedback none"
    return Step(row, "feedback_timeout", "closed", None, "system", clock.now(), internal_note=note).write(uow)


FIRES = {"remind": remind, "overdue": overdue, "resume": pause_ends, "feedback_close": close_unanswered}


# -- who hears of it --------------------------------------------------------------------------------
def _people(conn, *conditions) -> tuple[events.Assignee, ...]:
    rows = conn.execute(select(staff).where(staff.c.active, *conditions).order_by(staff.c.id)).all()
    return tuple(
        events.Assignee(id=p.id, name=p.name, role=p.role, org_code=p.org_code, email=p.email, phone=p.phone)
        for p in rows
    )


def assignees(conn, row: Any) -> tuple[events.Assignee, ...]:
    """Whom a reminder goes to: the assignee, or else their organisation's people of that role."""
    if row.assignee_id:
        person = _people(conn, staff.c.id == row.assignee_id)
        if person:
            return person
    return _people(conn, staff.c.role == row.assignee_role, staff.c.org_code == row.assignee_org)


def officers(conn, level: int, county_code: str | None) -> tuple[events.Assignee, ...]:
    """The officers supervising at ``level``: the county union's (1), the city federation's (2)."""
    if level >= 2 or county_code is None:
        return _people(conn, staff.c.role == "city_officer", staff.c.org_code == CITY_ORG)
    return _people(conn, staff.c.role == "county_officer", staff.c.org_code == county_code)
