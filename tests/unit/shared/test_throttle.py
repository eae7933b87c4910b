"""Throttle counters and hashing slots (shared/throttle.py) on SQLite; tests/integration/test_throttle.py
runs them on PostgreSQL, shared by several engines and processes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shared import clock, throttle
from shared.db import make_engine, throttle_table

SECRET = "test-secret"


@pytest.fixture
def counters(tmp_path):
    metadata = sa.MetaData()
    table = throttle_table(metadata)
    engine = make_engine(f"sqlite:///{tmp_path / 'throttle.db'}")
    metadata.create_all(engine)
    yield throttle.Counters(engine, table, SECRET)
    engine.dispose()


@pytest.fixture
def moved_clock():
    """Move the clock with ``moved_clock(timedelta)``; put back after the test."""
    yield lambda by: clock.set_offset(by)
    clock.set_offset(None)


def rows(counters) -> list[tuple]:
    with counters.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(counters.table)).all()]


# -- counting ------------------------------------------------------------------------------------------------
def test_hits_add_up_within_their_window_and_say_when_it_ends(counters):
    key = counters.key("post", "10.0.0.1")
    assert [counters.hit(key, 600).hits for _ in range(3)] == [1, 2, 3]
    assert counters.hit(key, 600, cost=5).hits == 8

    seen = counters.count(key)
    assert seen.hits == 8 and 598 <= seen.retry_after <= 600


def test_a_window_ends_at_its_own_end_and_the_next_hit_opens_a_new_one(counters, moved_clock):
    key = counters.key("post", "10.0.0.1")
    counters.hit(key, 600)
    moved_clock(timedelta(seconds=590))
    assert counters.hit(key, 600) == throttle.Count(2, 10), "a hit does not stretch its window"

    moved_clock(timedelta(seconds=601))
    assert counters.count(key) == throttle.NOTHING
    assert counters.hit(key, 600) == throttle.Count(1, 600)


def test_keys_count_apart(counters):
    one, other = counters.key("post", "10.0.0.1"), counters.key("post", "10.0.0.2")
    counters.hit_many([(one, 60, 1), (one, 60, 1), (other, 60, 1)])
    assert counters.counts([one, other, counters.key("post", "10.0.0.3")]) == {
        one: throttle.Count(2, 60),
        other: throttle.Count(1, 60),
    }


def test_forgotten_keys_count_nothing(counters):
    key = counters.key("login-pair", "e001-chair", "10.0.0.1")
    counters.hit(key, 900)
    counters.forget(key)
    assert counters.count(key) == throttle.NOTHING and rows(counters) == []


def test_rows_whose_window_has_ended_are_deleted(counters, moved_clock):
    counters.hit(counters.key("post", "10.0.0.1"), 60)
    counters.hit(counters.key("post", "10.0.0.2"), 3600)
    moved_clock(timedelta(seconds=61))
    assert counters.purge() == 1 and len(rows(counters)) == 1


def test_a_hit_deletes_ended_rows_at_most_once_a_minute(counters, moved_clock):
    counters.hit(counters.key("post", "old"), 60)  # the first hit of a process purges
    moved_clock(timedelta(seconds=61))
    counters.hit(counters.key("post", "new"), 600)
    assert len(rows(counters)) == 1, "the ended row went with the next hit a minute later"

    counters.hit(counters.key("post", "short"), 1)
    moved_clock(timedelta(seconds=63))
    counters.hit(counters.key("post", "new"), 600)
    assert len(rows(counters)) == 2, "not purged again within the minute"


def test_parallel_hits_on_one_key_are_all_counted(counters):
    key = counters.key("post", "10.0.0.1")

    def hammer():
        for _ in range(20):
            counters.hit(key, 600)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.count(key).hits == 80


# -- keys: keyed hashes that rotate daily -----------------------------------------------------------------------
def test_a_key_is_a_keyed_hash_that_holds_none_of_its_parts(counters):
    key = counters.key("login-pair", "e001-chair", "10.0.0.1")
    assert key.startswith("login-pair:") and len(key) == len("login-pair:") + 32
    assert "e001" not in key and "10.0.0.1" not in key
    assert key == counters.key("login-pair", "e001-chair", "10.0.0.1")
    assert key != throttle.Counters(counters.engine, counters.table, "another secret").key(
        "login-pair", "e001-chair", "10.0.0.1"
    )


def test_parts_are_not_confused_when_joined(counters):
    assert counters.key("k", "a", "bc") != counters.key("k", "ab", "c")


def test_the_key_rotates_daily(counters, moved_clock):
    today = counters.key("post", "10.0.0.1")
    moved_clock(timedelta(days=1))
    tomorrow = counters.key("post", "10.0.0.1")
    assert today != tomorrow
    moved_clock(None)
    assert counters.key("post", "10.0.0.1") == today


def test_the_day_key_changes_at_midnight_in_china(moved_clock):
    midnight = clock.day_start(clock.today() + timedelta(days=1))
    moved_clock(midnight - clock.now() - timedelta(seconds=30))
    before = throttle.day_key(SECRET)
    moved_clock(midnight - clock.now() + clock.offset() + timedelta(seconds=30))
    assert throttle.day_key(SECRET) != before


@pytest.mark.parametrize(
    "address,client",
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        (None, "unknown"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_network(address, client):
    assert throttle.client(address) == client


# -- budgets ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,budget",
    [
        ("120/10 minutes", throttle.Budget(120, 600)),
        ("20/minute", throttle.Budget(20, 60)),
        ("5 per hour", throttle.Budget(5, 3600)),
        ("off", None),
        ("OFF", None),
        ("0", None),
        ("", None),
        ("0/minute", None),
    ],
)
def test_a_budget_is_read_in_the_limits_notation_and_off_turns_it_off(text, budget):
    assert throttle.Budget.parse(text) == budget


def test_a_budget_that_does_not_parse_is_an_error():
    with pytest.raises(ValueError):
        throttle.Budget.parse("lots")


# -- slots ------------------------------------------------------------------------------------------------------
def test_no_more_than_the_slots_run_at_once_and_the_rest_are_refused_in_time(tmp_path):
    slots = throttle.Slots(tmp_path, "work", 2)
    running, most, refused, lock = 0, 0, 0, threading.Lock()

    def work():
        nonlocal running, most, refused
        with slots.slot(0.05) as held:
            if not held:
                with lock:
                    refused += 1
                return
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.2)
            with lock:
                running -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 2 and refused == 6


def test_a_slot_freed_within_the_wait_is_taken(tmp_path):
    slots = throttle.Slots(tmp_path, "work", 1)
    release = threading.Event()

    def hold():
        with slots.slot(0):
            release.wait(1)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.05)
    threading.Timer(0.1, release.set).start()
    with slots.slot(1) as held:
        assert held
    holder.join()


def test_slots_of_another_name_are_apart(tmp_path):
    with (
        throttle.Slots(tmp_path, "one", 1).slot(0) as first,
        throttle.Slots(tmp_path, "two", 1).slot(0) as second,
    ):
        assert first and second
    with (
        throttle.Slots(tmp_path, "one", 1).slot(0) as first,
        throttle.Slots(tmp_path, "one", 1).slot(0) as again,
    ):
        assert first and not again
