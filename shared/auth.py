"""Staff authentication shared by every service: short-lived signed tokens and the check on each request.

routing issues a token at ``POST /api/v1/auth/token`` after checking the password; every service
verifies it with the same ``SECRET_KEY`` and no call to routing. A token names the staff member,
their role and their organisation (enterprise, county or "city").
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import ParamSpec, TypeVar

from flask import g, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.errors import ApiError

TOKEN_SECONDS = 8 * 3600  # one working day
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
    return _serializer(secret).dumps(asdict(staff))


def verify(secret: str, token: str, max_age: int = TOKEN_SECONDS) -> Staff:
    """The staff member a token names; ApiError 401 if it is forged, malformed or expired."""
    try:
        claims = _serializer(secret).loads(token, max_age=max_age)
        return Staff(**claims)
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

            g.staff = verify(runtime().settings.secret_key, token.strip())
            if roles and g.staff.role not in roles:
                raise ApiError(403, "forbidden", _("Your role may not do this."))
            return view(*args, **kwargs)

        return wrapper

    return decorate
