"""reports: facts folded from events in any order, the summary with its period, metrics and the API."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from services.reports import summary as summaries
from services.reports.app import FactsCollector, create_app
from services.reports.models import facts
from shared import auth, events
from shared.clock import CST
from tests.support.events import deliver

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ENTERPRISES = {"E001": ("C01", "城关区"), "E002": ("C02", "高新区"), "E003": ("C01", "城关区")}


def apply(rt, *payloads: events.Frozen) -> None:
    """Hand each payload, as the consumer would after decoding it, to reports' handler."""
    for payload in payloads:
        deliver(rt, payload)


def cst(day: date, hour: int = 10) -> datetime:
    """A time of day in China, in UTC as every producer writes its times."""
    return datetime.combine(day, time(hour), CST).astimezone(UTC)


def submitted(
    gid: str, at: datetime = T0, enterprise: str = "E001", category: str = "wages", channel: str = "kiosk"
) -> events.GrievanceSubmitted:
    return events.GrievanceSubmitted(
        grievance_id=gid,
        tracking_code="ABCD-EFGH-JKMN",
        enterprise_code=enterprise,
        category=category,
        urgency="normal",
        channel=channel,
        anonymous=True,
        about_chair=False,
        description="车间噪音太大 the workshop is too loud",
        submitted_at=at,
    )


def assigned(gid: str, at: datetime) -> events.CaseAssigned:
    return events.CaseAssigned(
        case_id=f"case-{gid}",
        grievance_id=gid,
        level=0,
        accept_due=at + timedelta(days=2),
        resolve_due=at + timedelta(days=15),
        assigned_at=at,
        assignee=events.Assignee(id="e001-chair", name="王建国", role="enterprise_chair", org_code="E001"),
    )


def changed(gid: str, before: str, after: str, at: datetime) -> events.CaseStatusChanged:
    return events.CaseStatusChanged(
        case_id=f"case-{gid}", grievance_id=gid, from_=before, to=after, at=at, actor_role="enterprise_chair"
    )


def life(gid: str, *statuses: str, start: datetime = T0, **submission) -> list[events.Frozen]:
    """A demand's events in the order they happened: submitted, assigned, then each status given."""
    steps = [submitted(gid, start, **submission), assigned(gid, start + timedelta(minutes=1))]
    path = ["assigned", *statuses]
    steps += [
        changed(gid, before, after, start + timedelta(hours=i + 1))
        for i, (before, after) in enumerate(itertools.pairwise(path))
    ]
    return steps


def seed_enterprises(rt) -> None:
    apply(
        rt,
        *(
            events.EnterpriseUpdated(
                code=code,
                name=f"企业{code}",
                county_code=county,
                county_name=name,
                active=True,
                has_chair=True,
            )
            for code, (county, name) in ENTERPRISES.items()
        ),
    )


def fact(rt, gid: str):
    with rt.engine.connect() as conn:
        return conn.execute(select(facts).where(facts.c.grievance_id == gid)).one()


def summary(rt, start: date | None = None, end: date | None = None) -> dict:
    with rt.engine.connect() as conn:
        return summaries.summary(conn, start, end)


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def reports(sqlite_runtime):
    rt = sqlite_runtime("reports")
    seed_enterprises(rt)
    return rt


# -- events in any order -------------------------------------------------------------------------
def test_assignment_before_the_submission_ends_assigned(reports):
    gid = new_id()
    submission, assignment = life(gid)
    apply(reports, assignment, submission)
    row = fact(reports, gid)
    assert (row.status, row.category, row.enterprise_code) == ("assigned", "wages", "E001")
    assert row.case_id == f"case-{gid}"


def test_late_status_change_does_not_roll_the_status_back(reports):
    gid = new_id()
    submission, assignment, accepted, in_progress = life(gid, "accepted", "in_progress")
    apply(reports, submission, assignment, in_progress, accepted)
    assert fact(reports, gid).status == "in_progress"


def test_every_order_of_a_demands_events_ends_with_its_last_status(reports):
    orders = list(itertools.permutations(range(5)))
    gids = [new_id() for _ in orders]
    for gid, order in zip(gids, orders, strict=True):
        steps = life(gid, "accepted", "in_progress", "resolved")
        apply(reports, *(steps[i] for i in order))
    assert {fact(reports, gid).status for gid in gids} == {"resolved"}


def test_supervision_level_never_falls(reports):
    gid = new_id()
    apply(reports, *life(gid))
    apply(
        reports,
        *(
            events.CaseSupervisionRaised(
                case_id=f"case-{gid}", grievance_id=gid, level=level, reason="overdue"
            )
            for level in (2, 1)
        ),
    )
    assert fact(reports, gid).supervision_level == 2


def test_a_paused_clock_moves_the_due_date_and_adds_up_the_paused_time(reports):
    gid = new_id()
    apply(reports, *life(gid, "accepted"))
    due = fact(reports, gid).resolve_due
    for n, hours in enumerate((5, 3)):
        at = T0 + timedelta(days=2 + n)
        apply(
            reports,
            events.CaseClockPaused(
                case_id=f"case-{gid}", grievance_id=gid, reason="等待检测报告", resume_by=at, at=at
            ),
        )
        assert fact(reports, gid).paused_at == at
        due += timedelta(hours=hours)
        apply(
            reports,
            events.CaseClockResumed(
                case_id=f"case-{gid}",
                grievance_id=gid,
                paused_seconds=hours * 3600,
                resolve_due=due,
                at=at + timedelta(hours=hours),
            ),
        )
    row = fact(reports, gid)
    assert (row.paused_at, row.paused_seconds, row.resolve_due) == (None, 8 * 3600, due)


# -- the summary ---------------------------------------------------------------------------------
@pytest.fixture
def ledger(reports):
    """Four demands in March and April 2026 (China time), and a fifth whose submission never came."""
    apply(
        reports,
        *life(new_id(), start=cst(date(2026, 3, 10))),
        *life(
            new_id(),
            "accepted",
            "in_progress",
            "resolved",
            start=cst(date(2026, 3, 20)),
            category="workplace",
            channel="web",
        ),
        # 01:00 on 1 April in China is still 31 March in UTC.
        submitted(new_id(), cst(date(2026, 4, 1), hour=1), enterprise="E002"),
        *life(
            new_id(),
            "accepted",
            "in_progress",
            "resolved",
            "closed",
            start=cst(date(2026, 4, 15)),
            enterprise="E003",
            category="safety_health",
            channel="forum",
        ),
        assigned(new_id(), cst(date(2026, 4, 2))),
    )
    return reports


def test_summary_counts_by_status_category_and_channel(ledger):
    result = summary(ledger)
    assert (result["total"], result["open"]) == (4, 2)
    assert result["by_status"] == {"assigned": 1, "resolved": 1, "registered": 1, "closed": 1}
    assert result["by_category"] == {"wages": 2, "workplace": 1, "safety_health": 1}
    assert result["by_channel"] == {"kiosk": 2, "web": 1, "forum": 1}


def test_summary_counts_by_county_and_enterprise(ledger):
    result = summary(ledger)
    assert result["by_county"] == [
        {"code": "C01", "name": "城关区", "count": 3},
        {"code": "C02", "name": "高新区", "count": 1},
    ]
    assert [(e["code"], e["county_code"], e["count"]) for e in result["by_enterprise"]] == [
        ("E001", "C01", 2),
        ("E002", "C02", 1),
        ("E003", "C01", 1),
    ]
    assert result["by_enterprise"][0]["name"] == "企业E001"


def test_demand_whose_submission_never_came_is_not_counted(ledger):
    assert summary(ledger)["total"] == 4
    assert "assigned" not in summary(ledger, date(2026, 4, 2), date(2026, 4, 2))["by_status"]


@pytest.mark.parametrize(
    "start, end, total",
    [
        (date(2026, 3, 10), date(2026, 3, 10), 1),
        (date(2026, 3, 11), date(2026, 3, 19), 0),
        (date(2026, 3, 11), None, 3),
        (None, date(2026, 3, 20), 2),
        (date(2026, 4, 15), date(2026, 4, 30), 1),
    ],
)
def test_summary_counts_only_demands_submitted_in_the_period(ledger, start, end, total):
    result = summary(ledger, start, end)
    assert result["total"] == total
    assert result["period"] == {"from": start and start.isoformat(), "to": end and end.isoformat()}


@pytest.mark.parametrize(
    "start, end, total",
    [
        (date(2026, 3, 1), date(2026, 3, 31), 2),
        (date(2026, 4, 1), date(2026, 4, 30), 2),
        (date(2026, 4, 1), date(2026, 4, 1), 1),
    ],
)
def test_summary_period_follows_china_dates(ledger, start, end, total):
    assert summary(ledger, start, end)["total"] == total


# -- metrics -------------------------------------------------------------------------------------
def collected(rt) -> dict[str, Counter]:
    """FactsCollector's samples, summed by each label."""
    sums: dict[str, Counter] = {"channel": Counter(), "category": Counter(), "status": Counter()}
    for family in FactsCollector(rt).collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            for label, value in sample.labels.items():
                sums[label][value] += sample.value
    return sums


def test_metrics_equal_the_summary(ledger):
    metrics, result = collected(ledger), summary(ledger)
    assert dict(metrics["status"]) == result["by_status"]
    assert dict(metrics["channel"]) == result["by_channel"]
    assert dict(metrics["category"]) == result["by_category"]


# -- the HTTP API --------------------------------------------------------------------------------
def token(rt, staff_id: str = "city-officer-1", role: str = "city_officer", org: str = "city") -> dict:
    return {"Authorization": "Bearer " + auth.issue(rt.settings.secret_key, auth.Staff(staff_id, role, org))}


class Client:
    """reports' test client, logged in as the city unless told otherwise."""

    def __init__(self, rt):
        self.rt, self.flask = rt, create_app(rt).test_client()

    def get(self, path: str, headers: dict | None = None):
        return self.flask.get(path, headers=token(self.rt) if headers is None else headers)


@pytest.fixture
def client(ledger):
    return Client(ledger)


def test_summary_api_answers_with_the_counts(client):
    response = client.get("/api/v1/reports/summary?start=2026-03-01&end=2026-04-30")
    assert response.status_code == 200
    assert response.get_json()["total"] == 4


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}])
def test_summary_api_is_for_staff(client, headers):
    assert client.get("/api/v1/reports/summary", headers=headers).status_code == 401


# -- scope: the same rule as the ledger's ----------------------------------------------------------
@pytest.fixture
def scoped(reports):
    """In C01: E001 has a demand about its chair (routed to the county) and an ordinary one; E003 one.
    In C02: E002 one."""
    about_chair = submitted(new_id(), enterprise="E001", category="harassment_discrimination")
    about_chair = about_chair.model_copy(update={"about_chair": True})
    to_county = assigned(about_chair.grievance_id, T0).model_copy(
        update={
            "assignee": events.Assignee(
                id="c01-officer", name="徐建国", role="county_officer", org_code="C01"
            )
        }
    )
    apply(
        reports,
        about_chair,
        to_county,
        *life(new_id()),
        *life(new_id(), enterprise="E003"),
        *life(new_id(), enterprise="E002"),
    )
    return Client(reports)


@pytest.mark.parametrize(
    "who,total,enterprises",
    [
        (("e001-chair", "enterprise_chair", "E001"), 1, {"E001": 1}),
        (("e002-chair", "enterprise_chair", "E002"), 1, {"E002": 1}),
        (("c01-officer", "county_officer", "C01"), 3, {"E001": 2, "E003": 1}),
        (("c02-officer", "county_officer", "C02"), 1, {"E002": 1}),
        (("city-officer-1", "city_officer", "city"), 4, {"E001": 2, "E002": 1, "E003": 1}),
        (("admin-1", "admin", "city"), 4, {"E001": 2, "E002": 1, "E003": 1}),
    ],
)
def test_each_role_counts_only_its_scope(scoped, who, total, enterprises):
    body = scoped.get("/api/v1/reports/summary", headers=token(scoped.rt, *who)).get_json()
    assert body["total"] == total
    assert {e["code"]: e["count"] for e in body["by_enterprise"]} == enterprises


def test_a_chair_never_counts_the_demands_about_the_chair(scoped):
    body = scoped.get(
        "/api/v1/reports/summary", headers=token(scoped.rt, "e001-chair", "enterprise_chair", "E001")
    ).get_json()
    assert "harassment_discrimination" not in body["by_category"]
    assert sum(c["count"] for c in body["by_county"]) == 1


def test_a_demand_routed_to_the_county_counts_for_it_wherever_its_enterprise_lies(reports):
    gid = new_id()
    elsewhere = assigned(gid, T0).model_copy(
        update={
            "assignee": events.Assignee(
                id="c01-officer", name="徐建国", role="county_officer", org_code="C01"
            )
        }
    )
    apply(reports, submitted(gid, enterprise="E002"), elsewhere)
    body = (
        Client(reports)
        .get("/api/v1/reports/summary", headers=token(reports, "c01-officer", "county_officer", "C01"))
        .get_json()
    )
    assert body["total"] == 1


# -- the ledger's later events ---------------------------------------------------------------------
def test_a_reassignment_changes_the_organisation_not_the_status(reports):
    gid = new_id()
    moved = assigned(gid, T0 + timedelta(hours=5)).model_copy(
        update={
            "reassigned": True,
            "assignee": events.Assignee(
                id="c01-officer", name="徐建国", role="county_officer", org_code="C01"
            ),
        }
    )
    apply(reports, *life(gid, "accepted"), moved)
    row = fact(reports, gid)
    assert (row.status, row.assignee_org, row.assigned_at) == ("accepted", "C01", T0 + timedelta(minutes=1))


def test_acceptance_resolution_feedback_and_extension_are_recorded(reports):
    gid = new_id()
    later = T0 + timedelta(days=20)
    apply(
        reports,
        *life(gid, "accepted", "in_progress", "resolved"),
        events.CaseDeadlineExtended(
            case_id=f"case-{gid}", grievance_id=gid, resolve_due=later, at=T0 + timedelta(hours=2)
        ),
        events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=False, rating=2, comment="还是很吵"),
    )
    row = fact(reports, gid)
    assert row.accepted_at == T0 + timedelta(hours=1) and row.resolved_at == T0 + timedelta(hours=3)
    assert (row.resolve_due, row.satisfied, row.rating) == (later, False, 2)


@pytest.mark.parametrize(
    "query, field",
    [
        ("start=notadate", "start"),
        ("end=2026-02-30", "end"),
        ("start=2026-04-02&end=2026-04-01", "end"),
        ("county=C01", "county"),
    ],
)
def test_summary_api_refuses_bad_periods_with_a_422(client, query, field):
    response = client.get(f"/api/v1/reports/summary?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert field in error["fields"]
