"""The one clock of the system: every read of the time goes through ``now()``.

Times are kept and carried in UTC; people read them in China Standard Time (``CST``), and a
calendar day is a day in China. ``CLOCK_OFFSET`` (e.g. ``36h``, ``5d``, ``-90m``) moves the
system's time forward (or back) by a fixed amount, so a drill or a black-box test can run a week
of deadlines in minutes; every process of a system must be started with the same offset.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_OFFSET = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*([smhd])\s*$")
_offset: timedelta | None = None


def parse_offset(text: str) -> timedelta:
    """``"36h"`` → 36 hours; ``""`` → none. ValueError for anything else."""
    if not text.strip():
        return timedelta(0)
    match = _OFFSET.match(text)
    if match is None:
        raise ValueError(f"CLOCK_OFFSET must be a number and a unit (s, m, h, d), e.g. 36h; got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def offset() -> timedelta:
    """How far this process's clock is moved from the machine's (read from CLOCK_OFFSET once)."""
    global _offset
    if _offset is None:
        _offset = parse_offset(os.environ.get("CLOCK_OFFSET", ""))
    return _offset


def set_offset(value: timedelta | None) -> None:
    """Move the clock (the settings of a process at start, and tests); None: read CLOCK_OFFSET again."""
    global _offset
    _offset = value


def now() -> datetime:
    """The current moment, in UTC, moved by the offset."""
    return datetime.now(UTC) + offset()


def offset_to(moment: datetime) -> str:
    """The CLOCK_OFFSET that makes a process's now ``moment`` (from the machine's own time): what a
    drill or a black-box test starts a system with."""
    return f"{(moment - datetime.now(UTC)).total_seconds():.0f}s"


def local(moment: datetime) -> datetime:
    """A moment as China Standard Time."""
    return moment.astimezone(CST)


def today() -> date:
    """Today's date in China."""
    return local(now()).date()


def day_start(day: date) -> datetime:
    """The first moment of a day in China, in UTC."""
    return datetime.combine(day, time(), CST).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The last second of a day in China, in UTC (a due date is due by then)."""
    return datetime.combine(day, time(23, 59, 59), CST).astimezone(UTC)


def for_people(moment: datetime | None, with_seconds: bool = False) -> str:
    """A moment as people read it: China time, ``2026-12-01 09:30`` (empty for none)."""
    if moment is None:
        return ""
    return local(moment).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def iso(moment: datetime) -> str:
    """A moment for the API: ISO-8601 in China time with its offset (``2026-12-01T09:30:00+08:00``)."""
    return local(moment).isoformat()
