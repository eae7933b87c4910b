"""Each demand's steps, and the figures the rates read, derived again from all of them at each event.

Events come in any order and some more than once (the inbox keeps each once). A figure such as "the
first resolution was on time" depends on which deadline was in force at that moment, and "closed
without an answer" on whether an answer came after the last resolution: no single event can fold
those. So each step is kept (``case_log``: its kind, when, and the little it carries) and the
demand's figures are computed from its whole list, sorted by when they happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update

from services.reports.models import case_log, facts
from shared.db import insert_for
from shared.uow import Unit

# The order of steps that happened at the same moment: assigned, then its deadlines, then a status.
_RANK = {"assigned": 0, "deadlines": 1, "paused": 2, "status": 3, "feedback": 4}
ANSWERED = ("accepted", "rejected")  # a reasoned rejection is an answer too


@dataclass(frozen=True)
class Step:
    kind: str  # assigned (or passed on), deadlines, paused, status or feedback
    at: datetime
    data: dict[str, Any]


class _Pending:
    """The steps recorded in one transaction, written with their demands' figures at its end."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    def __call__(self, conn) -> None:
        derive_pending(conn, self.steps)


def record(uow: Unit, event_id: str, grievance_id: str, kind: str, at: datetime, **data: Any) -> None:
    """Keep one step of the demand (dates as ISO text). The steps of a transaction are written, and
    the figures of each demand they touch derived again, once, at its end: a consumer's batch of a
    hundred events costs a few statements, not a few hundred."""
    kept = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
    step = {"event_id": event_id, "grievance_id": grievance_id, "kind": kind, "at": at, "data": kept}
    uow.before_commit("reports.steps", _Pending).steps.append(step)


def derive_pending(conn, recorded: list[dict[str, Any]]) -> None:
    """Write the steps recorded in this transaction (an event's step once, whatever comes again),
    then derive again the figures of their demands: their steps in one query, their facts in one
    statement per shape of figures."""
    if not recorded:
        return
    conn.execute(insert_for(conn.dialect.name, case_log).on_conflict_do_nothing(), recorded)
    pending = sorted({step["grievance_id"] for step in recorded})
    steps: dict[str, list[Step]] = {gid: [] for gid in pending}
    for i in range(0, len(pending), 500):
        for r in conn.execute(
            select(case_log.c.grievance_id, case_log.c.kind, case_log.c.at, case_log.c.data).where(
                case_log.c.grievance_id.in_(pending[i : i + 500])
            )
        ):
            steps[r.grievance_id].append(Step(r.kind, r.at, r.data))
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for gid, found in steps.items():
        figures = derive(found)
        shapes.setdefault(tuple(sorted(figures)), []).append({"gid": gid, **figures})
    for columns, rows in shapes.items():
        conn.execute(
            update(facts)
            .where(facts.c.grievance_id == bindparam("gid"))
            .values({c: bindparam(c) for c in columns}),
            rows,
        )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _in_force(dues: list[tuple[datetime, datetime]], moment: datetime | None) -> datetime | None:
    """The deadline set last at or before ``moment`` (the latest, without a moment)."""
    if not dues:
        return None
    if moment is None:
        return dues[-1][1]
    before = [due for at, due in dues if at <= moment]
    return before[-1] if before else dues[0][1]


def derive(steps: list[Step]) -> dict[str, Any]:
    """The demand's figures from its steps, whatever order they were recorded in."""
    steps = sorted(steps, key=lambda s: (s.at, _RANK[s.kind]))
    assigned_at = None
    holder: dict[str, Any] = {}
    accept_dues: list[tuple[datetime, datetime]] = []
    resolve_dues: list[tuple[datetime, datetime]] = []
    resumed: list[tuple[datetime, int]] = []
    pauses: list[datetime] = []
    statuses: list[tuple[datetime, str]] = []
    answers: list[tuple[datetime, bool, int | None]] = []
    for s in steps:
        d = s.data
        if s.kind == "assigned":
            holder = {
                "assignee_role": d.get("role"),
                "assignee_org": d.get("org"),
                "case_id": d.get("case_id"),
            }
            if d.get("reassigned"):  # passed on: the status and the dates stay
                continue
            assigned_at = assigned_at or s.at
        if s.kind in ("assigned", "deadlines"):
            if d.get("accept_due"):
                accept_dues.append((s.at, _when(d["accept_due"])))
            if d.get("resolve_due"):
                resolve_dues.append((s.at, _when(d["resolve_due"])))
            if d.get("paused_seconds"):
                resumed.append((s.at, d["paused_seconds"]))
        elif s.kind == "paused":
            pauses.append(s.at)
        elif s.kind == "status":
            statuses.append((s.at, d["to"]))
        elif s.kind == "feedback":
            answers.append((s.at, d["satisfied"], d.get("rating")))
    answered_at = next((at for at, to in statuses if to in ANSWERED), None)
    first_resolved = next((at for at, to in statuses if to == "resolved"), None)
    last_resolved = next((at for at, to in reversed(statuses) if to == "resolved"), None)
    final = statuses[-1][1] if statuses else None

    def open_pause(moment: datetime, ends: list[datetime]) -> datetime | None:
        """The start of a pause still running at ``moment``: none of ``ends`` came after it."""
        started = [p for p in pauses if p <= moment]
        if not started or any(started[-1] < at <= moment for at in ends):
            return None
        return started[-1]

    resumes = [at for at, _ in resumed]

    resolve_seconds, first_due = None, None
    if first_resolved is not None:
        running = open_pause(first_resolved, resumes)  # a resolution ends a pause: its time counts as paused
        still = (first_resolved - running).total_seconds() if running else 0
        first_due = _in_force(resolve_dues, first_resolved)
        if first_due is not None and still:
            first_due += timedelta(seconds=still)
        if assigned_at is not None:
            stopped = sum(n for at, n in resumed if at <= first_resolved) + still
            resolve_seconds = max(0, int((first_resolved - assigned_at).total_seconds() - stopped))
    latest = {  # the deadlines set last in time, whatever order they arrived in
        name: _in_force(dues, None)
        for name, dues in (("accept_due", accept_dues), ("resolve_due", resolve_dues))
        if dues
    }
    moments: dict[str, Any] = {}  # what the summary shows, the same whatever order events came in
    if statuses:
        moments["accepted_at"] = next((at for at, to in statuses if to == "accepted"), None)
        moments["resolved_at"] = last_resolved
    if pauses:  # still paused: no resume, no resolution since
        moments["paused_at"] = open_pause(
            steps[-1].at, resumes + [at for at, to in statuses if to == "resolved"]
        )
    if answers:
        moments.update(satisfied=answers[-1][1], rating=answers[-1][2])
    return {
        **holder,
        **latest,
        **moments,
        "answered_at": answered_at,
        "answer_due": _in_force(accept_dues, answered_at),
        "first_resolved_at": first_resolved,
        "first_resolve_due": first_due,
        "resolve_seconds": resolve_seconds,
        "final_answer_at": answers[-1][0] if answers else None,
        "final_satisfied": answers[-1][1] if answers else None,
        "closed_without_answer": None
        if final is None
        else final == "closed" and not any(at >= last_resolved for at, *_ in answers if last_resolved),
    }
