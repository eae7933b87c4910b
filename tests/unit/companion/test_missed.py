"""Was the day held? A companion day with no visit by the end of the next working day, not called off
beforehand, is missed: kept once and told to the county union's officers; coverage per county and
week with both numbers; streaks; the metric."""

from __future__ import annotations

import json
from datetime import date

from services.companion import missed
from shared import events
from tests.support.companion import (
    CHAIR_2,
    CITY,
    COUNTY,
    cancel,
    enterprise_updated,
    now_is,
    put_schedule,
    record,
    rows,
)
from tests.support.events import deliver

OFFICER = events.Assignee(
    id="c01-officer",
    name="徐建国",
    role="county_officer",
    org_code="C01",
    email="c01@example.org",
    phone="0371-1",
)


def told(rt) -> list[dict]:
    return [
        json.loads(r["body"])["payload"] for r in rows(rt, "outbox") if r["type"] == "companion_day.missed"
    ]


def test_a_day_not_held_nor_called_off_is_missed_once_and_the_county_told(wednesdays):
    rt = wednesdays.rt
    deliver(rt, enterprise_updated("E001", county_officers=(OFFICER,)), producer="routing")
    now_is(date(2026, 9, 9), 18)
    record(wednesdays, "2026-09-02")  # held
    cancel(wednesdays, "2026-09-16", reason="全厂停产检修")  # called off beforehand
    now_is(date(2026, 9, 10), 23, 59)  # the 9th's visit may still be recorded today
    assert missed.find_missed(rt.engine, rt.settings) == 0 and told(rt) == []
    now_is(date(2026, 9, 11), 0, 1)
    assert missed.find_missed(rt.engine, rt.settings) == 1
    assert missed.find_missed(rt.engine, rt.settings) == 0  # never twice
    [event] = told(rt)
    assert (event["enterprise_code"], event["day"], event["county_code"]) == ("E001", "2026-09-09", "C01")
    assert [p["id"] for p in event["recipients"]] == ["c01-officer"]
    now_is(date(2026, 9, 25), 10)  # the 16th was called off: no miss; the 23rd missed
    assert missed.find_missed(rt.engine, rt.settings) == 1
    assert [e["day"] for e in told(rt)] == ["2026-09-09", "2026-09-23"]
    assert [(r["enterprise_code"], str(r["day"])) for r in rows(rt, "missed_days")] == [
        ("E001", "2026-09-09"),
        ("E001", "2026-09-23"),
    ]


def test_coverage_counts_held_out_of_due_per_county_and_week(wednesdays):
    now_is(date(2026, 9, 9), 18)
    record(wednesdays, "2026-09-02")
    record(wednesdays, "2026-09-09")
    put_schedule(wednesdays, 1, code="E002", headers=CHAIR_2, starts_on="2026-09-01")  # Tuesdays, C02
    record(wednesdays, "2026-09-08", code="E002", headers=CHAIR_2)
    cancel(wednesdays, "2026-09-16", reason="全厂停产检修")
    now_is(date(2026, 9, 30), 10)
    answer = wednesdays.get("/api/v1/coverage?start=2026-09-01&end=2026-09-30", headers=CITY).get_json()
    c01, c02 = answer["counties"]
    assert (c01["county_code"], c01["held"], c01["due"], c01["missed"], c01["cancelled"], c01["open"]) == (
        "C01",
        2,
        4,
        1,
        1,
        1,
    )  # 2, 9 held; 16 called off; 23 missed; 30 (today) open
    assert (c02["held"], c02["due"], c02["missed"], c02["open"]) == (1, 5, 3, 1)  # Tuesdays 1, 8 … 29
    weeks = {w["week"]: (w["held"], w["due"]) for w in c01["weeks"]}
    assert weeks["2026-08-31"] == (1, 1) and weeks["2026-09-14"] == (0, 0)  # the 16th called off
    streaks = {e["enterprise_code"]: e["streak"] for e in answer["enterprises"]}
    assert streaks == {"E001": 0, "E002": 0}
    # A county officer sees only the county.
    mine = wednesdays.get("/api/v1/coverage?start=2026-09-01&end=2026-09-30", headers=COUNTY).get_json()
    assert [c["county_code"] for c in mine["counties"]] == ["C01"]
    bad = wednesdays.get("/api/v1/coverage?start=2026-09-30&end=2026-09-01", headers=CITY)
    assert bad.status_code == 422 and "end" in bad.get_json()["error"]["fields"]


def test_the_streak_counts_days_held_in_a_row(wednesdays):
    now_is(date(2026, 9, 30), 10)
    for day in ("2026-09-09", "2026-09-16", "2026-09-23"):
        record(wednesdays, day)
    answer = wednesdays.get("/api/v1/coverage?start=2026-09-01&end=2026-09-30", headers=CITY).get_json()
    assert {e["enterprise_code"]: e["streak"] for e in answer["enterprises"]}["E001"] == 3  # the 2nd missed


def test_the_days_are_a_metric_by_county_and_outcome(wednesdays):
    now_is(date(2026, 9, 30), 10)
    record(wednesdays, "2026-09-23")
    text = wednesdays.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"}).get_data(
        as_text=True
    )
    assert 'xinsheng_companion_days_total{county="C01",outcome="held"} 1.0' in text
    assert 'xinsheng_companion_days_total{county="C01",outcome="missed"} 3.0' in text
    assert 'xinsheng_companion_days_total{county="C01",outcome="open"} 1.0' in text


def test_every_day_decided_is_published_once_with_its_outcome(wednesdays):
    rt = wednesdays.rt
    now_is(date(2026, 9, 9), 18)
    record(wednesdays, "2026-09-02")
    cancel(wednesdays, "2026-09-16", reason="全厂停产检修")
    now_is(date(2026, 9, 25), 10)
    missed.find_missed(rt.engine, rt.settings)
    missed.find_missed(rt.engine, rt.settings)  # nothing decided twice
    decided = [
        (p["day"], p["outcome"], p["county_code"])
        for p in (
            json.loads(r["body"])["payload"]
            for r in rows(rt, "outbox")
            if r["type"] == "companion_day.decided"
        )
    ]
    assert decided == [
        ("2026-09-02", "held", "C01"),
        ("2026-09-09", "missed", "C01"),
        ("2026-09-16", "cancelled", "C01"),
        ("2026-09-23", "missed", "C01"),
    ]
