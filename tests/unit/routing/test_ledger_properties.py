"""Property-based: random sequences of staff actions and worker feedback on one demand, carried
between intake and routing by their own events (the outboxes read and handed to the other side's
handlers, as the broker would). Whatever the sequence:

- the case never leaves the diagram of DESIGN §2 (every history step is an edge of lifecycle.MOVES
  or the worker's feedback);
- the history only grows: what was there stays, unchanged;
- an action the case did not offer the caller is refused, never half-done; no answer is a 500;
- the worker's public status follows routing's, and never shows an internal note or a staff member.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.routing import lifecycle
from services.routing.models import cases, history
from tests.support.events import handle, published
from tests.support.intake import make_intake, post_json
from tests.support.routing import CHAIR, CITY, COUNTY, make_ledger

ACTORS = {"chair": CHAIR, "county": COUNTY, "city": CITY}
STAFF_SEEN = ("e001-chair", "c01-officer", "city-officer-1", "王建国", "徐建国", "周立新")
EDGES = {(before, after or before) for moves in lifecycle.MOVES.values() for before, after in moves.items()}
EDGES |= set(lifecycle.FEEDBACK.values()) | {(None, "registered"), ("registered", "assigned")}

staff_step = st.tuples(
    st.just("staff"),
    st.sampled_from(sorted(ACTORS)),
    st.sampled_from(lifecycle.ACTIONS),
    st.booleans(),  # a public note too
    st.sampled_from([0, 0, 0, -1]),
)  # mostly the current version, sometimes a stale one
worker_step = st.tuples(st.just("worker"), st.booleans())
steps = st.lists(st.one_of(staff_step, staff_step, staff_step, worker_step), min_size=1, max_size=30)


class World:
    """intake and routing side by side, joined by handing each one's events to the other."""

    def __init__(self, sqlite_runtime):
        self.intake, self.intake_rt = make_intake(sqlite_runtime, rate_limit="")
        self.routing = make_ledger(sqlite_runtime)
        self.routing_rt = self.routing.rt
        self.seen: set[str] = set()
        self.marker = 0

    def carry(self) -> None:
        """Deliver every event not delivered yet to the services bound to it, until none is left."""
        moved = True
        while moved:
            moved = self._deliver(self.routing_rt, self.intake_rt)
            moved |= self._deliver(self.intake_rt, self.routing_rt)

    def _deliver(self, source, target) -> bool:
        """Hand ``target`` every event ``source`` published since the last call; whether there were any."""
        fresh = [
            (envelope, payload) for envelope, payload in published(source) if envelope.id not in self.seen
        ]
        for envelope, payload in fresh:
            self.seen.add(envelope.id)
            handle(target, envelope, payload)
        return bool(fresh)

    def new_demand(self) -> tuple[str, str]:
        """A demand at E001 through intake's API, routed: (tracking code, case id)."""
        response = post_json(self.intake, description="车间噪音太大，耳朵疼 the workshop is too loud")
        assert response.status_code == 201
        self.carry()
        code = response.get_json()["tracking_code"]
        status = self.intake.get(f"/api/v1/grievances/{code}").get_json()
        assert status["status"] == "assigned"
        with self.routing_rt.engine.connect() as conn:
            case_id = conn.execute(select(cases.c.id).order_by(cases.c.created_at.desc())).scalars().first()
        return code, case_id

    def case(self, case_id: str, headers=CITY) -> dict:
        return self.routing.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()

    def history(self, case_id: str) -> list[tuple]:
        with self.routing_rt.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    select(history).where(history.c.case_id == case_id).order_by(history.c.seq)
                )
            ]

    def body(self, action: str, case: dict, public: bool, survivor: str) -> dict:
        self.marker += 1
        internal = f"INTERNAL-{self.marker} 内部意见"
        body = {"internal_note": internal}
        public_text = f"公开进展 {self.marker} public step"
        due = (case["resolve_due"] if isinstance(case["resolve_due"], str) else "")[:10]
        extra = {
            "accept": {"public_note": public_text} if public else {},
            "note": {"public_note": public_text} if public else {},
            "resolve": {"resolution": f"已解决 {self.marker} resolved"},
            "reject": {"reason": f"不予受理 {self.marker} out of scope"},
            "reassign": {
                "assignee_id": "c01-officer" if case["assignee"]["id"] != "c01-officer" else "e001-chair"
            },
            "escalate": {"reason": internal},
            "extend": {"reason": internal, "resolve_due": _later(due)},
            "merge": {"into": survivor},
            "pause": {"reason": f"等待第三方 {self.marker} waiting on a third party"},
            "resume": {},
        }[action]
        return {**body, **extra}


def _later(iso_day: str) -> str:
    return (date.fromisoformat(iso_day) + timedelta(days=5)).isoformat() if iso_day else "2099-01-01"


@pytest.fixture
def world(sqlite_runtime):
    return World(sqlite_runtime)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_random_actions_and_feedback_never_leave_the_diagram(world, plan):
    code, case_id = world.new_demand()
    _survivor_code, survivor = world.new_demand()
    before = world.history(case_id)
    for step in plan:
        case = world.case(case_id)
        if step[0] == "staff":
            _, who, action, public, lag = step
            headers = ACTORS[who]
            offered = world.case(case_id, headers)["actions"]
            body = {**world.body(action, case, public, survivor), "version": case["version"] + lag}
            response = world.routing.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=headers)
            assert response.status_code in (200, 403, 409, 422), response.get_json()
            after = world.case(case_id)
            if response.status_code == 200:
                assert action in offered and lag == 0
                assert after["version"] == case["version"] + 1
            else:
                assert after["version"] == case["version"] and after["status"] == case["status"]
                assert response.get_json()["error"]["code"]
            if action in offered and lag == 0 and action not in ("reassign", "merge"):
                assert response.status_code == 200, (action, response.get_json())
        else:
            _, satisfied = step
            answer = (
                {"satisfied": True} if satisfied else {"satisfied": False, "comment": "还是很吵 still loud"}
            )
            response = world.intake.post(f"/api/v1/grievances/{code}/feedback", json=answer)
            waiting = case["status"] == "resolved"
            assert response.status_code == (201 if waiting else 409), response.get_json()
        world.carry()

        now = world.history(case_id)
        assert now[: len(before)] == before, "the history only grows"
        before = now
        assert all((row.from_status, row.to_status) in EDGES for row in _rows(world, case_id))
        public = world.intake.get(f"/api/v1/grievances/{code}").get_json()
        text = json.dumps(public, ensure_ascii=False)
        assert "INTERNAL-" not in text and not any(name in text for name in STAFF_SEEN)
        routed = world.case(case_id)
        expected = world.case(routed["merged_into"])["status"] if routed["merged_into"] else routed["status"]
        assert public["status"] == expected


def _rows(world, case_id):
    with world.routing_rt.engine.connect() as conn:
        return conn.execute(
            select(history.c.from_status, history.c.to_status).where(history.c.case_id == case_id)
        ).all()


def test_the_diagram_edges_are_the_designs():
    """The edges the property test allows are DESIGN §2's, nothing more."""
    forward = {
        ("assigned", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "resolved"),
        ("accepted", "resolved"),
        ("resolved", "closed"),
    }
    side = {
        ("assigned", "rejected"),
        ("accepted", "rejected"),
        ("resolved", "reopened"),
        ("reopened", "in_progress"),
        ("reopened", "resolved"),
        *{(s, "merged") for s in lifecycle.OPEN},
    }
    stays = {(s, s) for s in (*lifecycle.OPEN, "resolved")}
    assert forward | side | stays | {(None, "registered"), ("registered", "assigned")} == EDGES
    assert not any(before in lifecycle.FINAL for before, _after in EDGES)
