"""Load benchmark: POST /api/v1/grievances against the whole system on PostgreSQL (loopback only).

Starts every service as real processes (private databases and vhost, as the end-to-end tests
do), sends a bounded number of demands from a pool of client threads, then reports requests/s,
latency p50/p99, and the time from each 201 to its case being assigned — read from intake's
``submitted_at`` and routing's ``created_at``, both stamped by the same clock.

    .venv/bin/python bench/load.py --requests 3000 --concurrency 16 [--write]
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from shared.procs import procfile, wait_until  # noqa: E402
from tests.e2e.harness import Xinsheng  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def post_many(port: int, n: int, concurrency: int) -> tuple[list[float], list[int], float]:
    body = json.dumps({"enterprise_code": "E001", "category": "workplace", "channel": "kiosk",
                       "description": "车间噪音超标，持续一个月，耳朵疼，希望尽快检测整改。"}).encode()
    headers = {"Content-Type": "application/json"}
    latencies, statuses, lock = [], [], threading.Lock()
    counter = iter(range(n))

    def client():
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/api/v1/grievances", body, headers)
            status = conn.getresponse().status
            conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(client)
    return latencies, statuses, time.perf_counter() - started


def assignment_delays(env: dict) -> list[float]:
    """Seconds from intake's commit of each demand to routing's creation of its case."""
    intake = sa.create_engine(env["INTAKE_DATABASE_URL"])
    routing = sa.create_engine(env["ROUTING_DATABASE_URL"])
    with intake.connect() as c:
        submitted = dict(c.execute(sa.text("SELECT id, submitted_at FROM grievances")).all())
    with routing.connect() as c:
        created = dict(c.execute(sa.text("SELECT grievance_id, created_at FROM cases")).all())
    intake.dispose()
    routing.dispose()
    return [(created[g] - submitted[g]).total_seconds() for g in submitted if g in created]


def count(env: dict, key: str, sql: str) -> int:
    engine = sa.create_engine(env[key])
    with engine.connect() as c:
        n = c.execute(sa.text(sql)).scalar()
    engine.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per web process")
    parser.add_argument("--intake-only", action="store_true",
                        help="stop every process but intake's web once the directory is loaded")
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    # No SMTP server here: notify writes to its log channel, so the load generator has the CPU to itself.
    env = {"WEB_CONCURRENCY": str(args.workers), "LOG_LEVEL": "WARNING", "SMTP_HOST": ""}
    with tempfile.TemporaryDirectory() as tmp, Xinsheng(Path(tmp), env=env) as xs:
        if args.intake_only:
            xs.system.stop([n for n in xs.system.procs if n != "intake-web"])
        latencies, statuses, wall = post_many(xs.system.ports["intake"], args.requests, args.concurrency)
        accepted = statuses.count(201)
        if args.intake_only:
            xs.system.start_all([n for n in procfile() if n != "intake-web"])
        wait_until(lambda: count(xs.env, "ROUTING_DATABASE_URL", "SELECT count(*) FROM cases") >= accepted,
                   600, interval=0.5, what="every case to be assigned")
        delays = assignment_delays(xs.env)
    figures = {
        "mode": "intake only" if args.intake_only else "whole pipeline running",
        "requests": args.requests, "concurrency": args.concurrency, "workers": args.workers,
        "accepted": accepted, "other_statuses": sorted(set(statuses) - {201}),
        "req_per_s": accepted / wall, "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "assign_p50_ms": percentile(delays, 50) * 1000, "assign_p99_ms": percentile(delays, 99) * 1000,
        "assign_max_ms": max(delays) * 1000, "assigned": len(delays),
    }
    print(json.dumps(figures, indent=2))
    if args.write:
        write(figures, args)


def write(f: dict, args) -> None:
    machine = f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    block = f"""
### {datetime.date.today().isoformat()} — intake under load, {f['mode']} (PostgreSQL)
- machine: {machine}
- command: `.venv/bin/python bench/load.py --requests {args.requests} --concurrency {args.concurrency} --workers {args.workers}{' --intake-only' if args.intake_only else ''} --write`
- accepted: {f['accepted']} of {f['requests']} (other statuses: {f['other_statuses'] or 'none'})
- intake: **{f['req_per_s']:.0f} req/s**, p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms
- 201 → case assigned (routing){' (backlog drained after the load, workers stopped during it)' if args.intake_only else ''}: p50 {f['assign_p50_ms']:.0f} ms, p99 {f['assign_p99_ms']:.0f} ms, max {f['assign_max_ms']:.0f} ms ({f['assigned']} cases)
"""
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(block)


if __name__ == "__main__":
    main()
