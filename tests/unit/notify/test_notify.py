"""notify: what it queues for which event, and how the dispatcher sends, retries and gives up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from harness.private import free_port
from services.notify.dispatcher import Dispatcher
from services.notify.models import notifications
from shared import clock, events
from shared.i18n import both, translate
from tests.support.events import deliver, payloads

CHAIR_EMAIL = "chair.e001@example.org"
WORKER_EMAIL = "worker-4411@example.org"
TRACKING_CODE = "ABCD-EFGH-JKMN"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def as_utc(value: datetime) -> datetime:
    """A stored time as UTC; SQLite hands times back naive (a separate test covers that in routing)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def assigned(
    case_id: str | None = None, assignee_id: str = "e001-chair", email: str | None = CHAIR_EMAIL
) -> events.CaseAssigned:
    now = clock.now()
    return events.CaseAssigned(
        case_id=case_id or str(uuid.uuid4()),
        grievance_id=str(uuid.uuid4()),
        level=0,
        assignee=events.Assignee(
            id=assignee_id, name="王建国", role="enterprise_chair", org_code="E001", email=email
        ),
        accept_due=now + timedelta(days=2),
        resolve_due=now + timedelta(days=15),
        enterprise_code="E001",
        category="workplace",
        urgency="normal",
        assigned_at=now,
    )


def contact(email: str | None = WORKER_EMAIL) -> events.GrievanceContactShared:
    return events.GrievanceContactShared(
        grievance_id=str(uuid.uuid4()),
        tracking_code=TRACKING_CODE,
        name="李四",
        email=email,
        phone="13900000000",
    )


def changed(
    grievance_id: str,
    to: str,
    note: str | None = None,
    before: str = "in_progress",
    at: datetime | None = None,
) -> events.CaseStatusChanged:
    return events.CaseStatusChanged(
        case_id=str(uuid.uuid4()),
        grievance_id=grievance_id,
        from_=before,
        to=to,
        public_note=note,
        actor_role="enterprise_chair",
        at=at or clock.now(),
    )


def queued(rt) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(select(notifications).order_by(notifications.c.created_at)).all()


def outcomes(rt, etype: str) -> list[events.NotificationOutcome]:
    return payloads(rt, etype)


def make_due(rt) -> None:
    """Pretend the retry delay has passed."""
    with rt.engine.begin() as conn:
        conn.execute(update(notifications).values(next_attempt_at=clock.now() - timedelta(seconds=1)))


def mail_text(envelope) -> tuple[str, str]:
    message = message_from_bytes(envelope.content, policy=policy.default)
    return str(message["Subject"]), message.get_content()


# -- handlers ------------------------------------------------------------------------------------
def test_case_assigned_queues_one_notification_even_when_handled_twice(sqlite_runtime):
    rt = sqlite_runtime("notify")
    event = assigned()
    deliver(rt, event)
    deliver(rt, event)
    [row] = queued(rt)
    assert (row.kind, row.case_id, row.recipient, row.status) == (
        "case_assigned",
        event.case_id,
        CHAIR_EMAIL,
        "pending",
    )


def test_reassigned_case_notifies_the_new_assignee_too(sqlite_runtime):
    rt = sqlite_runtime("notify")
    event = assigned()
    deliver(rt, event)
    deliver(rt, assigned(event.case_id, assignee_id="c01-officer", email="c01.union@example.org"))
    assert sorted(row.recipient for row in queued(rt)) == ["c01.union@example.org", CHAIR_EMAIL]


def test_shared_contact_with_email_queues_a_worker_ack_with_the_tracking_code(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, contact())
    [row] = queued(rt)
    assert (row.kind, row.recipient) == ("worker_ack", WORKER_EMAIL)
    assert TRACKING_CODE in row.subject and TRACKING_CODE in row.body


def test_shared_contact_with_only_a_phone_queues_an_sms_acknowledgement(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, contact(email=None))
    [row] = queued(rt)
    assert (row.kind, row.audience, row.medium, row.recipient) == (
        "worker_ack",
        "worker",
        "sms",
        "13900000000",
    )
    assert f"/s/{TRACKING_CODE}" in row.body


def test_shared_contact_with_neither_email_nor_phone_queues_nothing(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, contact(email=None).model_copy(update={"phone": None}))
    assert queued(rt) == []


@pytest.mark.parametrize("to,note", [("resolved", "已更换降噪设备"), ("rejected", "不属于工会职责范围")])
def test_a_named_worker_hears_of_the_answer_once(sqlite_runtime, to, note):
    rt = sqlite_runtime("notify")
    worker = contact()
    deliver(rt, worker)
    step = changed(worker.grievance_id, to, note, before="accepted")
    deliver(rt, step)
    deliver(rt, step)  # the same step again
    rows = [r for r in queued(rt) if r.kind == "worker_answer"]
    assert len(rows) == 1 and rows[0].recipient == WORKER_EMAIL
    assert TRACKING_CODE in rows[0].subject and note in rows[0].body
    assert (f"/s/{TRACKING_CODE}" in rows[0].body) and (
        ("whether it is resolved" in rows[0].body) == (to == "resolved")
    )


def test_a_second_resolution_after_reopening_is_sent_too(sqlite_runtime):
    rt = sqlite_runtime("notify")
    worker = contact()
    deliver(rt, worker)
    deliver(rt, changed(worker.grievance_id, "resolved", at=clock.now() - timedelta(days=2)))
    deliver(rt, changed(worker.grievance_id, "resolved"))
    assert len([r for r in queued(rt) if r.kind == "worker_answer"]) == 2


@pytest.mark.parametrize(
    "to,before",
    [("accepted", "assigned"), ("in_progress", "accepted"), ("closed", "resolved"), ("resolved", "resolved")],
)
def test_other_steps_send_the_worker_nothing(sqlite_runtime, to, before):
    rt = sqlite_runtime("notify")
    worker = contact()
    deliver(rt, worker)
    deliver(rt, changed(worker.grievance_id, to, "note", before=before))
    assert [r.kind for r in queued(rt)] == ["worker_ack"]


def test_an_anonymous_worker_is_sent_nothing(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, changed(str(uuid.uuid4()), "resolved", "已解决"))
    assert queued(rt) == []


# -- the log channel -----------------------------------------------------------------------------
def test_without_smtp_the_message_goes_to_the_log_channel_and_counts_as_sent(sqlite_runtime):
    rt = sqlite_runtime("notify")
    deliver(rt, assigned())
    assert Dispatcher(rt.settings, rt.engine).run_once() == 1
    [row] = queued(rt)
    assert (row.channel, row.status, row.attempts) == ("log", "sent", 1)
    [sent] = outcomes(rt, "notification.sent")
    assert (sent.notification_id, sent.channel, sent.attempt, sent.error) == (row.id, "log", 1, None)


# -- a real SMTP server --------------------------------------------------------------------------
def test_dispatcher_emails_the_assignee_in_chinese_and_english(sqlite_runtime, smtp_server):
    inbox, port = smtp_server
    rt = sqlite_runtime("notify", smtp_host="127.0.0.1", smtp_port=port)
    event = assigned()
    deliver(rt, event)
    Dispatcher(rt.settings, rt.engine).run_once()
    [mail] = inbox.received
    assert mail.rcpt_tos == [CHAIR_EMAIL]
    subject, body = mail_text(mail)
    assert subject == both("New demand assigned to you (case %(case)s)", case=event.case_id[:8])
    zh, en = (translate(locale, "A new demand has been assigned to you.") for locale in ("zh", "en"))
    assert zh != en
    assert body.index(zh) < body.index(en)
    assert event.case_id in body


def test_sent_email_is_marked_sent_once_and_not_sent_again(sqlite_runtime, smtp_server):
    inbox, port = smtp_server
    rt = sqlite_runtime("notify", smtp_host="127.0.0.1", smtp_port=port)
    deliver(rt, assigned())
    dispatcher = Dispatcher(rt.settings, rt.engine)
    assert dispatcher.run_once() == 1
    assert dispatcher.run_once() == 0
    [row] = queued(rt)
    assert (row.channel, row.status, row.attempts) == ("email", "sent", 1)
    assert len(inbox.received) == 1
    assert len(outcomes(rt, "notification.sent")) == 1


# -- an SMTP server that is down -----------------------------------------------------------------
@pytest.fixture
def notify_without_smtp(sqlite_runtime):
    """notify configured for an SMTP port where nothing listens."""
    return sqlite_runtime("notify", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2.0)


def test_failed_send_is_recorded_and_retried_later(notify_without_smtp):
    rt = notify_without_smtp
    deliver(rt, assigned())
    Dispatcher(rt.settings, rt.engine).run_once()
    [row] = queued(rt)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.error
    assert as_utc(row.next_attempt_at) > clock.now()
    assert outcomes(rt, "notification.sent") == outcomes(rt, "notification.failed") == []


def test_not_yet_due_retry_is_left_alone(notify_without_smtp):
    rt = notify_without_smtp
    deliver(rt, assigned())
    dispatcher = Dispatcher(rt.settings, rt.engine)
    dispatcher.run_once()
    assert dispatcher.run_once() == 0
    assert queued(rt)[0].attempts == 1


def test_send_fails_for_good_after_the_last_attempt(notify_without_smtp):
    rt = notify_without_smtp
    deliver(rt, assigned())
    dispatcher = Dispatcher(rt.settings, rt.engine)
    for _ in range(rt.settings.max_send_attempts):
        make_due(rt)
        dispatcher.run_once()
    [row] = queued(rt)
    assert (row.status, row.attempts) == ("failed", rt.settings.max_send_attempts)
    [failed] = outcomes(rt, "notification.failed")
    assert (failed.notification_id, failed.attempt) == (row.id, rt.settings.max_send_attempts)
    assert failed.error
    assert CHAIR_EMAIL not in failed.error and CHAIR_EMAIL not in row.error
    make_due(rt)
    assert dispatcher.run_once() == 0
