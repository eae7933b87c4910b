"""A named worker's contact is erased from intake once its case has been final (closed, rejected,
merged) for longer than the retention (``CONTACT_RETENTION_DAYS``, 90): the demand's contact columns,
the digest of its request and any copy of ``grievance.contact_shared`` left in the outbox."""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from services.intake import retention
from shared import clock, worker
from tests.support.intake import grievance_id, move, post_json, stored

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


@contextlib.contextmanager
def days_ago(days: float):
    """Run the block with the clock moved ``days`` into the past (what was done then)."""
    before = clock.offset()
    clock.set_offset(before - timedelta(days=days))
    try:
        yield
    finally:
        clock.set_offset(before)


def contact() -> dict:
    mark = uuid.uuid4().hex[:10]
    return {"name": f"工人{mark}", "phone": "139" + str(int(mark, 16))[-8:], "email": f"w-{mark}@example.org"}


def demand(client, named: bool = True) -> str:
    """A demand submitted (with an Idempotency-Key, so its request's digest is kept); its tracking code."""
    body = {"anonymous": False, "contact": contact()} if named else {}
    response = post_json(client, headers={"Idempotency-Key": uuid.uuid4().hex}, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["tracking_code"]


def finished(client, rt, status: str, days: float, named: bool = True) -> str:
    """A demand submitted a week before its case became ``status`` ``days`` ago."""
    with days_ago(days + 7):
        code = demand(client, named)
    with days_ago(days):
        move(rt, code, "accepted", at=clock.now() - timedelta(days=6))
        if status == "merged":
            survivor = demand(client, named=False)
            move(rt, code, "merged", merged_into_grievance_id=grievance_id(rt, survivor))
        else:
            move(rt, code, status)
    return code


def row(rt, code: str) -> dict:
    return next(r for r in stored(rt, "grievances") if r["tracking_code"] == code)


def kept(rt, code: str) -> bool:
    """Whether the demand still holds its contact (all three values) and its request's digest."""
    r = row(rt, code)
    return all(r[f] for f in CONTACT_FIELDS) and r["request_hash"] is not None


def erased(rt, code: str) -> bool:
    r = row(rt, code)
    return all(r[f] is None for f in CONTACT_FIELDS) and r["request_hash"] is None


def shared_copies(rt, code: str) -> int:
    """The demand's grievance.contact_shared events still in the outbox."""
    gid = grievance_id(rt, code)
    return sum(
        1
        for r in stored(rt, "outbox")
        if r["type"] == "grievance.contact_shared" and r["correlation_id"] == gid
    )


def sweep(rt) -> int:
    return retention.erase_expired(rt.engine, rt.settings)


def erased_count() -> float:
    return REGISTRY.get_sample_value("xinsheng_contacts_erased_total", {"service": "intake"}) or 0.0


@pytest.mark.parametrize("status", ["closed", "rejected", "merged"])
def test_a_named_demand_final_91_days_ago_has_no_contact_after_the_sweep(intake, status):
    client, rt = intake
    code = finished(client, rt, status, days=91)
    assert kept(rt, code) and shared_copies(rt, code) == 1
    before = erased_count()

    assert sweep(rt) == 1

    assert erased(rt, code)
    assert shared_copies(rt, code) == 0
    assert erased_count() == before + 1
    assert row(rt, code)["status"] == status  # the demand itself and its public life stay


def test_a_named_demand_closed_89_days_ago_keeps_its_contact(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=89)
    assert sweep(rt) == 0
    assert kept(rt, code) and shared_copies(rt, code) == 1


def test_an_anonymous_demand_is_untouched(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=200, named=False)
    before = row(rt, code)
    assert sweep(rt) == 0
    assert row(rt, code) == before


@pytest.mark.parametrize("status", ["assigned", "accepted", "in_progress", "resolved", "reopened"])
def test_a_demand_still_open_keeps_its_contact_however_old(intake, status):
    client, rt = intake
    with days_ago(400):
        code = demand(client)
        move(rt, code, status)
    assert sweep(rt) == 0
    assert kept(rt, code) and shared_copies(rt, code) == 1


def test_only_the_finished_demand_loses_its_contact_among_others(intake):
    client, rt = intake
    old = finished(client, rt, "rejected", days=120)
    recent = finished(client, rt, "rejected", days=30)
    with days_ago(300):
        open_ = demand(client)
    assert sweep(rt) == 1
    assert erased(rt, old) and kept(rt, recent) and kept(rt, open_)


def test_the_sweep_is_idempotent(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=91)
    assert sweep(rt) == 1
    before, count = stored(rt, "grievances"), erased_count()
    assert sweep(rt) == 0
    assert stored(rt, "grievances") == before and erased_count() == count
    assert erased(rt, code)


def test_the_retention_is_a_setting(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=31)
    assert sweep(rt) == 0
    shorter = rt.settings.model_copy(update={"contact_retention_days": 30})
    assert retention.erase_expired(rt.engine, shorter) == 1
    assert erased(rt, code)


def test_the_retention_follows_the_clock_offset(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=0)
    assert sweep(rt) == 0
    with days_ago(-91):  # CLOCK_OFFSET=91d
        assert sweep(rt) == 1
    assert erased(rt, code)


def test_a_large_backlog_is_erased_in_batches(intake, monkeypatch):
    client, rt = intake
    monkeypatch.setattr(retention, "BATCH", 2)
    codes = [finished(client, rt, "closed", days=100) for _ in range(5)]
    assert [sweep(rt) for _ in range(4)] == [2, 2, 1, 0]
    assert all(erased(rt, code) for code in codes)


def test_the_log_says_how_many_never_whose(intake, caplog):
    client, rt = intake
    code = finished(client, rt, "closed", days=91)
    secrets = [row(rt, code)[f] for f in CONTACT_FIELDS]
    caplog.set_level(logging.DEBUG)
    sweep(rt)
    records = [r for r in caplog.records if r.name == retention.__name__]
    assert [(r.getMessage(), r.count) for r in records] == [("contacts erased", 1)]
    text = " ".join(f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)
    assert not [s for s in secrets if s in text]


def test_the_worker_loop_erases_at_once_and_stops(intake):
    client, rt = intake
    code = finished(client, rt, "closed", days=91)
    stop = threading.Event()
    sweep = worker.sweep(
        "contact retention", lambda: retention.erase_expired(rt.engine, rt.settings), retention.BATCH, 60.0
    )
    loop = threading.Thread(target=sweep, args=(stop,))
    loop.start()
    try:
        for _ in range(100):
            if erased(rt, code):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        loop.join(5)
    assert erased(rt, code) and not loop.is_alive()
