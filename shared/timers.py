"""Time-based work (DESIGN §3): a ``timers`` table per service that needs one, and one runner.

A timer is a row: what it is about (``subject``, a case id), what to do (``kind``), which of that
subject's timers it is (``key``: the deadline and its date, say) and when (``due_at``). Scheduling
the same timer twice writes it once. The runner claims due rows with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share the work and none waits on another; each timer fires in a
savepoint of the batch's transaction and is marked fired in it, so its effects, its outbox events
and the mark commit together: a timer fires once in effect, through crashes and on several
instances. A timer whose subject has moved on answers False and is marked ``void``; one that fails
for a reason other than a database gone away is marked ``error`` (with the exception's type, never
its text) so it cannot block the others.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
    text,
    update,
)

from shared import clock, failpoints, worker
from shared.config import Settings
from shared.db import SEQ, UTCDateTime, insert_ignore, is_transient
from shared.metrics import _Lazy
from shared.uow import Unit, unit_of_work

log = logging.getLogger(__name__)

Fire = Callable[[Unit, Any], bool]  # the unit and the timer's row; False: moot, nothing done

FIRED = _Lazy(
    Counter,
    "xinsheng_timers_fired_total",
    "Timers taken by the runner: fired (it acted), void (its subject had moved on) or error.",
    ["service", "kind", "outcome"],
)


def timers_table(metadata: MetaData) -> Table:
    """Add the timers to a service's metadata."""
    return Table(
        "timers",
        metadata,
        Column("id", SEQ, primary_key=True, autoincrement=True),
        Column("subject", String(64), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("key", String(100), nullable=False),
        Column("due_at", UTCDateTime(), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("fired_at", UTCDateTime()),
        Column("outcome", String(16)),  # fired, void or error
        Column("error", String(100)),  # the exception's type, when an error
        UniqueConstraint("subject", "kind", "key", name="uq_timers_subject_kind_key"),
        Index(
            "ix_timers_due",
            "due_at",
            postgresql_where=text("fired_at IS NULL"),
            sqlite_where=text("fired_at IS NULL"),
        ),
    )


def schedule(conn: Connection, table: Table, subject: str, kind: str, key: str, due_at: datetime) -> bool:
    """Set a timer, once: True when it was new."""
    return insert_ignore(
        conn,
        table,
        {"subject": subject, "kind": kind, "key": key, "due_at": due_at, "created_at": clock.now()},
    )


class Runner:
    """Fires the due timers of one table, a batch per transaction; ``fires`` maps each kind to what
    it does."""

    def __init__(
        self,
        engine: Engine,
        outbox: Table | None,
        settings: Settings,
        table: Table,
        fires: Mapping[str, Fire],
        batch: int = 100,
    ):
        self.engine, self.outbox, self.settings, self.table = engine, outbox, settings, table
        self.fires, self.batch = fires, batch

    def run_once(self) -> int:
        """Fire one batch of due timers; how many were taken."""
        t, now, tally = self.table.c, clock.now(), Tally[tuple[str, str]]()
        with unit_of_work(self.engine, self.outbox, self.settings) as uow:
            rows = uow.conn.execute(
                select(self.table)
                .where(t.fired_at.is_(None), t.due_at <= now)
                .order_by(t.due_at, t.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                outcome, error = self._fire(uow, row)
                failpoints.hit("timers.mid_batch")  # a crash here: nothing of the batch committed
                uow.conn.execute(
                    update(self.table)
                    .where(t.id == row.id)
                    .values(fired_at=clock.now(), outcome=outcome, error=error)
                )
                tally[(row.kind, outcome)] += 1
        for (kind, outcome), n in tally.items():  # committed
            FIRED.labels(self.settings.service, kind, outcome).inc(n)
        return len(rows)

    def _fire(self, uow: Unit, row: Any) -> tuple[str, str | None]:
        fire = self.fires.get(row.kind)
        if fire is None:
            log.error("timer of an unknown kind", extra={"timer": row.id, "kind": row.kind})
            return "error", "UnknownKind"
        try:
            with uow.conn.begin_nested():
                return ("fired" if fire(uow, row) else "void"), None
        except Exception as exc:
            if is_transient(exc):
                raise  # the database went away: the whole batch waits and is taken again
            log.exception("timer failed", extra={"timer": row.id, "kind": row.kind})
            return "error", type(exc).__name__

    def loop(self, every: float) -> worker.Loop:
        return worker.sweep(f"{self.table.name} runner", self.run_once, self.batch, every)


class LagCollector:
    """``xinsheng_timer_lag_seconds``: how long the oldest due timer has waited to fire (0 when
    none waits): timers that are not firing, because no worker runs or one is stuck, show here."""

    def __init__(self, engine: Engine, table: Table, service: str):
        self.engine, self.table, self.service = engine, table, service

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "xinsheng_timer_lag_seconds", "Age of the oldest due timer not yet fired.", labels=["service"]
        )
        family.add_metric([self.service], lag(self.engine, self.table).total_seconds())
        yield family


def lag(engine: Engine, table: Table) -> timedelta:
    now = clock.now()
    with engine.connect() as conn:
        oldest = conn.execute(
            select(func.min(table.c.due_at)).where(table.c.fired_at.is_(None), table.c.due_at <= now)
        ).scalar()
    return timedelta(0) if oldest is None else max(now - oldest, timedelta(0))
