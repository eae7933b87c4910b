"""intake's worker pages: the web form, the kiosk of one enterprise, the status lookup (DESIGN §3, §4)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from services.intake.models import enterprises
from shared import clock
from tests.support.intake import count_rows, make_intake, move, post_json, stored

FORM = {
    "enterprise_code": "E001",
    "category": "workplace",
    "description": "车间噪声太大，耳朵受不了。",
    "workshop": "二车间",
    "anonymous": "true",
    "contact_name": "",
    "contact_phone": "",
    "contact_email": "",
}
VISIBLE = {k: v for k, v in FORM.items() if k != "enterprise_code"}  # what a worker fills in at a kiosk
HOSTILE = "<script>alert(1)</script>"
SHOWN_CODE = re.compile(r'id="tracking-code">([^<]+)<')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def page(response) -> str:
    return response.get_data(as_text=True)


def hidden_fields(client, url: str) -> dict:
    return dict(HIDDEN.findall(page(client.get(url))))


def web_form(client, url: str = "/", **typed) -> dict:
    """What the web form posts: its own hidden fields plus what the worker typed."""
    return {**hidden_fields(client, url), **FORM, **typed}


def kiosk_form(client, enterprise_code: str = "E001", **typed) -> dict:
    """What the kiosk page posts: its own hidden fields plus what the worker typed."""
    return {**hidden_fields(client, f"/k/{enterprise_code}"), **VISIBLE, **typed}


def add_enterprise(rt, code: str, name: str, county: str) -> None:
    with rt.engine.begin() as conn:
        conn.execute(
            enterprises.insert().values(
                code=code,
                name=name,
                county_code=county,
                county_name=county,
                active=True,
                updated_at=clock.now(),
            )
        )


# -- the web form ------------------------------------------------------------------------------------
def test_form_is_in_chinese_with_an_empty_first_choice_and_one_option_per_active_enterprise(intake):
    client, _ = intake
    response = client.get("/")

    assert response.status_code == 200
    text = page(response)
    assert "职工心声直通车" in text
    assert re.findall(r'<option value="(E\d*)"', text) == ["E001", "E002"]
    picker = text[text.index('<select id="enterprise_code"') :]
    assert re.search(r'<select[^>]*required>\s*<option value="">[^<]+</option>', picker)
    assert '<optgroup label="城关区">' in picker and ">企业E001</option>" in picker
    assert "selected" not in picker[: picker.index("</select>")]


def test_form_groups_the_enterprises_by_county(intake):
    client, rt = intake
    add_enterprise(rt, "E010", "河西纺织厂", "河西区")
    text = page(client.get("/"))

    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', text, re.S)
    assert [(county, re.findall(r'value="(\w+)"', options)) for county, options in groups] == [
        ("城关区", ["E001", "E002"]),
        ("河西区", ["E010"]),
    ]


def test_form_search_narrows_the_enterprises_without_script(intake):
    client, rt = intake
    add_enterprise(rt, "E010", "河西纺织厂", "河西区")
    text = page(client.get("/?q=纺织"))

    assert re.findall(r'<option value="(E\d+)"', text) == ["E010"]
    assert 'name="q" value="纺织"' in text


def test_form_search_that_finds_nothing_says_so_and_lists_every_enterprise(intake):
    client, _ = intake
    text = page(client.get("/?q=没有这家"))

    assert 'id="none-found"' in text
    assert re.findall(r'<option value="(E\d+)"', text) == ["E001", "E002"]


@pytest.mark.parametrize(
    "url, headers",
    [("/?lang=en", {}), ("/", {"Accept-Language": "en-GB,en;q=0.9"})],
    ids=["query", "accept-language"],
)
def test_form_is_in_english_when_asked(intake, url, headers):
    client, _ = intake
    text = page(client.get(url, headers=headers))
    assert '<html lang="en">' in text
    assert "Track a demand" in text and "职工心声直通车" not in text


def test_form_post_redirects_to_the_result_page_showing_the_tracking_code(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client))

    assert response.status_code == 303
    [row] = stored(rt, "grievances")
    assert response.headers["Location"] == f"/registered/{row['tracking_code']}"
    result = client.get(response.headers["Location"])
    assert result.status_code == 200
    assert SHOWN_CODE.search(page(result)).group(1) == row["tracking_code"]
    assert (row["channel"], row["enterprise_code"], row["workshop"]) == ("web", "E001", "二车间")
    assert row["contact_name"] is None


def test_the_same_form_sent_twice_makes_one_demand(intake):
    client, rt = intake
    sent = web_form(client)
    first, second = client.post("/", data=sent), client.post("/", data=sent)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count_rows(rt, "grievances") == 1 and count_rows(rt, "outbox") == 1


def test_each_rendering_of_the_form_has_its_own_key(intake):
    client, _ = intake
    keys = {hidden_fields(client, "/")["idempotency_key"] for _ in range(3)}
    assert len(keys) == 3 and all(len(k) >= 16 for k in keys)


def test_a_form_changed_and_sent_again_is_a_new_demand_not_an_error(intake):
    client, rt = intake
    sent = web_form(client)
    first = client.post("/", data=sent)
    second = client.post("/", data={**sent, "description": "车间噪声太大，另外通风也不好。"})

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] != second.headers["Location"]
    assert count_rows(rt, "grievances") == 2


def test_form_post_without_a_chosen_employer_asks_for_one(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client, enterprise_code=""))

    assert response.status_code == 422
    picker = page(response)[page(response).index('<label for="enterprise_code"') :]
    assert picker.index('class="error"') < picker.index("<select")
    assert count_rows(rt, "grievances") == 0


def test_form_post_with_a_short_description_shows_the_form_again_with_the_error(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client, description="太吵", workshop="三号线"))

    assert response.status_code == 422
    text = page(response)
    assert "过短：至少 5 个字符。" in text and "部分字段有误。" in text
    assert ">太吵</textarea>" in text
    assert 'value="三号线"' in text
    assert re.search(r'<option value="E001" selected>', text)
    assert count_rows(rt, "grievances") == 0 and count_rows(rt, "outbox") == 0


def test_form_post_named_without_a_way_to_answer_keeps_the_typed_name(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client, anonymous="false", contact_name="王五"))

    assert response.status_code == 422
    text = page(response)
    assert "实名诉求需要留下电话或电子邮箱。" in text
    assert 'value="王五"' in text
    assert re.search(r'value="false"\s+checked', text)
    assert count_rows(rt, "grievances") == 0


def test_contact_typed_and_then_hidden_by_choosing_anonymous_is_dropped_not_refused(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client, anonymous="true", contact_phone="13800000000"))

    assert response.status_code == 303
    [row] = stored(rt, "grievances")
    assert row["anonymous"] and row["contact_phone"] is None
    assert [r["type"] for r in stored(rt, "outbox")] == ["grievance.submitted"]


def test_named_demand_keeps_its_contact(intake):
    client, rt = intake
    response = client.post("/", data=web_form(client, anonymous="false", contact_phone="13800000000"))

    assert response.status_code == 303
    [row] = stored(rt, "grievances")
    assert not row["anonymous"] and row["contact_phone"] == "13800000000"


def test_contact_fields_follow_the_named_choice_in_the_markup(intake):
    client, _ = intake
    who = page(client.get("/")).split('<fieldset class="choices who">')[1].split("</fieldset>")[0]
    # The style sheet shows .contact only after a checked #anonymous-false: they must be siblings.
    assert who.index('id="anonymous-false"') < who.index('class="contact"')
    assert re.search(r'id="anonymous-true" name="anonymous" value="true" checked', who)


def test_the_chosen_language_stays_through_submission(intake):
    client, _rt = intake
    form_page = page(client.get("/?lang=en"))
    assert 'action="/?lang=en"' in form_page

    response = client.post("/?lang=en", data=web_form(client, "/?lang=en"))
    assert response.status_code == 303 and response.headers["Location"].endswith("?lang=en")
    result = page(client.get(response.headers["Location"]))
    assert '<html lang="en">' in result and "Your tracking code" in result

    refused = page(client.post("/?lang=en", data=web_form(client, "/?lang=en", description="短")))
    assert "Some fields are invalid." in refused and 'action="/?lang=en"' in refused


def test_too_many_posts_show_the_form_again_with_what_was_typed_not_json(sqlite_runtime):
    client, rt = make_intake(sqlite_runtime, rate_limit="1/minute")
    assert client.post("/", data=web_form(client)).status_code == 303
    response = client.post("/", data=web_form(client, description="第二件事：宿舍没有热水。"))

    assert response.status_code == 429 and response.mimetype == "text/html"
    text = page(response)
    assert 'role="alert"' in text and ">第二件事：宿舍没有热水。</textarea>" in text
    assert count_rows(rt, "grievances") == 1


# -- the kiosk ---------------------------------------------------------------------------------------
def test_kiosk_shows_its_enterprise_and_posts_to_itself_without_an_enterprise_picker(intake):
    client, _ = intake
    response = client.get("/k/E001")

    assert response.status_code == 200
    text = page(response)
    assert "<h2>企业E001</h2>" in text
    assert '<form method="post" action="/k/E001"' in text
    assert 'name="enterprise_code" value="E002"' not in text and "企业E002" not in text


def test_kiosk_post_redirects_to_the_code_in_kiosk_mode_and_stores_a_kiosk_demand(intake):
    client, rt = intake
    response = client.post("/k/E001", data=kiosk_form(client))

    assert response.status_code == 303
    [row] = stored(rt, "grievances")
    assert response.headers["Location"] == f"/k/E001/registered/{row['tracking_code']}"
    result = page(client.get(response.headers["Location"]))
    assert SHOWN_CODE.search(result).group(1) == row["tracking_code"]
    assert 'data-idle-home="/k/E001"' in result
    assert (row["channel"], row["enterprise_code"]) == ("kiosk", "E001")


def test_kiosk_post_is_filed_under_the_kiosks_own_enterprise_and_channel_whatever_the_form_says(intake):
    client, rt = intake
    response = client.post("/k/E001", data={**VISIBLE, "enterprise_code": "E002", "channel": "web"})

    assert response.status_code == 303
    [row] = stored(rt, "grievances")
    assert (row["enterprise_code"], row["channel"]) == ("E001", "kiosk")


def test_a_double_tap_at_the_kiosk_makes_one_demand(intake):
    client, rt = intake
    sent = kiosk_form(client)
    assert (
        client.post("/k/E001", data=sent).headers["Location"]
        == client.post("/k/E001", data=sent).headers["Location"]
    )
    assert count_rows(rt, "grievances") == 1


@pytest.mark.parametrize("code", ["UNKNOWN", "E900"], ids=["unknown", "inactive"])
def test_kiosk_of_no_active_enterprise_is_not_found(intake, code):
    client, rt = intake
    response = client.get(f"/k/{code}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert 'role="alert"' in page(response) and 'href="/"' in page(response)
    assert client.post(f"/k/{code}", data={**VISIBLE, "enterprise_code": code}).status_code == 404
    assert client.get(f"/k/{code}/s").status_code == 404
    assert count_rows(rt, "grievances") == 0


def test_every_kiosk_page_goes_back_to_the_empty_form_when_left_alone(intake):
    client, _ = intake
    code = submitted_code(client)
    for url in ("/k/E001", "/k/E001/s", f"/k/E001/s/{code}", f"/k/E001/registered/{code}", "/k/E001/s/NOPE"):
        text = page(client.get(url))
        assert 'data-idle-home="/k/E001"' in text, url
        assert 'data-idle-seconds="75"' in text, url
        assert '<script src="/static/kiosk.js" defer></script>' in text, url
    # Without script, the pages holding nothing typed still go back by themselves.
    assert 'http-equiv="refresh" content="75;url=/k/E001"' in page(client.get(f"/k/E001/registered/{code}"))
    assert "http-equiv" not in page(client.get("/k/E001"))


def test_kiosk_idle_time_is_set_by_the_address_and_kept_by_its_links_but_not_the_language(intake):
    client, _ = intake
    text = page(client.get("/k/E001?idle=5&lang=en"))

    assert 'data-idle-seconds="5"' in text
    assert 'data-idle-home="/k/E001?idle=5"' in text  # the next worker starts in the kiosk's language
    assert 'action="/k/E001?idle=5&amp;lang=en"' in text
    assert 'href="/k/E001/s?idle=5&amp;lang=en"' in text


def test_web_pages_have_no_idle_reset(intake):
    client, _ = intake
    text = page(client.get("/"))
    assert "data-idle" not in text and "kiosk.js" not in text


def test_kiosk_lookup_stays_in_kiosk_mode_with_a_way_back_to_the_form(intake):
    client, _ = intake
    code = submitted_code(client)
    response = client.get(f"/k/E001/s?code={code.lower()}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/k/E001/s/{code.lower()}"
    text = page(client.get(response.headers["Location"]))
    assert '<span id="status">已挂号</span>' in text
    assert 'class="kiosk"' in text and 'href="/k/E001"' in text


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


def test_status_page_shows_times_in_china_time(intake):
    client, rt = intake
    code = submitted_code(client)
    move(rt, code, "resolved", at=datetime(2030, 1, 1, 1, 30, tzinfo=UTC))  # after "now"
    text = page(client.get(f"/s/{code}"))

    assert "<time>2030-01-01 09:30</time>" in text and "01:30" not in text
    assert "UTC" not in text
    deadline = datetime(2030, 1, 1, 9, 30) + timedelta(days=rt.settings.feedback_days)  # China time
    assert deadline.strftime("%Y-%m-%d %H:%M") in text.split('id="feedback"')[1]


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


# -- the worker's answer -------------------------------------------------------------------------------
@pytest.fixture
def resolved(intake):
    client, rt = intake
    code = submitted_code(client)
    move(rt, code, "resolved", note="已更换降噪设备")
    return client, rt, code


def test_the_rating_scale_is_labelled(resolved):
    client, _, code = resolved
    text = page(client.get(f"/s/{code}"))
    assert re.search(r"1 — <span[^>]*>很不满意<", text) and re.search(r"5 — <span[^>]*>很满意<", text)
    assert re.search(r"5 — <span[^>]*>Very satisfied<", page(client.get(f"/s/{code}?lang=en")))


def test_an_answer_redirects_to_the_status_page_showing_the_answer_and_thanks(resolved):
    client, rt, code = resolved
    response = client.post(
        f"/s/{code.lower()}/feedback", data={"satisfied": "false", "rating": "2", "comment": "还是很吵"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/{code}#answer"
    text = page(client.get(response.headers["Location"]))
    answer = text[text.index('id="answer"') : text.index("</section>")]
    assert 'id="thanks"' in answer and "不满意" in answer and "还是很吵" in answer and "2 — 不满意" in answer
    assert 'class="notice"' in text and 'role="alert"' not in text and 'class="banner"' not in text
    assert 'id="feedback"' not in text  # answered: the form is gone
    assert count_rows(rt, "feedback") == 1


def test_the_answer_is_still_shown_later_without_the_thanks_nor_the_comment(resolved):
    client, _, code = resolved
    client.post(
        f"/s/{code}/feedback",
        data={"satisfied": "true", "rating": "5", "comment": "谢谢工会"},
        follow_redirects=True,
    )
    text = page(client.get(f"/s/{code}?lang=en"))

    assert 'id="answer"' in text and "Satisfied" in text and "5 — Very satisfied" in text
    assert 'id="thanks"' not in text and "谢谢工会" not in text  # a tracking code never shows the comment


def test_the_thanks_is_shown_only_on_the_page_of_the_demand_answered(resolved):
    client, _, code = resolved
    other = submitted_code(client)
    client.post(f"/s/{code}/feedback", data={"satisfied": "false", "comment": "还是很吵"})
    text = page(client.get(f"/s/{other}"))
    assert 'id="thanks"' not in text and "还是很吵" not in text
    assert 'id="thanks"' not in page(client.get(f"/s/{code}"))  # the session forgot it


def test_a_long_comment_still_fits_the_session_cookie(resolved):
    client, _, code = resolved
    comment = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1000))  # 1000 varied characters
    response = client.post(f"/s/{code}/feedback", data={"satisfied": "false", "comment": comment})
    assert len(response.headers["Set-Cookie"].split(";")[0]) < 4000
    assert comment in page(client.get(f"/s/{code}"))


def test_an_answer_from_the_kiosk_stays_in_the_kiosk(resolved):
    client, _, code = resolved
    response = client.post(f"/k/E001/s/{code}/feedback?idle=5", data={"satisfied": "true"})
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/k/E001/s/{code}" and location.fragment == "answer"
    assert parse_qs(location.query) == {"idle": ["5"]}


def test_a_second_answer_is_refused_on_the_status_page(resolved):
    client, rt, code = resolved
    client.post(f"/s/{code}/feedback", data={"satisfied": "true"})
    response = client.post(f"/s/{code}/feedback", data={"satisfied": "false", "comment": "又坏了"})

    assert response.status_code == 409
    assert "您已对本次办结结果作出评价。" in page(response) and 'role="alert"' in page(response)
    assert '<span id="status">' in page(response) and count_rows(rt, "feedback") == 1


def test_an_answer_refused_shows_the_status_page_with_the_error_and_what_was_typed(resolved):
    client, rt, code = resolved
    response = client.post(f"/s/{code}/feedback?lang=en", data={"satisfied": "false", "comment": ""})

    assert response.status_code == 422
    text = page(response)
    assert 'id="feedback"' in text and 'value="false" checked' in text and 'role="alert"' in text
    assert 'href="/s/' in text and "/feedback?" not in text.split("<nav>")[1].split("</nav>")[0]
    assert count_rows(rt, "feedback") == 0


# -- what every page promises ----------------------------------------------------------------------------
def test_pages_have_no_inline_script_or_style_and_their_files_are_served(resolved):
    client, _, code = resolved
    for url in ("/", "/k/E001", f"/s/{code}", f"/k/E001/s/{code}", "/s", f"/registered/{code}", "/k/E900"):
        text = page(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert "<style" not in text and " style=" not in text, url
    assert client.get("/static/xinsheng.css").status_code == 200
    assert client.get("/static/kiosk.js").status_code == 200


def test_pages_holding_a_form_or_a_tracking_code_are_never_cached(resolved):
    client, _, code = resolved
    for url in ("/", "/k/E001", f"/s/{code}", f"/k/E001/registered/{code}"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url


# -- hostile text is never rendered as markup ------------------------------------------------------------
def test_script_in_a_description_never_appears_unescaped_in_any_page(intake):
    client, _ = intake
    code = post_json(client, description=f"{HOSTILE} 车间太吵").get_json()["tracking_code"]
    answers = [
        client.get(f"/s/{code}"),
        client.post("/", data={**FORM, "description": f"{HOSTILE} 车间太吵"}, follow_redirects=True),
        client.post("/", data={**FORM, "description": HOSTILE, "category": "nonsense"}),
        client.post("/", data={**FORM, "workshop": '"><script>alert(2)</script>', "description": "短"}),
        client.post("/k/E001", data={**VISIBLE, "description": HOSTILE, "category": "nonsense"}),
        client.get(f"/s/{HOSTILE}"),
        client.get(f"/s?code={HOSTILE}", follow_redirects=True),
        client.get(f"/?q={HOSTILE}"),
        client.get(f"/k/E001/s?code={HOSTILE}", follow_redirects=True),
    ]
    for response in answers:
        text = page(response)
        assert "<script>" not in text, response.request.path
    assert html.escape(HOSTILE, quote=False) in page(answers[2])  # re-shown, but as text


def test_an_oversized_form_is_answered_as_a_page_not_json(intake):
    client, rt = intake
    response = client.post("/", data={**FORM, "description": "很长" * 40_000})
    assert response.status_code == 413
    assert response.mimetype == "text/html" and "<form" in page(response)
    assert count_rows(rt, "grievances") == 0
