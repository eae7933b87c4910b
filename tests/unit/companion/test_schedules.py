"""companion's schedules over HTTP: set and read an enterprise's companion day, the list within scope,
a day called off beforehand, and the rules that refuse."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.companion import (
    ADMIN,
    CHAIR,
    CHAIR_2,
    CHAIR_900,
    CITY,
    COUNTY,
    COUNTY_2,
    cancel,
    error,
    now_is,
    put_schedule,
    record,
    rows,
    shown_days,
    snapshot,
)


# -- set and read ------------------------------------------------------------------------------------
def test_the_chair_sets_the_companion_day_and_reads_it_back(companion):
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 2, headers=CHAIR, starts_on="2026-09-01")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["enterprise"] == {"code": "E001", "name": "城关机械厂", "county_code": "C01"}
    assert body["schedule"]["updated_at"].startswith("2026-09-30T10:00")
    assert body["schedule"]["updated_at"].endswith("+08:00")
    assert {k: v for k, v in body["schedule"].items() if k != "updated_at"} == {
        "weekday": 2,
        "goes": "e001-chair",
        "stand_in_id": None,
        "starts_on": "2026-09-01",
    }
    # from this week's Monday, the eight weeks the settings show
    assert [(d["day"], d["planned"], d["status"]) for d in body["days"]] == [
        ("2026-09-30", "2026-09-30", "open"),
        ("2026-10-08", "2026-10-07", "scheduled"),
        ("2026-10-14", "2026-10-14", "scheduled"),
        ("2026-10-21", "2026-10-21", "scheduled"),
        ("2026-10-28", "2026-10-28", "scheduled"),
        ("2026-11-04", "2026-11-04", "scheduled"),
        ("2026-11-11", "2026-11-11", "scheduled"),
        ("2026-11-18", "2026-11-18", "scheduled"),
    ]
    assert body["days"][1]["moved_because"] == "国庆节"
    assert companion.get("/api/v1/schedules/E001", headers=CHAIR).get_json() == body
    [row] = rows(companion.rt, "schedules")
    assert (row["enterprise_code"], row["weekday"], row["updated_by"]) == ("E001", 2, "e001-chair")


@pytest.mark.parametrize(
    "headers, who",
    [(COUNTY, "c01-officer"), (CITY, "city-officer-1"), (ADMIN, "admin-1")],
)
def test_the_county_and_the_city_set_an_enterprises_companion_day(companion, headers, who):
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 4, headers=headers, starts_on="2026-09-01")
    assert answer.status_code == 200
    assert answer.get_json()["schedule"]["weekday"] == 4
    [row] = rows(companion.rt, "schedules")
    assert (row["weekday"], row["updated_by"]) == (4, who)
    assert companion.get("/api/v1/schedules/E001", headers=CHAIR).get_json()["schedule"]["weekday"] == 4


def test_a_stand_in_goes_instead_of_the_chair(companion):
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 1, stand_in_id="e001-vice.chair_2")
    assert answer.status_code == 200
    schedule = answer.get_json()["schedule"]
    assert (schedule["goes"], schedule["stand_in_id"]) == ("e001-vice.chair_2", "e001-vice.chair_2")
    listed = companion.get("/api/v1/schedules", headers=CITY).get_json()["enterprises"]
    assert next(e for e in listed if e["code"] == "E001")["goes"] == "e001-vice.chair_2"
    assert put_schedule(companion, 1, stand_in_id=None).get_json()["schedule"]["goes"] == "e001-chair"


def test_setting_the_schedule_again_replaces_it(wednesdays):
    answer = put_schedule(wednesdays, 0, starts_on="2026-09-01")
    assert answer.status_code == 200
    assert [d["day"] for d in answer.get_json()["days"]][:3] == ["2026-09-28", "2026-10-08", "2026-10-12"]
    assert [(r["enterprise_code"], r["weekday"]) for r in rows(wednesdays.rt, "schedules")] == [("E001", 0)]


def test_a_schedule_given_no_start_starts_today(companion):
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 0)
    assert answer.get_json()["schedule"]["starts_on"] == "2026-09-30"
    assert [(d["day"], d["planned"]) for d in answer.get_json()["days"]][:2] == [
        ("2026-10-08", "2026-10-05"),  # Monday 28 September came before the start
        ("2026-10-12", "2026-10-12"),
    ]


def test_changing_only_the_stand_in_keeps_the_days_already_past(wednesdays):
    """Saving the schedule again on the same weekday with no start keeps its start: a missed day stays
    on the record, and a day still open to record its visit stays a companion day."""
    assert shown_days(wednesdays, start=date(2026, 9, 21), weeks=1)["2026-09-23"]["status"] == "missed"
    now_is(date(2026, 10, 8))  # Wednesday 30 September is still open until tonight
    assert put_schedule(wednesdays, 2, stand_in_id="e001-vice").status_code == 200
    shown = shown_days(wednesdays, start=date(2026, 9, 21), weeks=1)
    assert {d: e["status"] for d, e in shown.items()} == {"2026-09-23": "missed"}
    assert record(wednesdays, "2026-09-30").status_code == 201


def test_a_new_weekday_given_no_start_holds_from_today(wednesdays):
    assert record(wednesdays, "2026-09-16").status_code == 201
    answer = put_schedule(wednesdays, 0)
    assert answer.get_json()["schedule"]["starts_on"] == "2026-09-30"
    assert [r["starts_on"] for r in rows(wednesdays.rt, "schedules")] == ["2026-09-30"]


def test_a_schedule_set_on_a_holiday_shows_no_day_before_it(companion):
    """BUG (days.companion_days, see test_days): set on Thursday 1 October (国庆节) for Fridays, the
    schedule shows Wednesday 30 September, the day before it was set, as its first day, "open"."""
    now_is(date(2026, 10, 1))
    answer = put_schedule(companion, 4, headers=CHAIR)
    assert answer.status_code == 200
    assert answer.get_json()["schedule"]["starts_on"] == "2026-10-01"
    assert [d["day"] for d in answer.get_json()["days"]][:2] == ["2026-10-09", "2026-10-16"]


def test_reading_a_schedule_not_set_yet(companion):
    answer = companion.get("/api/v1/schedules/E011", headers=COUNTY)
    assert answer.status_code == 200
    assert answer.get_json() == {
        "enterprise": {"code": "E011", "name": "城关纺织厂", "county_code": "C01"},
        "schedule": None,
        "days": [],
    }


def test_the_days_shown_start_and_span_as_asked(wednesdays):
    answer = wednesdays.get("/api/v1/schedules/E001?start=2026-09-14&weeks=2", headers=CHAIR)
    assert [(d["day"], d["status"]) for d in answer.get_json()["days"]] == [
        ("2026-09-16", "missed"),
        ("2026-09-23", "missed"),
    ]
    answer = wednesdays.get("/api/v1/schedules/E001?start=2026-08-01&weeks=53", headers=CHAIR)
    listed = [d["day"] for d in answer.get_json()["days"]]
    assert listed[0] == "2026-09-02" and listed[-1] == "2027-08-04"  # none before 1 September
    assert len(listed) == 49  # one a week to the last Wednesday shown


def test_with_no_notice_loaded_a_schedule_over_national_day_is_set_and_shown(bare):
    """Before routing publishes 2026's notice the package's calendar names the holiday (it was a 500,
    and nothing saved: see test_days)."""
    now_is(date(2026, 9, 30))
    answer = put_schedule(bare, 2, starts_on="2026-09-01")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["days"][1]["moved_because"] == "国庆节"


# -- the list ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers, codes",
    [
        (CITY, ["E001", "E011", "E002", "E021"]),
        (ADMIN, ["E001", "E011", "E002", "E021"]),
        (COUNTY, ["E001", "E011"]),
        (COUNTY_2, ["E002", "E021"]),
        (CHAIR, ["E001"]),
        (CHAIR_2, ["E002"]),
    ],
)
def test_the_list_holds_the_active_enterprises_within_scope(wednesdays, headers, codes):
    answer = wednesdays.get("/api/v1/schedules", headers=headers)
    assert answer.status_code == 200
    assert [e["code"] for e in answer.get_json()["enterprises"]] == codes


def test_the_list_gives_each_enterprises_weekday_and_who_goes(wednesdays):
    put_schedule(wednesdays, 4, code="E021", stand_in_id="c02-officer")
    listed = wednesdays.get("/api/v1/schedules", headers=CITY).get_json()["enterprises"]
    assert listed == [
        {"code": "E001", "name": "城关机械厂", "county_code": "C01", "weekday": 2, "goes": "e001-chair"},
        {"code": "E011", "name": "城关纺织厂", "county_code": "C01", "weekday": None, "goes": "e011-chair"},
        {"code": "E002", "name": "高新电子厂", "county_code": "C02", "weekday": None, "goes": "e002-chair"},
        {"code": "E021", "name": "高新食品厂", "county_code": "C02", "weekday": 4, "goes": "c02-officer"},
    ]


# -- a day called off beforehand ----------------------------------------------------------------------
def test_a_day_to_come_is_called_off_with_its_reason_and_takes_no_visit(wednesdays):
    answer = cancel(wednesdays, "2026-10-08", reason="厂区停电检修，全员放假")
    assert answer.status_code == 200
    shown = {d["day"]: d for d in answer.get_json()["days"]}
    assert (shown["2026-10-08"]["status"], shown["2026-10-08"]["cancel_reason"]) == (
        "cancelled",
        "厂区停电检修，全员放假",
    )
    assert shown["2026-10-14"]["status"] == "scheduled"
    [row] = rows(wednesdays.rt, "cancellations")
    assert (row["enterprise_code"], row["day"], row["cancelled_by"]) == ("E001", "2026-10-08", "e001-chair")

    now_is(date(2026, 10, 8))
    refused = record(wednesdays, "2026-10-08")
    assert error(refused) == (409, "day_cancelled")
    assert rows(wednesdays.rt, "visits") == []
    assert shown_days(wednesdays, start=date(2026, 10, 5), weeks=1)["2026-10-08"]["status"] == "cancelled"


@pytest.mark.parametrize("headers", [COUNTY, CITY, ADMIN])
def test_officers_call_a_day_off(wednesdays, headers):
    assert cancel(wednesdays, "2026-10-14", headers=headers).status_code == 200
    assert [r["day"] for r in rows(wednesdays.rt, "cancellations")] == ["2026-10-14"]


def test_todays_day_may_be_called_off_before_its_visit(wednesdays):
    assert cancel(wednesdays, "2026-09-30", reason="主席临时住院").status_code == 200
    assert error(record(wednesdays, "2026-09-30")) == (409, "day_cancelled")
    assert shown_days(wednesdays, start=date(2026, 9, 28), weeks=1)["2026-09-30"]["status"] == "cancelled"


def test_a_day_called_off_twice_keeps_the_first_reason(wednesdays):
    assert cancel(wednesdays, "2026-10-14", reason="第一次的理由").status_code == 200
    assert error(cancel(wednesdays, "2026-10-14", reason="第二次的理由", headers=CITY)) == (
        409,
        "already_cancelled",
    )
    assert [r["reason"] for r in rows(wednesdays.rt, "cancellations")] == ["第一次的理由"]


# -- the rules that refuse -------------------------------------------------------------------------------
def test_a_past_day_cannot_be_called_off(wednesdays):
    before = snapshot(wednesdays.rt)
    assert error(cancel(wednesdays, "2026-09-23")) == (409, "too_late_to_cancel")
    assert snapshot(wednesdays.rt) == before


def test_a_held_day_cannot_be_called_off(wednesdays):
    assert record(wednesdays, "2026-09-30").status_code == 201
    before = snapshot(wednesdays.rt)
    assert error(cancel(wednesdays, "2026-09-30")) == (409, "already_held")
    assert snapshot(wednesdays.rt) == before


@pytest.mark.parametrize("day", ["2026-10-01", "2026-10-07", "2026-10-09", "2026-10-15", "2026-10-17"])
def test_a_day_that_is_not_a_companion_day_cannot_be_called_off(wednesdays, day):
    before = snapshot(wednesdays.rt)
    answer = cancel(wednesdays, day)
    assert error(answer) == (422, "invalid_fields")
    assert list(answer.get_json()["error"]["fields"]) == ["day"]
    assert snapshot(wednesdays.rt) == before


def test_without_a_schedule_no_day_is_called_off(wednesdays):
    before = snapshot(wednesdays.rt)
    assert error(cancel(wednesdays, "2026-10-14", code="E011", headers=COUNTY)) == (409, "no_schedule")
    assert snapshot(wednesdays.rt) == before


@pytest.mark.parametrize("headers", [CITY, COUNTY, CHAIR_900])
def test_an_inactive_enterprise_gets_no_schedule(companion, headers):
    now_is(date(2026, 9, 30))
    before = snapshot(companion.rt)
    assert error(put_schedule(companion, 2, code="E900", headers=headers)) == (409, "enterprise_inactive")
    assert snapshot(companion.rt) == before
    still = companion.get("/api/v1/schedules/E900", headers=headers)  # still readable, without a schedule
    assert still.status_code == 200 and still.get_json()["schedule"] is None


@pytest.mark.parametrize("path", ["/api/v1/schedules/E404", "/api/v1/schedules/e001"])
def test_an_unknown_enterprise_is_404(companion, path):
    assert error(companion.get(path, headers=CITY)) == (404, "not_found")
    before = snapshot(companion.rt)
    assert error(companion.put(path, json={"weekday": 1}, headers=CITY)) == (404, "not_found")
    assert error(companion.post(f"{path}/days/2026-10-14/cancel", json={"reason": "停电"}, headers=CITY)) == (
        404,
        "not_found",
    )
    assert snapshot(companion.rt) == before
