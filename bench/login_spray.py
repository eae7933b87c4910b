"""Staff requests while clients spray log-ins (issue 9, item 6).

routing's web under gunicorn on its own PostgreSQL database; a staff member reads the ledger
(``GET /api/v1/cases``, one request after another) alone, then while ``--sprayers`` clients each post
wrong passwords as fast as they can, each from its own loopback address (127.0.0.11, .12, …), or with
``--rotate`` from a new address for every attempt (many machines), over guessable staff ids. Prints the latencies and what the
sprayers got::

    .venv/bin/python bench/login_spray.py [--seconds 15] [--sprayers 4] [--workers 2] [--rotate]
    .venv/bin/python bench/login_spray.py --repo /tmp/before   # another checkout's code, e.g.
                                                               # git archive HEAD | tar -x -C /tmp/before
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.private import DEMO_DIRECTORY, PrivateDatabases, closed_amqp_url, free_port
from shared import auth

REPO = Path(__file__).resolve().parent.parent


def request(port: int, method: str, path: str, body=None, headers=None, source: str = "127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def staff_latencies(port: int, token: str, seconds: float) -> list[float]:
    """Read the ledger one request after another for ``seconds``; each request's seconds."""
    headers, out = {"Authorization": f"Bearer {token}"}, []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        assert request(port, "GET", "/api/v1/cases", headers=headers) == 200
        out.append(time.perf_counter() - started)
    return out


def figures(latencies: list[float]) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1),
        "max_ms": round(ms[-1], 1),
    }


class Sprayers:
    """Threads posting wrong passwords over the accounts as fast as they can."""

    def __init__(self, port: int, count: int, rotate: bool):
        self.port, self.stop, self.statuses, self.lock = port, threading.Event(), Counter(), threading.Lock()
        addresses = itertools.count()
        self.threads = [
            threading.Thread(target=self._spray, args=(i, rotate, addresses), daemon=True)
            for i in range(count)
        ]

    def _spray(self, index: int, rotate: bool, addresses) -> None:
        for n in itertools.count():
            if self.stop.is_set():
                return
            if rotate:
                a = next(addresses)
                source = f"127.{1 + a // 65000}.{(a // 250) % 250 + 1}.{a % 250 + 1}"
            else:
                source = f"127.0.0.{11 + index}"
            # Staff ids are guessable (e001-chair, e002-chair, …); an unknown one costs a hash too.
            body = {"staff_id": f"e{(n * 7 + index) % 999 + 1:03d}-chair", "password": f"guess-{index}-{n}"}
            status = request(self.port, "POST", "/api/v1/auth/token", body=body, source=source)
            with self.lock:
                self.statuses[status] += 1

    def __enter__(self):
        self.started = time.perf_counter()
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        self.seconds = time.perf_counter() - self.started


def run(args) -> dict:
    repo = Path(args.repo).resolve()
    dbs = PrivateDatabases()
    with tempfile.TemporaryDirectory() as tmp:
        secret, port = "bench-secret", free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "ROUTING_DATABASE_URL": dbs("routing"),
            "SECRET_KEY": secret,
            "VAR_DIR": tmp,
            "AMQP_URL": closed_amqp_url(),
            "LOG_LEVEL": "WARNING",
        }
        cli = [sys.executable, "-m", "services"]
        subprocess.run([*cli, "migrate", "routing"], cwd=repo, env=env, check=True, capture_output=True)
        subprocess.run(
            [*cli, "import-directory", str(DEMO_DIRECTORY), "--demo-password", "xinsheng-demo"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        web = subprocess.Popen(
            [*cli, "web", "routing", "--port", str(port), "--workers", str(args.workers)],
            cwd=repo,
            env=env,
            start_new_session=True,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_healthy(port)
            token = auth.issue(secret, auth.Staff("city-officer-1", "city_officer", "city"))
            staff_latencies(port, token, 1)  # warm up
            alone = figures(staff_latencies(port, token, args.seconds))
            with Sprayers(port, args.sprayers, args.rotate) as spray:
                time.sleep(0.5)
                sprayed = figures(staff_latencies(port, token, args.seconds))
            return {
                "repo": str(repo),
                "workers": args.workers,
                "sprayers": args.sprayers,
                "addresses": "a new one per attempt" if args.rotate else "one per sprayer",
                "staff_alone": alone,
                "staff_while_spraying": sprayed,
                "p50_ratio": round(sprayed["p50_ms"] / alone["p50_ms"], 1),
                "spray_answers": dict(spray.statuses),
                "spray_per_s": round(sum(spray.statuses.values()) / spray.seconds, 1),
            }
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
            dbs.close()


def _wait_healthy(port: int) -> None:
    end = time.perf_counter() + 30
    while time.perf_counter() < end:
        try:
            if request(port, "GET", "/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("routing's web did not answer /healthz")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", default=str(REPO), help="the checkout whose code runs (default: this one)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--sprayers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rotate", action="store_true", help="a new client address for every attempt")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
