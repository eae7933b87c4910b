"""companion's visits (走访) over HTTP: recorded on a companion day or after, one per day, read back and
listed with filters; and the rules that refuse."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.companion import (
    ADMIN,
    CHAIR,
    CHAIR_2,
    CITY,
    COUNTY,
    COUNTY_2,
    error,
    now_is,
    put_schedule,
    record,
    rows,
    shown_days,
    snapshot,
)


def visit(client, visit_id: str, headers=None) -> dict:
    answer = client.get(f"/api/v1/visits/{visit_id}", headers=headers or CITY)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def listed(client, query: str = "", headers=None) -> list[tuple[str, str]]:
    answer = client.get(f"/api/v1/visits{query}", headers=headers or CITY)
    assert answer.status_code == 200, answer.get_json()
    return [(v["enterprise_code"], v["day"]) for v in answer.get_json()["visits"]]


# -- recorded and read back -------------------------------------------------------------------------
def test_the_chair_records_todays_visit_and_reads_it_back(wednesdays):
    answer = record(
        wednesdays,
        "2026-09-30",
        workshops=["一车间", "食堂"],
        workers_met=23,
        summary="午饭时与职工交流加班费问题。",
    )
    assert answer.status_code == 201
    visit_id = answer.get_json()["id"]
    assert set(answer.get_json()) == {"id"}
    got = visit(wednesdays, visit_id, headers=CHAIR)
    assert got["recorded_at"].startswith("2026-09-30T10:00") and got["recorded_at"].endswith("+08:00")
    assert {k: v for k, v in got.items() if k != "recorded_at"} == {
        "id": visit_id,
        "enterprise_code": "E001",
        "day": "2026-09-30",
        "visitor_id": "e001-chair",
        "visitor_role": "enterprise_chair",
        "workshops": ["一车间", "食堂"],
        "workers_met": 23,
        "summary": "午饭时与职工交流加班费问题。",
    }
    day = shown_days(wednesdays, start=date(2026, 9, 28), weeks=1)["2026-09-30"]
    assert (day["status"], day["visit_id"]) == ("held", visit_id)


def test_a_past_day_is_recorded_after_the_holiday_on_the_next_working_day(wednesdays):
    now_is(date(2026, 10, 8), 17)
    answer = record(wednesdays, "2026-09-30")
    assert answer.status_code == 201
    got = visit(wednesdays, answer.get_json()["id"])
    assert (got["day"], got["recorded_at"][:10]) == ("2026-09-30", "2026-10-08")
    shown = shown_days(wednesdays, start=date(2026, 9, 28), weeks=2)
    assert {d: e["status"] for d, e in shown.items()} == {"2026-09-30": "held", "2026-10-08": "open"}


def test_a_moved_day_is_recorded_on_the_day_it_moved_to(wednesdays):
    now_is(date(2026, 10, 8))
    answer = record(wednesdays, "2026-10-08")
    assert answer.status_code == 201
    assert visit(wednesdays, answer.get_json()["id"])["day"] == "2026-10-08"
    assert error(record(wednesdays, "2026-10-07")) == (422, "invalid_fields")  # the day it was planned


@pytest.mark.parametrize(
    "headers, who, role",
    [
        (COUNTY, "c01-officer", "county_officer"),
        (CITY, "city-officer-1", "city_officer"),
        (ADMIN, "admin-1", "admin"),
    ],
)
def test_officers_record_a_visit_under_their_own_name_and_role(wednesdays, headers, who, role):
    answer = record(wednesdays, "2026-09-30", headers=headers)
    assert answer.status_code == 201
    got = visit(wednesdays, answer.get_json()["id"], headers=CHAIR)
    assert (got["visitor_id"], got["visitor_role"]) == (who, role)


def test_text_is_trimmed_and_kept_as_written(wednesdays):
    answer = record(
        wednesdays,
        "2026-09-30",
        workshops=["  一车间 ", "二车间"],
        summary="  第一段。\n第二段：职工反映夜班补贴。\n  ",
        workers_met=0,
    )
    assert answer.status_code == 201
    got = visit(wednesdays, answer.get_json()["id"])
    assert (got["workshops"], got["summary"], got["workers_met"]) == (
        ["一车间", "二车间"],
        "第一段。\n第二段：职工反映夜班补贴。",
        0,
    )


# -- the list and its filters ----------------------------------------------------------------------------
@pytest.fixture
def visited(wednesdays):
    """Visits of E001 on 16, 23 and 30 September, and of E002 (Mondays) on 28 September."""
    now_is(date(2026, 9, 30))
    assert put_schedule(wednesdays, 0, code="E002", starts_on="2026-09-01").status_code == 200
    for day in ("2026-09-16", "2026-09-23", "2026-09-30"):
        assert record(wednesdays, day).status_code == 201
    assert record(wednesdays, "2026-09-28", code="E002", headers=CHAIR_2).status_code == 201
    return wednesdays


def test_the_list_is_latest_first(visited):
    assert listed(visited) == [
        ("E001", "2026-09-30"),
        ("E002", "2026-09-28"),
        ("E001", "2026-09-23"),
        ("E001", "2026-09-16"),
    ]
    [first] = visited.get("/api/v1/visits?enterprise=E002", headers=CITY).get_json()["visits"]
    assert (first["visitor_id"], first["workers_met"]) == ("e002-chair", 12)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?enterprise=E001", [("E001", "2026-09-30"), ("E001", "2026-09-23"), ("E001", "2026-09-16")]),
        ("?enterprise=E002", [("E002", "2026-09-28")]),
        ("?enterprise=E011", []),
        ("?start=2026-09-23", [("E001", "2026-09-30"), ("E002", "2026-09-28"), ("E001", "2026-09-23")]),
        ("?end=2026-09-23", [("E001", "2026-09-23"), ("E001", "2026-09-16")]),
        ("?start=2026-09-20&end=2026-09-25", [("E001", "2026-09-23")]),
        ("?start=2026-09-28&end=2026-09-28", [("E002", "2026-09-28")]),
        ("?start=2026-09-30&end=2026-09-01", []),
        ("?enterprise=E001&start=2026-09-17&end=2026-09-29", [("E001", "2026-09-23")]),
    ],
)
def test_the_list_filters(visited, query, expected):
    assert listed(visited, query) == expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        (CHAIR, {"E001"}),
        (CHAIR_2, {"E002"}),
        (COUNTY, {"E001"}),
        (COUNTY_2, {"E002"}),
        (CITY, {"E001", "E002"}),
    ],
)
def test_the_list_holds_the_visits_within_scope(visited, headers, expected):
    assert {code for code, _day in listed(visited, headers=headers)} == expected


def test_a_filter_on_an_enterprise_out_of_scope_finds_nothing(visited):
    assert listed(visited, "?enterprise=E002", headers=CHAIR) == []
    assert listed(visited, "?enterprise=E001", headers=COUNTY_2) == []


# -- the rules that refuse -----------------------------------------------------------------------------
def test_one_visit_per_day(wednesdays):
    assert record(wednesdays, "2026-09-30").status_code == 201
    before = snapshot(wednesdays.rt)
    assert error(record(wednesdays, "2026-09-30", headers=COUNTY, summary="县总工会也来了一趟。")) == (
        409,
        "already_recorded",
    )
    assert snapshot(wednesdays.rt) == before
    assert len(rows(wednesdays.rt, "visits")) == 1


@pytest.mark.parametrize("day", ["2026-10-08", "2026-10-14", "2027-01-06"])
def test_a_day_to_come_takes_no_visit(wednesdays, day):
    before = snapshot(wednesdays.rt)
    answer = record(wednesdays, day)
    assert error(answer) == (422, "invalid_fields")
    assert list(answer.get_json()["error"]["fields"]) == ["day"]
    assert snapshot(wednesdays.rt) == before


@pytest.mark.parametrize(
    "day",
    [
        "2026-09-29",  # a Tuesday
        "2026-10-01",  # a Thursday off (国庆节)
        "2026-10-03",  # a Saturday
        "2026-08-26",  # a Wednesday before the schedule starts
        "2026-10-07",  # the Wednesday National Day moved to the 8th
    ],
)
def test_a_day_that_is_not_a_companion_day_takes_no_visit(wednesdays, day):
    now_is(date(2026, 10, 9))
    before = snapshot(wednesdays.rt)
    answer = record(wednesdays, day)
    assert error(answer) == (422, "invalid_fields")
    assert list(answer.get_json()["error"]["fields"]) == ["day"]
    assert snapshot(wednesdays.rt) == before


def test_without_a_schedule_no_visit_is_recorded(wednesdays):
    before = snapshot(wednesdays.rt)
    assert error(record(wednesdays, "2026-09-30", code="E011", headers=COUNTY)) == (409, "no_schedule")
    assert snapshot(wednesdays.rt) == before


def test_a_visit_id_that_is_not_known_is_404(wednesdays):
    assert error(wednesdays.get("/api/v1/visits/2b1f5c1e-0c7a-4d43-9d0e-5b7b3a0f4e11", headers=CITY)) == (
        404,
        "not_found",
    )
