"""The federation's rates, checked against a simulated month.

More than a thousand demands of March 2026 (China time) take seeded random paths through the life
of a case (accept, reject, merge, pause, extend, resolve, feedback, reopen, no answer, missed
deadlines, supervision, reassignment). Every event goes in a shuffled order, some twice, through
the consumer's inbox to reports' real handlers on PostgreSQL. The test keeps the raw event log and
computes every rate again from it with its own, simple implementation of the definitions
(services/reports/rates.py's table), then compares them exactly with GET /api/v1/reports/rates (the
whole period, sub-periods, per county and per month, with filters, in a chair's and a county's
scope) and with the cases behind the numbers.

The oracle below reads only the log: it imports nothing of services.reports but the app and the
handlers it drives. Set RATES_CHECK_SEED to draw another month.
"""

from __future__ import annotations

import math
import os
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from harness.private import PrivateDatabases
from services.reports.app import create_app
from services.reports.handlers import HANDLERS
from services.reports.models import inbox
from shared import auth, clock, events
from shared import migrate as migrations
from shared.bootstrap import Runtime
from shared.clock import CST
from shared.consumer import Consumer, Delivery
from shared.db import make_engine
from tests.conftest import make_settings
from tests.support.events import deliver

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("RATES_CHECK_SEED", "20260301"))
MONTH = date(2026, 3, 1)  # the simulated month: March 2026, China days
DAYS = 31
MONTH_START = clock.day_start(MONTH)
COUNTIES = {"C01": "城关区", "C02": "高新区"}
ENTERPRISES = {"E001": "C01", "E002": "C02", "E003": "C01", "E004": "C02", "E005": "C01"}
CATEGORIES = ("wages", "safety_health", "hours_leave", "contract", "social_insurance", "workplace")
CHANNELS = ("web", "mobile", "kiosk", "hotline", "visit")
FEEDBACK_WINDOW = timedelta(days=7, hours=1)  # routing closes an unanswered resolution after it
OPEN = ("assigned", "accepted", "in_progress", "reopened")
RATES = "/api/v1/reports/rates"
CITY = ("city-officer-1", "city_officer", "city")


class Logged(NamedTuple):
    """One event of the raw log: its type, when it happened (its envelope's occurred_at), its payload."""

    kind: str
    at: datetime
    payload: Any


# -- the simulated month ------------------------------------------------------------------------------
def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def secs(n: float) -> timedelta:
    return timedelta(seconds=n)


def next_midnight(t: datetime) -> datetime:
    """The first second of the China day after ``t``'s."""
    return clock.day_start(clock.local(t).date() + timedelta(days=1))


def person(org: str) -> events.Assignee:
    role = "county_officer" if org in COUNTIES else "enterprise_chair"
    return events.Assignee(id=f"{org.lower()}-staff", name=f"{org} 干部", role=role, org_code=org)


@dataclass
class Life:
    """One demand's life, drawn at random, each step logged in the order it happened (times never
    go back along a path; routing's feedback step shares its moment with the new deadlines)."""

    rng: random.Random
    log: list[Logged]
    gid: str
    enterprise: str
    about_chair: bool
    urgent: bool
    case_id: str = ""
    t: datetime = MONTH_START
    status: str = "registered"
    accept_due: datetime | None = None
    resolve_due: datetime | None = None
    level: int = 0
    extended: bool = False
    rounds: int = 0
    overdue: set = field(default_factory=set)
    tags: set = field(default_factory=set)  # which paths it took (for the coverage check)

    # the little steps
    def emit(self, kind: str, at: datetime, payload: events.Frozen) -> None:
        self.log.append(Logged(kind, at, payload))

    def later(self, lo: float, hi: float) -> datetime:
        """A moment ``lo`` to ``hi`` seconds on; now and then exactly the next China midnight."""
        if self.rng.random() < 0.04:
            self.tags.add("midnight")
            return next_midnight(self.t)
        return self.t + secs(self.rng.randint(int(lo), int(hi)))

    def timed(self, due: datetime, early: float, exact: float) -> tuple[datetime, str]:
        """A moment before ``due`` (share ``early``), exactly at it (``exact``), or after it."""
        x, room = self.rng.random(), (due - self.t).total_seconds()
        if x < early and room > 1200:
            if self.rng.random() < 0.05:
                return min(due, next_midnight(self.t)), "early"
            return self.t + secs(self.rng.randint(600, int(room))), "early"
        if x < early + exact and room > 0:
            return due, "exact"
        return max(due, self.t) + secs(self.rng.randint(1, 4 * 86400)), "late"

    def wait_until(self, until: datetime) -> None:
        """Time passes to ``until``: a deadline missed on the way raises supervision by itself."""
        pending = (
            ("accept_overdue", self.accept_due, self.status == "assigned"),
            ("resolve_overdue", self.resolve_due, self.status in OPEN),
        )
        for reason, due, waiting in pending:
            if (
                waiting
                and due
                and self.t < due
                and due + secs(60) < until
                and (reason, due) not in self.overdue
            ):
                self.overdue.add((reason, due))
                self.supervise(min(2, self.level + 1), reason, due + secs(60), automatic=True)
        self.t = until

    def supervise(self, level: int, reason: str, at: datetime, automatic: bool = False) -> None:
        if level <= self.level:
            return
        self.level = level
        self.tags.add(f"supervised_{level}")
        self.emit(
            "case.supervision_raised",
            at,
            events.CaseSupervisionRaised(
                case_id=self.case_id,
                grievance_id=self.gid,
                level=level,
                reason=reason,
                supervisor="system" if automatic else "c01-staff",
                at=at,
                automatic=automatic,
            ),
        )

    def move(self, to: str, at: datetime) -> None:
        """A status change (``to`` the same status: a public note, which routing publishes too)."""
        self.wait_until(at)
        self.emit(
            "case.status_changed",
            at,
            events.CaseStatusChanged(
                case_id=self.case_id,
                grievance_id=self.gid,
                from_=self.status,
                to=to,
                at=at,
                actor_role="enterprise_chair",
                public_note="进展说明" if to == self.status else None,
            ),
        )
        if to == self.status:
            self.tags.add(f"note_{to}")
        self.status = to

    # the life
    def live(self, category: str, channel: str) -> None:
        rng = self.rng
        self.submit(category, channel)
        if rng.random() < 0.02:
            self.tags.add("unassigned")
            return
        self.assign()
        if rng.random() < 0.05:
            self.provisional()
        if rng.random() < 0.04:
            self.move("assigned", self.later(300, 86400))
        if rng.random() < 0.05:
            self.reassign()
        x = rng.random()
        if x < 0.05:
            return self.merge()
        if x < 0.13:
            at, when = self.timed(self.accept_due, 0.6, 0.08)
            self.tags.add(f"rejected_{when}")
            return self.move("rejected", at)
        at, when = self.timed(self.accept_due, 0.7, 0.06)
        self.tags.add(f"accepted_{when}")
        self.move("accepted", at)
        if rng.random() < 0.04:
            self.tags.add("rejected_after_accept")
            return self.move("rejected", self.later(600, 3 * 86400))
        while True:
            if rng.random() < 0.04:
                self.tags.add(f"left_{self.status}")
                return
            if self.work():
                return
            self.resolve()
            if self.feedback() != "reopened":
                return

    def submit(self, category: str, channel: str) -> None:
        day = MONTH + timedelta(days=self.rng.randrange(DAYS))
        x = self.rng.random()
        if x < 0.05:  # the first second of a China day
            at = clock.day_start(day)
        elif x < 0.08:  # the last second of the day before (for 1 March: February)
            at = clock.day_start(day) - secs(1)
        else:
            at = clock.day_start(day) + secs(self.rng.randint(0, 86399))
        self.t = at
        self.emit(
            "grievance.submitted",
            at,
            events.GrievanceSubmitted(
                grievance_id=self.gid,
                tracking_code="ABCD-EFGH-JKMN",
                enterprise_code=self.enterprise,
                category=category,
                urgency="urgent" if self.urgent else "normal",
                channel=channel,
                anonymous=self.rng.random() < 0.5,
                about_chair=self.about_chair,
                description="模拟诉求 a simulated demand",
                submitted_at=at,
            ),
        )

    def assign(self) -> None:
        self.case_id = uid(self.rng)
        at = self.later(30, 4 * 3600)
        day = clock.local(at).date()
        self.accept_due = clock.day_end(day + timedelta(days=1 if self.urgent else 2))
        self.resolve_due = clock.day_end(day + timedelta(days=7 if self.urgent else 15))
        self.t, self.status = at, "assigned"
        org = ENTERPRISES[self.enterprise] if self.about_chair else self.enterprise
        self.emit("case.assigned", at, self.assignment(org, at, reassigned=False))

    def assignment(self, org: str, at: datetime, reassigned: bool) -> events.CaseAssigned:
        return events.CaseAssigned(
            case_id=self.case_id,
            grievance_id=self.gid,
            assignee=person(org),
            level=self.level,
            accept_due=self.accept_due,
            resolve_due=self.resolve_due,
            enterprise_code=self.enterprise,
            county_code=ENTERPRISES[self.enterprise],
            assigned_at=at,
            reassigned=reassigned,
            about_chair=self.about_chair,
        )

    def reassign(self) -> None:
        """Passed on: to the county, or by the city across counties; the dates stay."""
        home = ENTERPRISES[self.enterprise]
        other = next(c for c in COUNTIES if c != home)
        org = self.rng.choice((home, other, other))
        self.tags.add("reassigned_across" if org == other else "reassigned")
        at = self.later(600, 86400)
        self.wait_until(at)
        self.emit("case.assigned", at, self.assignment(org, at, reassigned=True))

    def provisional(self) -> None:
        """The year's calendar came: routing computes the accept date of every open case again (a
        day either way; the resolve date stays), answered or not (routing/deadlines.py)."""
        at = self.later(600, 12 * 3600)
        self.wait_until(at)
        self.accept_due += timedelta(days=self.rng.choice((-1, 1)))
        self.tags.add("provisional" if self.status == "assigned" else "provisional_after_answer")
        self.deadlines(at, provisional=True)

    def deadlines(self, at: datetime, provisional: bool) -> None:
        self.emit(
            "case.deadlines_changed",
            at,
            events.CaseDeadlinesChanged(
                case_id=self.case_id,
                grievance_id=self.gid,
                accept_due=self.accept_due,
                resolve_due=self.resolve_due,
                provisional=provisional,
                at=at,
            ),
        )

    def merge(self) -> None:
        self.tags.add(f"merged_from_{self.status}")
        self.move("merged", self.later(600, 3 * 86400))

    def work(self) -> bool:
        """Work on the case until it can be resolved; True if it was merged away."""
        rng = self.rng
        if rng.random() < 0.06:  # a supervisor's own hand
            at = self.later(600, 86400)
            self.wait_until(at)
            self.supervise(rng.choice((1, 2)), "escalated", at)
        if rng.random() < 0.03:
            self.reassign()
        if rng.random() < 0.04:
            self.provisional()
        if self.status in ("accepted", "reopened") and rng.random() < 0.75:
            self.move("in_progress", self.later(600, 2 * 86400))
        if not self.extended and rng.random() < 0.12:
            self.extend()
        for _ in range(2):
            if rng.random() < 0.16:
                self.pause()
        if self.status == "in_progress" and rng.random() < 0.05:
            self.move("in_progress", self.later(600, 86400))
        if rng.random() < 0.03:
            self.merge()
            return True
        return False

    def extend(self) -> None:
        at = self.later(3600, 3 * 86400)
        self.wait_until(at)
        self.extended = True
        self.resolve_due = clock.day_end(
            clock.local(self.resolve_due).date() + timedelta(days=self.rng.randint(3, 15))
        )
        self.tags.add("extended_after_reopen" if self.rounds else "extended")
        self.emit(
            "case.deadline_extended",
            at,
            events.CaseDeadlineExtended(
                case_id=self.case_id, grievance_id=self.gid, resolve_due=self.resolve_due, at=at
            ),
        )

    def pause(self) -> None:
        """The resolve clock stops, then runs again; the due date moves by the time paused. (A pause
        that the resolution itself ends, which routing publishes no case.clock_resumed for, is
        checked apart: test_days_to_resolve_leave_out_a_pause_that_the_resolution_ended.)"""
        start = self.later(600, 2 * 86400)
        self.wait_until(start)
        self.emit(
            "case.clock_paused",
            start,
            events.CaseClockPaused(
                case_id=self.case_id,
                grievance_id=self.gid,
                reason="等待检测报告",
                resume_by=start + timedelta(days=10),
                at=start,
            ),
        )
        end = start + secs(self.rng.randint(3600, 6 * 86400))
        paused = int((end - start).total_seconds())
        self.resolve_due += secs(paused)
        self.t = end  # no deadline runs while paused
        self.tags.add("paused_after_reopen" if self.rounds else "paused")
        self.emit(
            "case.clock_resumed",
            end,
            events.CaseClockResumed(
                case_id=self.case_id,
                grievance_id=self.gid,
                paused_seconds=paused,
                resolve_due=self.resolve_due,
                at=end,
            ),
        )

    def resolve(self) -> None:
        at, when = self.timed(self.resolve_due, 0.65, 0.06)
        self.tags.add(f"resolved_{when}" if not self.rounds else "resolved_again")
        self.move("resolved", at)

    def feedback(self) -> str:
        """The worker's answer to the resolution: satisfied, not (reopened), none, or not yet."""
        rng, resolved = self.rng, self.t
        if rng.random() < 0.06:
            self.move("resolved", resolved + secs(rng.randint(60, 1800)))
        x = rng.random()
        if x < 0.5 or (x < 0.72 and self.rounds < 3):
            satisfied = x < 0.5
            at = resolved + secs(rng.randint(3600, 6 * 86400))
            self.wait_until(at)
            self.answer(at, satisfied)
            routed = at + secs(rng.randint(1, 30))  # routing takes the answer a moment later
            if satisfied:
                self.move("closed", routed)
                return "closed"
            self.move("reopened", routed)
            self.resolve_due = clock.day_end(clock.local(routed).date() + timedelta(days=7))
            self.deadlines(routed, provisional=False)  # at the very moment of the reopening
            self.rounds += 1
            self.tags.add("reopened")
            return "reopened"
        if x < 0.95:
            self.tags.add("no_answer")
            self.move("closed", resolved + FEEDBACK_WINDOW + secs(rng.randint(0, 600)))
            if rng.random() < 0.05:  # an answer racing the window's end
                self.tags.add("late_answer")
                self.answer(self.t + secs(rng.randint(1, 600)), rng.random() < 0.5)
            return "closed"
        self.tags.add("awaiting_answer")
        return "resolved"

    def answer(self, at: datetime, satisfied: bool) -> None:
        self.tags.add("satisfied" if satisfied else "unsatisfied")
        self.emit(
            "grievance.feedback_given",
            at,
            events.GrievanceFeedbackGiven(
                grievance_id=self.gid, satisfied=satisfied, rating=5 if satisfied else 2
            ),
        )


@dataclass
class Month:
    log: list[Logged]  # every demand event that happened (orphans' submissions left out)
    tags: dict[str, set]  # the paths each demand took
    orphans: set[str]  # demands whose submission never came


def simulate(seed: int, demands: tuple[int, int] = (1000, 1200), orphans: int = 8) -> Month:
    rng = random.Random(seed)
    log: list[Logged] = []
    tags: dict[str, set] = {}
    lost: set[str] = set()
    for n in range(rng.randint(*demands) + orphans):
        while True:  # an orphan needs more events than its submission
            enterprise = rng.choice(tuple(ENTERPRISES))
            life = Life(rng, [], uid(rng), enterprise, rng.random() < 0.08, rng.random() < 0.15)
            life.live(rng.choice(CATEGORIES), rng.choice(CHANNELS))
            if n >= orphans or len(life.log) > 2:
                break
        steps = life.log
        if n < orphans:  # its submission never came: nothing of it may count
            steps = [e for e in steps if e.kind != "grievance.submitted"]
            lost.add(life.gid)
        log += steps
        tags[life.gid] = life.tags
    return Month(log, tags, lost)


# -- delivery: through the consumer's inbox, in any order, some twice --------------------------------
def envelope(rng: random.Random, e: Logged) -> events.Envelope:
    return events.Envelope(
        id=uid(rng),
        type=e.kind,
        version=events.CURRENT_VERSION[e.kind],
        occurred_at=e.at,
        producer="test",
        correlation_id=getattr(e.payload, "grievance_id", None),
        payload=e.payload.model_dump(mode="json", by_alias=True),
    )


def directory() -> list[Logged]:
    return [
        Logged(
            "enterprise.updated",
            MONTH_START,
            events.EnterpriseUpdated(
                code=code,
                name=f"企业{code}",
                county_code=county,
                county_name=COUNTIES[county],
                active=True,
                has_chair=True,
            ),
        )
        for code, county in ENTERPRISES.items()
    ]


def directory_envelopes(rng: random.Random) -> list[events.Envelope]:
    return [envelope(rng, e) for e in directory()]


AGAIN = 0.08  # the share of events delivered a second time


def deliver_all(rt: Runtime, rng: random.Random, log: list[Logged], again: float = AGAIN) -> Counter:
    """Every event of ``log`` once, shuffled, and a share ``again`` of them a second time, handed in
    batches to the consumer's own step (claim the event ids in the inbox, run the handlers of the
    fresh ones, in one transaction), as a broker would hand them; the outcomes counted."""
    consumer = Consumer(rt.settings, rt.engine, inbox, None, HANDLERS)
    first = [envelope(rng, e) for e in log]
    rng.shuffle(first)
    order = list(first)
    for env in rng.sample(first, int(len(first) * again)):
        order.insert(rng.randrange(len(order) + 1), env)
    outcomes: Counter = Counter()
    for envelopes in (directory_envelopes(rng), order):
        for i in range(0, len(envelopes), 100):
            batch = []
            for env in envelopes[i : i + 100]:
                d = Delivery(None, None, None, events.encode(env))  # type: ignore[arg-type]
                d.envelope, d.payload = events.decode(d.body)
                batch.append(d)
            with rt.engine.begin() as conn:
                outcomes.update(consumer._handle_in(conn, batch).values())
    return outcomes


# -- the oracle: every figure again from the raw log ---------------------------------------------------
@dataclass
class Demand:
    """What the definitions read of one demand, from its events alone."""

    gid: str
    submitted_at: datetime | None = None
    enterprise: str | None = None
    category: str | None = None
    channel: str | None = None
    about_chair: bool | None = None
    assigned_at: datetime | None = None
    assignee_org: str | None = None
    status: str | None = None
    answered_at: datetime | None = None
    answered_in_time: bool = False
    final_resolve_due: datetime | None = None
    first_resolved_at: datetime | None = None
    resolved_in_time: bool = False
    resolve_seconds: int | None = None
    final_answer_at: datetime | None = None
    final_satisfied: bool | None = None
    closed_without_answer: bool = False
    level: int = 0

    @property
    def county(self) -> str | None:
        return ENTERPRISES.get(self.enterprise or "")


def demands_of(log: list[Logged]) -> dict[str, Demand]:
    by_demand: dict[str, list[Logged]] = defaultdict(list)
    for e in log:
        by_demand[e.payload.grievance_id].append(e)
    return {gid: demand(gid, sorted(steps, key=lambda e: e.at)) for gid, steps in by_demand.items()}


def demand(gid: str, steps: list[Logged]) -> Demand:
    """The figures of one demand, from its events sorted by when they happened."""
    d = Demand(gid)
    of = defaultdict(list)
    for e in steps:
        of[e.kind].append(e)
    for e in of["grievance.submitted"]:
        p = e.payload
        d.submitted_at, d.enterprise, d.category, d.channel = (
            p.submitted_at,
            p.enterprise_code,
            p.category,
            p.channel,
        )
        d.about_chair, d.status = p.about_chair, "registered"
    assignments = of["case.assigned"]
    if assignments:
        d.assigned_at = next(e.at for e in assignments if not e.payload.reassigned)
        d.assignee_org = assignments[-1].payload.assignee.org_code  # whoever has it now
        d.status = "assigned"
    # every deadline set, when: (at, accept due or None, resolve due or None)
    dues = [
        (e.at, e.payload.accept_due, e.payload.resolve_due) for e in assignments if not e.payload.reassigned
    ]
    dues += [(e.at, e.payload.accept_due, e.payload.resolve_due) for e in of["case.deadlines_changed"]]
    dues += [
        (e.at, None, e.payload.resolve_due) for e in of["case.deadline_extended"] + of["case.clock_resumed"]
    ]
    dues.sort(key=lambda x: x[0])

    def in_force(which: int, moment: datetime) -> datetime:
        return [x[which] for x in dues if x[which] is not None and x[0] <= moment][-1]

    changes = [(e.at, e.payload.from_, e.payload.to) for e in of["case.status_changed"]]
    if changes:
        d.status = changes[-1][2]
    answers = [at for at, before, to in changes if to in ("accepted", "rejected") and before != to]
    if answers:
        d.answered_at = answers[0]
        d.answered_in_time = d.answered_at <= in_force(1, d.answered_at)
    resolutions = [at for at, before, to in changes if to == "resolved" and before != "resolved"]
    if d.assigned_at:
        d.final_resolve_due = [x[2] for x in dues if x[2] is not None][-1]
    if resolutions:
        first = d.first_resolved_at = resolutions[0]
        d.resolved_in_time = first <= in_force(2, first)
        if d.assigned_at:
            d.resolve_seconds = int((first - d.assigned_at).total_seconds()) - paused(
                of, d.assigned_at, first
            )
    feedback = [(e.at, e.payload.satisfied) for e in of["grievance.feedback_given"]]
    if feedback:
        d.final_answer_at, d.final_satisfied = feedback[-1]
    last = resolutions[-1] if resolutions else None
    d.closed_without_answer = d.status == "closed" and not any(last and at >= last for at, _ in feedback)
    d.level = max((e.payload.level for e in of["case.supervision_raised"]), default=0)
    return d


def paused(of: dict, start: datetime, end: datetime) -> int:
    """The seconds the resolve clock stood still between ``start`` and ``end``: each pause until its
    resumption (a pause still running at ``end`` stops there)."""
    resumes = sorted(e.at for e in of["case.clock_resumed"])
    total = 0
    for e in of["case.clock_paused"]:
        stop = next((at for at in resumes if at >= e.at), end)
        lo, hi = max(e.at, start), min(stop, end)
        total += max(0, int((hi - lo).total_seconds()))
    return total


@dataclass(frozen=True)
class Definition:
    by: Callable[[Demand], datetime | None]  # the date that puts a demand in the period
    base: Callable[[Demand], bool]  # the denominator's conditions beyond the period
    counted: Callable[[Demand], bool]  # the numerator's, within the denominator


def not_merged(d: Demand) -> bool:
    return d.status != "merged"


DEFINITIONS = {
    "received": Definition(lambda d: d.submitted_at, lambda d: True, lambda d: d.status == "rejected"),
    "on_time_acceptance": Definition(lambda d: d.assigned_at, not_merged, lambda d: d.answered_in_time),
    "resolution": Definition(
        lambda d: d.final_resolve_due,
        lambda d: d.assigned_at is not None and d.status not in ("rejected", "merged"),
        lambda d: d.status == "closed",
    ),
    "on_time_resolution": Definition(
        lambda d: d.first_resolved_at, lambda d: True, lambda d: d.resolved_in_time
    ),
    "satisfaction": Definition(
        lambda d: d.final_answer_at, lambda d: True, lambda d: d.final_satisfied is True
    ),
    "supervised_1": Definition(lambda d: d.assigned_at, not_merged, lambda d: d.level >= 1),
    "supervised_2": Definition(lambda d: d.assigned_at, not_merged, lambda d: d.level >= 2),
    "closed_without_answer": Definition(
        lambda d: d.final_resolve_due,
        lambda d: d.assigned_at is not None and d.status not in ("rejected", "merged"),
        lambda d: d.closed_without_answer,
    ),
    "days_to_resolve": Definition(
        lambda d: d.first_resolved_at, lambda d: d.resolve_seconds is not None, lambda d: True
    ),
}
FRACTIONS = (
    "on_time_acceptance",
    "resolution",
    "on_time_resolution",
    "satisfaction",
    "supervised_1",
    "supervised_2",
)


def china_day(moment: datetime) -> date:
    return moment.astimezone(CST).date()


def percentile_cont(values: list[int], p: float) -> float:
    """PostgreSQL's percentile_cont over the sorted values (double precision, as it computes)."""
    row = p * (len(values) - 1)
    lo, hi = math.floor(row), math.ceil(row)
    a, b = float(values[lo]), float(values[hi])
    return a + (row - lo) * (b - a)


@dataclass
class Oracle:
    demands: dict[str, Demand]

    def counted(self, rate: str, start: date, end: date, keep: Callable[[Demand], bool]) -> Iterator[Demand]:
        """The demands in the rate's denominator: submitted, in the scope, dated in the period."""
        rule = DEFINITIONS[rate]
        for d in self.demands.values():
            when = rule.by(d)
            if d.submitted_at and keep(d) and when and start <= china_day(when) <= end and rule.base(d):
                yield d

    def members(self, rate: str, part: str, start: date, end: date, keep=lambda d: True) -> set[str]:
        return {
            d.gid
            for d in self.counted(rate, start, end, keep)
            if part == "denominator" or DEFINITIONS[rate].counted(d)
        }

    def figures(self, start: date, end: date, keep=lambda d: True, group: str | None = None) -> dict:
        """Every figure, per group (one group, ``None``, without grouping)."""
        nums: dict = defaultdict(Counter)
        dens: dict = defaultdict(Counter)
        seconds: dict = defaultdict(list)
        for rate, rule in DEFINITIONS.items():
            for d in self.counted(rate, start, end, keep):
                k = self.key(d, rule.by(d), group)
                dens[k][rate] += 1
                nums[k][rate] += rule.counted(d)
                if rate == "days_to_resolve":
                    seconds[k].append(d.resolve_seconds)
        out = {}
        for k in dens:
            n, m = nums[k], dens[k]
            fig: dict[str, Any] = {"received": {"count": m["received"], "rejected": n["received"]}}
            for rate in FRACTIONS:
                fig[rate] = {
                    "numerator": n[rate],
                    "denominator": m[rate],
                    "value": round(n[rate] / m[rate], 4) if m[rate] else None,
                }
            fig["closed_without_answer"] = {
                "count": n["closed_without_answer"],
                "of": m["closed_without_answer"],
            }
            values = sorted(seconds[k])
            fig["days_to_resolve"] = {
                "cases": len(values),
                "median": round(percentile_cont(values, 0.5) / 86400, 2) if values else None,
                "p90": round(percentile_cont(values, 0.9) / 86400, 2) if values else None,
            }
            out[k] = fig
        return out

    @staticmethod
    def key(d: Demand, when: datetime, group: str | None) -> Any:
        if group is None:
            return None
        if group == "county":
            return d.county
        if group == "month":
            return when.astimezone(CST).strftime("%Y-%m")
        return {"enterprise": d.enterprise, "category": d.category, "channel": d.channel}[group]

    def rates(self, start: date, end: date, keep=lambda d: True) -> dict:
        return self.figures(start, end, keep).get(None) or self.figures_of_nothing()

    def groups(self, start: date, end: date, group: str, keep=lambda d: True) -> list[dict]:
        per = self.figures(start, end, keep, group)
        return [{"key": k, "name": self.label(group, k), "rates": per[k]} for k in sorted(per, key=str)]

    @staticmethod
    def label(group: str, key: Any) -> str | None:
        if group == "county":
            return COUNTIES[key]
        return f"企业{key}" if group == "enterprise" else None

    @staticmethod
    def figures_of_nothing() -> dict:
        return {
            "received": {"count": 0, "rejected": 0},
            **{r: {"numerator": 0, "denominator": 0, "value": None} for r in FRACTIONS},
            "closed_without_answer": {"count": 0, "of": 0},
            "days_to_resolve": {"cases": 0, "median": None, "p90": None},
        }


# -- the fixture: the month, delivered once for every test of this module ------------------------------
def token(rt: Runtime, staff_id: str, role: str, org: str) -> dict:
    return {"Authorization": "Bearer " + auth.issue(rt.settings.secret_key, auth.Staff(staff_id, role, org))}


@dataclass
class Checked:
    rt: Runtime
    month: Month
    oracle: Oracle
    outcomes: Counter
    client: Any

    def get(self, path: str, staff: tuple[str, str, str] = CITY, **query):
        response = self.client.get(path, query_string=query, headers=token(self.rt, *staff))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def ids(
        self, rate: str, part: str, start: date, end: date, staff=CITY, per_page: int = 170, **query
    ) -> list[str]:
        """Every case behind a number, page after page (each page's total the same, all pages adding
        up to it)."""
        ids, page, totals = [], 1, set()
        while True:
            body = self.get(
                f"{RATES}/{rate}/cases",
                staff,
                start=start,
                end=end,
                part=part,
                page=page,
                per_page=per_page,
                **query,
            )
            totals.add(body["total"])
            ids += [c["grievance_id"] for c in body["cases"]]
            if len(body["cases"]) < per_page:
                break
            page += 1
        assert totals == {len(ids)}, (rate, part, len(ids), totals)
        return ids

    def explain(self, gids: set[str], limit: int = 3) -> str:
        """The raw log of a few demands, for a failure's message."""
        lines = []
        for gid in sorted(gids)[:limit]:
            lines.append(f"demand {gid} ({sorted(self.month.tags.get(gid, ()))}):")
            for e in sorted((e for e in self.month.log if e.payload.grievance_id == gid), key=lambda e: e.at):
                shown = e.payload.model_dump(
                    mode="json",
                    exclude={
                        "grievance_id",
                        "case_id",
                        "tracking_code",
                        "description",
                        "assignee",
                        "recipients",
                    },
                    exclude_none=True,
                    by_alias=True,
                )
                lines.append(f"  {e.at.isoformat()} {e.kind} {shown}")
            lines.append(f"  oracle: {self.oracle.demands[gid]}")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def checked() -> Iterator[Checked]:
    """The simulated month delivered to reports on its own PostgreSQL database (once for the module:
    pg_runtime's database, made the same way, kept for every check)."""
    databases = PrivateDatabases()
    rt = None
    try:
        settings = make_settings("reports", databases("reports"))
        migrations.upgrade(settings)
        rt = Runtime(settings, make_engine(settings.database_url))
        month = simulate(SEED)
        outcomes = deliver_all(rt, random.Random(SEED + 1), month.log)
        yield Checked(rt, month, Oracle(demands_of(month.log)), outcomes, create_app(rt).test_client())
    finally:
        if rt is not None:
            rt.engine.dispose()
        databases.close()


PERIODS = [
    (date(2026, 3, 1), date(2026, 3, 31)),  # the month
    (date(2026, 3, 1), date(2026, 5, 31)),  # and what came of it in April and May
    (date(2026, 3, 1), date(2026, 3, 15)),
    (date(2026, 3, 16), date(2026, 3, 31)),
    (date(2026, 3, 10), date(2026, 3, 10)),  # one China day
    (date(2026, 4, 1), date(2026, 4, 30)),
    (date(2026, 2, 1), date(2026, 3, 1)),  # February's last second, and 1 March
]


def period_id(p: tuple[date, date]) -> str:
    return f"{p[0]}..{p[1]}"


def differences(got: Any, want: Any, path: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got), key=str):
            out += differences(got.get(k, "<missing>"), want.get(k, "<missing>"), f"{path}.{k}")
        return out
    return [] if got == want else [f"{path}: got {got!r}, want {want!r}"]


def compare(
    checked: Checked,
    got: dict,
    want: dict,
    start: date,
    end: date,
    keep: Callable[[Demand], bool] = lambda d: True,
    staff: tuple[str, str, str] = CITY,
    **query,
) -> None:
    """The two sets of figures equal; else which, and the demands behind each disagreeing rate (the
    whole period's, even when ``got`` is one group's)."""
    diffs = differences(got, want)
    if not diffs:
        return
    detail = []
    for rate in sorted({d.split(".")[1] for d in diffs} & set(DEFINITIONS) - {"days_to_resolve"}):
        for part in ("numerator", "denominator"):
            api = set(checked.ids(rate, part, start, end, staff, **query))
            mine = checked.oracle.members(rate, part, start, end, keep)
            if api != mine:
                detail.append(
                    f"{rate} {part}: only the API {len(api - mine)}, only the oracle {len(mine - api)}\n"
                    + checked.explain((api - mine) | (mine - api))
                )
    pytest.fail(f"seed {SEED}, {start}..{end} {query}:\n" + "\n".join(diffs) + "\n\n" + "\n\n".join(detail))


# -- the checks -------------------------------------------------------------------------------------
def test_the_month_takes_every_path(checked):
    """The simulated month is what the check needs: 1,000 to 1,200 demands, every path taken often."""
    demands = checked.oracle.demands
    submitted = [d for d in demands.values() if d.submitted_at]
    assert 1000 <= len(submitted) <= 1200
    assert checked.month.orphans and not any(demands[g].submitted_at for g in checked.month.orphans)
    taken = Counter(tag for tags in checked.month.tags.values() for tag in tags)
    for path in (
        "accepted_early",
        "accepted_exact",
        "accepted_late",
        "rejected_early",
        "rejected_exact",
        "rejected_late",
        "rejected_after_accept",
        "merged_from_assigned",
        "provisional",
        "provisional_after_answer",
        "reassigned",
        "reassigned_across",
        "paused",
        "paused_after_reopen",
        "extended",
        "resolved_early",
        "resolved_exact",
        "resolved_late",
        "resolved_again",
        "reopened",
        "satisfied",
        "unsatisfied",
        "no_answer",
        "late_answer",
        "awaiting_answer",
        "note_resolved",
        "note_assigned",
        "supervised_1",
        "supervised_2",
        "midnight",
        "unassigned",
    ):
        assert taken[path] >= 3, (path, taken[path])
    assert Counter(e.kind for e in checked.month.log)["case.status_changed"] > 3 * len(submitted)


def test_the_inbox_counts_each_event_once(checked):
    unique = len(checked.month.log) + len(ENTERPRISES)
    assert checked.outcomes["processed"] == unique
    assert checked.outcomes["duplicate"] == int(len(checked.month.log) * AGAIN)


@pytest.mark.parametrize("period", PERIODS, ids=period_id)
def test_every_rate_equals_the_one_computed_from_the_raw_log(checked, period):
    start, end = period
    body = checked.get(RATES, start=start, end=end)
    compare(checked, body["rates"], checked.oracle.rates(start, end), start, end)


@pytest.mark.parametrize("group", ["county", "month", "enterprise", "category", "channel"])
@pytest.mark.parametrize("period", PERIODS[:3], ids=period_id)
def test_every_group_equals_the_one_computed_from_the_raw_log(checked, period, group):
    start, end = period
    body = checked.get(RATES, start=start, end=end, group_by=group)
    want = checked.oracle.groups(start, end, group)
    assert body["group_by"] == group
    assert [g["key"] for g in body["groups"]] == [g["key"] for g in want]
    assert [g["name"] for g in body["groups"]] == [g["name"] for g in want]
    for got, wanted in zip(body["groups"], want, strict=True):
        compare(checked, got["rates"], wanted["rates"], start, end)
    compare(checked, body["rates"], checked.oracle.rates(start, end), start, end)


FILTERS = [
    {"county": "C01"},
    {"county": "C02"},
    {"enterprise": "E004"},
    {"category": "wages"},
    {"channel": "hotline"},
    {"county": "C01", "category": "safety_health"},
]


def keeping(filters: dict) -> Callable[[Demand], bool]:
    return lambda d: all(
        {"county": d.county, "enterprise": d.enterprise, "category": d.category, "channel": d.channel}[k] == v
        for k, v in filters.items()
    )


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
def test_filtered_rates_equal_the_ones_computed_from_the_raw_log(checked, filters):
    start, end = PERIODS[1]
    body = checked.get(RATES, start=start, end=end, group_by="month", **filters)
    keep = keeping(filters)
    compare(checked, body["rates"], checked.oracle.rates(start, end, keep), start, end, keep, **filters)
    want = checked.oracle.groups(start, end, "month", keep)
    assert [g["key"] for g in body["groups"]] == [g["key"] for g in want]
    for got, wanted in zip(body["groups"], want, strict=True):
        compare(checked, got["rates"], wanted["rates"], start, end, keep, **filters)


DRILLS = [r for r in DEFINITIONS if r != "days_to_resolve"]


@pytest.mark.parametrize("part", ["numerator", "denominator"])
@pytest.mark.parametrize("rate", DRILLS)
def test_the_cases_behind_each_number_are_the_ones_counted(checked, rate, part):
    start, end = PERIODS[1]
    ids = checked.ids(rate, part, start, end)
    assert len(ids) == len(set(ids)), "a case on two pages"
    want = checked.oracle.members(rate, part, start, end)
    assert set(ids) == want, checked.explain(set(ids) ^ want)
    figures = checked.get(RATES, start=start, end=end)["rates"][rate]
    shown = {
        "received": ("rejected", "count"),
        "closed_without_answer": ("count", "of"),
    }.get(rate, ("numerator", "denominator"))
    assert figures[shown[0] if part == "numerator" else shown[1]] == len(ids)


def test_the_cases_behind_a_number_come_in_the_order_of_the_rates_date(checked):
    start, end = PERIODS[0]
    body = checked.get(f"{RATES}/resolution/cases", start=start, end=end, part="denominator", per_page=500)
    by = {d.gid: d.final_resolve_due for d in checked.oracle.demands.values()}
    dues = [by[c["grievance_id"]] for c in body["cases"]]
    assert dues == sorted(dues)


def test_a_chair_counts_only_the_enterprises_demands_not_about_the_chair(checked):
    chair = ("e001-staff", "enterprise_chair", "E001")
    keep = lambda d: d.enterprise == "E001" and d.about_chair is False  # noqa: E731
    about = [
        d
        for d in checked.oracle.demands.values()
        if d.enterprise == "E001" and d.about_chair and d.submitted_at
    ]
    assert len(about) >= 3  # so leaving them out shows
    for start, end in PERIODS[:2]:
        body = checked.get(RATES, chair, start=start, end=end, group_by="month")
        compare(checked, body["rates"], checked.oracle.rates(start, end, keep), start, end, keep, chair)
        want = checked.oracle.groups(start, end, "month", keep)
        assert [g["key"] for g in body["groups"]] == [g["key"] for g in want]
        for got, wanted in zip(body["groups"], want, strict=True):
            compare(checked, got["rates"], wanted["rates"], start, end, keep, chair)
    start, end = PERIODS[1]
    for rate in ("received", "resolution", "satisfaction"):
        for part in ("numerator", "denominator"):
            ids = set(checked.ids(rate, part, start, end, chair))
            assert ids == checked.oracle.members(rate, part, start, end, keep), (rate, part)


def test_a_county_counts_its_enterprises_and_the_demands_routed_to_it(checked):
    """A county officer's scope: its enterprises' demands, and those whose case it now holds (the
    latest assignment in time, whatever order the assignments came in)."""
    officer = ("c01-staff", "county_officer", "C01")
    keep = lambda d: d.county == "C01" or d.assignee_org == "C01"  # noqa: E731
    for start, end in PERIODS[:2]:
        body = checked.get(RATES, officer, start=start, end=end)
        compare(checked, body["rates"], checked.oracle.rates(start, end, keep), start, end, keep, officer)


# -- minimal reproductions of what the month showed or routing's events imply --------------------------
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in China


def one_demand(gid: str, enterprise: str = "E002") -> list[events.Frozen]:
    """A demand at ``enterprise`` (county C02), assigned to its chair at T0 with the usual dates."""
    return [
        events.GrievanceSubmitted(
            grievance_id=gid,
            tracking_code="ABCD-EFGH-JKMN",
            enterprise_code=enterprise,
            category="wages",
            urgency="normal",
            channel="web",
            anonymous=True,
            about_chair=False,
            description="工资拖欠 wages late",
            submitted_at=T0 - timedelta(hours=1),
        ),
        events.CaseAssigned(
            case_id=f"case-{gid}",
            grievance_id=gid,
            assignee=person(enterprise),
            level=0,
            accept_due=T0 + timedelta(days=2),
            resolve_due=T0 + timedelta(days=5),
            assigned_at=T0,
        ),
    ]


@pytest.fixture
def reports(pg_runtime):
    rt = pg_runtime("reports")
    for e in directory():
        deliver(rt, e.payload)
    return rt


def rates_of(rt: Runtime, staff: tuple[str, str, str] = CITY) -> dict:
    client = create_app(rt).test_client()
    response = client.get(
        RATES, query_string={"start": "2026-03-01", "end": "2026-03-31"}, headers=token(rt, *staff)
    )
    assert response.status_code == 200
    return response.get_json()["rates"]


def test_a_reassignment_that_arrives_before_the_assignment_still_routes_the_demand(reports):
    """A city officer passed E002's case (county C02) to county C01 five hours after it was assigned;
    the reassignment's event arrives before the assignment's. The case is C01's now, so C01's officer
    counts it (as when the events arrive in order)."""
    submitted, assignment = one_demand("g-reassigned")
    passed_on = assignment.model_copy(
        update={"assignee": person("C01"), "assigned_at": T0 + timedelta(hours=5), "reassigned": True}
    )
    for payload in (submitted, passed_on, assignment):
        deliver(reports, payload)
    assert rates_of(reports, ("c01-staff", "county_officer", "C01"))["received"]["count"] == 1


def test_days_to_resolve_leave_out_a_pause_that_the_resolution_ended(reports):
    """Routing ends a running pause with the resolution and publishes no case.clock_resumed
    (services/routing/actions.py, _resolve). Assigned at T0, paused at T0+2d, resolved at T0+6d
    while still paused: two days to resolve, paused time excluded."""
    gid = "g-paused"
    submitted, assignment = one_demand(gid)
    case = f"case-{gid}"
    for payload in (
        submitted,
        assignment,
        events.CaseStatusChanged(
            case_id=case, grievance_id=gid, from_="assigned", to="accepted", at=T0 + timedelta(hours=1)
        ),
        events.CaseClockPaused(
            case_id=case,
            grievance_id=gid,
            reason="等待检测报告",
            resume_by=T0 + timedelta(days=12),
            at=T0 + timedelta(days=2),
        ),
        events.CaseStatusChanged(
            case_id=case, grievance_id=gid, from_="accepted", to="resolved", at=T0 + timedelta(days=6)
        ),
    ):
        deliver(reports, payload)
    assert rates_of(reports)["days_to_resolve"] == {"cases": 1, "median": 2.0, "p90": 2.0}
