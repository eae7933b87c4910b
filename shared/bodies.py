"""What requests carry in and answers carry out: JSON objects with each key once, forms in UTF-8 with
each field once, and times in China time with their offset."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest

from shared import clock
from shared.errors import ApiError, invalid

M = TypeVar("M", bound=BaseModel)


class RepeatedKey(ValueError):
    """A JSON object names one key twice: which value was meant is not for us to guess."""

    def __init__(self, key: str):
        super().__init__(f"repeated key {key!r}")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RepeatedKey(key)
        seen[key] = value
    return seen


def _repeated_key(exc: BaseException) -> str | None:
    """The repeated key behind a JSON decoding failure, if that was the failure."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, RepeatedKey):
            return cause.key
        cause = cause.__cause__ or cause.__context__
    return None


def _repeated() -> str:
    return str(_("Given more than once."))


class IsoJSONProvider(DefaultJSONProvider):
    """JSON with ISO-8601 times in China time with their offset (Flask's default is the HTTP date
    format), and Chinese left readable."""

    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            return clock.iso(o)
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        return DefaultJSONProvider.default(o)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """JSON in, with every object's keys given once (a repeated key is refused, not overwritten)."""
        return json.loads(s, object_pairs_hook=_unique_keys, **kwargs)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def _same_origin() -> bool:
    """Whether a form POST comes from our own pages (or from no page: a script, a kiosk's own tool).

    No cookie grants anything here, but a page elsewhere could still make a worker's browser
    post a demand or an answer (CSRF). ``Sec-Fetch-Site`` says where a request comes from in every
    current browser; without it, an ``Origin`` other than ours is refused. Our pages send no
    referrer, so their own ``Origin`` may be ``null``: that is not taken as foreign.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return origin.rstrip("/") == request.host_url.rstrip("/")


def install_form_check(app: Flask) -> None:
    """A form body must come from our own pages (no cross-site form posts), be UTF-8 (never stored
    with U+FFFD in place of what was sent) and name each field once: forms would keep the first of
    two values where JSON keeps the last, so the two ways in could disagree on, say, ``anonymous``."""

    @app.before_request
    def check_form() -> None:
        if request.method != "POST" or request.mimetype not in FORM_TYPES:
            return
        if not _same_origin():
            raise ApiError(403, "cross_site_form", _("A form from another site is not accepted here."))
        if request.mimetype != "application/x-www-form-urlencoded":
            _refuse_repeated(
                [k for k in request.form if isinstance(k, str) and len(request.form.getlist(k)) > 1]
            )
            return
        raw = request.get_data(cache=True)  # the form is parsed from this copy afterwards
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise ApiError(400, "malformed", _("The form is not valid UTF-8.")) from None
        names = [name for name, _value in pairs]
        _refuse_repeated([name for name in names if names.count(name) > 1])


def _refuse_repeated(names: list[str]) -> None:
    """A field given twice is refused: which value was meant is not for us to guess."""
    if names:
        fields = dict.fromkeys(sorted(set(names)), _repeated())
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), fields)


def json_body(model: type[M]) -> M:
    """The request's JSON body validated by ``model``; 415, 400 or 422 otherwise."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("Send the body as application/json."))
    try:
        data = request.get_json()
    except (BadRequest, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        repeated = _repeated_key(exc)
        if repeated is not None:
            raise ApiError(
                422, "invalid_fields", _("Some fields are invalid."), {repeated: _repeated()}
            ) from None
        raise ApiError(400, "malformed", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_fields", _("The body must be a JSON object."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None
