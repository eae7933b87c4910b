"""The companion service among the others, as real processes: it learns the directory (with each
chair) and the working calendar from routing's events, and a chair sets the companion day and
records the day's visit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from harness.system import Xinsheng
from shared import clock
from shared.config import REPO_ROOT
from shared.procs import wait_until
from tests.e2e.test_supervision import at_ten, next_monday

pytestmark = pytest.mark.e2e


def test_a_chair_sets_the_companion_day_and_records_its_visit(tmp_path):
    monday = next_monday(clock.now())
    env = {"CLOCK_OFFSET": clock.offset_to(at_ten(monday)), "MISSED_EVERY_SECONDS": "1"}
    with Xinsheng(tmp_path, env=env) as xs:
        clock.set_offset(clock.parse_offset(xs.env["CLOCK_OFFSET"]))
        try:
            city, chair = xs.staff(), xs.staff("e001-chair", "enterprise_chair", "E001")

            def known() -> dict:
                listed = {
                    e["code"]: e for e in xs.get("companion", "/api/v1/schedules", **city)[1]["enterprises"]
                }
                return listed.get("E001", {})

            wait_until(lambda: known().get("goes") == "e001-chair", 60, what="the directory, with the chair")
            assert known()["weekday"] is None  # no companion day yet
            status, body = xs.request(
                "companion",
                "/api/v1/schedules/E001",
                b'{"weekday": 0}',
                {"Content-Type": "application/json", **chair},
                method="PUT",
            )
            assert status == 200, body
            assert known()["weekday"] == 0
            status, visit = xs.post_json(
                "companion",
                "/api/v1/visits",
                {
                    "enterprise_code": "E001",
                    "day": monday.isoformat(),
                    "workshops": ["冲压车间", "装配车间"],
                    "workers_met": 23,
                    "summary": "走访两个车间，听取职工对夜班噪声和食堂的意见。",
                },
                **chair,
            )
            assert status == 201, visit
            _, week = xs.get(
                "companion", f"/api/v1/schedules/E001?start={monday.isoformat()}&weeks=2", **city
            )
            assert [(d["day"], d["status"]) for d in week["days"]] == [
                (monday.isoformat(), "held"),
                ((monday + timedelta(days=7)).isoformat(), "scheduled"),
            ]
            # A forum: its three items go to the ledger through intake in one batch, and the forum
            # shows what becomes of each; the one about the chair goes to the county union.
            status, forum = xs.post_json(
                "companion",
                "/api/v1/forums",
                {
                    "enterprise_code": "E001",
                    "day": monday.isoformat(),
                    "topic": "夜班工作条件",
                    "participants": 9,
                    "minutes": "九名夜班职工参加，提出三项意见。",
                    "items": [
                        {"text": "夜班车间噪声太大，耳朵疼", "category": "workplace"},
                        {"text": "食堂晚饭太早，夜班吃不上热饭", "category": "welfare"},
                        {
                            "text": "主席对提意见的职工打击报复",
                            "category": "harassment_discrimination",
                            "about_chair": True,
                        },
                    ],
                },
                **chair,
            )
            assert status == 201, forum
            status, made = xs.post_json(
                "intake",
                "/api/v1/batches",
                forum["batch"],
                **chair,
                **{"Idempotency-Key": f"forum-{forum['id']}"},
            )
            assert status == 201, made
            codes = [i["tracking_code"] for i in made["items"]]
            status, slip = xs.request("intake", made["items"][0]["slip_url"])
            assert status == 200 and codes[0] in slip.decode()

            def outcomes(headers) -> list:
                return xs.get("companion", f"/api/v1/forums/{forum['id']}", **headers)[1]["items"]

            wait_until(
                lambda: [i.get("status") for i in outcomes(city)] == ["assigned"] * 3,
                60,
                what="the forum's cases",
            )
            assert [i["tracking_code"] for i in outcomes(city)] == codes
            assert outcomes(chair)[2] == {
                "item": 3,
                "about_chair": True,
                "outcome": "referred_to_county_union",
            }
            _, county_cases = xs.get(
                "routing", "/api/v1/cases?enterprise=E001", **xs.staff("c01-officer", "county_officer", "C01")
            )
            about_chair = [c for c in county_cases["items"] if c["about_chair"]]
            assert [c["assignee"]["role"] for c in about_chair] == ["county_officer"]
            case_id = next(c["id"] for c in county_cases["items"] if c["category"] == "workplace")
            for action, body in (("accept", {}), ("resolve", {"resolution": "已加装隔音墙"})):
                version = xs.get("routing", f"/api/v1/cases/{case_id}", **chair)[1]["version"]
                assert (
                    xs.post_json(
                        "routing", f"/api/v1/cases/{case_id}/{action}", {"version": version, **body}, **chair
                    )[0]
                    == 200
                )
            wait_until(
                lambda: outcomes(chair)[0]["status"] == "resolved", 60, what="the outcome in the forum"
            )
            assert outcomes(chair)[0]["public_note"] == "已加装隔音墙"

            # Another enterprise's chair does not see E001 at all.
            other = xs.staff("e002-chair", "enterprise_chair", "E002")
            assert xs.get("companion", "/api/v1/schedules/E001", **other)[0] == 404

            # A year's calendar loaded into routing reaches companion as data.
            xs.cli("calendar", "import", str(REPO_ROOT / "services" / "routing" / "calendars" / "2026.yaml"))
            engine = xs.database("companion")

            def years() -> list[int]:
                with engine.connect() as conn:
                    return list(conn.execute(sa.text("SELECT year FROM calendar_years")).scalars())

            wait_until(lambda: years() == [2026], 60, what="the calendar to reach companion")
            engine.dispose()

            # E011's Monday passes with no visit and is not called off: by Wednesday it is missed, and
            # the county union's officer is mailed.
            chair11 = xs.staff("e011-chair", "enterprise_chair", "E011")
            status, _ = xs.request(
                "companion",
                "/api/v1/schedules/E011",
                json.dumps({"weekday": 0, "starts_on": monday.isoformat()}).encode(),
                {"Content-Type": "application/json", **chair11},
                method="PUT",
            )
            assert status == 200
            xs.restart(CLOCK_OFFSET=clock.offset_to(at_ten(monday + timedelta(days=2))))
            clock.set_offset(clock.parse_offset(xs.env["CLOCK_OFFSET"]))

            def mailed() -> list:
                return [m for m in xs.mailbox.to("c01.union@example.org") if "E011" in m.get_content()]

            wait_until(mailed, 60, what="the county officer mailed of the missed day")
            _, cover = xs.get("companion", f"/api/v1/coverage?start={monday.isoformat()}", **city)
            c01 = next(c for c in cover["counties"] if c["county_code"] == "C01")
            assert (c01["held"], c01["missed"]) == (1, 1)  # E001 held its Monday, E011 missed it
            assert 'outcome="missed"' in xs.metrics("companion")
        finally:
            clock.set_offset(None)
