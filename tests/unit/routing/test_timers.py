"""A resolution the worker does not answer within the window is closed with feedback "none"."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from services.routing import timers
from services.routing.models import cases, history, outbox
from shared import clock
from tests.support.routing import CHAIR, as_


def resolve(ledger, name: str, days_ago: float, headers=CHAIR) -> str:
    case_id = ledger.case_ids[name]
    for version, (action, body) in enumerate(
        [("accept", {}), ("resolve", {"resolution": "已处理完毕 done"})], 1
    ):
        response = ledger.post(
            f"/api/v1/cases/{case_id}/{action}", json={"version": version, **body}, headers=headers
        )
        assert response.status_code == 200, response.get_json()
    with ledger.rt.engine.begin() as conn:
        conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(resolved_at=clock.now() - timedelta(days=days_ago))
        )
    return case_id


def state(ledger, case_id: str):
    with ledger.rt.engine.connect() as conn:
        return conn.execute(select(cases.c.status, cases.c.version).where(cases.c.id == case_id)).one()


def closings(ledger) -> list[dict]:
    with ledger.rt.engine.connect() as conn:
        bodies = conn.execute(select(outbox.c.body).where(outbox.c.type == "case.status_changed")).scalars()
        return [p for p in (json.loads(b)["payload"] for b in bodies) if p["to"] == "closed"]


def test_an_unanswered_resolution_is_closed_once_with_feedback_none(ledger):
    case_id = resolve(ledger, "e001", days_ago=7.1)
    assert timers.close_unanswered(ledger.rt.engine, ledger.rt.settings) == 1
    assert state(ledger, case_id) == ("closed", 4)
    with ledger.rt.engine.connect() as conn:
        last = conn.execute(
            select(history).where(history.c.case_id == case_id).order_by(history.c.seq.desc())
        ).first()
    assert (last.actor_role, last.action, last.from_status, last.to_status) == (
        "system",
        "feedback_timeout",
        "resolved",
        "closed",
    )
    assert "feedback none" in last.internal_note
    assert [(c["from"], c["actor_role"]) for c in closings(ledger)] == [("resolved", "system")]
    assert timers.close_unanswered(ledger.rt.engine, ledger.rt.settings) == 0
    assert len(closings(ledger)) == 1


def test_a_resolution_inside_the_window_or_its_grace_is_left_alone(ledger):
    fresh = resolve(ledger, "e001", days_ago=6.9)
    in_grace = resolve(
        ledger, "e011", days_ago=7 + 0.5 / 24, headers=as_("e011-chair", "enterprise_chair", "E011")
    )  # half an hour past: still in the grace
    assert timers.close_unanswered(ledger.rt.engine, ledger.rt.settings) == 0
    assert state(ledger, fresh).status == state(ledger, in_grace).status == "resolved"


def test_open_cases_are_never_closed_by_time(ledger):
    with ledger.rt.engine.begin() as conn:
        conn.execute(update(cases).values(resolved_at=clock.now() - timedelta(days=30)))
    assert timers.close_unanswered(ledger.rt.engine, ledger.rt.settings) == 0
    assert {state(ledger, c).status for c in ledger.case_ids.values()} == {"assigned"}


def test_the_window_follows_the_setting(ledger):
    case_id = resolve(ledger, "e001", days_ago=3.5)
    settings = ledger.rt.settings.model_copy(update={"feedback_days": 3})
    assert timers.close_unanswered(ledger.rt.engine, settings) == 1
    assert state(ledger, case_id).status == "closed"
