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
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generator import Load, latency_figures, warm
from bench.sampling import Every, measured, system_leaders
from bench.stages import STAGES, Progress, backlog, conninfo, drain, e2e_figures, stage_times, visible_counted
from harness.private import free_port
from harness.system import Xinsheng
from shared import config, migrate
from shared.procs import http_ok, stop_pids, wait_until

RESULTS = Path(__file__).with_name("RESULTS.md")
MAX_REQUESTS, MAX_SECONDS = 30_000, 60  # every run is bounded in requests and in time
DRAIN_TIMEOUT, CATCH_UP_TIMEOUT = 600, 120


# -- the bare app ----------------------------------------------------------------------------------
class BareApp:
    """bench/bare_app.py under gunicorn on its own database made by intake's migration."""

    def __init__(self, url: str, workers: int, log: Path):
        self.url, self.workers, self.log = url, workers, log

    def __enter__(self):
        migrate.upgrade(config.Settings(service="intake", database_url=self.url))
        self.port = free_port()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--no-control-socket",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "30",
            "--graceful-timeout",
            "20",
            "--keep-alive",
            "5",
            "bench.bare_app:app",
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=config.REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, "BARE_DATABASE_URL": conninfo(self.url)},
            )
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
    return {
        "mode": "limit: bare Flask + psycopg app vs intake alone",
        **settings(args),
        "bare": bare_figures,
        "intake": intake,
        "intake_over_bare": _round3(ratio),
    }


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
    return {
        "mode": "intake alone (other processes stopped during the load)",
        **settings(args),
        **load.figures(),
        "backlog_drained_s": drained,
        "drain_note": "e2e_* below: from commit to each stage while the backlog drained after the load",
        **e2e_figures(stage_times(xs.env, load.started)),
        **rss.figures(),
    }


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
    return {
        "mode": "whole pipeline running",
        **settings(args),
        **load.figures(),
        **backlog(progress.samples, baseline, load, args.rate),
        "caught_up": caught,
        **e2e_figures(times),
        **latency_figures(visible, "e2e_counted_visible"),
        "counted_note": "e2e_counted: reports' inbox.processed_at of case.assigned "
        "(claim, before commit); e2e_counted_visible: polls of count(facts with "
        "a case) every 50 ms, FIFO order",
        **rss.figures(),
    }


def _catch_up(progress: Progress, baseline: dict, load: Load) -> bool:
    """Wait (bounded) until the monitor's latest poll shows every stage caught up with the 201s."""
    target = {s: baseline[s] + load.accepted for s in STAGES}
    try:
        wait_until(
            lambda: progress.samples and progress.reached(target, progress.samples[-1][2]),
            CATCH_UP_TIMEOUT,
            interval=0.05,
            what="the pipeline to catch up",
        )
        return True
    except TimeoutError:
        return False


def settings(args) -> dict:
    out = {"requests": args.requests, "workers": args.workers, "warmup": args.warmup}
    if args.rate:
        return {
            **out,
            "rate": args.rate,
            "seconds": round(args.requests / args.rate, 2),
            "threads": args.threads,
        }
    return {**out, "concurrency": args.concurrency}


# -- command line ----------------------------------------------------------------------------------
def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16, help="clients of the closed loop")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per web process")
    parser.add_argument(
        "--intake-only",
        action="store_true",
        help="stop every process but intake's web once the directory is loaded",
    )
    parser.add_argument("--rate", type=float, help="open loop: requests per second (for requests/rate s)")
    parser.add_argument("--seconds", type=float, help="with --rate or --sustained: the load lasts this long")
    parser.add_argument("--threads", type=int, default=64, help="client threads of the open loop")
    parser.add_argument("--limit", action="store_true", help="bare app, then intake alone, and the ratio")
    parser.add_argument(
        "--sustained",
        type=float,
        metavar="R",
        help="whole pipeline at R/s for --seconds (default 30, at most 60)",
    )
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
    # RATE_LIMIT off: the load comes from one address, far beyond what one client may post.
    env = {"WEB_CONCURRENCY": str(args.workers), "LOG_LEVEL": "WARNING", "SMTP_HOST": "", "RATE_LIMIT": "off"}
    with tempfile.TemporaryDirectory() as tmp, Xinsheng(Path(tmp), env=env) as xs:
        figures = mode(xs, args, Path(tmp))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.write:
        write(figures, sys.argv[1:])


def headline(f: dict) -> str:
    if "intake_over_bare" in f:
        b, i = f["bare"], f["intake"]
        return (
            f"bare app **{b['req_per_s']} req/s** "
            f"(p50 {b['post_p50_ms']} ms, p99 {b['post_p99_ms']} ms); "
            f"intake alone **{i['req_per_s']} req/s** "
            f"(p50 {i['post_p50_ms']} ms, p99 {i['post_p99_ms']} ms); "
            f"intake = **{f['intake_over_bare']:.0%}** of the limit"
        )
    line = (
        f"accepted {f['accepted']} of {f['sent']}: **{f['req_per_s']} req/s**, "
        f"p50 {f['post_p50_ms']} ms, p99 {f['post_p99_ms']} ms; 201 → assigned p50 "
        f"{f['e2e_assigned_p50_ms']} ms, p99 {f['e2e_assigned_p99_ms']} ms"
    )
    if "keeps_up" in f:
        line += f"; keeps up: **{'yes' if f['keeps_up'] else 'no'}** (lag at end {f['lag_at_end']})"
    return line


def write(f: dict, argv: list[str]) -> None:
    machine = (
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    block = (
        f"\n### {datetime.date.today().isoformat()} — {f['mode']} (PostgreSQL)\n"
        f"- machine: {machine}\n- command: `.venv/bin/python bench/load.py {' '.join(argv)}`\n"
        f"- {headline(f)}\n\n```json\n{json.dumps(f, indent=1, ensure_ascii=False)}\n```\n"
    )
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(block)


if __name__ == "__main__":
    main()
