"""The ledger's timers on PostgreSQL: four runners at once fire each timer once; a runner killed in
the middle of a batch loses nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from harness.private import DEMO_DIRECTORY
from services.routing import directory, timers
from services.routing.models import cases, history, outbox
from services.routing.models import timers as timer_rows
from shared import clock
from shared.config import REPO_ROOT
from shared.timers import Runner
from shared.uow import unit_of_work
from tests.support.routing import submit

CASES = 120


@pytest.fixture
def routing(pg_runtime):
    clock.set_offset(timedelta(0))
    rt = pg_runtime("routing")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    ids = [submit(rt, "E001") for _ in range(CASES)]
    with rt.engine.connect() as conn:
        first, last = conn.execute(select(func.min(cases.c.accept_due), func.max(cases.c.accept_due))).one()
    # Just before the accept deadlines: their reminders are due, the deadlines not yet.
    clock.set_offset(first - clock.now() - timedelta(minutes=1))
    yield rt, ids, last
    clock.set_offset(None)


def past(moment) -> None:
    clock.set_offset(clock.offset() + (moment - clock.now()) + timedelta(minutes=1))


def due_now(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(timer_rows)
            .where(timer_rows.c.fired_at.is_(None), timer_rows.c.due_at <= clock.now())
        ).scalar()


def effects(rt) -> tuple[Counter, int, Counter]:
    """What the timers did: events published by type, accept_overdue steps, supervision levels."""
    with rt.engine.connect() as conn:
        published = Counter(conn.execute(select(outbox.c.type)).scalars())
        steps = conn.execute(
            select(func.count()).select_from(history).where(history.c.action == "accept_overdue")
        ).scalar()
        levels = Counter(conn.execute(select(cases.c.supervision_level)).scalars())
    return published, steps, levels


def reminders_per_case(rt) -> Counter:
    with rt.engine.connect() as conn:
        bodies = conn.execute(select(outbox.c.body).where(outbox.c.type == "case.reminder_due")).scalars()
        return Counter(
            (p["case_id"], p["deadline"], p["when"]) for p in (json.loads(b)["payload"] for b in bodies)
        )


def four_at_once(rt) -> Counter:
    """Four runners started together until no timer is due; how many each took."""
    taken, barrier = Counter(), threading.Barrier(4)

    def run(name: str) -> None:
        runner = Runner(rt.engine, outbox, rt.settings, timer_rows, timers.FIRES, batch=10)
        barrier.wait()
        while n := runner.run_once():
            taken[name] += n

    threads = [threading.Thread(target=run, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return taken


def test_four_runners_at_once_fire_each_timer_once(routing):
    rt, ids, last = routing
    reminders = due_now(rt)
    assert reminders >= CASES  # each case: at least its half-time reminder
    taken = four_at_once(rt)
    assert sum(taken.values()) == reminders and due_now(rt) == 0
    assert len([n for n in taken.values() if n]) >= 2  # the work was shared, not done by one
    assert set(reminders_per_case(rt).values()) == {1}  # each reminder once
    assert {case for case, _, _ in reminders_per_case(rt)} == set(ids)
    assert sum(reminders_per_case(rt).values()) == reminders

    past(last)
    misses = due_now(rt)
    assert misses == CASES
    assert sum(four_at_once(rt).values()) == misses and due_now(rt) == 0
    published, steps, levels = effects(rt)
    assert published["case.supervision_raised"] == steps == CASES
    assert levels == Counter({1: CASES})
    assert sum(reminders_per_case(rt).values()) == reminders  # none after the deadline


def test_a_runner_killed_mid_batch_loses_and_doubles_nothing(routing):
    rt, _, last = routing
    past(last)
    waiting = due_now(rt)
    env = {
        **os.environ,
        "ROUTING_DATABASE_URL": rt.settings.database_url,
        "CLOCK_OFFSET": f"{clock.offset().total_seconds():.0f}s",
        "XINSHENG_FAILPOINTS": "timers.mid_batch",
    }
    code = (
        "from services.routing import config, timers\n"
        "from services.routing.models import outbox, timers as t\n"
        "from shared.bootstrap import bootstrap\n"
        "from shared.timers import Runner\n"
        "rt = bootstrap(config.load())\n"
        "Runner(rt.engine, outbox, rt.settings, t, timers.FIRES, batch=50).run_once()\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, timeout=60)
    assert killed.returncode == 137  # died after firing its first timer, before the commit
    assert due_now(rt) == waiting  # nothing of that batch was kept
    published, steps, _ = effects(rt)
    assert (published["case.supervision_raised"], steps) == (0, 0)

    runner = Runner(rt.engine, outbox, rt.settings, timer_rows, timers.FIRES, batch=50)
    while runner.run_once():
        pass
    published, steps, levels = effects(rt)
    assert published["case.supervision_raised"] == steps == CASES
    assert levels == Counter({1: CASES})
    with rt.engine.connect() as conn:
        fired = Counter(
            conn.execute(select(timer_rows.c.outcome).where(timer_rows.c.fired_at.is_not(None))).scalars()
        )
    assert sum(fired.values()) == waiting and fired["fired"] == CASES  # the missed reminders: void
