"""The rates over a city-year of cases on PostgreSQL, beside a same-run baseline.

A private database gets reports' tables and N facts loaded with COPY (not through the handlers): a
year of demands over 10 counties of 30 enterprises, with their dates, outcomes and derived figures.
Then, each the median of several runs: the rates of the whole city for the year (as the city
officer), of one county (as its officer), and the baseline, a plain ``count(*)`` over the same rows.
The database is dropped at the end.

    .venv/bin/python bench/rates.py --cases 1000000 [--runs 7] [--write]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import record
from harness.private import PrivateDatabases
from services.reports import rates
from services.reports.models import enterprises, facts, metadata
from shared import auth
from shared.db import make_engine

COUNTIES, PER_COUNTY = 10, 30
CATEGORIES = ("wages", "safety_health", "hours_leave", "contract", "welfare", "workplace", "other")
CHANNELS = ("kiosk", "web", "mobile", "forum", "visit")
COLUMNS = (
    "grievance_id",
    "enterprise_code",
    "category",
    "channel",
    "urgency",
    "anonymous",
    "about_chair",
    "submitted_at",
    "case_id",
    "assignee_role",
    "assignee_org",
    "assigned_at",
    "accept_due",
    "resolve_due",
    "status",
    "status_at",
    "supervision_level",
    "answered_at",
    "answer_due",
    "first_resolved_at",
    "first_resolve_due",
    "resolve_seconds",
    "final_answer_at",
    "final_satisfied",
    "closed_without_answer",
    "paused_seconds",
)


def rows(n: int, seed: int = 12345):
    """N facts of 2026, deterministic."""
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    for i in range(n):
        county = rnd.randrange(COUNTIES)
        code = f"E{county:02d}{rnd.randrange(PER_COUNTY):02d}"
        submitted = start + timedelta(seconds=rnd.randrange(365 * 86400 - 40 * 86400))
        assigned = submitted + timedelta(minutes=1)
        accept_due, resolve_due = assigned + 2 * 24 * hour, assigned + 15 * 24 * hour
        roll = rnd.random()
        answered = assigned + rnd.randrange(1, 80) * hour if roll > 0.03 else None
        status, resolved, answer_at, satisfied, silent = "accepted", None, None, None, None
        if roll < 0.05:
            status = "rejected"
        elif roll < 0.07:
            status = "merged"
        elif roll < 0.9:
            resolved = assigned + rnd.randrange(24, 24 * 25) * hour
            status = "closed"
            if rnd.random() < 0.6:
                answer_at, satisfied, silent = resolved + 24 * hour, rnd.random() < 0.85, False
            else:
                silent = True
        level = 0 if rnd.random() < 0.85 else (1 if rnd.random() < 0.8 else 2)
        yield (
            f"00000000-0000-4000-8000-{i:012d}",
            code,
            rnd.choice(CATEGORIES),
            rnd.choice(CHANNELS),
            "normal",
            True,
            rnd.random() < 0.03,
            submitted,
            f"10000000-0000-4000-8000-{i:012d}",
            "enterprise_chair",
            code,
            assigned,
            accept_due,
            resolve_due,
            status,
            resolved or answered or assigned,
            level,
            answered,
            accept_due if answered else None,
            resolved,
            resolve_due if resolved else None,
            int((resolved - assigned).total_seconds()) if resolved else None,
            answer_at,
            satisfied,
            silent,
            0,
        )


def load(url: str, n: int) -> sa.Engine:
    engine = make_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            enterprises.insert(),
            [
                {
                    "code": f"E{c:02d}{e:02d}",
                    "name": f"企业{c}-{e}",
                    "county_code": f"C{c:02d}",
                    "county_name": f"县{c}",
                }
                for c in range(COUNTIES)
                for e in range(PER_COUNTY)
            ],
        )
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY grievance_facts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows(n):
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE grievance_facts"))
    return engine


def timed(engine: sa.Engine, runs: int, work) -> float:
    """The median of ``runs`` runs of ``work(conn)``, in ms (one warm-up run first)."""
    took = []
    with engine.connect() as conn:
        work(conn)
        for _ in range(runs):
            t = time.perf_counter()
            work(conn)
            took.append((time.perf_counter() - t) * 1000)
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    dbs = PrivateDatabases()
    try:
        t = time.perf_counter()
        engine = load(dbs("rates"), args.cases)
        loaded = time.perf_counter() - t
        year = (date(2026, 1, 1), date(2026, 12, 31))
        city = rates.Scope(*year, auth.Staff("city-officer-1", "city_officer", "city"))
        county = rates.Scope(*year, auth.Staff("c03-officer", "county_officer", "C03"))
        in_year = facts.c.submitted_at.between(
            datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)
        )
        in_county = facts.c.enterprise_code.in_(
            sa.select(enterprises.c.code).where(enterprises.c.county_code == "C03")
        )
        figures = {
            "city": timed(engine, args.runs, lambda c: rates.rates(c, city)),
            "city baseline": timed(
                engine, args.runs, lambda c: c.execute(sa.select(sa.func.count()).where(in_year)).scalar()
            ),
            "county": timed(engine, args.runs, lambda c: rates.rates(c, county)),
            "county baseline": timed(
                engine,
                args.runs,
                lambda c: c.execute(sa.select(sa.func.count()).where(in_year, in_county)).scalar(),
            ),
        }
        with engine.connect() as conn:
            received = rates.rates(conn, city)["rates"]["received"]["count"]
        engine.dispose()
    finally:
        dbs.close()
    lines = [
        f"rates over {args.cases:,} cases (loaded with COPY in {loaded:.0f} s; {received:,} received in the year):",
        *(f"  {name:16s} {ms:8.1f} ms (median of {args.runs})" for name, ms in figures.items()),
    ]
    print("\n".join(lines))
    if args.write:
        record.append("rates.py", lines)


if __name__ == "__main__":
    main()
