"""The public-opinion diary (民意日记): staff read each day in full (to the chair, demands about the
chair only as referred); the workers read counts per week, none under K."""

from __future__ import annotations

from datetime import date

from services.companion import diary
from tests.support.companion import CHAIR, CITY, as_, error, now_is, record, rows, snapshot
from tests.unit.companion.test_forums import forum_body, heard, moved


def test_staff_read_each_day_with_its_visit_forums_demands_and_notes(wednesdays):
    rt = wednesdays.rt
    now_is(date(2026, 9, 30), 16)
    record(wednesdays, "2026-09-30")
    forum = wednesdays.post("/api/v1/forums", json=forum_body(), headers=CHAIR).get_json()
    gids = [heard(rt, forum["id"], n, about_chair=n == 3) for n in (1, 2, 3)]
    moved(rt, gids[0], "resolved", "已加装隔音墙")
    note = wednesdays.post(
        "/api/v1/diary/E001/notes",
        json={"day": "2026-09-30", "text": "夜班职工意见集中在噪声和食堂。"},
        headers=CHAIR,
    )
    assert note.status_code == 201
    got = wednesdays.get("/api/v1/diary/E001?start=2026-09-01&end=2026-09-30", headers=CITY).get_json()
    today = got["days"][0]
    assert today["day"] == "2026-09-30" and today["companion_day"]["status"] == "held"
    assert today["visit"]["workers_met"] > 0 and [f["topic"] for f in today["forums"]] == ["夜班工作条件"]
    assert today["demands"] == {"heard": 3, "by_status": {"registered": 2, "resolved": 1}}
    assert [n["text"] for n in today["notes"]] == ["夜班职工意见集中在噪声和食堂。"]
    assert [d["companion_day"]["status"] for d in got["days"][1:] if d["companion_day"]] == ["missed"] * 4
    to_chair = wednesdays.get("/api/v1/diary/E001?start=2026-09-30", headers=CHAIR).get_json()["days"][0]
    assert to_chair["demands"]["by_status"] == {"referred_to_county_union": 1, "registered": 1, "resolved": 1}
    other = as_("e002-chair", "enterprise_chair", "E002")
    assert error(wednesdays.get("/api/v1/diary/E001", headers=other)) == (404, "not_found")


def test_the_public_diary_shows_counts_per_week_and_none_under_k(wednesdays):
    rt = wednesdays.rt
    now_is(date(2026, 9, 30), 16)
    record(wednesdays, "2026-09-30")
    forum = wednesdays.post("/api/v1/forums", json=forum_body(), headers=CHAIR).get_json()
    gids = [heard(rt, forum["id"], n) for n in (1, 2, 3)]
    public = wednesdays.get("/api/v1/public/diary/E001?weeks=2").get_json()  # no token: the kiosk
    week = public["weeks"][0]
    assert (week["week"], week["companion_day"], week["heard"], week["answered"]) == (
        "2026-09-28",
        "held",
        None,
        0,
    )
    assert public["fewer_than"] == diary.K == 5
    assert "夜班" not in str(public) and "e001-chair" not in str(public)
    more = wednesdays.post("/api/v1/forums", json=forum_body(topic="第二场"), headers=CHAIR).get_json()
    gids += [heard(rt, more["id"], n) for n in (1, 2, 3)]
    for gid in gids[:5]:
        moved(rt, gid, "resolved", "已答复")
    week = wednesdays.get("/api/v1/public/diary/E001?weeks=2").get_json()["weeks"][0]
    assert (week["heard"], week["answered"]) == (6, 5)


def test_bad_diary_input_is_refused_and_nothing_written(wednesdays):
    now_is(date(2026, 9, 30), 16)
    before = snapshot(wednesdays.rt)
    for body in (
        {"day": "2026-10-01", "text": "明天的事"},
        {"day": "2026-09-30", "text": "x"},
        {"day": "2026-09-30"},
        {"day": 20260930, "text": "够长的笔记"},
        {"day": "2026-09-30", "text": "够长的笔记", "x": 1},
    ):
        assert wednesdays.post("/api/v1/diary/E001/notes", json=body, headers=CHAIR).status_code == 422
    assert (
        wednesdays.post(
            "/api/v1/diary/E001/notes", json={"day": "2026-09-30", "text": "够长的笔记"}
        ).status_code
        == 401
    )
    assert snapshot(wednesdays.rt) == before and rows(wednesdays.rt, "diary_notes") == []
    assert error(wednesdays.get("/api/v1/public/diary/E900")) == (404, "not_found")  # inactive
    assert error(wednesdays.get("/api/v1/public/diary/E001%00")) == (404, "not_found")
    assert wednesdays.get("/api/v1/public/diary/E001?weeks=0").status_code == 422
    assert (
        wednesdays.get("/api/v1/diary/E001?start=2026-09-30&end=2026-09-01", headers=CITY).status_code == 422
    )
