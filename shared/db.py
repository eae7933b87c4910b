"""Engines, the messaging tables every service shares (outbox, inbox), and dialect-neutral upserts."""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.dml import ReturningInsert

T = TypeVar("T")

ID = String(36)
_Insert: TypeAlias = postgresql.Insert | sqlite.Insert  # the two INSERTs that know ON CONFLICT


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, always in UTC: ``timestamptz`` on PostgreSQL; on SQLite, which keeps no
    zone, written as UTC and read back as UTC, so stored times compare correctly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give times with their zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# SQLite's INTEGER PRIMARY KEY is its rowid; BigInteger would not autoincrement there.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    """Add the outbox to a service's metadata: the events it will publish, written in the transaction of
    the change they tell of (a service that publishes nothing has none)."""
    return Table(
        "outbox",
        metadata,
        Column("seq", SEQ, primary_key=True, autoincrement=True),
        Column("event_id", ID, nullable=False, unique=True),
        Column("type", String(64), nullable=False),
        Column("correlation_id", String(64)),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime()),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Index(
            "ix_outbox_unpublished",
            "seq",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Add the inbox to a service's metadata: the ids of the events it has handled."""
    return Table(
        "inbox",
        metadata,
        Column("event_id", ID, primary_key=True),
        Column("type", String(64), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
    )


def throttle_table(metadata: MetaData) -> Table:
    """Add the throttle counters to a service's metadata (``shared.throttle``): one row per key and
    window, the key a keyed hash (never an address, an account or a password), gone once expired."""
    return Table(
        "throttle",
        metadata,
        Column("key", String(80), primary_key=True),
        Column("hits", Integer, nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False),
        Index("ix_throttle_expires", "expires_at"),
    )


def revocations_table(metadata: MetaData) -> Table:
    """Add the revocations to a service with staff endpoints: a staff member's tokens issued before
    ``revoked_at`` are refused (kept current from ``staff.revoked``; see shared/auth.py)."""
    return Table(
        "revocations",
        metadata,
        Column("staff_id", String(64), primary_key=True),
        Column("revoked_at", UTCDateTime(), nullable=False),
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for our use: durable SQLite (WAL, synchronous=FULL), bounded PostgreSQL pools."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take over
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # FULL keeps "201 means stored" through power loss
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks

        return engine
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 5)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    # Statement parameters are a demand's description, a worker's contact: never in an error's text,
    # so never in a log.
    return create_engine(url, hide_parameters=True, **kwargs)


# Statements below are built once per table and dialect and executed with parameters: building
# an INSERT with .values() for every row costs more than sending it (measured: 13% of a POST).


def insert_ignore(conn: Connection, table: Table, values: Mapping[str, Any]) -> bool:
    """INSERT that does nothing on a primary-key or unique conflict; True when a row was written."""
    # RETURNING, not rowcount: psycopg 3 under SQLAlchemy 2.1 reports -1 for ON CONFLICT DO NOTHING.
    return conn.execute(_ignoring(conn.dialect.name, table), values).first() is not None


def claim_new(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> set[Any]:
    """Insert the rows that are not there yet (by primary key); the keys of those inserted."""
    return {row[0] for row in conn.execute(_ignoring(conn.dialect.name, table), rows)}


@functools.cache
def _ignoring(dialect: str, table: Table) -> ReturningInsert[Any]:
    return (
        insert_for(dialect, table)
        .on_conflict_do_nothing()
        .returning(*table.primary_key.columns, sort_by_parameter_order=True)
    )


def upsert(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    keys: list[str],
    update: list[str] | None = None,
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE the given columns (all non-key columns by default)."""
    cols = update if update is not None else [k for k in values if k not in keys]
    conn.execute(_upserting(conn.dialect.name, table, tuple(keys), tuple(cols)), values)


@functools.cache
def _upserting(dialect: str, table: Table, keys: tuple[str, ...], cols: tuple[str, ...]) -> _Insert:
    stmt = insert_for(dialect, table)
    if not cols:
        return stmt.on_conflict_do_nothing(index_elements=list(keys))
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in cols})


def insert_for(dialect: str, table: Table) -> _Insert:
    """The INSERT of a dialect ("postgresql" or "sqlite"), which knows ON CONFLICT."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def is_transient(exc: BaseException) -> bool:
    """A database error worth waiting out (server down, connection lost, lock timeout)."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class PerEngine(Generic[T]):
    """A value read from a database (a directory snapshot, a calendar), kept by this process per
    engine and read again once older than ``ttl`` seconds: a hot path costs no round trip."""

    def __init__(self, load: Callable[[Connection], T], ttl: float):
        self.load, self.ttl = load, ttl
        self._kept: weakref.WeakKeyDictionary[Engine, tuple[float, T]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, conn: Connection) -> T:
        with self._lock:
            kept = self._kept.get(conn.engine)
            if kept is None or time.monotonic() - kept[0] > self.ttl:
                kept = self._kept[conn.engine] = (time.monotonic(), self.load(conn))
            return kept[1]

    def forget(self, engine: Engine) -> None:
        """Drop the value, after this process changed what it was read from."""
        with self._lock:
            self._kept.pop(engine, None)
