"""The rates, each as numerator and denominator: every definition on a hand-made case, events in any
order, the grouping, the cases behind a number, scope, and refused queries."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.reports import rates as figures
from services.reports import steps as figures_steps
from services.reports.app import CountyRatesCollector
from services.reports.models import case_log
from shared import clock, events
from shared.uow import unit_of_work
from tests.support.events import deliver, handle
from tests.unit.reports.test_reports import (
    assigned,
    changed,
    fact,
    submitted,
    token,
)

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in China
DAY = timedelta(days=1)
PERIOD = "start=2026-03-01&end=2026-04-30"


def new_id() -> str:
    return str(uuid.uuid4())


def feedback(gid: str, satisfied: bool, at: datetime) -> tuple[events.Envelope, events.Frozen]:
    """The worker's answer, as intake publishes it at ``at`` (its time is the envelope's)."""
    payload = events.GrievanceFeedbackGiven(grievance_id=gid, satisfied=satisfied)
    envelope = events.make("grievance.feedback_given", payload, "intake", gid).model_copy(
        update={"occurred_at": at}
    )
    return envelope, payload


def resumed(gid: str, seconds: int, due: datetime, at: datetime) -> events.CaseClockResumed:
    return events.CaseClockResumed(
        case_id=f"case-{gid}", grievance_id=gid, paused_seconds=seconds, resolve_due=due, at=at
    )


def extended(gid: str, due: datetime, at: datetime) -> events.CaseDeadlineExtended:
    return events.CaseDeadlineExtended(case_id=f"case-{gid}", grievance_id=gid, resolve_due=due, at=at)


def raised(gid: str, level: int, at: datetime) -> events.CaseSupervisionRaised:
    return events.CaseSupervisionRaised(
        case_id=f"case-{gid}", grievance_id=gid, level=level, reason="accept_overdue", at=at, automatic=True
    )


def path(gid: str, *steps, start: datetime = T0, **submission) -> list:
    """A demand's events: submitted and assigned at ``start`` (accept due +2 days, resolve due +15),
    then each step: a status name (an hour apart unless given as (status, at)), or an event."""
    out: list = [submitted(gid, start, **submission), assigned(gid, start)]
    status, at = "assigned", start
    for step in steps:
        if isinstance(step, str | tuple):
            to, at = step if isinstance(step, tuple) else (step, at + timedelta(hours=1))
            out.append(changed(gid, status, to, at))
            status = to
        else:
            out.append(step)
    return out


def apply(rt, items) -> None:
    for item in items:
        if isinstance(item, tuple):
            handle(rt, *item)
        else:
            deliver(rt, item)


def rates(client, query: str = PERIOD, headers=None) -> dict:
    answer = client.get(f"/api/v1/reports/rates?{query}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def pair(figure: dict) -> tuple[int, int]:
    return figure["numerator"], figure["denominator"]


def test_on_time_acceptance_counts_a_reasoned_rejection_and_leaves_merged_out(client):
    on_time, late, rejected, merged, waiting = (new_id() for _ in range(5))
    apply(client.rt, path(on_time, ("accepted", T0 + DAY)))
    apply(client.rt, path(late, ("accepted", T0 + 3 * DAY)))
    apply(client.rt, path(rejected, ("rejected", T0 + DAY)))
    apply(client.rt, path(merged, ("merged", T0 + DAY)))
    apply(client.rt, path(waiting))
    got = rates(client)["rates"]
    assert pair(got["on_time_acceptance"]) == (2, 4)
    assert got["on_time_acceptance"]["value"] == 0.5
    assert got["received"] == {"count": 5, "rejected": 1}


def test_resolution_counts_closed_cases_and_no_answer_apart(client):
    satisfied, silent, reopened, rejected = (new_id() for _ in range(4))
    done = T0 + 5 * DAY
    apply(
        client.rt, [*path(satisfied, "accepted", ("resolved", done)), feedback(satisfied, True, done + DAY)]
    )
    apply(client.rt, path(satisfied, ("closed", done + DAY))[-1:])
    apply(client.rt, path(silent, "accepted", ("resolved", done), ("closed", done + 8 * DAY)))
    apply(client.rt, [*path(reopened, "accepted", ("resolved", done)), feedback(reopened, False, done + DAY)])
    apply(client.rt, path(reopened, "accepted", ("resolved", done), ("reopened", done + DAY))[-1:])
    apply(client.rt, path(rejected, ("rejected", T0 + DAY)))
    got = rates(client)["rates"]
    assert pair(got["resolution"]) == (2, 3)  # the rejected one is not due
    assert got["closed_without_answer"] == {"count": 1, "of": 3}
    assert pair(got["satisfaction"]) == (1, 2)  # no answer is never satisfaction


def test_a_reopened_case_counts_once_at_its_final_answer(client):
    gid = new_id()
    first, second = T0 + 3 * DAY, T0 + 9 * DAY
    apply(client.rt, [*path(gid, "accepted", ("resolved", first)), feedback(gid, False, first + DAY)])
    apply(
        client.rt,
        path(gid, "accepted", ("resolved", first), ("reopened", first + DAY), ("resolved", second))[-2:],
    )
    apply(client.rt, [feedback(gid, True, second + DAY), changed(gid, "resolved", "closed", second + DAY)])
    got = rates(client)["rates"]
    assert pair(got["satisfaction"]) == (1, 1)
    assert pair(got["on_time_resolution"]) == (1, 1)  # the first resolution, once
    assert got["closed_without_answer"]["count"] == 0


def test_on_time_resolution_takes_the_deadline_in_force_with_extensions_and_pauses(client):
    extended_in_time, paused_in_time, late = (new_id() for _ in range(3))
    due = T0 + 15 * DAY
    apply(
        client.rt,
        path(
            extended_in_time,
            "accepted",
            extended(extended_in_time, due + 10 * DAY, T0 + DAY),
            ("resolved", due + 5 * DAY),
        ),
    )
    apply(
        client.rt,
        path(
            paused_in_time,
            "accepted",
            resumed(paused_in_time, 7 * 86400, due + 7 * DAY, T0 + 8 * DAY),
            ("resolved", due + 3 * DAY),
        ),
    )
    apply(client.rt, path(late, "accepted", ("resolved", due + DAY)))
    got = rates(client)["rates"]
    assert pair(got["on_time_resolution"]) == (2, 3)
    days = got["days_to_resolve"]
    assert days["cases"] == 3
    # 20 and 16 days, and 18 less the 7 paused: 11 → the median is 16, p90 between 16 and 20
    assert days["median"] == 16.0 and 16.0 < days["p90"] <= 20.0


def test_the_same_events_in_every_order_give_the_same_rates(client):
    gids = []
    for order in itertools.islice(itertools.permutations(range(6)), 0, 720, 37):
        gid = new_id()
        gids.append(gid)
        due = T0 + 15 * DAY
        steps = path(
            gid,
            ("accepted", T0 + DAY),
            extended(gid, due + 10 * DAY, T0 + 2 * DAY),
            ("resolved", due + 5 * DAY),
            ("reopened", due + 6 * DAY),
            ("resolved", due + 30 * DAY),
        )
        apply(client.rt, steps[:1] + [steps[1 + i] for i in order])
    got = rates(client)["rates"]
    n = len(gids)
    assert pair(got["on_time_resolution"]) == (n, n)  # the first resolution met the extended deadline
    assert pair(got["on_time_acceptance"]) == (n, n)


def test_supervision_counts_the_highest_level_reached(client):
    one, two, none = (new_id() for _ in range(3))
    apply(client.rt, [*path(one), raised(one, 1, T0 + 3 * DAY)])
    apply(client.rt, [*path(two), raised(two, 1, T0 + 3 * DAY), raised(two, 2, T0 + 9 * DAY)])
    apply(client.rt, path(none, ("accepted", T0 + DAY)))
    got = rates(client)["rates"]
    assert pair(got["supervised_1"]) == (2, 3) and pair(got["supervised_2"]) == (1, 3)


def test_the_period_is_decided_by_the_date_each_rate_names_in_china(client):
    late_evening = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 1 April 23:30… no: 31 March 23:30 in China
    gid = new_id()
    apply(client.rt, path(gid, ("accepted", late_evening + timedelta(hours=1)), start=late_evening))
    march = rates(client, "start=2026-03-01&end=2026-03-31")["rates"]
    april = rates(client, "start=2026-04-01&end=2026-04-30")["rates"]
    assert march["received"]["count"] == 1 and april["received"]["count"] == 0
    assert pair(march["on_time_acceptance"]) == (1, 1)


def test_rates_group_by_county_month_and_category(client):
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E001"))
    apply(client.rt, path(new_id(), ("accepted", T0 + 5 * DAY), enterprise="E002", category="welfare"))
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), start=T0 + 30 * DAY, enterprise="E003"))
    by_county = rates(client, PERIOD + "&group_by=county")
    groups = {g["key"]: g for g in by_county["groups"]}
    assert set(groups) == {"C01", "C02"} and groups["C01"]["name"] == "城关区"
    assert pair(groups["C01"]["rates"]["on_time_acceptance"]) == (2, 2)
    assert pair(groups["C02"]["rates"]["on_time_acceptance"]) == (0, 1)
    months = {
        g["key"]: g["rates"]["received"]["count"] for g in rates(client, PERIOD + "&group_by=month")["groups"]
    }
    assert months == {"2026-03": 2, "2026-04": 1}
    categories = {g["key"] for g in rates(client, PERIOD + "&group_by=category")["groups"]}
    assert categories == {"wages", "welfare"}
    assert by_county["rates"]["received"]["count"] == 3 and by_county["period"]["start"] == "2026-03-01"


def test_filters_narrow_every_rate(client):
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E001"))
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E002", channel="web"))
    assert rates(client, PERIOD + "&county=C02")["rates"]["received"]["count"] == 1
    assert rates(client, PERIOD + "&enterprise=E001")["rates"]["received"]["count"] == 1
    assert rates(client, PERIOD + "&channel=web")["rates"]["received"]["count"] == 1
    assert rates(client, PERIOD + "&category=welfare")["rates"]["received"]["count"] == 0


def test_every_rate_is_defined_in_chinese_and_english(client):
    got = rates(client)
    assert set(got["definitions"]) == set(got["rates"])
    for name, text in got["definitions"].items():
        assert text["en"] and text["zh"] and text["zh"] != text["en"], name
    empty = got["rates"]["resolution"]
    assert empty == {"numerator": 0, "denominator": 0, "value": None}  # never a made-up percentage


def test_the_cases_behind_a_number_are_those_counted(client):
    on_time, late = new_id(), new_id()
    apply(client.rt, path(on_time, ("accepted", T0 + DAY)))
    apply(client.rt, path(late, ("accepted", T0 + 4 * DAY)))
    url = f"/api/v1/reports/rates/on_time_acceptance/cases?{PERIOD}"
    numerator = client.get(url + "&part=numerator").get_json()
    denominator = client.get(url + "&part=denominator&per_page=1").get_json()
    assert [c["grievance_id"] for c in numerator["cases"]] == [on_time] and numerator["total"] == 1
    assert denominator["total"] == 2 and len(denominator["cases"]) == 1
    second = client.get(url + "&part=denominator&per_page=1&page=2").get_json()
    assert {denominator["cases"][0]["grievance_id"], second["cases"][0]["grievance_id"]} == {on_time, late}
    assert "description" not in numerator["cases"][0]


def test_a_chair_never_counts_the_demands_about_the_chair(client):
    apply(client.rt, path(new_id(), enterprise="E001"))
    about = new_id()
    steps = path(about, enterprise="E001")
    steps[0] = steps[0].model_copy(update={"about_chair": True})
    apply(client.rt, steps)
    apply(client.rt, path(new_id(), enterprise="E002"))
    chair = token(client.rt, "e001-chair", "enterprise_chair", "E001")
    assert rates(client, headers=chair)["rates"]["received"]["count"] == 1
    drilled = client.get(f"/api/v1/reports/rates/received/cases?{PERIOD}&part=denominator", headers=chair)
    assert about not in {c["grievance_id"] for c in drilled.get_json()["cases"]}
    assert rates(client)["rates"]["received"]["count"] == 3


@pytest.mark.parametrize(
    "query",
    [
        "",
        "start=2026-03-01",
        "start=2026-04-01&end=2026-03-01",
        "start=2020-01-01&end=2026-03-01",
        "start=2026-03-01&end=tomorrow",
        f"{PERIOD}&group_by=street",
        f"{PERIOD}&category=noise",
        f"{PERIOD}&channel=fax",
        f"{PERIOD}&enterprise=E%00001",
        f"{PERIOD}&county=" + "C" * 40,
        f"{PERIOD}&unknown=1",
        f"{PERIOD}&start=2026-03-02",
    ],
)
def test_a_wrong_query_is_422(client, query):
    answer = client.get(f"/api/v1/reports/rates?{query}")
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid_fields"


@pytest.mark.parametrize(
    ("rate", "query", "status"),
    [
        ("happiness", f"{PERIOD}&part=numerator", 404),
        ("on_time_acceptance", PERIOD, 422),
        ("on_time_acceptance", f"{PERIOD}&part=both", 422),
        ("on_time_acceptance", f"{PERIOD}&part=numerator&per_page=501", 422),
        ("on_time_acceptance", f"{PERIOD}&part=numerator&page=0", 422),
        ("on_time_acceptance", f"{PERIOD}&part=numerator&page=x", 422),
        ("on_time_acceptance", f"{PERIOD}&part=numerator&group_by=county", 422),
        ("%00", f"{PERIOD}&part=numerator", 404),
    ],
)
def test_a_wrong_drill_down_is_a_clear_error(client, rate, query, status):
    answer = client.get(f"/api/v1/reports/rates/{rate}/cases?{query}")
    assert answer.status_code == status, answer.get_json()
    assert set(answer.get_json()) == {"error"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}])
def test_the_rates_are_for_staff(client, headers):
    assert client.get(f"/api/v1/reports/rates?{PERIOD}", headers=headers).status_code == 401
    assert (
        client.get(
            f"/api/v1/reports/rates/resolution/cases?{PERIOD}&part=numerator", headers=headers
        ).status_code
        == 401
    )


def paused(gid: str, at: datetime) -> events.CaseClockPaused:
    return events.CaseClockPaused(
        case_id=f"case-{gid}", grievance_id=gid, reason="等待社保局回复", resume_by=at + 30 * DAY, at=at
    )


def test_a_pause_the_resolution_ended_counts_as_paused(client):
    """Resolving a paused case ends the pause without a resume: its time still moves the deadline and
    stays out of the days to resolve."""
    gid = new_id()
    due = T0 + 15 * DAY
    apply(client.rt, path(gid, "accepted", paused(gid, T0 + 10 * DAY), ("resolved", due + 3 * DAY)))
    got = rates(client)["rates"]
    assert pair(got["on_time_resolution"]) == (1, 1)  # 8 days paused, 3 days past the first due date
    assert got["days_to_resolve"]["median"] == 10.0  # 18 days, less the 8 paused


def test_the_latest_answer_and_holder_win_whatever_order_they_came_in(client):
    gid = new_id()
    done = T0 + 3 * DAY
    steps = path(gid, "accepted", ("resolved", done), ("reopened", done + DAY), ("resolved", done + 2 * DAY))
    passed_on = assigned(gid, T0 + DAY).model_copy(
        update={
            "reassigned": True,
            "assignee": events.Assignee(id="c02-officer", name="李明", role="county_officer", org_code="C02"),
        }
    )
    apply(
        client.rt,
        [feedback(gid, True, done + 3 * DAY), *reversed(steps), passed_on, feedback(gid, False, done + DAY)],
    )
    row = fact(client.rt, gid)
    assert (row.satisfied, row.final_satisfied, row.assignee_org) == (True, True, "C02")
    assert row.resolved_at == done + 2 * DAY and row.status == "resolved"
    county = token(client.rt, "c02-officer", "county_officer", "C02")
    assert rates(client, headers=county)["rates"]["received"]["count"] == 1  # routed to C02's officer


def test_the_worker_keeps_each_countys_rates_for_the_operators(client):
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E001"))
    apply(client.rt, path(new_id(), ("accepted", T0 + 5 * DAY), enterprise="E003"))
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E002"))
    apply(client.rt, path(new_id(), start=T0 - 60 * DAY, enterprise="E002"))  # outside the 30 days
    clock.set_offset(timedelta(0))
    clock.set_offset(T0 + 10 * DAY - clock.now())
    try:
        assert figures.refresh_counties(client.rt.engine) == 2
    finally:
        clock.set_offset(None)
    samples = {
        (m.name, s.labels.get("county"), s.labels.get("rate")): s.value
        for m in CountyRatesCollector(client.rt).collect()
        for s in m.samples
    }
    assert samples[("xinsheng_rate_numerator", "C01", "on_time_acceptance")] == 1
    assert samples[("xinsheng_rate_denominator", "C01", "on_time_acceptance")] == 2
    assert samples[("xinsheng_rate_denominator", "C02", "on_time_acceptance")] == 1
    assert samples[("xinsheng_rates_computed_timestamp_seconds", None, None)] > 0
    assert {county for _, county, _ in samples if county} == {"C01", "C02"}  # counties only: no enterprise


def test_steps_of_a_transaction_that_failed_are_forgotten(client):
    """A batch that fails leaves nothing behind for the next transaction on the same connection."""
    gid = new_id()
    with pytest.raises(RuntimeError), unit_of_work(client.rt.engine, None, client.rt.settings) as uow:
        figures_steps.record(uow, new_id(), gid, "status", T0, to="accepted")
        raise RuntimeError("the batch fails")
    apply(client.rt, path(new_id()))  # a later transaction
    with client.rt.engine.connect() as conn:
        assert gid not in set(conn.execute(select(case_log.c.grievance_id)).scalars())
