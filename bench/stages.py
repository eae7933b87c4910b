"""How far the demands got through the pipeline's stages, from their databases."""

from __future__ import annotations

import datetime
import time

import psycopg

from bench.generator import Load, latency_figures
from shared.procs import wait_until

STAGES = {  # stage → (service, how many demands reached it)
    "assigned": ("routing", "SELECT count(*) FROM cases"),
    "notified": (
        "notify",
        "SELECT count(*) FROM notifications WHERE kind = 'case_assigned' AND status = 'sent'",
    ),
    "counted": ("reports", "SELECT count(*) FROM grievance_facts WHERE case_id IS NOT NULL"),
}


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
        self.conns = {
            stage: psycopg.connect(conninfo(env[f"{svc.upper()}_DATABASE_URL"]), autocommit=True)
            for stage, (svc, _) in STAGES.items()
        }
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
    submitted = dict(
        rows(
            env,
            "intake",
            "SELECT id, submitted_at FROM grievances WHERE submitted_at >= %s",
            (datetime.datetime.fromtimestamp(since, datetime.UTC),),
        )
    )
    cases = {
        g: (c, at) for g, c, at in rows(env, "routing", "SELECT grievance_id, id, created_at FROM cases")
    }
    sent = dict(
        rows(
            env,
            "notify",
            "SELECT case_id, min(sent_at) FROM notifications "
            "WHERE kind = 'case_assigned' AND sent_at IS NOT NULL GROUP BY case_id",
        )
    )
    event = dict(
        rows(
            env,
            "routing",
            "SELECT correlation_id, min(event_id) FROM outbox "
            "WHERE type = 'case.assigned' GROUP BY correlation_id",
        )
    )
    claimed = dict(
        rows(env, "reports", "SELECT event_id, processed_at FROM inbox WHERE type = 'case.assigned'")
    )
    reached = {
        "assigned": {g: at for g, (_, at) in cases.items()},
        "notified": {g: sent[c] for g, (c, _) in cases.items() if c in sent},
        "counted": {g: claimed[e] for g, e in event.items() if e in claimed},
    }
    return {
        "submitted": sorted(t.timestamp() for t in submitted.values()),
        **{
            stage: [(at[g] - t).total_seconds() for g, t in submitted.items() if g in at]
            for stage, at in reached.items()
        },
    }


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
        done = lambda s, stage=stage: s[2][stage] - baseline[stage]  # noqa: E731
        out["lag_at_end"][stage] = at_end[1] - done(at_end)
        out["lag_growth_per_s"][stage] = _round(slope([(s[0], s[1] - done(s)) for s in half]))
        out["stage_rate_per_s"][stage] = _round(slope([(s[0], done(s)) for s in half]))
        caught = next((s[0] for s in samples if s[0] >= load.ended and done(s) >= load.accepted), None)
        out["catch_up_s"][stage] = None if caught is None else round(caught - load.ended, 2)
    out["submit_rate_per_s"] = _round(slope([(s[0], s[1]) for s in half]))
    out["keeps_up"] = keeps_up(out, rate or load.accepted / load.wall)
    out["keeps_up_rule"] = (
        "every stage: lag growth over the load's second half <= 5% of the rate, caught up <= 5 s after"
    )
    return out


def keeps_up(b: dict, rate: float) -> bool:
    return all(
        b["catch_up_s"][s] is not None
        and b["catch_up_s"][s] <= 5
        and (b["lag_growth_per_s"][s] or 0) <= 0.05 * rate
        for s in STAGES
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x (per second), None with fewer than three points."""
    if len(points) < 3:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def drain(progress: Progress, target: dict[str, int], timeout: float) -> float:
    """Seconds until every stage reached ``target`` (polled on the calling thread)."""
    started = time.monotonic()
    wait_until(lambda: progress.reached(target), timeout, interval=0.2, what="the backlog to drain")
    return round(time.monotonic() - started, 2)
