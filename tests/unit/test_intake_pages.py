"""intake's worker pages: the web form, the kiosk of one enterprise, the status lookup (DESIGN §3, §4)."""
from __future__ import annotations

import html
import re

import pytest

from tests.unit.intake_client import count_rows, post_json, stored

FORM = {"enterprise_code": "E001", "category": "workplace", "description": "车间噪声太大，耳朵受不了。",
        "workshop": "二车间", "anonymous": "true", "contact_name": "", "contact_phone": "", "contact_email": ""}
VISIBLE = {k: v for k, v in FORM.items() if k != "enterprise_code"}  # what a worker fills in at a kiosk
HOSTILE = "<script>alert(1)</script>"
SHOWN_CODE = re.compile(r'id="tracking-code">([^<]+)<')


def page(response) -> str:
    return response.get_data(as_text=True)


def kiosk_form(client, enterprise_code: str = "E001", **typed) -> dict:
    """What the kiosk page posts: its own hidden fields plus what the worker typed."""
    kiosk_page = page(client.get(f"/k/{enterprise_code}"))
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', kiosk_page)
    return {**dict(hidden), **VISIBLE, **typed}


# -- the web form ------------------------------------------------------------------------------------
def test_form_is_in_chinese_with_one_option_per_active_enterprise(intake):
    client, _ = intake
    response = client.get("/")

    assert response.status_code == 200
    text = page(response)
    assert "职工心声直通车" in text
    assert re.findall(r'<option value="(E\d+)"', text) == ["E001", "E002"]
    assert "企业E001 (城关区)" in text


@pytest.mark.parametrize("url, headers", [("/?lang=en", {}), ("/", {"Accept-Language": "en-GB,en;q=0.9"})],
                         ids=["query", "accept-language"])
def test_form_is_in_english_when_asked(intake, url, headers):
    client, _ = intake
    text = page(client.get(url, headers=headers))
    assert '<html lang="en">' in text
    assert "Track a demand" in text and "职工心声直通车" not in text


def test_form_post_shows_the_tracking_code_and_stores_a_web_demand(intake):
    client, rt = intake
    response = client.post("/", data=FORM)

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert SHOWN_CODE.search(page(response)).group(1) == row["tracking_code"]
    assert (row["channel"], row["enterprise_code"], row["workshop"]) == ("web", "E001", "二车间")
    assert row["contact_name"] is None


def test_form_post_with_a_short_description_shows_the_form_again_with_the_error(intake):
    client, rt = intake
    response = client.post("/", data={**FORM, "description": "太吵", "workshop": "三号线"})

    assert response.status_code == 422
    text = page(response)
    assert "过短：至少 5 个字符。" in text and "部分字段有误。" in text
    assert ">太吵</textarea>" in text
    assert 'value="三号线"' in text
    assert count_rows(rt, "grievances") == 0 and count_rows(rt, "outbox") == 0


def test_form_post_named_without_a_way_to_answer_keeps_the_typed_name(intake):
    client, rt = intake
    response = client.post("/", data={**FORM, "anonymous": "false", "contact_name": "王五"})

    assert response.status_code == 422
    text = page(response)
    assert "实名诉求需要留下电话或电子邮箱。" in text
    assert 'value="王五"' in text
    assert re.search(r'value="false"\s+checked', text)
    assert count_rows(rt, "grievances") == 0


# -- the kiosk ---------------------------------------------------------------------------------------
def test_kiosk_shows_its_enterprise_and_posts_to_itself_without_an_enterprise_picker(intake):
    client, _ = intake
    response = client.get("/k/E001")

    assert response.status_code == 200
    text = page(response)
    assert "<h2>企业E001</h2>" in text
    assert '<form method="post" action="/k/E001"' in text
    assert 'name="enterprise_code" value="E002"' not in text and "企业E002" not in text


def test_kiosk_post_shows_the_code_and_stores_a_kiosk_demand(intake):
    client, rt = intake
    response = client.post("/k/E001", data=kiosk_form(client))

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert SHOWN_CODE.search(page(response)).group(1) == row["tracking_code"]
    assert (row["channel"], row["enterprise_code"]) == ("kiosk", "E001")


def test_kiosk_post_is_filed_under_the_kiosks_own_enterprise_and_channel_whatever_the_form_says(intake):
    client, rt = intake
    response = client.post("/k/E001", data={**VISIBLE, "enterprise_code": "E002", "channel": "web"})

    assert response.status_code == 201
    [row] = stored(rt, "grievances")
    assert (row["enterprise_code"], row["channel"]) == ("E001", "kiosk")


@pytest.mark.parametrize("code", ["UNKNOWN", "E900"], ids=["unknown", "inactive"])
def test_kiosk_of_no_active_enterprise_is_not_found(intake, code):
    client, rt = intake
    assert client.get(f"/k/{code}").status_code == 404
    assert client.post(f"/k/{code}", data={**VISIBLE, "enterprise_code": code}).status_code == 404
    assert count_rows(rt, "grievances") == 0


# -- status lookup -------------------------------------------------------------------------------------
def submitted_code(client) -> str:
    response = post_json(client)
    assert response.status_code == 201
    return response.get_json()["tracking_code"]


def test_status_page_shows_the_status_label(intake):
    client, _ = intake
    code = submitted_code(client)
    response = client.get(f"/s/{code}")

    assert response.status_code == 200
    assert '<span id="status">已挂号</span>' in page(response)
    assert code in page(response)


def test_status_page_speaks_english_when_asked(intake):
    client, _ = intake
    code = submitted_code(client)
    assert '<span id="status">Registered</span>' in page(client.get(f"/s/{code}?lang=en"))


def test_lookup_redirects_to_the_status_page_of_the_typed_code(intake):
    client, _ = intake
    code = submitted_code(client)
    response = client.get(f"/s?code=+{code.lower()}+")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/s/{code.lower()}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_lookup_without_a_code_shows_the_lookup_form(intake):
    client, _ = intake
    response = client.get("/s")
    assert response.status_code == 200
    assert 'name="code"' in page(response)


@pytest.mark.parametrize("typed", ["NOT-A-CODE", "2345-6789-ABCD"])
def test_status_page_of_a_bad_code_is_404_with_the_lookup_form(intake, typed):
    client, _ = intake
    response = client.get(f"/s/{typed}")
    assert response.status_code == 404
    assert 'name="code"' in page(response) and 'role="alert"' in page(response)


# -- hostile text is never rendered as markup ------------------------------------------------------------
def test_script_in_a_description_never_appears_unescaped_in_any_page(intake):
    client, _ = intake
    code = post_json(client, description=f"{HOSTILE} 车间太吵").get_json()["tracking_code"]
    answers = [
        client.get(f"/s/{code}"),
        client.post("/", data={**FORM, "description": f"{HOSTILE} 车间太吵"}),
        client.post("/", data={**FORM, "description": HOSTILE, "category": "nonsense"}),
        client.post("/", data={**FORM, "workshop": '"><script>alert(2)</script>', "description": "短"}),
        client.post("/k/E001", data={**VISIBLE, "description": HOSTILE, "category": "nonsense"}),
        client.get(f"/s/{HOSTILE}"),
        client.get(f"/s?code={HOSTILE}", follow_redirects=True),
    ]
    for response in answers:
        text = page(response)
        assert "<script>" not in text, response.request.path
    assert html.escape(HOSTILE, quote=False) in page(answers[2])  # re-shown, but as text
