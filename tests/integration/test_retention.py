"""The contact retention sweeps on PostgreSQL: several workers sweeping at once erase each contact
exactly once, without deadlock, and leave what is not yet due."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.intake import retention as intake_retention
from services.intake.models import grievances
from services.intake.models import outbox as intake_outbox
from services.notify import retention as notify_retention
from services.notify.models import contacts, notifications
from shared import clock

pytestmark = pytest.mark.integration
DUE, SWEEPERS = 250, 4


def concurrently(sweep: Callable[[], int]) -> list[int]:
    """Run ``sweep`` on several threads released at once, each until it finds nothing; the counts."""
    erased: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(SWEEPERS)

    def run():
        try:
            barrier.wait()
            while n := sweep():
                erased.append(n)
        except BaseException as exc:  # a deadlock or a lock timeout would land here
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(SWEEPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [t for t in threads if t.is_alive()], "a sweep is stuck"
    assert failures == []
    return erased


def demand(status: str, days: float, named: bool = True) -> dict:
    gid, now = str(uuid.uuid4()), clock.now()
    return dict(
        id=gid,
        tracking_code=gid[:16],
        enterprise_code="E001",
        category="wages",
        urgency="normal",
        channel="web",
        anonymous=not named,
        about_chair=False,
        description="工资拖欠 wages late",
        contact_name=f"工人{gid[:6]}" if named else None,
        contact_phone="13900000000" if named else None,
        contact_email=f"{gid[:8]}@example.org" if named else None,
        status=status,
        status_at=now - timedelta(days=days),
        submitted_at=now - timedelta(days=days + 7),
        request_hash="0" * 64,
    )


def shared_event(row: dict) -> dict:
    return dict(
        event_id=str(uuid.uuid4()),
        type="grievance.contact_shared",
        correlation_id=row["id"],
        body="{}",
        created_at=clock.now(),
    )


def test_concurrent_intake_sweeps_erase_each_contact_once(pg_runtime):
    rt = pg_runtime("intake")
    due = [demand(("closed", "rejected", "merged")[i % 3], 91 + i % 30) for i in range(DUE)]
    kept = [demand("closed", 89), demand("in_progress", 400), demand("rejected", 400, named=False)]
    with rt.engine.begin() as conn:
        conn.execute(grievances.insert(), due + kept)
        conn.execute(intake_outbox.insert(), [shared_event(r) for r in due + kept[:2]])

    erased = concurrently(lambda: intake_retention.erase_expired(rt.engine, rt.settings))

    g = grievances.c
    with rt.engine.connect() as conn:
        named = set(conn.execute(select(g.id).where(g.contact_name.is_not(None))).scalars())
        copies = set(conn.execute(select(intake_outbox.c.correlation_id)).scalars())
        hashes = conn.execute(select(func.count()).where(g.request_hash.is_not(None))).scalar()
    assert sum(erased) == DUE and len(erased) >= 3  # several batches, each taken by one sweeper
    assert named == copies == {kept[0]["id"], kept[1]["id"]}
    assert hashes == len(kept)


def test_concurrent_notify_sweeps_erase_each_contact_once(pg_runtime):
    rt = pg_runtime("notify")
    now = clock.now()

    def contact(days: float | None) -> dict:
        gid = str(uuid.uuid4())
        return dict(
            grievance_id=gid,
            tracking_code=gid[:16],
            name=f"工人{gid[:6]}",
            email=f"{gid[:8]}@example.org",
            phone="13900000000",
            finished_at=None if days is None else now - timedelta(days=days),
        )

    def message(c: dict, kind: str, recipient: str) -> dict:
        return dict(
            id=str(uuid.uuid4()),
            dedup_key=f"{kind}:{c['grievance_id']}",
            grievance_id=c["grievance_id"],
            kind=kind,
            audience="worker" if kind.startswith("worker") else "staff",
            medium="email",
            channel="email",
            recipient=recipient,
            subject=f"about {c['tracking_code']}",
            body="…",
            status="sent",
            attempts=1,
            next_attempt_at=now,
            created_at=now,
        )

    due = [contact(91 + i % 30) for i in range(DUE)]
    kept = [contact(89), contact(None)]
    with rt.engine.begin() as conn:
        conn.execute(contacts.insert(), due + kept)
        conn.execute(
            notifications.insert(),
            [message(c, "worker_ack", c["email"]) for c in due + kept]
            + [message(c, "case_assigned", "chair@example.org") for c in due],
        )

    erased = concurrently(lambda: notify_retention.erase_expired(rt.engine, rt.settings))

    n = notifications.c
    with rt.engine.connect() as conn:
        left = set(conn.execute(select(contacts.c.grievance_id)).scalars())
        addressed = set(conn.execute(select(n.recipient).where(n.kind == "worker_ack")).scalars())
        staff = conn.execute(select(func.count()).where(n.recipient == "chair@example.org")).scalar()
    assert sum(erased) == DUE and len(erased) >= 3
    assert left == {c["grievance_id"] for c in kept}
    assert addressed == {None} | {c["email"] for c in kept}
    assert staff == DUE  # the staff's messages keep their address
