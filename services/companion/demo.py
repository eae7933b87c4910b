"""A demo of the programme for ``make up``: each active enterprise of the demo directory gets a
companion weekday and a few weeks of history (days held with their visits, one called off, a few
missed), so the schedule, the coverage and the missed days have something to show; the first has a
micro-survey open, already answered by two dozen workers, so its results and free texts show. Run only on a
companion database with no schedule yet; the same directory gives the same history."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from services.companion import days
from services.companion.models import cancellations, schedules, survey_answers, survey_texts, surveys, visits
from shared import clock
from shared.db import insert_ignore

WEEKS = 6
WORKSHOPS = ["冲压车间", "装配车间", "喷涂车间", "包装车间", "仓储物流", "食堂"]
SUMMARIES = [
    "走访车间，听取职工对夜班噪声和食堂开饭时间的意见。",
    "与班组长座谈，了解加班安排和调休落实情况。",
    "检查劳动防护用品发放，职工反映手套磨损快。",
    "慰问一线职工，收集对宿舍热水供应的意见。",
]


def _roll(code: str, day: date) -> int:
    """A number 0–99 that the enterprise and the day decide (the same directory, the same history)."""
    return int(hashlib.sha256(f"{code}:{day}".encode()).hexdigest()[:8], 16) % 100


def seed(engine: Engine, enterprises: list[tuple[str, str | None]]) -> int:
    """Schedules and history for ``enterprises`` (code, chair id); how many days were recorded."""
    today = clock.today()
    monday = today - timedelta(days=today.weekday() + 7 * WEEKS)
    recorded = 0
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(schedules)).scalar():
            return 0
        cal = days.calendar(conn)
        for n, (code, chair) in enumerate(enterprises):
            weekday = n % 5
            conn.execute(
                schedules.insert(),
                {
                    "enterprise_code": code,
                    "weekday": weekday,
                    "starts_on": monday,
                    "updated_at": clock.now(),
                    "updated_by": "demo",
                },
            )
            for d in days.companion_days(weekday, monday, monday, today - timedelta(days=1), cal):
                roll = _roll(code, d.day)
                if roll < 5:  # called off beforehand
                    insert_ignore(
                        conn,
                        cancellations,
                        {
                            "enterprise_code": code,
                            "day": d.day,
                            "reason": "全厂停产检修",
                            "cancelled_at": clock.day_start(d.day) - timedelta(days=2),
                            "cancelled_by": chair or "demo",
                        },
                    )
                elif roll < 88:  # held; the rest are missed
                    conn.execute(
                        visits.insert(),
                        {
                            "id": str(uuid.uuid4()),
                            "enterprise_code": code,
                            "day": d.day,
                            "visitor_id": chair or "demo",
                            "visitor_role": "enterprise_chair" if chair else "county_officer",
                            "workshops": WORKSHOPS[roll % 3 : roll % 3 + 2],
                            "workers_met": 8 + roll % 25,
                            "summary": SUMMARIES[roll % len(SUMMARIES)],
                            "recorded_at": clock.day_start(d.day) + timedelta(hours=17),
                        },
                    )
                    recorded += 1
        if enterprises:
            seed_survey(conn, *enterprises[0])
    return recorded


SURVEY = {
    "title": "食堂与夜班调研",
    "intro": "三个问题，一分钟，匿名。",
    "questions": [
        {
            "kind": "single",
            "text": "你在哪个车间？",
            "options": ["冲压车间", "装配车间", "喷涂车间"],
            "required": True,
        },
        {"kind": "scale", "text": "你对食堂满意吗？", "required": True},
        {
            "kind": "multiple",
            "text": "你希望先改进什么？",
            "options": ["价格", "口味", "夜班供餐"],
            "required": True,
        },
        {"kind": "text", "text": "还有什么想对工会说的？", "required": False},
    ],
    "tables": [[1, 2]],
}
TEXTS = ["夜班十点以后食堂没有热饭。", "希望喷涂车间增加排风设备。"]


def seed_survey(conn, code: str, chair: str | None) -> str:
    """An open survey of ``code`` with 24 answers the code decides, two with a free text."""
    today = clock.today()
    survey_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"xinsheng-demo-survey:{code}"))
    conn.execute(
        surveys.insert(),
        {
            "id": survey_id,
            "enterprise_code": code,
            **SURVEY,
            "closes_on": today + timedelta(days=14),
            "state": "open",
            "opened_on": today - timedelta(days=3),
            "created_by": chair or "demo",
            "created_at": clock.now() - timedelta(days=3),
        },
    )
    for i in range(24):
        roll = _roll(code, today - timedelta(days=i))
        conn.execute(
            survey_answers.insert(),
            {
                "id": str(uuid.uuid4()),
                "survey_id": survey_id,
                "day": today - timedelta(days=i % 3),
                "choices": [1 + roll % 3, 2 + roll % 4, sorted({1 + roll % 3, 3}), None],
            },
        )
    conn.execute(
        survey_texts.insert(),
        [
            {"id": str(uuid.uuid4()), "survey_id": survey_id, "question": 4, "day": today, "text": t}
            for t in TEXTS
        ],
    )
    return survey_id
