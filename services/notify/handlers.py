"""notify's event handlers: decide what to send and to whom; the dispatcher sends it after commit.

Each message is a row of the notification log with a dedup key (``services/notify/outgoing.py``), so
it exists once however often its event comes. notify keeps no directory: the events carry their
recipients.
"""

from __future__ import annotations

from sqlalchemy import select, update

from services.notify import messages
from services.notify.models import case_scopes, contacts, revocations
from services.notify.outgoing import About, Text, to_group, to_staff, to_worker
from shared import auth, events
from shared.db import insert_ignore
from shared.uow import Handler, Unit


def _status_url(uow: Unit, tracking_code: str) -> str:
    return f"{uow.settings.public_base_url.rstrip('/')}/s/{tracking_code}"


def contact_shared(uow: Unit, envelope: events.Envelope, c: events.GrievanceContactShared) -> None:
    insert_ignore(
        uow.conn,
        contacts,
        {
            "grievance_id": c.grievance_id,
            "tracking_code": c.tracking_code,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
        },
    )
    url = _status_url(uow, c.tracking_code)
    text = Text("worker_ack", *messages.worker_ack(c.tracking_code, url), messages.worker_ack_sms(url))
    to_worker(uow, f"worker_ack:{c.grievance_id}", text, c, About(c.grievance_id))


def case_assigned(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    _keep_scope(uow, envelope, e)
    text = Text("case_assigned", *messages.case_assigned(e))
    to_staff(uow, f"case_assigned:{e.case_id}", text, e.assignee, About(e.grievance_id, e.case_id))


def _keep_scope(uow: Unit, envelope: events.Envelope, e: events.CaseAssigned) -> None:
    """The case's scope facts, for the staff's notification log; the latest assignment wins."""
    at = e.assigned_at or envelope.occurred_at
    facts = {
        "grievance_id": e.grievance_id,
        "enterprise_code": e.enterprise_code,
        "county_code": e.county_code,
        "assignee_org": e.assignee.org_code,
        "about_chair": e.about_chair,
        "urgent": e.urgency == "urgent",
        "assigned_at": at,
    }
    if not insert_ignore(uow.conn, case_scopes, {"case_id": e.case_id, **facts}):
        s = case_scopes.c
        uow.conn.execute(
            update(case_scopes).where(s.case_id == e.case_id, s.assigned_at <= at).values(**facts)
        )


def _the_chair(e: events.CaseSupervisionRaised, person: events.Assignee) -> bool:
    """Whether ``person`` is, or may be, the chair a demand about the chair is about."""
    return bool(
        e.about_chair
        and (
            person.role == "enterprise_chair" or (e.enterprise_code and person.org_code == e.enterprise_code)
        )
    )


def supervision_raised(uow: Unit, envelope: events.Envelope, e: events.CaseSupervisionRaised) -> None:
    """Mail and SMS to each officer of the level and one message to the level's staff group (the
    county's at level 1, the city's at 2); never anything to the chair of a demand about the chair."""
    text = Text("supervision_raised", *messages.supervision_raised(e), messages.supervision_sms(e))
    key, about = f"supervision:{e.case_id}:{e.level}", About(e.grievance_id, e.case_id, e.urgency == "urgent")
    for person in e.recipients:
        if not _the_chair(e, person):
            to_staff(uow, key, text, person, about)
    county = e.county_code or next(
        (p.org_code for p in e.recipients if p.role == "county_officer" and p.org_code), None
    )
    org = "city" if e.level >= 2 else county
    if org:
        to_group(uow, key, text, org, about)


def reminder_due(uow: Unit, envelope: events.Envelope, e: events.CaseReminderDue) -> None:
    """Mail and SMS to each assignee: a deadline draws near and its action is not done. The share of
    the time and the due date are in the key: each share, and a deadline moved (extended, paused),
    has reminders of its own."""
    text = Text("reminder_due", *messages.reminder(e), messages.reminder_sms(e))
    share = "" if e.fraction is None else f"{e.fraction:g}"
    key = f"reminder:{e.case_id}:{e.deadline}:{e.when}{share}:{int(e.due.timestamp())}"
    about = About(e.grievance_id, e.case_id, e.urgency == "urgent")
    for person in e.recipients:
        to_staff(uow, key, text, person, about)


def companion_day_missed(uow: Unit, envelope: events.Envelope, e: events.CompanionDayMissed) -> None:
    """Mail to each officer of the county union: an enterprise's companion day was missed."""
    text = Text("companion_day_missed", *messages.companion_day_missed(e))
    key = f"companion_missed:{e.enterprise_code}:{e.day.isoformat()}"
    for person in e.recipients:
        to_staff(uow, key, text, person, About(None))


ANSWERS = ("resolved", "rejected")  # the steps a named worker hears of
FINAL = ("closed", "rejected", "merged")  # routing's final statuses: the contact's retention starts


def case_status_changed(uow: Unit, envelope: events.Envelope, e: events.CaseStatusChanged) -> None:
    if e.to in FINAL:
        uow.conn.execute(
            update(contacts)
            .where(contacts.c.grievance_id == e.grievance_id, contacts.c.finished_at.is_(None))
            .values(finished_at=e.at)
        )
    if e.to not in ANSWERS or e.from_ == e.to:
        return
    contact = uow.conn.execute(select(contacts).where(contacts.c.grievance_id == e.grievance_id)).first()
    if contact is None:
        return  # anonymous (or erased): the status page is the answer
    url = _status_url(uow, contact.tracking_code)
    text = Text(
        "worker_answer",
        *messages.worker_answer(contact.tracking_code, e.to, e.public_note, url),
        messages.worker_answer_sms(e.to, url),
    )
    urgent = uow.conn.execute(select(case_scopes.c.urgent).where(case_scopes.c.case_id == e.case_id)).scalar()
    about = About(e.grievance_id, e.case_id, bool(urgent))
    to_worker(uow, f"worker_answer:{e.grievance_id}:{e.to}:{e.at.isoformat()}", text, contact, about)


def staff_revoked(uow: Unit, envelope: events.Envelope, r: events.StaffRevoked) -> None:
    auth.record_revocation(uow.conn, revocations, r.staff_id, r.revoked_at)


HANDLERS: dict[str, Handler] = {
    "grievance.contact_shared": contact_shared,
    "case.assigned": case_assigned,
    "case.status_changed": case_status_changed,
    "case.supervision_raised": supervision_raised,
    "case.reminder_due": reminder_due,
    "companion_day.missed": companion_day_missed,
    "staff.revoked": staff_revoked,
}
