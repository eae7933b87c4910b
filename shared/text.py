"""Text fields as people type them: trimmed, no control characters (a NUL or an escape is hostile)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import AfterValidator, BeforeValidator, StringConstraints

# C0 and C1 controls, line and paragraph separators, the byte-order mark.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# What makes text read otherwise than it is stored: bidirectional overrides and isolates (a name that
# shows "txt.exe" as "exe.txt"), zero-width joiners and spaces. Refused in single-line fields.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # the days the system can mean


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
    if _INVISIBLE.search(value):
        raise ValueError(_("Contains invisible or direction-changing characters."))
    return value


def _day(value: object) -> date:
    """A day written as ``YYYY-MM-DD`` (not a number of seconds, not a time), within the system's years."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("Not a day of the calendar.")) from None
    else:
        raise ValueError(_("A day as YYYY-MM-DD."))
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(_("A day between %(first)s and %(last)s.", first=FIRST_DAY, last=LAST_DAY))
    return day


Day = Annotated[date, BeforeValidator(_day)]


# Identifiers as they appear in URLs and bodies; anything else (a NUL byte, say) is refused before
# it reaches a database that would choke on it.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
StaffId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
OrgCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


def is_uuid(value: str) -> bool:
    return re.fullmatch(UUID_PATTERN, value) is not None
