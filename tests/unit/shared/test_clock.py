"""The one clock (shared/clock.py): China days, people's times, and CLOCK_OFFSET."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared import clock


@pytest.fixture(autouse=True)
def unmoved():
    clock.set_offset(timedelta(0))
    yield
    clock.set_offset(timedelta(0))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("36h", timedelta(hours=36)),
        ("5d", timedelta(days=5)),
        ("-90m", timedelta(minutes=-90)),
        (" 1.5h ", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
        ("", timedelta(0)),
    ],
)
def test_an_offset_is_a_number_and_a_unit(text, expected):
    assert clock.parse_offset(text) == expected


@pytest.mark.parametrize("text", ["36", "h", "5 days", "1e3h", "5d;rm", "--5d"])
def test_anything_else_is_refused_with_an_example(text):
    with pytest.raises(ValueError, match=r"e\.g\. 36h"):
        clock.parse_offset(text)


def test_the_offset_moves_now_and_today():
    before = clock.now()
    clock.set_offset(timedelta(days=5))
    moved = clock.now()
    assert timedelta(days=5) <= moved - before < timedelta(days=5, seconds=5)
    assert moved.tzinfo is not None and moved.utcoffset() == timedelta(0)
    assert clock.today() == clock.local(moved).date()


def test_the_offset_is_read_from_the_environment_at_first_use(monkeypatch):
    monkeypatch.setenv("CLOCK_OFFSET", "2d")
    clock.set_offset(None)  # forget: read again
    assert clock.offset() == timedelta(days=2)


def test_a_china_day_starts_and_ends_at_china_midnight():
    assert clock.day_start(date(2026, 12, 1)) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert clock.day_end(date(2026, 12, 1)) == datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)


def test_people_read_china_time_and_the_api_carries_its_offset():
    late_utc = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)  # already the 2nd in China
    assert clock.for_people(late_utc) == "2026-12-02 01:05"
    assert clock.for_people(late_utc, with_seconds=True) == "2026-12-02 01:05:00"
    assert clock.for_people(None) == ""
    assert clock.iso(late_utc) == "2026-12-02T01:05:00+08:00"
