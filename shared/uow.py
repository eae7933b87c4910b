"""The unit of work: one database transaction and the events it will publish through the outbox."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import Connection, Engine, Table

from shared import clock, events
from shared.config import Settings

W = TypeVar("W", bound=Callable[[Connection], None])


class Unit:
    """What a handler or a view gets: the open transaction and ``emit`` to publish with it."""

    def __init__(self, conn: Connection, outbox: Table | None, settings: Settings):
        self.conn = conn
        self.outbox = outbox
        self.settings = settings

    def emit(self, etype: str, payload: events.Frozen, correlation_id: str | None) -> events.Envelope:
        """Write an event to the outbox in this transaction; the relay publishes it after commit."""
        envelope = events.make(etype, payload, self.settings.service, correlation_id)
        if self.outbox is None:  # a service that publishes nothing has no outbox table
            raise RuntimeError(f"{self.settings.service} has no outbox to emit {etype} through")
        self.conn.execute(
            self.outbox.insert(),
            dict(
                event_id=envelope.id,
                type=envelope.type,
                correlation_id=correlation_id,
                body=events.encode(envelope).decode(),
                created_at=clock.now(),
            ),
        )
        return envelope

    def before_commit(self, key: str, work: Callable[[], W]) -> W:
        """The work to run once at the end of this transaction, before it commits, under ``key``:
        made by ``work()`` the first time a unit asks, the same one after (a consumer's batch handles
        many events in one transaction, and what can be done once for all of them, is). It is called
        with the connection; a transaction that fails forgets it, with what it gathered."""
        pending = self.conn.info.setdefault(_BEFORE_COMMIT, {})
        if key not in pending:
            pending[key] = work()
        made: W = pending[key]
        return made


_BEFORE_COMMIT = "xinsheng.before_commit"


@contextlib.contextmanager
def finishing(conn: Connection) -> Iterator[None]:
    """Around the work of one transaction: at its end, run what units asked for
    (``Unit.before_commit``); if it fails, forget it (the pooled connection serves others next)."""
    try:
        yield
        for work in conn.info.pop(_BEFORE_COMMIT, {}).values():
            work(conn)
    finally:
        conn.info.pop(_BEFORE_COMMIT, None)


@contextlib.contextmanager
def unit_of_work(engine: Engine, outbox: Table | None, settings: Settings) -> Iterator[Unit]:
    """Commit when the block ends normally, roll back when it raises."""
    with engine.begin() as conn, finishing(conn):
        yield Unit(conn, outbox, settings)


Handler = Callable[[Unit, events.Envelope, events.Frozen], None]
