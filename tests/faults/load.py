"""Bounded load during a fault, and the reconciliation after it.

The promise checked (DESIGN §3): every demand that got a 201 is exactly one case in routing,
exactly one assignment notification in notify, counted once in reports and shown as assigned on
the worker's status page; nothing that got no 201 exists, except at most once for a request cut
mid-flight; no dead letters unless the test made them.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from shared import deadletters
from shared.config import SERVICES, Settings
from shared.procs import wait_until

BODY = {
    "enterprise_code": "E001",
    "category": "hours_leave",
    "channel": "kiosk",
    "description": "连续加班三周没有调休，希望按规定安排休息。",
}


@dataclass
class Load:
    """Submits demands at ``rate`` per second for ``seconds`` on a thread, recording every outcome."""

    port: int
    rate: float = 40
    seconds: float = 6
    accepted: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    cut: int = 0

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=self.seconds + 60)

    def _run(self):
        started, n = time.monotonic(), int(self.rate * self.seconds)
        for i in range(n):
            time.sleep(max(0.0, started + i / self.rate - time.monotonic()))
            self._post()

    def _post(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("POST", "/api/v1/grievances", json.dumps(BODY), {"Content-Type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            self.cut += 1  # no (whole) answer: the demand may or may not exist, but at most once
            return
        if response.status == 201:
            self.accepted.append(json.loads(body)["tracking_code"])
        else:
            self.refused.append(response.status)


def scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def reconcile(xs, loads: list[Load], timeout: float = 180, dead: dict[str, int] | None = None) -> dict:
    """Wait for the system to settle, then check the promise over everything the loads sent."""
    env = xs.env
    accepted = [code for load in loads for code in load.accepted]
    cut = sum(load.cut for load in loads)
    assert not [s for load in loads for s in load.refused], "intake refused a valid demand"
    assert len(set(accepted)) == len(accepted)

    stored = scalar(env["INTAKE_DATABASE_URL"], "SELECT count(*) FROM grievances")
    assert len(accepted) <= stored <= len(accepted) + cut, "a demand without a 201 was stored"

    def settled():
        return (
            scalar(env["ROUTING_DATABASE_URL"], "SELECT count(*) FROM cases") >= stored
            and scalar(
                env["NOTIFY_DATABASE_URL"],
                "SELECT count(*) FROM notifications WHERE kind='case_assigned' AND status='sent'",
            )
            >= stored
            and scalar(
                env["REPORTS_DATABASE_URL"], "SELECT count(*) FROM grievance_facts WHERE status='assigned'"
            )
            >= stored
            and scalar(env["INTAKE_DATABASE_URL"], "SELECT count(*) FROM grievances WHERE status='assigned'")
            >= stored
        )

    wait_until(settled, timeout, interval=0.5, what="the system to settle")
    time.sleep(1.0)  # anything still arriving would be a duplicate: give it the chance to show
    figures = {
        "cases": scalar(env["ROUTING_DATABASE_URL"], "SELECT count(*) FROM cases"),
        "distinct_cases": scalar(
            env["ROUTING_DATABASE_URL"], "SELECT count(DISTINCT grievance_id) FROM cases"
        ),
        "notifications": scalar(
            env["NOTIFY_DATABASE_URL"], "SELECT count(*) FROM notifications WHERE kind='case_assigned'"
        ),
        "facts": scalar(
            env["REPORTS_DATABASE_URL"], "SELECT count(*) FROM grievance_facts WHERE submitted_at IS NOT NULL"
        ),
        "assigned_in_intake": scalar(
            env["INTAKE_DATABASE_URL"], "SELECT count(*) FROM grievances WHERE status='assigned'"
        ),
    }
    assert figures == {
        "cases": stored,
        "distinct_cases": stored,
        "notifications": stored,
        "facts": stored,
        "assigned_in_intake": stored,
    }, figures
    summary = xs.get("reports", "/api/v1/reports/summary", **xs.staff())[1]
    assert summary["total"] == stored
    for code in accepted[:: max(1, len(accepted) // 20)]:  # the status page of a sample
        assert xs.get("intake", f"/api/v1/grievances/{code}")[1]["status"] == "assigned"
    expected_dead = dead or {}
    for service in SERVICES:
        settings = Settings(service=service, database_url="sqlite://", amqp_url=env["AMQP_URL"])
        assert len(deadletters.list_dead(settings, service)) == expected_dead.get(service, 0), service
    return {"accepted": len(accepted), "cut": cut, "stored": stored}
