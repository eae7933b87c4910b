"""Staff authentication shared by every service: short-lived signed tokens and the check on each request.

routing issues a token at ``POST /api/v1/auth/token`` after checking the password; every service
verifies it with the same ``SECRET_KEY`` and no call to routing. A token names the staff member,
their role and their organisation (enterprise, county or "city").

A token is refused before it expires once its staff member is revoked (removed, moved, or given a
new password): routing writes the moment to its ``revocations`` table and publishes
``staff.revoked``; every service with staff endpoints keeps the same table and reads it here, at
most every ``REVOCATIONS_TTL`` seconds per process: a revoked account loses access within a minute.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, Engine, Table, select

from shared import clock
from shared.errors import ApiError

TOKEN_SECONDS = 8 * 3600  # one working day
REVOCATIONS_TTL = 15.0  # seconds a process trusts its copy of the revocations
_SALT = "xinsheng-staff-token"
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Staff:
    id: str
    role: str
    org_code: str


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def issue(secret: str, staff: Staff) -> str:
    """A signed token; ``iat`` is the system's time (shared/clock.py), which revocations are in: the
    serializer's own timestamp is the machine's, and it only decides the expiry."""
    return _serializer(secret).dumps({**asdict(staff), "iat": int(clock.now().timestamp())})


def verify(secret: str, token: str, max_age: int = TOKEN_SECONDS) -> Staff:
    """The staff member a token names; ApiError 401 if it is forged, malformed or expired."""
    return _decode(secret, token, max_age)[0]


def _decode(secret: str, token: str, max_age: int = TOKEN_SECONDS) -> tuple[Staff, datetime]:
    """The staff member a token names and when it was issued."""
    try:
        claims, issued = _serializer(secret).loads(token, max_age=max_age, return_timestamp=True)
        iat = claims.pop("iat", None)
        if iat is not None:
            issued = datetime.fromtimestamp(int(iat), UTC)
        return Staff(**claims), issued
    except SignatureExpired:
        raise ApiError(401, "token_expired", _("Your session has expired; please log in again.")) from None
    except (BadSignature, TypeError):
        raise ApiError(401, "invalid_token", _("This token is not valid; please log in again.")) from None


def require_staff(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view decorator: a valid bearer token (401 otherwise), of one of ``roles`` if given (403)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            header = request.headers.get("Authorization", "")
            scheme, _sep, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(
                    401, "unauthenticated", _("Log in first: send 'Authorization: Bearer <token>'.")
                )
            from shared.web import runtime

            g.staff, issued = _decode(runtime().settings.secret_key, token.strip())
            revocations: Revocations | None = current_app.extensions.get("xinsheng.revocations")
            if revocations is not None and revocations.refuses(g.staff.id, issued):
                raise ApiError(401, "token_revoked", _("This session was closed; please log in again."))
            if roles and g.staff.role not in roles:
                raise ApiError(403, "forbidden", _("Your role may not do this."))
            return view(*args, **kwargs)

        return wrapper

    return decorate


class Revocations:
    """Which staff members' older tokens are refused, from the service's ``revocations`` table (see
    shared/db.py), read again at most every ``ttl`` seconds by this process."""

    def __init__(self, engine: Engine, table: Table, ttl: float = REVOCATIONS_TTL):
        self.engine, self.table, self.ttl = engine, table, ttl
        self._lock = threading.Lock()
        self._read_at = -float("inf")
        self._revoked: dict[str, datetime] = {}

    def refuses(self, staff_id: str, issued: datetime) -> bool:
        """Whether a token of ``staff_id`` issued at ``issued`` was revoked since (whole seconds:
        a token's time has no fraction, so a log-in in the second of the revocation stands)."""
        revoked = self._current().get(staff_id)
        return revoked is not None and issued.astimezone(UTC) < revoked.replace(microsecond=0)

    def _current(self) -> dict[str, datetime]:
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                with self.engine.connect() as conn:
                    rows = conn.execute(select(self.table.c.staff_id, self.table.c.revoked_at)).all()
                self._revoked = {r.staff_id: r.revoked_at for r in rows}
                self._read_at = time.monotonic()
            return self._revoked


def record_revocation(conn: Connection, table: Table, staff_id: str, revoked_at: datetime) -> None:
    """Keep the latest revocation of a staff member (a late, older one changes nothing)."""
    known = conn.execute(select(table.c.revoked_at).where(table.c.staff_id == staff_id)).scalar()
    if known is None:
        conn.execute(table.insert().values(staff_id=staff_id, revoked_at=revoked_at))
    elif known < revoked_at:
        conn.execute(table.update().where(table.c.staff_id == staff_id).values(revoked_at=revoked_at))
