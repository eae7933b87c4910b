"""notify's texts: every SMS in Chinese within one 70-character segment with realistic long values,
from the catalogue (translated, not the English message id); deadlines in China time."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from services.notify import messages
from shared import clock, events
from shared.i18n import translate
from tests.support.notify import reminder, supervision

CASE_ID = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
# A long public address of the status page: up to 36 characters, a worker's SMS fits one segment.
LONG_BASE = "https://xinsheng.zgh.example.gov.cn"
STATUS_URL = f"{LONG_BASE}/s/ABCD-EFGH-JKMN"
DUE = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 on New Year's Eve, China time
REASONS = [*messages.WHY, "企业负责人多次推诿，职工反映强烈，请市总工会直接督办并于三日内反馈"]


def every_sms() -> list[tuple[str, str]]:
    """Every SMS notify can send, with the longest values each can carry; (what, text)."""
    texts = []
    for level, reason, due in itertools.product((1, 2), REASONS, (DUE, None)):
        event = supervision(level=level, reason=reason, case_id=CASE_ID, supervised_due=due, resolve_due=due)
        texts.append((f"supervision {level} {reason[:16]} {due}", messages.supervision_sms(event)))
    for deadline, (when, fraction) in itertools.product(
        messages.DEADLINE, [("half_time", None), ("half_time", 0.75), ("day_before", None)]
    ):
        event = reminder(case_id=CASE_ID, deadline=deadline, when=when, fraction=fraction, due=DUE)
        texts.append((f"reminder {deadline} {when} {fraction}", messages.reminder_sms(event)))
    texts.append(("worker ack", messages.worker_ack_sms(STATUS_URL)))
    for status in ("resolved", "rejected"):
        texts.append((f"worker answer {status}", messages.worker_answer_sms(status, STATUS_URL)))
    return texts


@pytest.mark.parametrize("what,text", every_sms(), ids=[w for w, _ in every_sms()])
def test_every_sms_fits_one_segment(what, text):
    assert len(text) <= messages.SMS_LIMIT, f"{what}: {len(text)} characters: {text}"


@pytest.mark.parametrize("what,text", every_sms(), ids=[w for w, _ in every_sms()])
def test_every_sms_is_chinese_from_the_catalogue(what, text):
    assert text.startswith("【职工心声】")
    words = re.sub(r"https?://\S+|[0-9a-f]{8}|\d\d-\d\d \d\d:\d\d", "", text)
    assert not re.search(r"[A-Za-z]{3,}", words), f"{what}: English left in {text}"


def test_a_reminder_at_another_share_of_the_time_says_which():
    assert "时间已过75%" in messages.reminder_sms(reminder(when="half_time", fraction=0.75))
    assert "时间已过半" in messages.reminder_sms(reminder(when="half_time", fraction=0.5))


def test_a_deadline_in_an_sms_is_china_time():
    text = messages.reminder_sms(reminder(due=DUE))
    assert "12-31 23:59" in text and "15:59" not in text


def test_the_sms_carries_the_short_case_id_and_never_the_whole():
    text = messages.supervision_sms(supervision(case_id=CASE_ID))
    assert CASE_ID[:8] in text and CASE_ID not in text


def test_a_worker_sms_carries_the_link_and_nothing_of_the_demand():
    text = messages.worker_answer_sms("rejected", STATUS_URL)
    assert STATUS_URL in text


@pytest.mark.parametrize(
    "label",
    [
        *messages.LEVEL.values(),
        *messages.WHY.values(),
        messages.BY_HAND,
        *messages.DEADLINE.values(),
        *messages.WHEN.values(),
    ],
)
def test_every_label_has_its_chinese(label):
    assert translate("zh", label) != label and translate("en", label) == label


def test_the_mail_to_officers_is_chinese_first_then_english():
    event: events.CaseSupervisionRaised = supervision(level=2, reason="accept_overdue", case_id=CASE_ID)
    subject, body = messages.supervision_raised(event)
    assert subject.index("市总工会") < subject.index("the city federation")
    assert body.index("受理超期") < body.index("not accepted in time")
    assert clock.for_people(event.supervised_due) in body and CASE_ID in body
