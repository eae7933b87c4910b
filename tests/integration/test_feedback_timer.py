"""The feedback timer on PostgreSQL: several workers sweeping at once close each case exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from harness.private import DEMO_DIRECTORY
from services.routing import directory, timers
from services.routing.models import cases, history, outbox
from shared import clock
from shared.uow import unit_of_work
from tests.support.routing import submit


def test_concurrent_sweeps_close_each_unanswered_case_once(pg_runtime):
    rt = pg_runtime("routing")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    ids = [submit(rt, "E001") for _ in range(250)]
    with rt.engine.begin() as conn:
        conn.execute(update(cases).values(status="resolved", resolved_at=clock.now() - timedelta(days=9)))
    closed, barrier = [], threading.Barrier(4)

    def sweep():
        barrier.wait()
        while n := timers.close_unanswered(rt.engine, rt.settings):
            closed.append(n)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with rt.engine.connect() as conn:
        steps = conn.execute(
            select(func.count()).select_from(history).where(history.c.action == "feedback_timeout")
        ).scalar()
        events = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.type == "case.status_changed")
        ).scalar()
        statuses = set(conn.execute(select(cases.c.status).distinct()).scalars())
    assert sum(closed) == steps == events == len(ids) == 250
    assert statuses == {"closed"}
