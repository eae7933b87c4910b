"""The demo history make up gives companion: a day for each enterprise, weeks of days held, a few
called off and missed, the same each time, and never over schedules already there."""

from __future__ import annotations

from collections import Counter
from datetime import date

from harness.private import DEMO_DIRECTORY
from services.companion import demo, missed
from services.routing import directory
from tests.support.companion import CITY, now_is, rows


def test_the_demo_gives_every_enterprise_a_day_and_weeks_of_history(companion):
    now_is(date(2026, 11, 30))
    active = [
        (e.code, e.chair.id if e.chair else None)
        for e in directory.load(DEMO_DIRECTORY).enterprises
        if e.active
    ]
    held = demo.seed(companion.rt.engine, active)
    assert len(rows(companion.rt, "schedules")) == len(active) == 30
    assert held == len(rows(companion.rt, "visits")) > 100
    assert 0 < len(rows(companion.rt, "cancellations")) < held / 5
    assert demo.seed(companion.rt.engine, active) == 0  # kept as they are
    missed.find_missed(companion.rt.engine, companion.rt.settings)
    found = Counter(r["enterprise_code"][:3] for r in rows(companion.rt, "missed_days"))
    assert 0 < sum(found.values()) < held / 3
    cover = companion.get("/api/v1/coverage?start=2026-10-19&end=2026-11-29", headers=CITY).get_json()
    c01 = next(c for c in cover["counties"] if c["county_code"] == "C01")
    assert c01["held"] > 0 and c01["due"] >= c01["held"]
