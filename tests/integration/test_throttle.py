"""Throttles on real PostgreSQL (shared/throttle.py): two app instances (two engines, as two gunicorn
workers or two hosts would have) on one database share their counters; hits from many connections
at once are all counted; however many log-ins arrive together, from threads or from processes, no
more argon2 verifications run at once than the host's slots."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from harness.private import DEMO_DIRECTORY
from services.intake.app import create_app as create_intake
from services.routing import directory, staff
from services.routing.app import create_app as create_routing
from services.routing.models import outbox
from shared import clock, throttle
from shared.bootstrap import Runtime
from shared.db import make_engine
from shared.uow import unit_of_work
from tests.conftest import seed_enterprises
from tests.support.intake import DEMAND, URL

pytestmark = pytest.mark.integration
PASSWORD = "correct horse"
ATTACKER = "203.0.113.66"


def twin(rt: Runtime) -> Runtime:
    """Another instance's runtime on the same database: its own engine, its own connections."""
    return Runtime(rt.settings, make_engine(rt.settings.database_url))


@pytest.fixture
def routing_rt(pg_runtime, tmp_path):
    rt = pg_runtime("routing", secret_key="test-secret", var_dir=tmp_path)  # hashing slots' locks there
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
        for account in ("e001-chair", "c01-officer"):
            staff.set_password(uow.conn, account, PASSWORD)
    return rt


@pytest.fixture
def two_routings(routing_rt):
    other = twin(routing_rt)
    yield [create_routing(rt).test_client() for rt in (routing_rt, other)]
    other.engine.dispose()


def log_in(client, staff_id="e001-chair", password=PASSWORD, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"staff_id": staff_id, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def table_dump(rt: Runtime) -> str:
    with rt.engine.connect() as conn:
        return repr(conn.execute(sa.text("SELECT * FROM throttle")).all())


# -- shared between instances ---------------------------------------------------------------------------------
def test_log_in_failures_on_two_instances_add_up(two_routings, routing_rt):
    one, other = two_routings
    statuses = [log_in(c, password="guess", address=ATTACKER).status_code for c in (one, other) * 3]
    assert statuses == [401] * 5 + [429]
    assert log_in(one, address=ATTACKER).status_code == 429

    assert log_in(other).status_code == 200, "the owner, from their own machine, is not locked out"
    dumped = table_dump(routing_rt)
    assert ATTACKER not in dumped and "10.0.0.1" not in dumped and "e001-chair" not in dumped


def test_a_password_sprayed_through_two_instances_is_refused_on_both(two_routings):
    one, other = two_routings
    accounts = ["c02-officer", "c10-officer", "city-officer-1", "admin-1", "e002-chair"]
    for i, account in enumerate(accounts):
        assert log_in((one, other)[i % 2], account, "Union2026!", f"192.0.2.{i}").status_code == 401

    for client in (one, other):
        response = log_in(client, "c01-officer", "Union2026!", "192.0.2.99")
        assert response.status_code == 429 and response.headers["Retry-After"]
        assert response.get_json()["error"]["code"] == "password_throttled"


def test_intake_posts_through_two_instances_share_one_budget(pg_runtime):
    rt = pg_runtime("intake", rate_limit="3/minute")
    seed_enterprises(rt, "E001")
    other = twin(rt)
    try:
        one, two = create_intake(rt).test_client(), create_intake(other).test_client()
        assert [c.post(URL, json=DEMAND).status_code for c in (one, two, two)] == [201] * 3
        for client in (one, two):
            refused = client.post(URL, json=DEMAND)
            assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert "127.0.0.1" not in table_dump(rt)
    finally:
        other.engine.dispose()


def test_hits_from_many_connections_at_once_are_all_counted(routing_rt):
    other = twin(routing_rt)
    tables = staff.throttle_counts
    pairs = [throttle.Counters(rt.engine, tables, "s") for rt in (routing_rt, other)]
    key = pairs[0].key("post", "203.0.113.1")
    barrier = threading.Barrier(8)

    def hammer(counters):
        barrier.wait(timeout=30)
        for _ in range(25):
            counters.hit(key, 600)

    threads = [threading.Thread(target=hammer, args=(pairs[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert pairs[1].count(key).hits == 200
    finally:
        other.engine.dispose()


def test_a_purge_deletes_ended_rows_and_skips_those_a_hit_holds_without_waiting(routing_rt):
    counters = throttle.Counters(routing_rt.engine, staff.throttle_counts, "s")
    held, free = counters.key("post", "203.0.113.1"), counters.key("post", "203.0.113.2")
    counters.hit_many([(held, 1, 1), (free, 1, 1)])
    try:
        clock.set_offset(timedelta(seconds=2))
        with routing_rt.engine.connect() as other:  # another request, mid-transaction on one row
            other.execute(
                sa.select(staff.throttle_counts).where(staff.throttle_counts.c.key == held).with_for_update()
            )
            started = time.monotonic()
            assert counters.purge() == 1
            assert time.monotonic() - started < 5
            other.rollback()
        assert counters.purge() == 1
    finally:
        clock.set_offset(None)


# -- the bound on argon2 ----------------------------------------------------------------------------------------
class CountingHasher(PasswordHasher):
    """argon2 as it is, noting how many verifications run at once (shared memory: across processes)."""

    def __init__(self, running, most):
        super().__init__()
        self.running, self.most = running, most

    def verify(self, hash, password):
        with self.running.get_lock():
            self.running.value += 1
            self.most.value = max(self.most.value, self.running.value)
        try:
            return super().verify(hash, password)
        finally:
            with self.running.get_lock():
                self.running.value -= 1


def outcomes(responses) -> dict[str, int]:
    """How many log-ins were checked (200, 401) and how many refused busy (429 with Retry-After)."""
    seen = {"checked": 0, "busy": 0}
    for status, code, retry in responses:
        if status == 429:
            assert code == "login_busy" and retry == str(staff.BUSY_RETRY_AFTER)
            seen["busy"] += 1
        else:
            assert status in (200, 401)
            seen["checked"] += 1
    return seen


def answer(response) -> tuple[int, str | None, str | None]:
    body = response.get_json()
    code = body["error"]["code"] if "error" in body else None
    return response.status_code, code, response.headers.get("Retry-After")


def test_parallel_log_ins_on_two_instances_never_verify_more_at_once_than_the_slots(
    two_routings, monkeypatch
):
    running, most = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    monkeypatch.setattr(staff, "_hasher", CountingHasher(running, most))
    staff._dummy()  # made before the race, as in a warm worker
    barrier, results = threading.Barrier(12), []

    def attempt(i):
        client = two_routings[i % 2]
        barrier.wait(timeout=30)
        results.append(answer(log_in(client, password=PASSWORD if i % 3 else "guess", address=f"10.1.0.{i}")))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    seen = outcomes(results)
    assert most.value == staff.HASHING_SLOTS
    assert seen["checked"] >= 1 and seen["busy"] >= 1 and sum(seen.values()) == 12


def _process_log_ins(settings, running, most, start, results, index):
    """One web process: its own engine and app, made after the fork, three log-ins at the start signal."""
    staff._hasher = CountingHasher(running, most)
    rt = Runtime(settings, make_engine(settings.database_url))
    client = create_routing(rt).test_client()
    start.wait(30)
    for n in range(3):
        results.put(answer(log_in(client, address=f"10.2.{index}.{n}")))
    rt.engine.dispose()


def test_parallel_log_ins_in_several_processes_never_verify_more_at_once_than_the_slots(routing_rt):
    routing_rt.engine.dispose()  # no pooled connection is inherited by the children
    ctx = multiprocessing.get_context("fork")
    running, most, start, results = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(target=_process_log_ins, args=(routing_rt.settings, running, most, start, results, i))
        for i in range(4)
    ]
    for w in workers:
        w.start()
    start.set()
    answers = [results.get(timeout=60) for _ in range(12)]
    for w in workers:
        w.join(timeout=30)

    seen = outcomes(answers)
    assert most.value == staff.HASHING_SLOTS
    assert seen["checked"] >= 1 and sum(seen.values()) == 12
