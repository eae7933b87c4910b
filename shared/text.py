"""Text fields as people type them: trimmed, no control characters (a NUL or an escape is hostile)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import AfterValidator, StringConstraints

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ufeff]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(_("Contains control characters."))
    return value


def clean_text(min_length: int = 0, max_length: int = 200, multiline: bool = False) -> Any:
    """A str type that is trimmed, bounded and free of control characters (line breaks if multiline)."""
    # Any: the result is a type for pydantic to read, and Python's typing has no type for a type form.
    checks = [AfterValidator(_no_control)]
    if not multiline:
        checks.append(AfterValidator(_single_line))
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length), *checks
    ]


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(_("Must be a single line."))
    return value


# Identifiers as they appear in URLs and bodies; anything else (a NUL byte, say) is refused before
# it reaches a database that would choke on it.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
StaffId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
OrgCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


def is_uuid(value: str) -> bool:
    return re.fullmatch(UUID_PATTERN, value) is not None
