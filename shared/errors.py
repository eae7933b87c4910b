"""The one error shape of every service: ``{"error": {"code", "message", "fields"}}``.

The domain raises a ``DomainError`` (no HTTP in it, no wording): its kind says what went wrong
and its code which rule refused. The HTTP edge (``shared.web``) turns it into an ``ApiError``, the
answer, in one place, with the message of its code from the service's catalogue.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pydantic import BaseModel, ValidationError


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = {}
    allowed: list[str] | None = None  # 409 on a case: the actions its state allows the caller
    current: dict[str, Any] | None = None  # 409 on a case: its state now


class ErrorResponse(BaseModel):
    """Every error answer (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)."""

    error: ErrorBody


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(code)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.headers = headers or {}  # e.g. ``Allow`` on a 405, ``Retry-After`` on a 429 or a 503
        self.extra = extra  # more keys of the error object, e.g. ``allowed`` and ``current``

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": str(self.message),
                "fields": {k: str(v) for k, v in self.fields.items()},
                **self.extra,
            }
        }


class DomainError(Exception):
    """A rule of the domain refused. ``code`` names the rule for the caller, ``message`` the text the
    edge shows (the code's own by default), ``params`` fill it, ``fields`` map a field to the message
    of its own, and ``extra`` are more keys of the answer (e.g. ``allowed``, ``current``)."""

    kind = "invalid"

    def __init__(
        self,
        code: str,
        *,
        message: str | None = None,
        params: dict[str, Any] | None = None,
        fields: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(code)
        self.code, self.message = code, message or code
        self.params, self.fields, self.extra = params or {}, fields or {}, extra


class NotFound(DomainError):
    kind = "not_found"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class Forbidden(DomainError):
    kind = "forbidden"


class Conflict(DomainError):
    kind = "conflict"


class Invalid(DomainError):
    kind = "invalid"


class Throttled(DomainError):
    kind = "throttled"


# The message for each kind of field error pydantic reports; the input is never echoed back.
_FIELD_MESSAGES = {
    "missing": lazy_gettext("This field is required."),
    "extra_forbidden": lazy_gettext("This field is not accepted."),
    "string_too_short": lazy_gettext("Too short: at least %(min)s characters."),
    "string_too_long": lazy_gettext("Too long: at most %(max)s characters."),
    "literal_error": lazy_gettext("Not one of the allowed values: %(expected)s."),
    "string_pattern_mismatch": lazy_gettext("Not in the expected format."),
    "string_type": lazy_gettext("Must be text."),
    "bool_type": lazy_gettext("Must be true or false."),
    "bool_parsing": lazy_gettext("Must be true or false."),
    "int_type": lazy_gettext("Must be a whole number."),
    "int_parsing": lazy_gettext("Must be a whole number."),
    "model_type": lazy_gettext("Must be an object."),
    "dict_type": lazy_gettext("Must be an object."),
    "model_attributes_type": lazy_gettext("Must be an object."),
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Translate pydantic's errors into one readable message per field path."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        if loc in out:
            continue
        ctx = err.get("ctx") or {}
        template = _FIELD_MESSAGES.get(err["type"])
        if template is not None:
            out[loc] = str(template) % {
                "min": ctx.get("min_length", ""),
                "max": ctx.get("max_length", ""),
                "expected": ctx.get("expected", ""),
            }
        elif isinstance(ctx.get("error"), ValueError):
            out[loc] = str(ctx["error"])  # our own validators raise translated messages
        else:
            out[loc] = _("Invalid value.")
    return out


def invalid(exc: ValidationError) -> ApiError:
    return ApiError(422, "invalid_fields", _("Some fields are invalid."), field_errors(exc))
