"""The daytime window: SMS and group messages that are not urgent wait for 08:00 China time when
they fall between 21:00 and 08:00 (``DAYTIME``); mail and urgent demands go at once. The clock is
fixed (moved by its offset), never slept on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.notify.daytime import Window
from services.notify.dispatcher import Dispatcher
from tests.support.events import deliver
from tests.support.notify import as_utc, china, clock_at, phone_only_contact, rows, supervision

SMS_URL = "json://127.0.0.1:9/sms"  # never called here: the dispatcher holds the messages back


@pytest.mark.parametrize(
    "at,is_open",
    [
        ("2026-12-01 07:59", False),
        ("2026-12-01 08:00", True),
        ("2026-12-01 12:00", True),
        ("2026-12-01 20:59", True),
        ("2026-12-01 21:00", False),
        ("2026-12-01 23:59", False),
        ("2026-12-02 00:30", False),
    ],
)
def test_the_default_window_is_08_to_21_china_time(at, is_open):
    assert Window.parse("08:00-21:00").is_open(china(at)) is is_open


@pytest.mark.parametrize(
    "at,opens",
    [
        ("2026-12-01 21:00", "2026-12-02 08:00"),
        ("2026-12-01 23:59", "2026-12-02 08:00"),
        ("2026-12-02 00:01", "2026-12-02 08:00"),
        ("2026-12-02 07:59", "2026-12-02 08:00"),
        ("2026-12-31 22:00", "2027-01-01 08:00"),
    ],
)
def test_a_message_at_night_waits_for_the_next_0800(at, opens):
    assert Window.parse("08:00-21:00").next_open(china(at)) == china(opens)


def test_in_the_window_a_message_goes_at_once():
    moment = china("2026-12-01 10:15")
    assert Window.parse("08:00-21:00").next_open(moment) == moment


def test_a_window_may_span_midnight_and_always_means_no_window():
    night_shift = Window.parse("22:00-06:00")
    assert night_shift.is_open(china("2026-12-01 23:00")) and not night_shift.is_open(
        china("2026-12-01 12:00")
    )
    assert night_shift.next_open(china("2026-12-01 12:00")) == china("2026-12-01 22:00")
    assert Window.parse("always").is_open(china("2026-12-01 03:00"))


@pytest.mark.parametrize("text", ["8-21", "08:00", "25:00-26:00", "08:00-08:00", "08:61-21:00", "早上八点"])
def test_a_bad_daytime_setting_is_refused_in_words(text, sqlite_runtime):
    with pytest.raises(ValueError, match="DAYTIME"):
        sqlite_runtime("notify", daytime=text)


def test_a_supervision_at_night_mails_at_once_and_texts_at_0800(sqlite_runtime):
    rt = sqlite_runtime(
        "notify", smtp_host="127.0.0.1", sms_url=SMS_URL, group_urls="C01=json://127.0.0.1:9/g"
    )
    with clock_at(china("2026-12-01 23:10")):
        deliver(rt, supervision(level=1))
    due = {r.medium: as_utc(r.next_attempt_at) for r in rows(rt)}
    assert due["sms"] == due["group"] == china("2026-12-02 08:00")
    assert abs(due["email"] - china("2026-12-01 23:10")) < timedelta(minutes=1)


def test_an_urgent_supervision_texts_at_night(sqlite_runtime):
    rt = sqlite_runtime("notify", sms_url=SMS_URL)
    with clock_at(china("2026-12-01 23:10")):
        deliver(rt, supervision(urgency="urgent"))
    [sms] = rows(rt, medium="sms", recipient_id="c01-officer")
    assert abs(as_utc(sms.next_attempt_at) - china("2026-12-01 23:10")) < timedelta(minutes=1)


def test_a_worker_s_sms_waits_for_the_morning_too(sqlite_runtime):
    rt = sqlite_runtime("notify", sms_url=SMS_URL)
    with clock_at(china("2026-12-01 05:00")):
        deliver(rt, phone_only_contact())
    [sms] = rows(rt)
    assert as_utc(sms.next_attempt_at) == china("2026-12-01 08:00")


def test_the_log_channel_does_not_wait(sqlite_runtime):
    rt = sqlite_runtime("notify")  # no SMS gateway: the SMS goes to the log channel, waking nobody
    with clock_at(china("2026-12-01 23:10")):
        deliver(rt, supervision())
        assert Dispatcher(rt.settings, rt.engine).run_once() == 4
    assert {r.status for r in rows(rt)} == {"sent"}


def test_the_dispatcher_holds_a_message_at_night_without_counting_an_attempt(sqlite_runtime):
    """A message queued by day that is still due after 21:00 (a retry, a gateway that was down)."""
    rt = sqlite_runtime("notify", sms_url=SMS_URL)
    with clock_at(china("2026-12-01 20:00")):
        deliver(rt, supervision())
    with clock_at(china("2026-12-01 21:30")):
        Dispatcher(rt.settings, rt.engine).run_once()
    [sms] = rows(rt, medium="sms")
    assert (sms.status, sms.attempts, sms.error) == ("pending", 0, None)
    assert as_utc(sms.next_attempt_at) == china("2026-12-02 08:00")


def test_the_window_is_a_setting(sqlite_runtime):
    rt = sqlite_runtime("notify", sms_url=SMS_URL, daytime="09:30-18:00")
    with clock_at(china("2026-12-01 18:30")):
        deliver(rt, supervision())
    [sms] = rows(rt, medium="sms")
    assert as_utc(sms.next_attempt_at) == china("2026-12-02 09:30")
