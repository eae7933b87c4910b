"""Staff log-in: argon2 password check, throttled per account, answering a signed token."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import select, update

from services.routing.models import staff
from shared import auth
from shared.errors import Throttled, Unauthenticated

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """A hash to check unknown ids against, so they cost as much as wrong passwords (made at first use:
    argon2 takes ~0.2 s)."""
    return _hasher.hash("an account that does not exist")


# Failed log-ins per account, in this process's memory: after five in 15 minutes, wait.
_FAILURES, _window = parse("5/15 minutes"), MovingWindowRateLimiter(MemoryStorage())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def log_in(conn, secret: str, staff_id: str, password: str) -> tuple[str, auth.Staff]:
    """A token for the staff member; Unauthenticated for a wrong id or password (one answer for both),
    Throttled after too many failures."""
    if not _window.test(_FAILURES, "login", staff_id):
        raise Throttled("too_many_failures")
    row = conn.execute(
        select(staff.c.id, staff.c.role, staff.c.org_code, staff.c.password_hash).where(
            staff.c.id == staff_id, staff.c.active
        )
    ).first()
    try:
        _hasher.verify(row.password_hash if row and row.password_hash else _dummy(), password)
        if row is None or row.password_hash is None:
            raise VerificationError()
    except (VerificationError, InvalidHashError):
        _window.hit(_FAILURES, "login", staff_id)
        raise Unauthenticated("bad_credentials") from None
    person = auth.Staff(id=row.id, role=row.role, org_code=row.org_code)
    return auth.issue(secret, person), person


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
