"""companion's event handlers: its copy of the directory (enterprise.updated, with each chair), the
staff whose older tokens are refused (staff.revoked) and the working calendar (calendar.year_loaded)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from shared import clock, events
from tests.support.companion import (
    CHAIR,
    CITY,
    COUNTY,
    ENTERPRISES,
    as_,
    enterprise_updated,
    error,
    now_is,
    put_schedule,
    record,
    rows,
    shipped_2026,
    shown_days,
    year_loaded,
)
from tests.support.events import deliver, published


def listed(client, headers=None) -> list[str]:
    return [
        e["code"] for e in client.get("/api/v1/schedules", headers=headers or CITY).get_json()["enterprises"]
    ]


# -- enterprise.updated -------------------------------------------------------------------------------
def test_the_directory_is_the_enterprises_delivered(companion):
    got = {r["code"]: r for r in rows(companion.rt, "enterprises")}
    assert {
        code: (r["name"], r["county_code"], r["county_name"], r["chair_id"], bool(r["active"]))
        for code, r in got.items()
    } == ENTERPRISES


def test_a_new_enterprise_is_added(companion):
    deliver(
        companion.rt,
        events.EnterpriseUpdated(
            code="E301",
            name="新区汽配厂",
            county_code="C03",
            county_name="新区",
            active=True,
            has_chair=True,
            chair_id="e301-chair",
        ),
        producer="routing",
    )
    assert listed(companion)[-1] == "E301"
    assert listed(companion, as_("c03-officer", "county_officer", "C03")) == ["E301"]
    now_is(date(2026, 9, 30))
    answer = put_schedule(companion, 3, code="E301", headers=as_("e301-chair", "enterprise_chair", "E301"))
    assert answer.status_code == 200 and answer.get_json()["schedule"]["goes"] == "e301-chair"


def test_a_later_event_changes_the_name_the_chair_and_the_county(wednesdays):
    deliver(
        wednesdays.rt,
        enterprise_updated("E001", name="城关重工集团", chair_id="e001-new-chair"),
        producer="routing",
    )
    body = wednesdays.get("/api/v1/schedules/E001", headers=CITY).get_json()
    assert body["enterprise"]["name"] == "城关重工集团"
    assert body["schedule"]["goes"] == "e001-new-chair"
    assert len(rows(wednesdays.rt, "enterprises")) == len(ENTERPRISES)

    deliver(
        wednesdays.rt, enterprise_updated("E001", county_code="C02", county_name="高新区"), producer="routing"
    )
    assert "E001" not in listed(wednesdays, COUNTY)
    assert error(wednesdays.get("/api/v1/schedules/E001", headers=COUNTY)) == (404, "not_found")
    assert listed(wednesdays, as_("c02-officer", "county_officer", "C02")) == ["E001", "E002", "E021"]


def test_an_enterprise_made_inactive_leaves_the_list_and_takes_no_new_schedule(wednesdays):
    deliver(wednesdays.rt, enterprise_updated("E001", active=False, chair_id=None), producer="routing")
    assert "E001" not in listed(wednesdays)
    assert error(put_schedule(wednesdays, 3)) == (409, "enterprise_inactive")
    body = wednesdays.get("/api/v1/schedules/E001", headers=CITY).get_json()
    assert (body["schedule"]["weekday"], body["schedule"]["goes"]) == (2, None)  # kept, with nobody to go

    deliver(wednesdays.rt, enterprise_updated("E001"), producer="routing")
    assert "E001" in listed(wednesdays)
    assert put_schedule(wednesdays, 3).status_code == 200


def test_the_same_event_twice_changes_nothing_more(companion):
    before = rows(companion.rt, "enterprises")
    now_is(date(2026, 9, 30))
    deliver(companion.rt, enterprise_updated("E002"), producer="routing")
    deliver(companion.rt, enterprise_updated("E002"), producer="routing")
    after = rows(companion.rt, "enterprises")
    assert [{k: v for k, v in r.items() if k != "updated_at"} for r in after] == [
        {k: v for k, v in r.items() if k != "updated_at"} for r in before
    ]


def test_the_handlers_publish_nothing(wednesdays):
    deliver(wednesdays.rt, enterprise_updated("E001", name="改名"), producer="routing")
    deliver(wednesdays.rt, shipped_2026(), producer="routing")
    deliver(
        wednesdays.rt,
        events.StaffRevoked(staff_id="x", revoked_at=clock.now(), reason="removed"),
        producer="routing",
    )
    assert published(wednesdays.rt) == []


# -- staff.revoked ------------------------------------------------------------------------------------
def revoke(rt, staff_id: str, at=None) -> None:
    deliver(
        rt,
        events.StaffRevoked(staff_id=staff_id, revoked_at=at or clock.now(), reason="moved"),
        producer="routing",
    )


@pytest.fixture
def old_token(wednesdays):
    """The chair's token, from a second before the revocation that follows."""
    token = as_("e001-chair", "enterprise_chair", "E001")
    assert wednesdays.get("/api/v1/schedules/E001", headers=token).status_code == 200
    time.sleep(1.05)
    return token


def test_a_token_older_than_the_staff_members_revocation_is_refused(wednesdays, old_token):
    revoke(wednesdays.rt, "e001-chair")
    for answer in (
        wednesdays.get("/api/v1/schedules", headers=old_token),
        wednesdays.get("/api/v1/schedules/E001", headers=old_token),
        wednesdays.get("/api/v1/visits", headers=old_token),
        record(wednesdays, "2026-09-30", headers=old_token),
        wednesdays.post(
            "/api/v1/schedules/E001/days/2026-10-14/cancel", json={"reason": "停电检修"}, headers=old_token
        ),
    ):
        assert error(answer) == (401, "token_revoked")
    assert rows(wednesdays.rt, "visits") == [] and rows(wednesdays.rt, "cancellations") == []
    assert wednesdays.get("/api/v1/schedules/E001", headers=COUNTY).status_code == 200  # others keep theirs
    new_token = as_("e001-chair", "enterprise_chair", "E001")  # logged in again since
    assert record(wednesdays, "2026-09-30", headers=new_token).status_code == 201


def test_a_late_older_revocation_does_not_undo_a_newer_one(wednesdays, old_token):
    revoke(wednesdays.rt, "e001-chair")
    revoke(wednesdays.rt, "e001-chair", at=clock.now() - timedelta(days=30))
    assert error(wednesdays.get("/api/v1/schedules", headers=old_token)) == (401, "token_revoked")
    [row] = rows(wednesdays.rt, "revocations")
    assert row["staff_id"] == "e001-chair"


def test_a_revocation_of_someone_else_refuses_nobody_here(wednesdays, old_token):
    revoke(wednesdays.rt, "e011-chair")
    assert wednesdays.get("/api/v1/schedules", headers=old_token).status_code == 200
    assert wednesdays.get("/api/v1/schedules", headers=CHAIR).status_code == 200


# -- calendar.year_loaded ---------------------------------------------------------------------------------
def test_a_year_loaded_is_kept_as_its_days_and_its_source(companion):
    deliver(
        companion.rt,
        year_loaded(
            2027,
            {date(2027, 2, 8): (False, "春节"), date(2027, 2, 20): (True, "春节")},
            source="2027年通知",
        ),
        producer="routing",
    )
    kept = [(r["day"], bool(r["workday"]), r["name"]) for r in rows(companion.rt, "calendar_days")]
    assert ("2027-02-08", False, "春节") in kept and ("2027-02-20", True, "春节") in kept
    assert len(kept) == len(shipped_2026().days) + 2
    assert [(r["year"], r["source"]) for r in rows(companion.rt, "calendar_years")] == [
        (2026, shipped_2026().source),
        (2027, "2027年通知"),
    ]


def test_a_year_loaded_again_takes_effect_at_once(wednesdays):
    assert shown_days(wednesdays, start=date(2026, 10, 12), weeks=1)["2026-10-14"]["moved_because"] is None
    changed = {
        **{d.day: (d.workday, d.name) for d in shipped_2026().days},
        date(2026, 10, 14): (False, "停工日"),
    }
    deliver(wednesdays.rt, year_loaded(2026, changed, source="补充通知"), producer="routing")
    shown = shown_days(wednesdays, start=date(2026, 10, 12), weeks=1)
    assert {d: (e["planned"], e["moved_because"]) for d, e in shown.items()} == {
        "2026-10-15": ("2026-10-14", "停工日")
    }
    deliver(wednesdays.rt, shipped_2026(), producer="routing")
    assert list(shown_days(wednesdays, start=date(2026, 10, 12), weeks=1)) == ["2026-10-14"]


def test_a_year_loaded_with_no_days_off_is_a_plain_year(companion):
    deliver(companion.rt, year_loaded(2026, {}, source="空"), producer="routing")
    assert [r["day"] for r in rows(companion.rt, "calendar_days")] == []
    now_is(date(2026, 9, 30))
    assert put_schedule(companion, 2, starts_on="2026-09-01").status_code == 200
    shown = shown_days(companion, start=date(2026, 9, 28), weeks=2)
    assert {d: e["moved_because"] for d, e in shown.items()} == {"2026-09-30": None, "2026-10-07": None}
