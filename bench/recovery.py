"""Recovery benchmark: a broker outage with a backlog, then the time to drain it.

Starts the whole system on PostgreSQL against a private RabbitMQ node, stops the node, submits
``--backlog`` demands (intake keeps answering 201: it needs only its database), starts the node
again, and measures how long until every demand is assigned (routing), notified (notify) and
counted (reports). Loopback only, bounded by ``--backlog`` and ``--timeout``.

    .venv/bin/python bench/recovery.py --backlog 50000 [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generator import post_many
from bench.stages import count
from harness.rabbit import PrivateRabbit
from harness.system import Xinsheng
from shared.procs import wait_until

RESULTS = Path(__file__).with_name("RESULTS.md")
STAGES = {
    "assigned": ("ROUTING_DATABASE_URL", "SELECT count(*) FROM cases"),
    "notified": ("NOTIFY_DATABASE_URL", "SELECT count(*) FROM notifications WHERE status = 'sent'"),
    "counted": ("REPORTS_DATABASE_URL", "SELECT count(*) FROM grievance_facts WHERE status = 'assigned'"),
}


def drain_times(env: dict, n: int, started: float, timeout: float) -> dict[str, float]:
    """Seconds from the broker's return until each stage holds all ``n`` demands."""
    done: dict[str, float] = {}

    def all_done():
        for stage, (key, sql) in STAGES.items():
            if stage not in done and count(env, key, sql) >= n:
                done[stage] = time.monotonic() - started
        return len(done) == len(STAGES)

    wait_until(all_done, timeout, interval=1.0, what="the backlog to drain")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=50000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    # RATE_LIMIT off: the backlog comes from one address, far beyond what one client may post.
    env = {"WEB_CONCURRENCY": "4", "LOG_LEVEL": "WARNING", "SMTP_HOST": "", "RATE_LIMIT": "off"}
    with tempfile.TemporaryDirectory() as tmp:
        rabbit = PrivateRabbit(Path(tmp))
        rabbit.start()
        try:
            with Xinsheng(Path(tmp), env=env, amqp_url=rabbit.url) as xs:
                rabbit.stop()
                _, statuses, wall = post_many(xs.system.ports["intake"], args.backlog, args.concurrency)
                accepted = statuses.count(201)
                outbox = count(
                    xs.env, "INTAKE_DATABASE_URL", "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                )
                back = time.monotonic()
                rabbit.start()
                restart = time.monotonic() - back
                times = drain_times(xs.env, accepted, back, args.timeout)
        finally:
            rabbit.close()
    figures = {
        "backlog": accepted,
        "submitted_per_s_while_broker_down": accepted / wall,
        "outbox_rows_waiting": outbox,
        "broker_restart_s": restart,
        **{f"{stage}_after_s": t for stage, t in times.items()},
        "drain_rate_per_s": accepted / max(times.values()),
    }
    print(json.dumps(figures, indent=2))
    if args.write:
        write(figures, args)


def write(f: dict, args) -> None:
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    RESULTS.open("a", encoding="utf-8").write(f"""
### {datetime.date.today().isoformat()} — recovery after a broker outage (PostgreSQL, private RabbitMQ node)
- machine: {machine}
- command: `.venv/bin/python bench/recovery.py --backlog {args.backlog} --write`
- backlog: {f["backlog"]} demands accepted while the broker was down ({f["submitted_per_s_while_broker_down"]:.0f}/s, every one a 201), {f["outbox_rows_waiting"]} events waiting in intake's outbox
- after the broker came back ({f["broker_restart_s"]:.0f} s to start): all assigned in {f["assigned_after_s"]:.0f} s, notified in {f["notified_after_s"]:.0f} s, counted in {f["counted_after_s"]:.0f} s — {f["drain_rate_per_s"]:.0f} demands/s through every stage
""")


if __name__ == "__main__":
    main()
