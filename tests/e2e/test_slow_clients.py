"""Slow clients do not stall a web process: while several connections trickle their headers or
their body (of known length, or chunked) one byte a second, intake's web, started as in production,
keeps answering fast, and cuts each trickler off once its request has taken REQUEST_READ_SECONDS.

The same test measures the old configuration (sync workers, no read bound) when told to:

    GUNICORN_CMD_ARGS="--worker-class sync --threads 1" SLOW_CLIENTS=2 \\
        .venv/bin/python -m pytest tests/e2e/test_slow_clients.py -s -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import select
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest

from harness.alone import intake_alone
from shared.gunicorn_conf import BODY_BUFFER, HEAD_BUFFER, REQUEST_READ_SECONDS, request_buffered

pytestmark = pytest.mark.e2e
SLOW_CLIENTS = int(os.environ.get("SLOW_CLIENTS", "6"))  # a third each: headers, a body, a chunked body
PARTS = ("headers", "body", "chunked body")
BYTE_EVERY = 1.0  # seconds
SAMPLE_SECONDS = 22.0  # long enough for every trickler to be cut off at least once, and to come back
DEMAND = {"enterprise_code": "E001", "category": "wages", "description": "工资拖欠了两个月。"}


@pytest.fixture
def intake(tmp_path):
    """intake's web process on a free loopback port, over a migrated SQLite database; its port."""
    with intake_alone(tmp_path) as alone:
        yield alone.port


@dataclass
class Trickler:
    """One slow client: sends its request a byte at a time, and again whenever the server cuts it."""

    port: int
    part: str  # one of PARTS
    stop: threading.Event
    cut_after: list[float] = field(default_factory=list)  # seconds from first byte to the server's close

    def request(self) -> bytes:
        head = b"POST /api/v1/grievances HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
        body = json.dumps(DEMAND).encode().ljust(900)
        if self.part == "headers":
            return head + b"X-Slow: " + b"a" * 4000
        if self.part == "body":
            return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
        return head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"

    def run(self) -> None:
        while not self.stop.is_set():
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                data = self.request()
                if self.part != "headers":  # the headers at once, then the body a byte at a time
                    split = data.index(b"\r\n\r\n") + 4
                    sock.sendall(data[:split])
                    data = data[split:]
                started = time.monotonic()
                for byte in data:
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:
                        break
                    # Readable means the server answered or closed: it has cut us off.
                    if select.select([sock], [], [], BYTE_EVERY)[0] or self.stop.is_set():
                        break
                if not self.stop.is_set():
                    self.cut_after.append(time.monotonic() - started)


def timed(request: urllib.request.Request | str) -> tuple[float, int | str]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
            outcome: int | str = response.status
    except urllib.error.HTTPError as exc:
        outcome = exc.code
    except OSError as exc:
        outcome = type(exc).__name__
    return time.monotonic() - started, outcome


def p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def test_tricklers_do_not_stall_intake_and_are_cut_off(intake):
    stop = threading.Event()
    tricklers = [Trickler(intake, PARTS[i % len(PARTS)], stop) for i in range(SLOW_CLIENTS)]
    threads = [threading.Thread(target=t.run, daemon=True) for t in tricklers]
    for thread in threads:
        thread.start()
    time.sleep(2 * BYTE_EVERY)  # every trickler is connected and has its request under way
    health, posts = [], []
    end = time.monotonic() + SAMPLE_SECONDS
    try:
        while time.monotonic() < end:
            health.append(timed(f"http://127.0.0.1:{intake}/healthz"))
            posts.append(
                timed(
                    urllib.request.Request(
                        f"http://127.0.0.1:{intake}/api/v1/grievances",
                        method="POST",
                        data=json.dumps(DEMAND).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                )
            )
            time.sleep(0.4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2 * BYTE_EVERY + 1)

    for name, samples in (("GET /healthz", health), ("POST /api/v1/grievances", posts)):
        seconds = [s for s, _ in samples]
        print(
            f"\n{SLOW_CLIENTS} tricklers, {name}: {len(samples)} requests, "
            f"p50 {sorted(seconds)[len(seconds) // 2]:.3f}s p95 {p95(seconds):.3f}s max {max(seconds):.3f}s"
        )
    print(f"cut off after (s): {[[round(c, 1) for c in t.cut_after] for t in tricklers]}")
    assert len(health) >= 20 and all(outcome == 200 for _, outcome in health), health
    assert all(outcome == 201 for _, outcome in posts), posts
    assert p95([s for s, _ in health]) < 0.5 and p95([s for s, _ in posts]) < 0.5, (health, posts)
    # Each trickler was cut off, and no later than its request's bound (plus a byte's wait).
    assert all(t.cut_after for t in tricklers), [t.cut_after for t in tricklers]
    longest = max(c for t in tricklers for c in t.cut_after)
    assert longest < REQUEST_READ_SECONDS + 2 * BYTE_EVERY + 1, longest


HEAD = b"POST /api/v1/grievances HTTP/1.1\r\nHost: intake\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "start",
    [
        b"GET /healthz HTTP/1.1\r\nHost: intake\r\n\r\n",
        HEAD + b"Content-Length: 5\r\n\r\nabcde",
        CHUNKED + b"5\r\nabcde\r\n0\r\n\r\n",
        CHUNKED + b"5;ext=1\r\nabcde\r\n0\r\nTrailer: x\r\n\r\n",
        # For gunicorn to refuse or to read in a thread, under the deadline:
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\n\n",
        b"x" * HEAD_BUFFER,
        HEAD + b"Content-Length: %d\r\n\r\n" % (BODY_BUFFER + 1),
        HEAD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
        HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
        HEAD + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        CHUNKED + b"zz\r\n",
    ],
)
def test_a_request_goes_to_a_thread_once_whole_or_once_it_is_not_ours_to_buffer(start):
    assert request_buffered(start)


@pytest.mark.parametrize(
    "start",
    [
        b"",
        b"GET /healthz HTTP/1.1\r\nHost: intake\r\n",
        HEAD + b"Content-Length: 5\r\n\r\nabc",
        CHUNKED,
        CHUNKED + b"5\r\nabcde\r\n",
        CHUNKED + b"5\r\nabcde\r\n0\r\nTrailer: x\r\n",
    ],
)
def test_a_request_still_arriving_is_held_by_the_event_loop(start):
    assert not request_buffered(start)
