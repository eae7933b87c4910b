"""Load benchmark: POST /api/v1/grievances against the whole system on PostgreSQL (loopback only).

Starts every service as real processes (private databases and vhost, as the end-to-end tests
do), sends a bounded number of demands from a pool of client threads (a new connection per
request) and prints a JSON object of figures. Modes:

    # closed loop, whole pipeline running (or --intake-only: the other processes stopped meanwhile)
    .venv/bin/python bench/load.py --requests 3000 --concurrency 16 [--intake-only] [--write]
    # open loop: R requests/s for requests/R (or --seconds) seconds; latency from the scheduled time
    .venv/bin/python bench/load.py --rate 300 --seconds 10 [--intake-only]
    # the limit: a bare Flask + psycopg app (bench/bare_app.py), same workers, same generator
    .venv/bin/python bench/load.py --limit --requests 3000 --concurrency 16
    # the whole pipeline at a fixed rate: does the backlog grow? (S <= 60)
    .venv/bin/python bench/load.py --sustained 200 --seconds 30

Timestamps all come from the one machine clock: intake's ``submitted_at`` (its commit, just
before the 201), routing's ``cases.created_at`` (assigned), notify's ``notifications.sent_at`` of
the ``case_assigned`` notification (notified), and reports' ``inbox.processed_at`` of the
``case.assigned`` event, matched to the demand through routing's outbox (counted; stamped when
reports claims the event, inside the transaction that folds it, so up to one batch before commit).
A second "counted" figure, by polling reports' count of facts with a case every 50 ms and taking
demands in submission order, bounds it from the other side (when the row was visible).
"""
from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from shared import config, migrate  # noqa: E402
from shared.procs import http_ok, stop_pids, wait_until  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.e2e.harness import Xinsheng  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
PATH = "/api/v1/grievances"
BODY = json.dumps({"enterprise_code": "E001", "category": "workplace", "channel": "kiosk",
                   "description": "车间噪音超标，持续一个月，耳朵疼，希望尽快检测整改。"}).encode()
HEADERS = {"Content-Type": "application/json"}
MAX_REQUESTS, MAX_SECONDS = 30_000, 60   # every run is bounded in requests and in time
DRAIN_TIMEOUT, CATCH_UP_TIMEOUT = 600, 120
STAGES = {  # stage → (service, how many demands reached it)
    "assigned": ("routing", "SELECT count(*) FROM cases"),
    "notified": ("notify", "SELECT count(*) FROM notifications "
                           "WHERE kind = 'case_assigned' AND status = 'sent'"),
    "counted": ("reports", "SELECT count(*) FROM grievance_facts WHERE case_id IS NOT NULL"),
}


# -- figures ---------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency_figures(seconds: list[float], name: str) -> dict:
    """``{name}_p50_ms``, ``{name}_p99_ms``, ``{name}_max_ms`` and how many values."""
    out = {f"{name}_{p}_ms": _ms(percentile(seconds, n)) for p, n in (("p50", 50), ("p99", 99))}
    return {**out, f"{name}_max_ms": _ms(max(seconds, default=None)), f"{name}_n": len(seconds)}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x (per second), None with fewer than three points."""
    if len(points) < 3:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


# -- the load generator ----------------------------------------------------------------------------
@dataclass
class Load:
    """What one run of the generator saw; ``accepted`` grows live (the monitor reads it)."""
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    accepted: int = 0
    started: float = 0.0   # wall clock (time.time) of the first scheduled send
    ended: float = 0.0
    wall: float = 0.0
    cpu: float = 0.0       # CPU seconds of this process (the generator) during the load
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, elapsed: float) -> None:
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses.append(status)
            self.accepted += status == 201

    def figures(self) -> dict:
        return {"sent": len(self.statuses), "accepted": self.accepted,
                "other_statuses": sorted(set(self.statuses) - {201}),
                "req_per_s": round(self.accepted / self.wall, 1) if self.wall else None,
                "generator_cpu_pct": round(100 * self.cpu / self.wall) if self.wall else None,
                **latency_figures(self.latencies, "post")}


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


# -- memory ----------------------------------------------------------------------------------------
def sessions() -> dict[int, list[int]]:
    """Session id → the pids in it (each of our processes is started as a session leader)."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out.setdefault(int(stat.rsplit(")", 1)[1].split()[3]), []).append(int(entry))
    return out


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def label(name: str, pid: int, leader: int) -> str:
    if name.endswith("-web"):
        return f"{name} {'master' if pid == leader else 'worker'}"
    return name if pid == leader else f"{name} child"


class RssPeak:
    """The largest RSS seen per process label over the samples, and of all of them together."""

    def __init__(self, leaders):
        self.leaders = leaders  # () → {name: session leader pid}
        self.peak: dict[str, float] = {}
        self.processes: dict[str, int] = {}
        self.total = 0.0

    def sample(self) -> None:
        by_session, seen = sessions(), {"load-generator": [rss_mb(os.getpid()) or 0.0]}
        for name, leader in self.leaders().items():
            for pid in by_session.get(leader, []):
                mb = rss_mb(pid)
                if mb is not None:
                    seen.setdefault(label(name, pid, leader), []).append(mb)
        for key, mbs in seen.items():
            self.peak[key] = max(self.peak.get(key, 0.0), max(mbs))
            self.processes[key] = max(self.processes.get(key, 0), len(mbs))
        self.total = max(self.total, sum(map(sum, seen.values())))

    def figures(self) -> dict:
        return {"rss_max_mb": {k: round(v, 1) for k, v in sorted(self.peak.items())},
                "rss_processes": dict(sorted(self.processes.items())),
                "rss_total_max_mb": round(self.total, 1)}


class Every(threading.Thread):
    """Call ``fn`` every ``interval`` seconds until the ``with`` block ends."""

    def __init__(self, interval: float, fn):
        super().__init__(daemon=True)
        self.interval, self.fn, self.halt = interval, fn, threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.fn()
            self.halt.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        self.join()


def measured(port: int, args, leaders, load: Load | None = None) -> tuple[Load, RssPeak]:
    """Measure with the RSS of ``leaders``' processes sampled every half second during the load."""
    rss = RssPeak(leaders)
    with Every(0.5, rss.sample):
        load = measure(port, args, load)
    rss.sample()
    return load, rss


def system_leaders(xs):
    return lambda: {name: p.pid for name, p in xs.system.procs.items()}


# -- the pipeline's databases ----------------------------------------------------------------------
def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def query(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(sql, params).fetchall()


def rows(env: dict, service: str, sql: str, params=()) -> list[tuple]:
    return query(env[f"{service.upper()}_DATABASE_URL"], sql, params)


def count(env: dict, key: str, sql: str) -> int:
    """One number from the database of ``env[key]``; used by bench/recovery.py."""
    return query(env[key], sql)[0][0]


class Progress:
    """How many demands reached each stage, polled on one connection per database."""

    def __init__(self, env: dict):
        self.conns = {stage: psycopg.connect(conninfo(env[f"{svc.upper()}_DATABASE_URL"]), autocommit=True)
                      for stage, (svc, _) in STAGES.items()}
        self.samples: list[tuple[float, int, dict]] = []  # (time, 201s so far, counts)

    def counts(self) -> dict[str, int]:
        return {stage: self.conns[stage].execute(sql).fetchone()[0] for stage, (_, sql) in STAGES.items()}

    def poll(self, load: Load) -> None:
        accepted = load.accepted
        self.samples.append((time.time(), accepted, self.counts()))

    def reached(self, target: dict[str, int], counts: dict[str, int] | None = None) -> bool:
        counts = counts or self.counts()
        return all(counts[s] >= target[s] for s in STAGES)

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def stage_times(env: dict, since: float) -> dict[str, list[float]]:
    """Seconds from each demand's commit (submitted at or after ``since``) to each stage."""
    submitted = dict(rows(env, "intake", "SELECT id, submitted_at FROM grievances WHERE submitted_at >= %s",
                          (datetime.datetime.fromtimestamp(since, datetime.timezone.utc),)))
    cases = {g: (c, at) for g, c, at in
             rows(env, "routing", "SELECT grievance_id, id, created_at FROM cases")}
    sent = dict(rows(env, "notify", "SELECT case_id, min(sent_at) FROM notifications "
                                    "WHERE kind = 'case_assigned' AND sent_at IS NOT NULL GROUP BY case_id"))
    event = dict(rows(env, "routing", "SELECT correlation_id, min(event_id) FROM outbox "
                                      "WHERE type = 'case.assigned' GROUP BY correlation_id"))
    claimed = dict(rows(env, "reports",
                        "SELECT event_id, processed_at FROM inbox WHERE type = 'case.assigned'"))
    reached = {"assigned": {g: at for g, (_, at) in cases.items()},
               "notified": {g: sent[c] for g, (c, _) in cases.items() if c in sent},
               "counted": {g: claimed[e] for g, e in event.items() if e in claimed}}
    return {"submitted": sorted(t.timestamp() for t in submitted.values()),
            **{stage: [(at[g] - t).total_seconds() for g, t in submitted.items() if g in at]
               for stage, at in reached.items()}}


def e2e_figures(times: dict[str, list[float]]) -> dict:
    out = {}
    for stage in STAGES:
        out.update(latency_figures(times[stage], f"e2e_{stage}"))
    return out


def visible_counted(samples, baseline: dict, submitted: list[float]) -> list[float]:
    """For the k-th demand in submission order: the first poll that saw k+1 counted facts."""
    out, j = [], 0
    for k, sent in enumerate(submitted):
        while j < len(samples) and samples[j][2]["counted"] - baseline["counted"] < k + 1:
            j += 1
        if j == len(samples):
            break
        out.append(samples[j][0] - sent)
    return out


def backlog(samples, baseline: dict, load: Load, rate: float | None) -> dict:
    """Lag (201s not yet at a stage) at the end of the load, its growth and each stage's rate over
    the second half of the load, and how long each stage took to catch up afterwards."""
    half = [s for s in samples if load.started + load.wall / 2 <= s[0] <= load.ended]
    at_end = next((s for s in samples if s[0] >= load.ended), samples[-1])
    out = {"lag_at_end": {}, "lag_growth_per_s": {}, "stage_rate_per_s": {}, "catch_up_s": {}}
    for stage in STAGES:
        done = lambda s: s[2][stage] - baseline[stage]  # noqa: E731
        out["lag_at_end"][stage] = at_end[1] - done(at_end)
        out["lag_growth_per_s"][stage] = _round(slope([(s[0], s[1] - done(s)) for s in half]))
        out["stage_rate_per_s"][stage] = _round(slope([(s[0], done(s)) for s in half]))
        caught = next((s[0] for s in samples if s[0] >= load.ended and done(s) >= load.accepted), None)
        out["catch_up_s"][stage] = None if caught is None else round(caught - load.ended, 2)
    out["submit_rate_per_s"] = _round(slope([(s[0], s[1]) for s in half]))
    out["keeps_up"] = keeps_up(out, rate or load.accepted / load.wall)
    out["keeps_up_rule"] = ("every stage: lag growth over the load's second half <= 5% of the rate, "
                            "caught up <= 5 s after")
    return out


def keeps_up(b: dict, rate: float) -> bool:
    return all(b["catch_up_s"][s] is not None and b["catch_up_s"][s] <= 5
               and (b["lag_growth_per_s"][s] or 0) <= 0.05 * rate for s in STAGES)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def drain(progress: Progress, target: dict[str, int], timeout: float) -> float:
    """Seconds until every stage reached ``target`` (polled on the calling thread)."""
    started = time.monotonic()
    wait_until(lambda: progress.reached(target), timeout, interval=0.2, what="the backlog to drain")
    return round(time.monotonic() - started, 2)


# -- the bare app ----------------------------------------------------------------------------------
class BareApp:
    """bench/bare_app.py under gunicorn on its own database made by intake's migration."""

    def __init__(self, url: str, workers: int, log: Path):
        self.url, self.workers, self.log = url, workers, log

    def __enter__(self):
        migrate.upgrade(config.Settings(service="intake", database_url=self.url))
        self.port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", str(self.workers),
                "-b", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "20",
                "--keep-alive", "5", "bench.bare_app:app"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, cwd=config.REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env={**os.environ, "BARE_DATABASE_URL": conninfo(self.url)})
        wait_until(self._ready, 30, what="the bare app")
        return self

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the bare app exited; see {self.log}")
        return http_ok(f"http://127.0.0.1:{self.port}/healthz")

    def __exit__(self, *exc):
        stop_pids([self.proc.pid])


# -- the modes -------------------------------------------------------------------------------------
def others(xs) -> list[str]:
    return [n for n in xs.system.procs if n != "intake-web"]


def intake_alone(xs, args, port: int) -> dict:
    warm(port, args.warmup)
    load, rss = measured(port, args, system_leaders(xs))
    return {**load.figures(), **rss.figures()}


def run_limit(xs, args, tmp: Path) -> dict:
    """The bare app, then intake alone: same workers, same generator, same settings."""
    xs.system.stop(others(xs))
    with BareApp(xs.dbs("bare"), args.workers, tmp / "bare.log") as bare:
        warm(bare.port, args.warmup)
        load, rss = measured(bare.port, args, lambda: {"bare-web": bare.proc.pid})
        bare_figures = {**load.figures(), **rss.figures()}
    intake = intake_alone(xs, args, xs.system.ports["intake"])
    ratio = intake["req_per_s"] / bare_figures["req_per_s"] if bare_figures["req_per_s"] else None
    return {"mode": "limit: bare Flask + psycopg app vs intake alone", **settings(args),
            "bare": bare_figures, "intake": intake, "intake_over_bare": _round3(ratio)}


def _round3(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def run_intake_only(xs, args, tmp: Path) -> dict:
    """Intake's web alone during the load; then the rest restarted and the backlog drained."""
    port, stopped = xs.system.ports["intake"], others(xs)
    xs.system.stop(stopped)
    warmed = warm(port, args.warmup)
    load, rss = measured(port, args, system_leaders(xs))
    xs.system.start_all(stopped)
    progress = Progress(xs.env)
    try:
        drained = drain(progress, dict.fromkeys(STAGES, warmed + load.accepted), DRAIN_TIMEOUT)
    finally:
        progress.close()
    return {"mode": "intake alone (other processes stopped during the load)", **settings(args),
            **load.figures(), "backlog_drained_s": drained,
            "drain_note": "e2e_* below: from commit to each stage while the backlog drained after the load",
            **e2e_figures(stage_times(xs.env, load.started)), **rss.figures()}


def run_pipeline(xs, args, tmp: Path) -> dict:
    """Every process running; the stages polled every 50 ms during the load and until caught up."""
    port, progress, load = xs.system.ports["intake"], Progress(xs.env), Load()
    try:
        warmed = warm(port, args.warmup)
        drain(progress, dict.fromkeys(STAGES, warmed), 120)
        baseline = progress.counts()
        with Every(0.05, lambda: progress.poll(load)):
            load, rss = measured(port, args, system_leaders(xs), load)
            caught = _catch_up(progress, baseline, load)
    finally:
        progress.close()
    times = stage_times(xs.env, load.started)
    visible = visible_counted(progress.samples, baseline, times["submitted"])
    return {"mode": "whole pipeline running", **settings(args), **load.figures(),
            **backlog(progress.samples, baseline, load, args.rate), "caught_up": caught,
            **e2e_figures(times), **latency_figures(visible, "e2e_counted_visible"),
            "counted_note": "e2e_counted: reports' inbox.processed_at of case.assigned "
                            "(claim, before commit); e2e_counted_visible: polls of count(facts with "
                            "a case) every 50 ms, FIFO order",
            **rss.figures()}


def _catch_up(progress: Progress, baseline: dict, load: Load) -> bool:
    """Wait (bounded) until the monitor's latest poll shows every stage caught up with the 201s."""
    target = {s: baseline[s] + load.accepted for s in STAGES}
    try:
        wait_until(lambda: progress.samples and progress.reached(target, progress.samples[-1][2]),
                   CATCH_UP_TIMEOUT, interval=0.05, what="the pipeline to catch up")
        return True
    except TimeoutError:
        return False


def settings(args) -> dict:
    out = {"requests": args.requests, "workers": args.workers, "warmup": args.warmup}
    if args.rate:
        return {**out, "rate": args.rate, "seconds": round(args.requests / args.rate, 2),
                "threads": args.threads}
    return {**out, "concurrency": args.concurrency}


# -- command line ----------------------------------------------------------------------------------
def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16, help="clients of the closed loop")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per web process")
    parser.add_argument("--intake-only", action="store_true",
                        help="stop every process but intake's web once the directory is loaded")
    parser.add_argument("--rate", type=float, help="open loop: requests per second (for requests/rate s)")
    parser.add_argument("--seconds", type=float, help="with --rate or --sustained: the load lasts this long")
    parser.add_argument("--threads", type=int, default=64, help="client threads of the open loop")
    parser.add_argument("--limit", action="store_true", help="bare app, then intake alone, and the ratio")
    parser.add_argument("--sustained", type=float, metavar="R",
                        help="whole pipeline at R/s for --seconds (default 30, at most 60)")
    parser.add_argument("--warmup", type=int, default=50, help="requests sent before measuring")
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args(argv)
    check(parser, args)
    return args


def check(parser, args) -> None:
    if args.sustained:
        if args.intake_only or args.limit or args.rate:
            parser.error("--sustained runs the whole pipeline at its own rate")
        args.rate, args.seconds = args.sustained, args.seconds or 30
    if args.rate and args.seconds:
        args.requests = round(args.rate * args.seconds)
    if args.seconds and not args.rate:
        parser.error("--seconds goes with --rate or --sustained")
    if not 0 < args.requests <= MAX_REQUESTS:
        parser.error(f"--requests must be within 1..{MAX_REQUESTS}")
    if args.rate and not 0 < args.requests / args.rate <= MAX_SECONDS:
        parser.error(f"an open-loop run lasts at most {MAX_SECONDS} s")


def main() -> None:
    args = parse()
    mode = run_limit if args.limit else run_intake_only if args.intake_only else run_pipeline
    # No SMTP server here: notify writes to its log channel, so the load generator has the CPU to itself.
    env = {"WEB_CONCURRENCY": str(args.workers), "LOG_LEVEL": "WARNING", "SMTP_HOST": ""}
    with tempfile.TemporaryDirectory() as tmp, Xinsheng(Path(tmp), env=env) as xs:
        figures = mode(xs, args, Path(tmp))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.write:
        write(figures, sys.argv[1:])


def headline(f: dict) -> str:
    if "intake_over_bare" in f:
        b, i = f["bare"], f["intake"]
        return (f"bare app **{b['req_per_s']} req/s** "
                f"(p50 {b['post_p50_ms']} ms, p99 {b['post_p99_ms']} ms); "
                f"intake alone **{i['req_per_s']} req/s** "
                f"(p50 {i['post_p50_ms']} ms, p99 {i['post_p99_ms']} ms); "
                f"intake = **{f['intake_over_bare']:.0%}** of the limit")
    line = (f"accepted {f['accepted']} of {f['sent']}: **{f['req_per_s']} req/s**, "
            f"p50 {f['post_p50_ms']} ms, p99 {f['post_p99_ms']} ms; 201 → assigned p50 "
            f"{f['e2e_assigned_p50_ms']} ms, p99 {f['e2e_assigned_p99_ms']} ms")
    if "keeps_up" in f:
        line += f"; keeps up: **{'yes' if f['keeps_up'] else 'no'}** (lag at end {f['lag_at_end']})"
    return line


def write(f: dict, argv: list[str]) -> None:
    machine = (f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
               f"{platform.platform()}")
    block = (f"\n### {datetime.date.today().isoformat()} — {f['mode']} (PostgreSQL)\n"
             f"- machine: {machine}\n- command: `.venv/bin/python bench/load.py {' '.join(argv)}`\n"
             f"- {headline(f)}\n\n```json\n{json.dumps(f, indent=1, ensure_ascii=False)}\n```\n")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(block)


if __name__ == "__main__":
    main()
