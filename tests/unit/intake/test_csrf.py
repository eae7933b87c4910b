"""A page on another site cannot make a worker's browser post a demand or an answer (CSRF): form
posts are taken only from our own pages, or from no page at all (a tool, a script)."""

from __future__ import annotations

import pytest

from tests.support.intake import count_rows

FORM = {"enterprise_code": "E001", "category": "wages", "description": "工资拖欠三个月。"}


@pytest.mark.parametrize("url", ["/", "/k/E001", "/api/v1/grievances"])
@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
    ids=["cross-site", "same-site-other-port", "foreign-origin"],
)
def test_a_form_posted_from_another_site_is_refused_and_stores_nothing(intake, url, headers):
    client, rt = intake
    response = client.post(url, data=FORM, headers=headers)
    assert response.status_code == 403
    assert count_rows(rt, "grievances") == 0
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "cross_site_form"
    else:
        assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "null"},
        {"Origin": "http://localhost"},
        {},
    ],
    ids=["same-origin", "typed-by-hand", "no-referrer-origin", "own-origin", "no-browser"],
)
def test_a_form_from_our_own_pages_or_from_no_page_is_taken(intake, headers):
    client, rt = intake
    response = client.post("/api/v1/grievances", data=FORM, headers=headers)
    assert response.status_code == 201
    assert count_rows(rt, "grievances") == 1


def test_json_is_not_a_form_and_keeps_working_from_anywhere(intake):
    client, _rt = intake
    response = client.post("/api/v1/grievances", json=FORM, headers={"Origin": "https://app.example"})
    assert response.status_code == 201
