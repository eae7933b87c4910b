"""The ledger read from each role's side: who sees which case (404 outside one's scope)."""

from __future__ import annotations

import pytest

from tests.support.routing import CHAIR, CITY, COUNTY, COUNTY_10, DEMANDS


def seen(client, headers, query="") -> set:
    response = client.get(f"/api/v1/cases{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    names = {v: k for k, v in client.case_ids.items()}
    return {names[c["id"]] for c in response.get_json()["items"]}


def test_a_chair_sees_only_their_enterprises_cases(ledger):
    assert seen(ledger, CHAIR) == {"e001"}


def test_a_demand_about_the_chair_never_reaches_that_chair(ledger):
    assert "e001-about-chair" not in seen(ledger, CHAIR)
    response = ledger.get(f"/api/v1/cases/{ledger.case_ids['e001-about-chair']}", headers=CHAIR)
    assert response.status_code == 404
    assert (
        ledger.get("/api/v1/cases?category=harassment_discrimination", headers=CHAIR).get_json()["total"] == 0
    )


def test_a_county_officer_sees_the_countys_enterprises_and_what_was_routed_to_it(ledger):
    assert seen(ledger, COUNTY) == {"e001", "e001-about-chair", "e011"}
    assert seen(ledger, COUNTY_10) == {"e030"}


def test_the_city_sees_every_case(ledger):
    assert seen(ledger, CITY) == set(DEMANDS)


@pytest.mark.parametrize("headers,name", [(CHAIR, "e002"), (COUNTY, "e002"), (COUNTY_10, "e001")])
def test_a_case_outside_ones_scope_does_not_exist(ledger, headers, name):
    response = ledger.get(f"/api/v1/cases/{ledger.case_ids[name]}", headers=headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_case_in_scope_shows_its_history(ledger):
    body = ledger.get(f"/api/v1/cases/{ledger.case_ids['e001']}", headers=CHAIR).get_json()
    assert [(h["from"], h["to"]) for h in body["history"]] == [
        (None, "registered"),
        ("registered", "assigned"),
    ]
    assert body["assignee"] == {"id": "e001-chair", "role": "enterprise_chair", "org_code": "E001"}


@pytest.mark.parametrize(
    "query,expected",
    [
        ("?category=wages", {"e001", "e002"}),
        ("?enterprise=E011", {"e011"}),
        ("?county=C10", {"e030"}),
        ("?status=assigned", set(DEMANDS)),
        ("?status=closed", set()),
        ("?supervision_level=0", set(DEMANDS)),
        ("?overdue=false", set(DEMANDS)),
        ("?overdue=true", set()),
        ("?q=e011", {"e011"}),
        ("?q=%25", set()),
    ],
)
def test_the_case_list_filters(ledger, query, expected):
    assert seen(ledger, CITY, query) == expected


def test_the_case_list_pages(ledger):
    first = ledger.get("/api/v1/cases?per_page=2", headers=CITY).get_json()
    last = ledger.get("/api/v1/cases?per_page=2&page=3", headers=CITY).get_json()
    assert (first["total"], len(first["items"]), len(last["items"])) == (5, 2, 1)


@pytest.mark.parametrize(
    "query",
    [
        "?per_page=0",
        "?per_page=101",
        "?status=bogus",
        "?colour=red",
        "?supervision_level=x",
        "?submitted_from=yesterday",
        "?page=-1",
    ],
)
def test_bad_list_parameters_get_422(ledger, query):
    response = ledger.get(f"/api/v1/cases{query}", headers=CITY)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_fields"


def test_the_ledger_needs_a_token(ledger):
    assert ledger.get("/api/v1/cases").status_code == 401
    assert ledger.get(f"/api/v1/cases/{ledger.case_ids['e001']}").status_code == 401
