"""A named worker's contact is erased from notify once its case has been final (closed, rejected,
merged) for longer than the retention (``CONTACT_RETENTION_DAYS``, 90): the contact's row is deleted
and the worker's address scrubbed from the notification log, once the messages to it are settled."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from services.notify import retention
from services.notify.dispatcher import Dispatcher
from services.notify.models import contacts, notifications
from shared import clock, events
from tests.support.events import deliver

STAFF_EMAIL = "chair.e001@example.org"


def contact(email: bool = True) -> events.GrievanceContactShared:
    mark = uuid.uuid4().hex[:10]
    return events.GrievanceContactShared(
        grievance_id=str(uuid.uuid4()),
        tracking_code=f"T{mark[:9].upper()}",
        name=f"工人{mark}",
        email=f"w-{mark}@example.org" if email else None,
        phone="139" + str(int(mark, 16))[-8:],
    )


def changed(gid: str, to: str, days: float, before: str = "accepted", **extra) -> events.CaseStatusChanged:
    return events.CaseStatusChanged(
        case_id=gid,
        grievance_id=gid,
        from_=before,
        to=to,
        public_note="答复 the answer",
        actor_role="enterprise_chair",
        at=clock.now() - timedelta(days=days),
        **extra,
    )


def assigned(gid: str) -> events.CaseAssigned:
    now = clock.now()
    return events.CaseAssigned(
        case_id=gid,
        grievance_id=gid,
        level=0,
        assignee=events.Assignee(
            id="e001-chair", name="王建国", role="enterprise_chair", org_code="E001", email=STAFF_EMAIL
        ),
        accept_due=now + timedelta(days=2),
        resolve_due=now + timedelta(days=15),
        enterprise_code="E001",
        category="wages",
        urgency="normal",
        assigned_at=now,
    )


def named(rt, status: str | None, days: float = 91, email: bool = True) -> events.GrievanceContactShared:
    """A named worker's demand: the contact, the staff's message, the case's end ``days`` ago (none:
    still open), every message sent."""
    c = contact(email)
    deliver(rt, c, producer="intake")
    deliver(rt, assigned(c.grievance_id), producer="routing")
    if status == "merged":
        deliver(rt, changed(c.grievance_id, "merged", days, merged_into_grievance_id=str(uuid.uuid4())))
    elif status is not None:
        deliver(rt, changed(c.grievance_id, status, days))
    send_all(rt)
    return c


def send_all(rt) -> None:
    while Dispatcher(rt.settings, rt.engine).run_once():
        pass


def contact_row(rt, c: events.GrievanceContactShared):
    with rt.engine.connect() as conn:
        return conn.execute(select(contacts).where(contacts.c.grievance_id == c.grievance_id)).first()


def messages(rt, c: events.GrievanceContactShared) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(
            select(notifications)
            .where(notifications.c.grievance_id == c.grievance_id)
            .order_by(notifications.c.created_at)
        ).all()


def worker_messages(rt, c) -> list:
    return [m for m in messages(rt, c) if m.kind.startswith("worker_")]


def kept(rt, c) -> bool:
    """The contact's row is there and its messages still carry its address."""
    row = contact_row(rt, c)
    sent_to = {m.recipient for m in worker_messages(rt, c)}
    return row is not None and row.name == c.name and sent_to == ({c.email} if c.email else set())


def erased(rt, c) -> bool:
    """No row, no message addressed to the worker; the staff's message keeps the staff address."""
    return (
        contact_row(rt, c) is None
        and all(m.recipient is None for m in worker_messages(rt, c))
        and {m.recipient for m in messages(rt, c) if m.kind == "case_assigned"} == {STAFF_EMAIL}
    )


def no_trace(rt, c) -> bool:
    """Nothing of the contact is anywhere in notify's tables, any column."""
    text = ""
    with rt.engine.connect() as conn:
        for table in (contacts, notifications):
            text += repr(conn.execute(select(table)).all())
    return not [s for s in (c.name, c.email, c.phone) if s and s in text]


def sweep(rt) -> int:
    return retention.erase_expired(rt.engine, rt.settings)


def erased_count() -> float:
    return REGISTRY.get_sample_value("xinsheng_contacts_erased_total", {"service": "notify"}) or 0.0


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- when the case became final ------------------------------------------------------------------
@pytest.mark.parametrize("status", ["closed", "rejected", "merged"])
def test_the_moment_a_case_becomes_final_is_recorded_on_its_contact(sqlite_runtime, status):
    rt = sqlite_runtime("notify")
    c = named(rt, status, days=3)
    at = as_utc(contact_row(rt, c).finished_at)
    assert abs(at - (clock.now() - timedelta(days=3))) < timedelta(seconds=5)


@pytest.mark.parametrize("status", ["accepted", "in_progress", "resolved", "reopened"])
def test_an_open_status_records_no_end(sqlite_runtime, status):
    rt = sqlite_runtime("notify")
    c = named(rt, status)
    assert contact_row(rt, c).finished_at is None


def test_the_first_end_is_kept_when_the_event_comes_again(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=100)
    first = contact_row(rt, c).finished_at
    deliver(rt, changed(c.grievance_id, "rejected", days=1))
    assert contact_row(rt, c).finished_at == first


def test_a_final_status_of_a_demand_without_contact_changes_nothing(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, changed(str(uuid.uuid4()), "closed", days=100))
    with rt.engine.connect() as conn:
        assert conn.execute(select(contacts)).all() == []
    assert sweep(rt) == 0


# -- the sweep -----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["closed", "rejected", "merged"])
def test_a_contact_final_91_days_ago_is_deleted_and_scrubbed_from_the_messages(sqlite_runtime, status):
    rt = sqlite_runtime("notify")
    c = named(rt, status, days=91)
    assert kept(rt, c) and worker_messages(rt, c)
    before = erased_count()

    assert sweep(rt) == 1

    assert erased(rt, c) and no_trace(rt, c)
    assert erased_count() == before + 1
    assert all(m.status == "sent" and m.body for m in worker_messages(rt, c))  # the log itself stays


def test_only_the_finished_contact_is_erased(sqlite_runtime):
    rt = sqlite_runtime("notify")
    old = named(rt, "closed", days=91)
    recent = named(rt, "closed", days=89)
    open_ = named(rt, None)
    with rt.engine.begin() as conn:  # however long ago the open one was given
        conn.execute(update(notifications).values(created_at=clock.now() - timedelta(days=400)))
    assert sweep(rt) == 1
    assert erased(rt, old) and kept(rt, recent) and kept(rt, open_)


def test_a_contact_with_only_a_phone_is_erased_and_scrubbed_from_its_sms(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=120, email=False)
    sms = worker_messages(rt, c)
    assert [(m.kind, m.medium, m.recipient) for m in sms] == [
        ("worker_ack", "sms", c.phone),
        ("worker_answer", "sms", c.phone),
    ]
    assert sweep(rt) == 1
    assert contact_row(rt, c) is None and no_trace(rt, c)
    assert all(m.recipient is None and m.status == "sent" for m in worker_messages(rt, c))


def test_a_contact_waits_while_an_sms_to_it_is_pending(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=91, email=False)
    with rt.engine.begin() as conn:
        conn.execute(
            update(notifications).where(notifications.c.kind == "worker_answer").values(status="pending")
        )
    assert sweep(rt) == 0
    assert contact_row(rt, c) is not None
    send_all(rt)
    assert sweep(rt) == 1
    assert contact_row(rt, c) is None and no_trace(rt, c)


def test_a_failed_message_is_scrubbed(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=91)
    with rt.engine.begin() as conn:
        conn.execute(
            update(notifications).where(notifications.c.kind != "case_assigned").values(status="failed")
        )
    assert sweep(rt) == 1
    assert erased(rt, c) and no_trace(rt, c)


def test_a_contact_waits_while_a_message_to_it_is_pending(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=91)
    with rt.engine.begin() as conn:  # the answer not sent yet: the dispatcher needs the address
        conn.execute(
            update(notifications).where(notifications.c.kind == "worker_answer").values(status="pending")
        )
    assert sweep(rt) == 0
    assert kept(rt, c)
    send_all(rt)
    assert sweep(rt) == 1
    assert erased(rt, c) and no_trace(rt, c)


def test_the_sweep_is_idempotent(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "closed", days=91)
    assert sweep(rt) == 1
    count = erased_count()
    with rt.engine.connect() as conn:
        before = conn.execute(select(notifications).order_by(notifications.c.id)).all()
    assert sweep(rt) == 0
    with rt.engine.connect() as conn:
        assert conn.execute(select(notifications).order_by(notifications.c.id)).all() == before
    assert erased(rt, c) and erased_count() == count


def test_a_late_answer_event_after_the_erasure_sends_nothing(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "rejected", days=91)
    sweep(rt)
    deliver(rt, changed(c.grievance_id, "rejected", days=91))  # redelivered under a new id
    assert erased(rt, c) and no_trace(rt, c)


def test_the_retention_is_a_setting(sqlite_runtime):
    rt = sqlite_runtime("notify", contact_retention_days=30)
    c = named(rt, "closed", days=31)
    assert sweep(rt) == 1
    assert erased(rt, c)


def test_the_retention_follows_the_clock_offset(sqlite_runtime):
    rt = sqlite_runtime("notify")
    c = named(rt, "closed", days=0)
    assert sweep(rt) == 0
    before = clock.offset()
    clock.set_offset(before + timedelta(days=91))  # CLOCK_OFFSET=91d
    try:
        assert sweep(rt) == 1
    finally:
        clock.set_offset(before)
    assert erased(rt, c)


def test_a_large_backlog_is_erased_in_batches(sqlite_runtime, monkeypatch):
    rt = sqlite_runtime("notify")
    monkeypatch.setattr(retention, "BATCH", 2)
    done = [named(rt, "closed", days=100) for _ in range(5)]
    assert [sweep(rt) for _ in range(4)] == [2, 2, 1, 0]
    assert all(erased(rt, c) for c in done)


def test_the_log_says_how_many_never_whose(sqlite_runtime, caplog):
    rt = sqlite_runtime("notify")
    c = named(rt, "closed", days=91)
    caplog.set_level(logging.DEBUG)
    sweep(rt)
    records = [r for r in caplog.records if r.name == retention.__name__]
    assert [(r.getMessage(), r.count) for r in records] == [("contacts erased", 1)]
    text = " ".join(f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)
    assert not [s for s in (c.name, c.email, c.phone) if s in text]
