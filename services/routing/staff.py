"""Staff log-in: an argon2 password check behind throttles every process and instance shares,
answering a signed token.

Each verification costs ~0.2 s of a core, and staff ids are guessable, so before any hashing a
log-in is refused (429 with Retry-After; the counters in routing's ``throttle`` table, keyed by
keyed hashes, never an address, an id or a password: ``shared.throttle``) when:

- its client (address) made more than 30 attempts in 10 minutes, or failed 20 times in 15 minutes
  over any accounts: the hashing one client can cause is bounded;
- its password failed on 5 distinct accounts within the hour (password spraying): that password is
  refused for everyone until the hour ends;
- this client failed 5 times on this account in 15 minutes. Only this client waits: the owner, from
  their own machine, is not locked out by an attacker elsewhere;
- the account failed 10 times in 15 minutes from all clients together (it is under attack): then a
  client that has not logged in to it successfully today may fail on it only twice, not five times.
  The owner's machine, once it has logged in, keeps its five; a new machine of the owner gets two.

Then at most ``HASHING_SLOTS`` verifications run at once on the host, whatever the number of
processes and threads; a log-in that cannot start one within ``HASHING_WAIT`` is refused
(``login_busy``, retry after a second), so log-ins never take every worker from other requests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update

from services.routing.models import staff, throttle_counts
from shared import auth, clock, throttle
from shared.errors import Throttled, Unauthenticated
from shared.throttle import NOTHING, Budget, Count

_hasher = PasswordHasher()

CLIENT_ATTEMPTS = Budget(30, 10 * 60)  # log-ins per client, whatever their outcome
CLIENT_FAILURES = Budget(20, 15 * 60)  # failed log-ins per client, over any accounts
PAIR_FAILURES = Budget(5, 15 * 60)  # failed log-ins per client on one account
PAIR_FAILURES_UNDER_ATTACK = 2  # … when the account is under attack and the client not known to it
ACCOUNT_ATTACK = Budget(10, 15 * 60)  # failed log-ins on one account from all clients: under attack
SPRAY = Budget(5, 60 * 60)  # distinct accounts one password failed on: refused for everyone
HASHING_SLOTS = 1  # argon2 verifications at once on a host: one core, whatever the workers
HASHING_WAIT = 0.25  # seconds a log-in waits for a slot (about one verification) before it is refused
BUSY_RETRY_AFTER = 1


@functools.cache
def _dummy() -> str:
    """A hash to check unknown ids against, so they cost as much as wrong passwords (made at first use:
    argon2 takes ~0.2 s)."""
    return _hasher.hash("an account that does not exist")


@dataclass(frozen=True)
class Gate:
    """What a log-in passes through: routing's database, the shared counters, the host's slots."""

    engine: Engine
    secret: str
    counters: throttle.Counters
    slots: throttle.Slots


@functools.cache
def gate_for(engine: Engine, secret: str, var_dir: Path) -> Gate:
    """The log-in gate of a web process (its slots' lock files under ``var_dir/locks``)."""
    name = throttle.slot_name("argon2", engine.url.render_as_string())
    return Gate(
        engine,
        secret,
        throttle.counters(engine, throttle_counts, secret),
        throttle.slots(var_dir / "locks", name, HASHING_SLOTS),
    )


@dataclass(frozen=True)
class _Keys:
    """The counters one log-in reads and writes."""

    attempts: str
    failures: str
    pair: str
    account: str
    known: str
    password: str
    password_account: str

    @classmethod
    def of(cls, counters: throttle.Counters, staff_id: str, password: str, client: str) -> _Keys:
        key = counters.key
        return cls(
            attempts=key("login-attempts", client),
            failures=key("login-failures", client),
            pair=key("login-pair", staff_id, client),
            account=key("login-account", staff_id),
            known=key("login-known", staff_id, client),
            password=key("login-password", password),
            password_account=key("login-password-account", password, staff_id),
        )


def log_in(gate: Gate, staff_id: str, password: str, address: str | None) -> tuple[str, auth.Staff]:
    """A token for the staff member; Unauthenticated for a wrong id or password (one answer for both),
    Throttled (with ``retry_after``) as the module says. ``address``: the client's, never stored."""
    keys = _Keys.of(gate.counters, staff_id, password, throttle.client(address))
    _refuse_if_throttled(gate.counters, keys)
    with gate.engine.connect() as conn:  # not held while hashing
        row = conn.execute(
            select(staff.c.id, staff.c.role, staff.c.org_code, staff.c.password_hash).where(
                staff.c.id == staff_id, staff.c.active
            )
        ).first()
    with gate.slots.slot(HASHING_WAIT) as held:
        if not held:
            raise Throttled("login_busy", retry_after=BUSY_RETRY_AFTER)
        good = _verify(row.password_hash if row else None, password)
    if row is None or not good:
        _failed(gate.counters, keys)
        raise Unauthenticated("bad_credentials")
    gate.counters.forget(keys.pair)
    gate.counters.hit(keys.known, _until_midnight())  # known to the account today: the key ends then
    person = auth.Staff(id=row.id, role=row.role, org_code=row.org_code)
    return auth.issue(gate.secret, person), person


def _verify(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; an account without one costs the same and never matches."""
    try:
        _hasher.verify(password_hash or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def _refuse_if_throttled(counters: throttle.Counters, keys: _Keys) -> None:
    attempts = counters.hit(keys.attempts, CLIENT_ATTEMPTS.seconds)
    if attempts.hits > CLIENT_ATTEMPTS.amount:
        raise Throttled("too_many_attempts", **_wait(attempts))
    seen = counters.counts([keys.failures, keys.password, keys.pair, keys.account, keys.known])
    failures = seen.get(keys.failures, NOTHING)
    if failures.hits >= CLIENT_FAILURES.amount:
        raise Throttled("too_many_attempts", **_wait(failures))
    sprayed = seen.get(keys.password, NOTHING)
    if sprayed.hits >= SPRAY.amount:
        raise Throttled("password_throttled", **_wait(sprayed))
    attacked = seen.get(keys.account, NOTHING).hits >= ACCOUNT_ATTACK.amount and keys.known not in seen
    pair = seen.get(keys.pair, NOTHING)
    if pair.hits >= (PAIR_FAILURES_UNDER_ATTACK if attacked else PAIR_FAILURES.amount):
        raise Throttled("too_many_failures", **_wait(pair))


def _failed(counters: throttle.Counters, keys: _Keys) -> None:
    *_, password_account = counters.hit_many(
        [
            (keys.pair, PAIR_FAILURES.seconds, 1),
            (keys.failures, CLIENT_FAILURES.seconds, 1),
            (keys.account, ACCOUNT_ATTACK.seconds, 1),
            (keys.password_account, SPRAY.seconds, 1),
        ]
    )
    if password_account.hits == 1:  # the first failure of this password on this account: one more account
        counters.hit(keys.password, SPRAY.seconds)


def _until_midnight() -> int:
    """Seconds until the next midnight in China, when the day's pseudonyms change."""
    return max(1, int((clock.day_start(clock.today() + timedelta(days=1)) - clock.now()).total_seconds()))


def _wait(count: Count) -> dict[str, Any]:
    """A refusal's wait: the Retry-After seconds, and the minutes its message names."""
    return {"retry_after": count.retry_after, "params": {"minutes": -(-count.retry_after // 60)}}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def set_password(conn, staff_id: str, password: str) -> bool:
    return (
        conn.execute(
            update(staff).where(staff.c.id == staff_id).values(password_hash=hash_password(password))
        ).rowcount
        == 1
    )


def set_missing_passwords(conn, password: str) -> int:
    """Give every staff member without a password this one (the demo directory's accounts)."""
    hashed = hash_password(password)
    return conn.execute(
        update(staff).where(staff.c.password_hash.is_(None)).values(password_hash=hashed)
    ).rowcount
