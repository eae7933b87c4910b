"""The load generator: POSTs of one demand from a pool of client threads, closed or open loop."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

PATH = "/api/v1/grievances"
BODY = json.dumps(
    {
        "enterprise_code": "E001",
        "category": "workplace",
        "channel": "kiosk",
        "description": "车间噪音超标，持续一个月，耳朵疼，希望尽快检测整改。",
    }
).encode()
HEADERS = {"Content-Type": "application/json"}


# -- figures ---------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_figures(seconds: list[float], name: str) -> dict:
    """``{name}_p50_ms``, ``{name}_p99_ms``, ``{name}_max_ms`` and how many values."""
    out = {f"{name}_{p}_ms": _ms(percentile(seconds, n)) for p, n in (("p50", 50), ("p99", 99))}
    return {**out, f"{name}_max_ms": _ms(max(seconds, default=None)), f"{name}_n": len(seconds)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- the load generator ----------------------------------------------------------------------------
@dataclass
class Load:
    """What one run of the generator saw; ``accepted`` grows live (the monitor reads it)."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    accepted: int = 0
    started: float = 0.0  # wall clock (time.time) of the first scheduled send
    ended: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0  # CPU seconds of this process (the generator) during the load
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, elapsed: float) -> None:
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses.append(status)
            self.accepted += status == 201

    def figures(self) -> dict:
        return {
            "sent": len(self.statuses),
            "accepted": self.accepted,
            "other_statuses": sorted(set(self.statuses) - {201}),
            "req_per_s": round(self.accepted / self.wall, 1) if self.wall else None,
            "generator_cpu_pct": round(100 * self.cpu / self.wall) if self.wall else None,
            **latency_figures(self.latencies, "post"),
        }


def post_one(port: int) -> int:
    """One POST on a new connection; its status, 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", PATH, BODY, HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def closed_loop(port: int, n: int, concurrency: int, load: Load | None = None) -> Load:
    """``n`` requests from ``concurrency`` clients, each sending the next as soon as it has an answer."""
    load, tickets = load or Load(), iter(range(n))

    def client():
        while _take(load, tickets) is not None:
            started = time.perf_counter()
            status = post_one(port)
            load.record(status, time.perf_counter() - started)

    return _run(load, client, concurrency, time.perf_counter())


def open_loop(port: int, rate: float, n: int, threads: int, load: Load | None = None) -> Load:
    """Request i is due at i/rate s; latency counts from the due time, so waiting for a free thread counts."""
    load, tickets, t0 = load or Load(), iter(range(n)), time.perf_counter() + 0.05

    def client():
        while (i := _take(load, tickets)) is not None:
            due = t0 + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            status = post_one(port)
            load.record(status, time.perf_counter() - due)

    return _run(load, client, threads, t0)


def _take(load: Load, tickets) -> int | None:
    with load.lock:
        return next(tickets, None)


def _run(load: Load, client, threads: int, t0: float) -> Load:
    load.started, cpu = time.time() + (t0 - time.perf_counter()), _cpu()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(client) for _ in range(threads)]:
            future.result()
    load.wall, load.ended, load.cpu = time.perf_counter() - t0, time.time(), _cpu() - cpu
    return load


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def measure(port: int, args, load: Load | None = None) -> Load:
    if args.rate:
        return open_loop(port, args.rate, args.requests, args.threads, load)
    return closed_loop(port, args.requests, args.concurrency, load)


def post_many(port: int, n: int, concurrency: int) -> tuple[list[float], list[int], float]:
    """The closed loop as (latencies, statuses, wall seconds); used by bench/recovery.py."""
    load = closed_loop(port, n, concurrency)
    return load.latencies, load.statuses, load.wall


def warm(port: int, n: int) -> int:
    """Send ``n`` requests first (imports, connections, caches); how many were accepted."""
    return closed_loop(port, n, 4).accepted if n else 0
