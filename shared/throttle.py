"""Throttling shared by every process and instance of a service: counters in its own database, keyed
by pseudonyms that rotate daily, and slots that bound expensive work on a host.

``Counters`` count hits per key in fixed windows: a key's window opens at its first hit and lasts
``window_seconds``; a hit after it has ended opens a new one. One atomic upsert per hit, in the
service's ``throttle`` table (``shared.db.throttle_table``), so every gunicorn worker and every
instance sees the same counts (a per-process limit would multiply by the number of workers).

A key is never an address, an account or a password: ``Counters.key`` makes a keyed hash (HMAC) of
its parts with a key derived from ``SECRET_KEY`` and the day (in China), so the pseudonyms of one day
cannot be joined to the next day's, and without ``SECRET_KEY`` none can be reversed (DESIGN §4). Rows
whose window has ended count for nothing and are deleted at the next hit a minute or more later.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import hmac
import ipaddress
import json
import math
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from limits import parse
from sqlalchemy import Connection, Engine, Table, bindparam, case, delete, select
from sqlalchemy.sql.dml import ReturningInsert

from shared import clock
from shared.db import UTCDateTime, insert_for

PURGE_EVERY = timedelta(minutes=1)  # how often one process deletes the rows whose window has ended
OFF = ("", "off", "0", "none")


@dataclass(frozen=True)
class Budget:
    """So many hits per window of so many seconds."""

    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Budget | None:
        """``"120/10 minutes"`` (the ``limits`` notation: ``20/minute``, ``5 per hour``) → a budget;
        ``"off"``, ``"0"`` or empty → None (no limit). ValueError for anything else."""
        if text.strip().lower() in OFF:
            return None
        item = parse(text)
        return cls(item.amount, item.get_expiry()) if item.amount > 0 else None


class Count(NamedTuple):
    """A key's hits in its current window, and the seconds until that window ends (0: no window)."""

    hits: int
    retry_after: int


NOTHING = Count(0, 0)


def day_key(secret: str, day: date | None = None) -> bytes:
    """The key of a day's pseudonyms: derived from the secret and the day (China's), so it changes at
    midnight and every process and instance derives the same one."""
    day = day or clock.today()
    return hmac.new(secret.encode(), f"xinsheng.throttle/{day.isoformat()}".encode(), hashlib.sha256).digest()


def client(address: str | None) -> str:
    """The client an address stands for: an IPv4 address, or the /64 network of an IPv6 one (one
    household or device holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Counters:
    """Fixed-window hit counters in ``table`` (``shared.db.throttle_table``) on ``engine``, each
    operation in its own short transaction (a refusal still counts when the request fails)."""

    def __init__(self, engine: Engine, table: Table, secret: str):
        self.engine, self.table, self.secret = engine, table, secret
        self._purged_at: datetime | None = None

    def key(self, kind: str, *parts: str) -> str:
        """The stored key of ``parts`` (an address, an account, a password): ``kind:`` and 32 hex
        digits of an HMAC under today's key. Same parts, same day: same key."""
        message = json.dumps([kind, *parts]).encode()  # unambiguous: no two lists of parts alike
        return f"{kind}:{hmac.new(day_key(self.secret), message, hashlib.sha256).hexdigest()[:32]}"

    def hit(self, key: str, window_seconds: int, cost: int = 1) -> Count:
        """Add ``cost`` to the key's count (a new window when none is open); its count now."""
        return self.hit_many([(key, window_seconds, cost)])[0]

    def hit_many(self, hits: Sequence[tuple[str, int, int]]) -> list[Count]:
        """Several hits ``(key, window_seconds, cost)`` in one transaction; the counts, in order."""
        now, counts = clock.now(), [NOTHING] * len(hits)
        with self.engine.begin() as conn:
            # Rows locked in key order by every transaction: two that share keys never deadlock.
            for i in sorted(range(len(hits)), key=lambda i: hits[i][0]):
                counts[i] = self._hit(conn, now, *hits[i])
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            self.purge()
        return counts

    def count(self, key: str) -> Count:
        """The key's count in its current window (nothing when its window has ended)."""
        return self.counts([key]).get(key, NOTHING)

    def counts(self, keys: Iterable[str]) -> dict[str, Count]:
        """The current counts of the keys that have one (one query)."""
        now, t = clock.now(), self.table
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.key, t.c.hits, t.c.expires_at).where(t.c.key.in_(list(keys)), t.c.expires_at > now)
            ).all()
        return {str(row[0]): _count(row[1], row[2], now) for row in rows}

    def forget(self, *keys: str) -> None:
        """Drop the keys' counts (e.g. a pair's failures once its log-in succeeds)."""
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key.in_(keys)))

    def purge(self) -> int:
        """Delete the rows whose window has ended (but those another transaction holds: a hit is
        renewing them, or another purge deleting them); how many."""
        t = self.table
        ended = select(t.c.key).where(t.c.expires_at <= clock.now()).with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            return conn.execute(delete(t).where(t.c.key.in_(ended.scalar_subquery()))).rowcount

    def _hit(self, conn: Connection, now: datetime, key: str, seconds: int, cost: int) -> Count:
        values = {"key": key, "cost": cost, "until": now + timedelta(seconds=seconds), "now": now}
        row = conn.execute(_hitting(conn.dialect.name, self.table), values).one()
        return _count(row[0], row[1], now)


@functools.cache
def counters(engine: Engine, table: Table, secret: str) -> Counters:
    """The one ``Counters`` of an engine, table and secret in this process (so purges are spaced)."""
    return Counters(engine, table, secret)


@functools.cache
def _hitting(dialect: str, table: Table) -> ReturningInsert[Any]:
    """INSERT … ON CONFLICT (key) DO UPDATE: add to an open window, or open a new one over an ended
    one; RETURNING the count and the window's end. Atomic on PostgreSQL and SQLite alike."""
    stmt = insert_for(dialect, table).values(
        key=bindparam("key"), hits=bindparam("cost"), expires_at=bindparam("until", type_=UTCDateTime())
    )
    ended = table.c.expires_at <= bindparam("now", type_=UTCDateTime())
    return stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case((ended, stmt.excluded.hits), else_=table.c.hits + stmt.excluded.hits),
            "expires_at": case((ended, stmt.excluded.expires_at), else_=table.c.expires_at),
        },
    ).returning(table.c.hits, table.c.expires_at)


def _count(hits: int, expires_at: datetime, now: datetime) -> Count:
    return Count(hits, max(1, math.ceil((expires_at - now).total_seconds())))


class Slots:
    """At most ``size`` holders at once among every thread and process of this host that use the same
    directory and name: one ``flock`` per slot file. gunicorn's sync workers run one request per
    process, so a per-process semaphore would bound nothing; this bounds the web's processes together.
    """

    def __init__(self, directory: Path, name: str, size: int):
        self.paths = [directory / f"{name}.{i}.lock" for i in range(size)]
        directory.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def slot(self, wait: float) -> Iterator[bool]:
        """Hold a slot while the block runs, waiting up to ``wait`` seconds for one; yields whether
        one was taken (the caller refuses when not)."""
        fd = self._take(time.monotonic() + wait)
        try:
            yield fd is not None
        finally:
            if fd is not None:
                os.close(fd)  # closing the file releases its lock

    def _take(self, deadline: float) -> int | None:
        while True:
            for path in self.paths:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    os.close(fd)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)


@functools.cache
def slots(directory: Path, name: str, size: int) -> Slots:
    return Slots(directory, name, size)


def slot_name(kind: str, database_url: str) -> str:
    """The name of a service's slots: one set per database (per deployment), none shared by others."""
    return f"{kind}-{hashlib.sha256(database_url.encode()).hexdigest()[:12]}"
