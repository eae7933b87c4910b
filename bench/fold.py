"""How fast reports' worker folds events into its facts, with each demand's steps kept and its
figures derived again at each event (the rates), beside the same run without them (how reports
folded before the rates): N demands' events, in batches of 100 through the consumer's own step
(claim in the inbox, run the handlers, one transaction), on a private PostgreSQL database each.

    .venv/bin/python bench/fold.py --demands 2000 [--write]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import record  # noqa: E402
from harness.private import PrivateDatabases  # noqa: E402
from services.reports import steps  # noqa: E402
from services.reports.handlers import HANDLERS  # noqa: E402
from services.reports.models import inbox, metadata  # noqa: E402
from shared import config, events  # noqa: E402
from shared.consumer import Consumer, Delivery  # noqa: E402
from shared.db import make_engine  # noqa: E402

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def life(i: int) -> list[events.Envelope]:
    """One demand's six events: submitted, assigned, accepted, resolved, the worker's answer, closed."""
    gid, case = str(uuid.uuid4()), str(uuid.uuid4())
    at = T0 + timedelta(minutes=i)
    chair = events.Assignee(id="e001-chair", name="王建国", role="enterprise_chair", org_code="E001")

    def step(before: str, after: str, when: datetime) -> events.CaseStatusChanged:
        return events.CaseStatusChanged(case_id=case, grievance_id=gid, from_=before, to=after, at=when)

    payloads = [
        (
            "grievance.submitted",
            events.GrievanceSubmitted(
                grievance_id=gid,
                tracking_code="ABCD-EFGH-JKMN",
                enterprise_code="E001",
                category="wages",
                urgency="normal",
                channel="kiosk",
                anonymous=True,
                about_chair=False,
                description="车间噪音太大",
                submitted_at=at,
            ),
        ),
        (
            "case.assigned",
            events.CaseAssigned(
                case_id=case,
                grievance_id=gid,
                assignee=chair,
                level=0,
                accept_due=at + 48 * HOUR,
                resolve_due=at + 360 * HOUR,
                assigned_at=at,
            ),
        ),
        ("case.status_changed", step("assigned", "accepted", at + HOUR)),
        ("case.status_changed", step("accepted", "resolved", at + 50 * HOUR)),
        ("grievance.feedback_given", events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=True)),
        ("case.status_changed", step("resolved", "closed", at + 60 * HOUR)),
    ]
    return [events.make(etype, payload, "bench", gid) for etype, payload in payloads]


def fold(url: str, envelopes: list[events.Envelope]) -> float:
    """Seconds to fold ``envelopes`` into a fresh reports database, in batches of 100."""
    settings = config.load("reports", config.Settings).model_copy(update={"database_url": url})
    engine = make_engine(url)
    metadata.create_all(engine)
    consumer = Consumer(settings, engine, inbox, None, HANDLERS)
    batches = []
    for i in range(0, len(envelopes), 100):
        batch = []
        for env in envelopes[i : i + 100]:
            d = Delivery(None, None, None, events.encode(env))  # type: ignore[arg-type]
            d.envelope, d.payload = events.decode(d.body)
            batch.append(d)
        batches.append(batch)
    started = time.perf_counter()
    for batch in batches:
        with engine.begin() as conn:
            consumer._handle_in(conn, batch)
    took = time.perf_counter() - started
    engine.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demands", type=int, default=2000)
    parser.add_argument("--write", action="store_true", help="append the figures to bench/RESULTS.md")
    args = parser.parse_args()
    envelopes = [env for i in range(args.demands) for env in life(i)]
    dbs = PrivateDatabases()
    try:
        with mock.patch.object(steps, "record", lambda *a, **k: None):
            before = fold(dbs("fold_before"), envelopes)
        after = fold(dbs("fold_after"), envelopes)
    finally:
        dbs.close()
    n = len(envelopes)
    lines = [
        f"reports folding {n:,} events ({args.demands:,} demands, batches of 100, {time.strftime('%Y-%m-%d')}):",
        f"  without the steps (as before the rates) {before:6.2f} s = {n / before:7.0f} events/s",
        f"  with the steps and derived figures    {after:6.2f} s = {n / after:7.0f} events/s"
        f" ({after / before:.2f}× the time)",
    ]
    print("\n".join(lines))
    if args.write:
        record.append("fold.py", lines)


if __name__ == "__main__":
    main()
