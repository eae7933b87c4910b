"""督办 runs itself, end to end: real processes restarted with CLOCK_OFFSET moved forward, a real SMTP
server, and a real HTTP sink run by the test for the SMS gateway and the staff group bots.

A demand left alone gets its reminders, then rises to the county (the officer mailed and texted,
the county's group told), then to the city; a paused case does not escalate until its pause ends;
a named worker who left only a phone number hears by SMS.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from harness.system import Xinsheng
from shared import clock
from shared.procs import wait_until
from tests.support.notify import Sink

pytestmark = pytest.mark.e2e
WORKER_PHONE = "13912345678"
PAUSE = "等待噪声检测机构出具报告 waiting for the noise measurement"


def digits(text: object) -> str:
    return re.sub(r"\D", "", str(text or ""))


def at_ten(day: date) -> datetime:
    """10:00 China time on ``day``: in the daytime, when messages to people go out."""
    return clock.day_start(day) + timedelta(hours=10)


def next_monday(after: datetime) -> date:
    day = clock.local(after).date() + timedelta(days=1)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


class Drill:
    """The system, and the test's own clock kept at the system's (its staff tokens are dated by it)."""

    def __init__(self, xs: Xinsheng, sms: Sink, groups: Sink):
        self.xs, self.sms, self.groups = xs, sms, groups
        clock.set_offset(clock.parse_offset(xs.env["CLOCK_OFFSET"]))
        self.city = xs.staff()

    def move_to(self, moment: datetime) -> None:
        """Restart every process with the clock at ``moment``."""
        offset = clock.offset_to(moment)
        self.xs.restart(CLOCK_OFFSET=offset)
        clock.set_offset(clock.parse_offset(offset))

    def submit(self, enterprise: str, **more) -> str:
        body = {
            "enterprise_code": enterprise,
            "category": "workplace",
            "description": "车间噪音太大,耳朵疼",
            **more,
        }
        status, answer = self.xs.post_json("intake", "/api/v1/grievances", body)
        assert status == 201, answer
        return answer["tracking_code"]

    def case_of(self, enterprise: str) -> dict:
        status, page = self.xs.get("routing", f"/api/v1/cases?enterprise={enterprise}", **self.city)
        assert status == 200 and page["total"] == 1, page
        return self.case(page["items"][0]["id"])

    def case(self, case_id: str) -> dict:
        status, found = self.xs.get("routing", f"/api/v1/cases/{case_id}", **self.city)
        assert status == 200, found
        return found

    def act(self, headers: dict, case_id: str, action: str, **body) -> dict:
        version = self.case(case_id)["version"]
        status, answer = self.xs.post_json(
            "routing", f"/api/v1/cases/{case_id}/{action}", {"version": version, **body}, **headers
        )
        assert status == 200, answer
        return answer

    def told(self, case_id: str) -> list[dict]:
        """notify's log of the case, as a supervisor reads it."""
        status, log = self.xs.get("notify", f"/api/v1/cases/{case_id}/notifications", **self.city)
        assert status == 200, log
        return log["items"]

    def texts_to(self, phone: str) -> list[dict]:
        return [body for body in self.sms.to("/sms") if digits(phone) in digits(body.get("to"))]

    def level(self, case_id: str) -> int:
        return self.case(case_id)["supervision_level"]


def sent(log: list[dict], kind: str, channel: str) -> list[dict]:
    return [n for n in log if n["kind"] == kind and n["channel"] == channel and n["status"] == "sent"]


def test_a_demand_left_alone_is_reminded_then_supervised_by_the_county_then_the_city(tmp_path):
    sms, groups = Sink(), Sink()
    monday = next_monday(clock.now())
    env = {
        "CLOCK_OFFSET": clock.offset_to(at_ten(monday)),
        "SMS_URL": sms.url("/sms"),
        "GROUP_URLS": f"C01={groups.url('/C01')} city={groups.url('/city')}",
        "TIMER_EVERY_SECONDS": "1",
    }
    try:
        with Xinsheng(tmp_path, env=env) as xs:
            d = Drill(xs, sms, groups)
            alone_code = d.submit("E001")
            phone_code = d.submit("E002", anonymous=False, contact={"name": "赵工", "phone": WORKER_PHONE})
            d.submit("E011")
            wait_until(
                lambda: all(
                    xs.get("intake", f"/api/v1/grievances/{c}")[1]["status"] == "assigned"
                    for c in (alone_code, phone_code)
                ),
                60,
                what="the demands to be assigned",
            )
            wait_until(
                lambda: d.texts_to(WORKER_PHONE), 60, what="the phone-only worker's SMS acknowledgement"
            )
            assert "/s/" in d.texts_to(WORKER_PHONE)[0]["message"]  # the way to follow it
            alone, paused = d.case_of("E001"), d.case_of("E011")

            # The E002 chair answers the phone-only worker: by SMS.
            chair2 = xs.staff("e002-chair", "enterprise_chair", "E002")
            answered = d.case_of("E002")["id"]
            d.act(chair2, answered, "accept")
            d.act(chair2, answered, "resolve", resolution="已为车间加装隔音设施")
            wait_until(lambda: len(d.texts_to(WORKER_PHONE)) >= 2, 60, what="the worker's answer by SMS")

            # The E011 chair accepts and pauses the clock while the noise is measured.
            chair11 = xs.staff("e011-chair", "enterprise_chair", "E011")
            d.act(chair11, paused["id"], "accept")
            assert d.act(chair11, paused["id"], "pause", reason=PAUSE)["paused"] is True

            # Wednesday evening: the accept deadline is near; the chair is reminded, by mail and SMS.
            accept_due = datetime.fromisoformat(alone["accept_due"])
            d.move_to(accept_due - timedelta(hours=6))
            wait_until(
                lambda: len(sent(d.told(alone["id"]), "reminder_due", "sms")) == 2, 60, what="two reminders"
            )
            log = d.told(alone["id"])
            assert len(sent(log, "reminder_due", "email")) == 2
            assert len(d.texts_to("138-0000-0001")) == 2
            assert d.level(alone["id"]) == 0

            # Thursday: the accept deadline passed: the county supervises (督办).
            d.move_to(at_ten(clock.local(accept_due).date() + timedelta(days=1)))
            wait_until(lambda: d.level(alone["id"]) == 1, 60, what="supervision by the county")
            wait_until(
                lambda: sent(d.told(alone["id"]), "supervision_raised", "sms"), 60, what="the county texted"
            )
            assert xs.mailbox.to("c01.union@example.org")
            assert d.texts_to("0371-6100-0001")
            assert groups.to("/C01")
            case = d.case(alone["id"])
            [raised] = [h for h in case["history"] if h["action"] == "accept_overdue"]
            assert (raised["actor_role"], raised["supervision_level"]) == ("system", 1)
            _, public = xs.get("intake", f"/api/v1/grievances/{alone_code}")
            assert public["supervision_level"] == 1 and "徐建国" not in str(public)

            # Its supervised deadline (5 working days) passed too: the city supervises.
            supervised_due = datetime.fromisoformat(case["supervised_due"])
            d.move_to(at_ten(clock.local(supervised_due).date() + timedelta(days=1)))
            wait_until(lambda: d.level(alone["id"]) == 2, 60, what="supervision by the city")
            wait_until(lambda: xs.mailbox.to("city.officer@example.org"), 60, what="the city mailed")
            wait_until(lambda: d.texts_to("0371-6000-0001"), 60, what="the city texted")
            assert groups.to("/city")

            # The paused case: its resolve deadline passes, and it does not escalate.
            paused = d.case(paused["id"])
            d.move_to(
                at_ten(clock.local(datetime.fromisoformat(paused["resolve_due"])).date() + timedelta(days=1))
            )
            assert d.level(paused["id"]) == 0 and d.case(paused["id"])["paused"] is True
            # The pause reaches its bound (30 days) and ends by itself; the deadline moved with it.
            pause_ends = datetime.fromisoformat(paused["pause_ends"])
            d.move_to(at_ten(clock.local(pause_ends).date() + timedelta(days=1)))
            wait_until(lambda: not d.case(paused["id"])["paused"], 60, what="the pause to end")
            resumed = d.case(paused["id"])
            assert resumed["history"][-1]["action"] == "pause_ended" and resumed["supervision_level"] == 0
            moved_due = datetime.fromisoformat(resumed["resolve_due"])
            assert moved_due - datetime.fromisoformat(paused["resolve_due"]) >= timedelta(days=30)
            # Only when the moved deadline passes does it escalate.
            d.move_to(at_ten(clock.local(moved_due).date() + timedelta(days=1)))
            wait_until(lambda: d.level(paused["id"]) == 1, 60, what="the paused case to escalate at last")
            assert [h["action"] for h in d.case(paused["id"])["history"]][-1] == "resolve_overdue"
    finally:
        clock.set_offset(None)
        sms.close()
        groups.close()
