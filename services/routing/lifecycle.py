"""The life of a case (DESIGN §2) as data: which action may move which status where, and who may act.

Statuses: ``registered → assigned → accepted → in_progress → resolved → closed``, with the side
paths ``rejected``, ``reopened`` (→ back to ``in_progress``) and ``merged``. Supervision (督办) is a
level on the case, not a status; it only rises.

Staff actions and what they do to the status (``None``: the status stays):

=========  =============================================  ==========================================
action     from → to                                      who (within their scope)
=========  =============================================  ==========================================
accept     assigned → accepted                            the assigned organisation
note       accepted, reopened → in_progress (work began);  anyone in scope
           assigned, in_progress, resolved → unchanged
resolve    accepted, in_progress, reopened → resolved     the assigned organisation
reject     assigned, accepted → rejected                  the assigned organisation
reassign   open → unchanged (new assignee, same due dates) the assigned organisation, supervisors
escalate   open → unchanged (supervision level rises)     supervisors: county up to 1, city up to 2
extend     open → unchanged (resolve_due moves, once)     supervisors
merge      open → merged (into another open case)         the assigned organisation, supervisors
pause      accepted, in_progress, reopened → unchanged    the assigned organisation, supervisors
           (the resolve clock stops: a flag, with a reason
           the worker reads; bounded by the policy)
resume     the same → unchanged (the clock runs again;     the assigned organisation, supervisors
           the due dates move by the time paused)
=========  =============================================  ==========================================

A missed deadline raises supervision by itself (``timers.py``): the history shows the step with
actor ``system`` and the action ``accept_overdue``, ``resolve_overdue`` or ``supervised_overdue``;
a pause that reached its bound ends with ``pause_ended``.

The worker's feedback, through intake, moves ``resolved`` to ``closed`` (satisfied) or ``reopened``;
no answer within the feedback window closes it too, with feedback "none" (``timers.py``).
``closed``, ``rejected`` and ``merged`` are final: nothing moves them again.
"""

from __future__ import annotations

from shared import auth

OPEN = ("assigned", "accepted", "in_progress", "reopened")
FINAL = ("closed", "rejected", "merged")
SUPERVISORS = ("county_officer", "city_officer", "admin")
ACTIONS = (
    "accept",
    "note",
    "resolve",
    "reject",
    "reassign",
    "escalate",
    "extend",
    "merge",
    "pause",
    "resume",
)
PAUSABLE = ("accepted", "in_progress", "reopened")

_SAME = None
MOVES: dict[str, dict[str, str | None]] = {
    "accept": {"assigned": "accepted"},
    "note": {
        "assigned": _SAME,
        "accepted": "in_progress",
        "in_progress": _SAME,
        "reopened": "in_progress",
        "resolved": _SAME,
    },
    "resolve": {"accepted": "resolved", "in_progress": "resolved", "reopened": "resolved"},
    "reject": {"assigned": "rejected", "accepted": "rejected"},
    "reassign": dict.fromkeys(OPEN, _SAME),
    "escalate": dict.fromkeys(OPEN, _SAME),
    "extend": dict.fromkeys(OPEN, _SAME),
    "merge": dict.fromkeys(OPEN, "merged"),
    "pause": dict.fromkeys(PAUSABLE, _SAME),
    "resume": dict.fromkeys(PAUSABLE, _SAME),
}
# The worker's answer after resolution.
FEEDBACK = {True: ("resolved", "closed"), False: ("resolved", "reopened")}

_HANDLERS_ONLY = ("accept", "resolve", "reject")
_SUPERVISORS_ONLY = ("escalate", "extend")
_HANDLERS_OR_SUPERVISORS = ("reassign", "merge", "pause", "resume")
# The highest supervision level each supervisor may raise a case to.
MAX_LEVEL = {"county_officer": 1, "city_officer": 2, "admin": 2}


def handles(staff: auth.Staff, case) -> bool:
    """Whether ``staff`` belongs to the organisation the case is assigned to."""
    return staff.role == case.assignee_role and staff.org_code == case.assignee_org


def role_may(action: str, staff: auth.Staff, case) -> bool:
    """Whether ``staff`` (who can see ``case``) may take ``action`` on it, whatever its status."""
    if action in _HANDLERS_ONLY:
        return handles(staff, case)
    if action in _SUPERVISORS_ONLY:
        return staff.role in SUPERVISORS
    if action in _HANDLERS_OR_SUPERVISORS:
        return handles(staff, case) or staff.role in SUPERVISORS
    return action == "note"


def status_allows(action: str, status: str) -> bool:
    return status in MOVES[action]


def next_status(action: str, status: str) -> str:
    """The status after ``action``; the caller has checked ``status_allows``."""
    return MOVES[action][status] or status


def allowed(staff: auth.Staff, case) -> list[str]:
    """The actions ``staff`` may take on ``case`` now, in the order of ``ACTIONS``."""
    return [
        a
        for a in ACTIONS
        if status_allows(a, case.status)
        and role_may(a, staff, case)
        and not (a == "extend" and case.extended_at is not None)
        and not (a == "escalate" and case.supervision_level >= MAX_LEVEL.get(staff.role, 0))
        and not (a == "pause" and case.paused_at is not None)
        and not (a == "resume" and case.paused_at is None)
    ]
