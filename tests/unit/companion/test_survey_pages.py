"""The workers' pages of the micro-surveys (微调研): a survey answered on a phone with the code of a
slip (/s/<id>), the enrolled kiosk that gives a code per session (/k/<enterprise>…), and the public
diary (/diary/<enterprise>); read as HTML with simple string and regex checks."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

import pytest
from babel.support import Translations

from shared import clock
from shared.config import REPO_ROOT
from tests.support.companion import CHAIR, COUNTY, now_is, rows
from tests.unit.companion.test_forums import forum_body, heard
from tests.unit.companion.test_surveys import (
    CODE,
    GOOD,
    SOME_UUID,
    TODAY,
    define,
    open_survey,
    sha256,
    slips,
    tables,
)

ZH = Translations.load(str(REPO_ROOT / "shared" / "translations"), ["zh"])
FORM = {"q1": "2", "q2": "5", "q3_1": "on", "q3_3": "on", "q4": "夜班没有热饭"}  # GOOD, as a form
FORM_CHOICES = [2, 5, [1, 3], None]


def zh(msgid: str, **params) -> str:
    """A message as the Chinese pages say it (and that it is translated)."""
    said = ZH.gettext(msgid)
    assert said != msgid, f"not translated: {msgid}"
    return said % params if params else said


def html(answer, status: int) -> str:
    """The page's text, once it is the expected status as HTML (never a 500, never JSON)."""
    assert (answer.status_code, answer.mimetype) == (status, "text/html"), (
        answer.status_code,
        answer.get_data(as_text=True)[:600],
    )
    return answer.get_data(as_text=True)


def inputs(page: str, kind: str) -> list[tuple[str, str]]:
    """The (name, value) of each <input type=kind> of the page, in order."""
    found = []
    for tag in re.findall(r"<input\b[^>]*>", page):
        if f'type="{kind}"' in tag:
            name = re.search(r'name="([^"]*)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            found.append((name[1] if name else "", value[1] if value else ""))
    return found


def checked(page: str) -> set[str]:
    """The radios and boxes checked: "q1=2", "q3_1" …"""
    marked = set()
    for tag in re.findall(r"<input\b[^>]*\bchecked\b[^>]*>", page):
        name, value = re.search(r'name="([^"]*)"', tag)[1], re.search(r'value="([^"]*)"', tag)[1]
        marked.add(name if value == "on" else f"{name}={value}")
    return marked


def field(page: str, name: str) -> str:
    """The <input> named ``name`` (the first)."""
    return re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', page)[0]


def hidden(page: str, name: str) -> str | None:
    found = [v for n, v in inputs(page, "hidden") if n == name]
    return found[0] if found else None


def fieldset(page: str, name: str) -> str:
    return re.search(rf'<fieldset[^>]*id="{name}"[^>]*>(.*?)</fieldset>', page, re.S)[1]


def choices(client) -> list[list]:
    return sorted((json.loads(r["choices"]) for r in rows(client.rt, "survey_answers")), key=str)


def enrol(client, code: str = "E001", headers=CHAIR) -> str:
    """Enrol the kiosk through the API: the path and query of its enrolment address."""
    got = client.post(f"/api/v1/kiosks/{code}", headers=headers)
    assert got.status_code == 201, got.get_json()
    url = urlsplit(got.get_json()["enrol_url"])
    return f"{url.path}?{url.query}"


def later(seconds: int) -> None:
    clock.set_offset(clock.offset() + timedelta(seconds=seconds))


# -- the survey page ---------------------------------------------------------------------------------
def test_the_survey_page_shows_the_code_field_and_each_question(companion):
    survey_id = open_survey(companion)
    page = html(companion.get(f"/s/{survey_id}"), 200)
    assert '<html lang="zh-CN"' in page
    code = field(page, "code")
    assert 'type="text"' in code and 'value=""' in code and " required" in code
    assert zh("The code on your slip") in page and "The code on your slip" not in page
    assert inputs(page, "radio") == [("q1", "1"), ("q1", "2"), ("q1", "3")] + [
        ("q2", str(v)) for v in range(1, 6)
    ]
    assert inputs(page, "checkbox") == [(f"q3_{i}", "on") for i in range(1, 5)]
    assert re.findall(r'<textarea[^>]*name="([^"]*)"', page) == ["q4"]
    for text in [
        "你在哪个车间？",
        "你对食堂满意吗？",
        "你希望改进什么？",
        "还有什么想说的？",
        "装配车间",
        "营业时间",
    ]:
        assert text in page
    assert "食堂满意度调研" in page and "三个问题，一分钟。" in page and "城关机械厂" in page
    assert checked(page) == set() and 'id="closed"' not in page
    english = html(companion.get(f"/s/{survey_id}?lang=en"), 200)
    assert '<html lang="en"' in english and "The code on your slip" in english
    assert zh("The code on your slip") not in english
    assert "你在哪个车间？" in english  # the survey's own words stay as written
    assert inputs(english, "radio") == inputs(page, "radio")


def test_a_closed_survey_shows_the_notice_and_no_form(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    companion.post(f"/api/v1/surveys/{survey_id}/close", headers=CHAIR)
    page = html(companion.get(f"/s/{survey_id}"), 200)
    assert 'id="closed"' in page and "<form" not in page and 'name="code"' not in page
    assert zh("This survey is closed. Thank you to everyone who answered.") in page
    posted = html(companion.post(f"/s/{survey_id}", data=FORM | {"code": code}), 409)
    assert 'id="closed"' in posted and "<form" not in posted
    assert rows(companion.rt, "survey_answers") == []


def test_a_survey_past_its_last_day_shows_as_closed(companion):
    survey_id = open_survey(companion)
    now_is(date(2026, 10, 16))
    page = html(companion.get(f"/s/{survey_id}?lang=en"), 200)
    assert 'id="closed"' in page and "<form" not in page and "This survey is closed." in page


def test_a_draft_or_no_survey_is_a_404_page(companion, subtests):
    draft = define(companion).get_json()["id"]
    for path in [
        f"/s/{draft}",
        f"/s/{draft}/thanks",
        "/s/not-a-uuid",
        f"/s/{SOME_UUID}",
        f"/s/{SOME_UUID}%00",
        f"/s/{quote(chr(0x202E))}{SOME_UUID}",
        "/s/" + "x" * 2000,
        f"/s/{SOME_UUID.upper()}",
    ]:
        with subtests.test(msg=path[:60]):
            page = html(companion.get(path), 404)
            assert "<form" not in page
            if not path.endswith("/thanks"):
                html(companion.post(path, data=FORM | {"code": "ABCDE-FGHJK"}), 404)
    assert rows(companion.rt, "survey_answers") == []


# -- answering on the page ---------------------------------------------------------------------------
def test_the_form_records_the_answer(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    form_key = hidden(html(companion.get(f"/s/{survey_id}"), 200), "form_key")
    sent = companion.post(f"/s/{survey_id}", data=FORM | {"code": code.lower(), "form_key": form_key or ""})
    assert (sent.status_code, sent.headers["Location"]) == (303, f"/s/{survey_id}/thanks")
    thanks = html(companion.get(sent.headers["Location"]), 200)
    assert 'id="thanks"' in thanks and zh("Thank you. Your answer is recorded.") in thanks
    assert choices(companion) == [FORM_CHOICES]
    assert [r["text"] for r in rows(companion.rt, "survey_texts")] == ["夜班没有热饭"]
    assert "Set-Cookie" not in sent.headers


def test_the_form_keeps_the_language(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    sent = companion.post(f"/s/{survey_id}?lang=en", data=FORM | {"code": code})
    assert (sent.status_code, sent.headers["Location"]) == (303, f"/s/{survey_id}/thanks?lang=en")
    assert "Thank you. Your answer is recorded." in html(companion.get(sent.headers["Location"]), 200)


def test_a_form_missing_a_required_answer_is_422_with_the_choices_kept(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    before = tables(companion)
    form = {k: v for k, v in FORM.items() if k != "q2"} | {"code": code, "form_key": "k" * 22}
    page = html(companion.post(f"/s/{survey_id}", data=form), 422)
    assert "<form" in page and zh("This question needs an answer.") in fieldset(page, "q2")
    assert 'class="error"' not in fieldset(page, "q1") + fieldset(page, "q3")
    assert checked(page) == {"q1=2", "q3_1", "q3_3"}
    assert re.search(r'<textarea[^>]*name="q4"[^>]*>夜班没有热饭</textarea>', page)
    assert 'type="text"' in field(page, "code") and f'value="{code}"' in field(page, "code")
    assert hidden(page, "form_key") == "k" * 22
    assert tables(companion) == before  # nothing written, the code not used up
    sent = companion.post(f"/s/{survey_id}", data=form | {"q2": "3"})
    assert sent.status_code == 303 and choices(companion) == [[2, 3, [1, 3], None]]


def test_a_form_whose_answers_do_not_fit_is_422_and_never_500(companion, subtests):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    before = tables(companion)
    for why, changes, field in [
        ("no option 9", {"q1": "9"}, "q1"),
        ("a word for an option", {"q1": "abc"}, "q1"),
        ("a long number", {"q1": "1" * 100}, "q1"),
        ("a negative number", {"q1": "-1"}, "q1"),
        ("6 on the scale", {"q2": "6"}, "q2"),
        ("a NUL in the text", {"q4": "夜班\x00"}, "q4"),
        ("a text too long", {"q4": "长" * 2001}, "q4"),
        ("no box ticked", {"q3_1": "", "q3_3": ""}, "q3"),
    ]:
        with subtests.test(msg=why):
            page = html(companion.post(f"/s/{survey_id}", data=FORM | {"code": code} | changes), 422)
            assert "<form" in page and 'class="error"' in fieldset(page, field)
            assert tables(companion) == before
    for why, data, status in [
        ("no code", FORM, 422),
        ("a short code", FORM | {"code": "AB"}, 422),
        ("an unknown code", FORM | {"code": "ABCDE-FGHJK"}, 409),
    ]:
        with subtests.test(msg=why):
            page = html(companion.post(f"/s/{survey_id}", data=data), status)
            assert "<form" in page and checked(page) == {"q1=2", "q2=5", "q3_1", "q3_3"}
            assert tables(companion) == before
    assert companion.post(f"/s/{survey_id}", data=FORM | {"code": code}).status_code == 303


def test_a_form_that_is_not_a_form_is_refused_as_a_page(companion, subtests):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    path = f"/s/{survey_id}"
    before = tables(companion)
    body = "&".join(f"{k}={quote(v)}" for k, v in (FORM | {"code": code}).items())
    form_type = "application/x-www-form-urlencoded"
    for why, kwargs, status in [
        ("not UTF-8", {"data": b"code=\xff\xfe&q1=1", "content_type": form_type}, 400),
        ("a field twice", {"data": body + "&q1=3", "content_type": form_type}, 422),
        ("too large", {"data": body + "&q4=" + "x" * (70 * 1024), "content_type": form_type}, 413),
        ("another site", {"data": FORM | {"code": code}, "headers": {"Sec-Fetch-Site": "cross-site"}}, 403),
        (
            "another origin",
            {"data": FORM | {"code": code}, "headers": {"Origin": "https://evil.example"}},
            403,
        ),
        ("JSON", {"json": {"code": code, "answers": GOOD}}, 422),
    ]:
        with subtests.test(msg=why):
            html(companion.open(path, method="POST", **kwargs), status)
            assert tables(companion) == before
    assert companion.post(path, data=FORM | {"code": code}).status_code == 303


def test_a_used_code_is_409_but_the_same_form_sent_twice_is_one_answer(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    form = FORM | {"code": code, "form_key": "first-page-key-123456"}
    assert companion.post(f"/s/{survey_id}", data=form).status_code == 303
    twice = companion.post(f"/s/{survey_id}", data=form)  # a double tap
    assert twice.status_code == 303 and choices(companion) == [FORM_CHOICES]
    before = tables(companion)
    page = html(companion.post(f"/s/{survey_id}", data=form | {"form_key": "another-page-key-1234"}), 409)
    assert (
        "<form" in page
        and zh("This code is not one of the survey's, or it has been used already: each code answers once.")
        in page
    )
    assert checked(page) == {"q1=2", "q2=5", "q3_1", "q3_3"}
    assert tables(companion) == before


# -- the kiosk ----------------------------------------------------------------------------------------
def test_enrolment_sets_the_kiosk_cookie_on_the_kiosks_path(companion):
    now_is(TODAY)
    path = enrol(companion)
    key = path.split("key=", 1)[1]
    went = companion.get(path)
    assert (went.status_code, went.headers["Location"]) == (303, "/k/E001")
    [header] = went.headers.getlist("Set-Cookie")
    cookie = SimpleCookie(header)["xs_kiosk"]
    assert cookie.value == key
    assert cookie["path"] == "/k/E001" and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) > 300 * 24 * 3600


def test_a_wrong_enrolment_is_a_404_page(companion, subtests):
    now_is(TODAY)
    path = enrol(companion)
    key = path.split("key=", 1)[1]
    for wrong in [
        "/k/E001/enrol",
        "/k/E001/enrol?key=",
        f"/k/E001/enrol?key={key[:-1]}",
        f"/k/E001/enrol?key={key}x",
        f"/k/E011/enrol?key={key}",  # another enterprise's kiosk
        f"/k/E999/enrol?key={key}",
        f"/k/E%20001/enrol?key={key}",
        f"/k/E001%00/enrol?key={key}",
        "/k/E001/enrol?key=%00",
    ]:
        with subtests.test(msg=wrong):
            got = companion.get(wrong)
            html(got, 404)
            assert "Set-Cookie" not in got.headers


def test_the_kiosk_gives_one_code_per_session(companion):
    survey_id = open_survey(companion)
    kiosk_path = f"/k/E001/s/{survey_id}"
    html(companion.get(kiosk_path), 404)  # not enrolled
    home = html(companion.get("/k/E001"), 200)
    assert "食堂满意度调研" in home and f'href="{kiosk_path}"' not in home
    companion.get(enrol(companion))
    home = html(companion.get("/k/E001"), 200)
    assert f'href="{kiosk_path}"' in home and 'class="kiosk"' in home
    page = html(companion.get(kiosk_path), 200)
    first = hidden(page, "code")
    assert first and CODE.fullmatch(first) and not inputs(page, "text")
    assert [(r["channel"], r["code_hash"]) for r in rows(companion.rt, "survey_codes")] == [
        ("kiosk", sha256(first))
    ]
    busy = companion.get(kiosk_path)
    html(busy, 429)
    assert busy.headers["Retry-After"] == "20"
    later(19)
    assert companion.get(kiosk_path).status_code == 429
    later(2)  # 21 s after the first
    again = hidden(html(companion.get(kiosk_path), 200), "code")
    assert again and again != first and len(rows(companion.rt, "survey_codes")) == 2


def test_a_kiosk_page_of_another_enterprise_is_404(companion):
    survey_id = open_survey(companion)
    companion.get(enrol(companion, "E011", headers=COUNTY))
    html(companion.get(f"/k/E011/s/{survey_id}"), 404)  # E001's survey at E011's kiosk
    assert rows(companion.rt, "survey_codes") == []


def test_a_new_enrolment_retires_the_old_key(companion):
    survey_id = open_survey(companion)
    old = enrol(companion)
    companion.get(old)  # the kiosk keeps the old key
    new = enrol(companion, headers=COUNTY)
    html(companion.get(f"/k/E001/s/{survey_id}"), 404)
    assert f'href="/k/E001/s/{survey_id}"' not in html(companion.get("/k/E001"), 200)
    html(companion.get(old), 404)
    assert companion.get(new).status_code == 303
    assert CODE.fullmatch(hidden(html(companion.get(f"/k/E001/s/{survey_id}"), 200), "code") or "")


def test_the_kiosk_form_records_an_answer_and_its_code_answers_once(companion):
    survey_id = open_survey(companion)
    companion.get(enrol(companion))
    kiosk_path = f"/k/E001/s/{survey_id}"
    page = html(companion.get(kiosk_path), 200)
    code, form_key = hidden(page, "code"), hidden(page, "form_key")
    sent = companion.post(kiosk_path, data=FORM | {"code": code, "form_key": form_key or ""})
    assert (sent.status_code, sent.headers["Location"]) == (303, f"{kiosk_path}/thanks")
    thanks = html(companion.get(sent.headers["Location"]), 200)
    assert 'id="thanks"' in thanks and 'class="kiosk"' in thanks
    assert choices(companion) == [FORM_CHOICES]
    before = tables(companion)
    again = html(companion.post(kiosk_path, data=FORM | {"code": code}), 409)  # the same code, another page
    # at the kiosk a used code cannot be typed anew: the reason, and the way back to a fresh session
    assert (
        zh("This code is not one of the survey's, or it has been used already: each code answers once.")
        in again
    )
    assert "<form" not in again and 'href="/k/E001"' in again
    assert tables(companion) == before


def test_a_kiosk_form_missing_an_answer_keeps_its_code(companion):
    survey_id = open_survey(companion)
    companion.get(enrol(companion))
    kiosk_path = f"/k/E001/s/{survey_id}"
    code = hidden(html(companion.get(kiosk_path), 200), "code")
    before = tables(companion)
    page = html(companion.post(kiosk_path, data={"q1": "1", "code": code}), 422)
    assert hidden(page, "code") == code and checked(page) == {"q1=1"}
    assert tables(companion) == before
    assert companion.post(kiosk_path, data=FORM | {"code": code}).status_code == 303


def test_a_kiosk_of_no_enterprise_takes_no_answer(companion, subtests):
    """The kiosk's pages are the enterprise's: under an unknown enterprise, a malformed code or
    another enterprise, the form is a 404 page, as the GET is, and records nothing even with a good
    slip code (each try below with a code of its own); nor does a thanks page show there.

    BUG (pages.kiosk_survey / pages.thanks): the POST checks neither the enterprise in the URL nor
    the kiosk's key: it records the answer and redirects to /k/E999/s/<id>/thanks, which answers 200."""
    survey_id = open_survey(companion)
    kiosks = ["E999", "E%20001", "E001%00", "E011"]
    codes = slips(companion, survey_id, len(kiosks))
    for kiosk, code in zip(kiosks, codes, strict=True):
        with subtests.test(msg=f"POST {kiosk}"):
            html(companion.get(f"/k/{kiosk}/s/{survey_id}"), 404)
            before = tables(companion)
            html(companion.post(f"/k/{kiosk}/s/{survey_id}", data=FORM | {"code": code}), 404)
            assert tables(companion) == before
        with subtests.test(msg=f"thanks {kiosk}"):
            html(companion.get(f"/k/{kiosk}/s/{survey_id}/thanks"), 404)


# -- the diary, on a phone and at the kiosk ------------------------------------------------------------
def _tbody_rows(page: str) -> list[list[str]]:
    body = re.search(r'<table class="weeks" id="weeks">.*?<tbody>(.*?)</tbody>', page, re.S)[1]
    return [
        [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_diary_and_the_kiosk_show_the_weeks_and_no_small_count(companion):
    now_is(TODAY, 16)
    forum = companion.post("/api/v1/forums", json=forum_body(), headers=CHAIR).get_json()
    for item in (1, 2, 3):
        heard(companion.rt, forum["id"], item)
    fewer = zh("fewer than %(k)s", k=5)
    diary = html(companion.get("/diary/E001"), 200)
    weeks = _tbody_rows(diary)
    assert len(weeks) == 8
    assert weeks[0] == ["09-28", "—", fewer, "0"]  # 3 heard this week: fewer than 5; 0 answered shows
    assert all(w[2:] == ["0", "0"] for w in weeks[1:])
    assert "城关机械厂" in diary and "夜班" not in diary
    english = html(companion.get("/diary/E001?lang=en"), 200)
    assert _tbody_rows(english)[0] == ["09-28", "—", "fewer than 5", "0"]
    kiosk = html(companion.get("/k/E001"), 200)
    assert len(_tbody_rows(kiosk)) == 4 and _tbody_rows(kiosk)[0][2] == fewer
    lead = re.search(r'<p class="lead" id="this-week">(.*?)</p>', kiosk, re.S)[1]
    assert lead == zh("This week we heard fewer than %(k)s demands.", k=5)
    assert zh("No survey is open now.") in kiosk


@pytest.mark.parametrize("page", ["diary", "k"])
def test_an_unknown_enterprise_or_a_bad_code_is_a_404_page(companion, subtests, page):
    for code in [
        "E999",
        "E900",
        "E%20001",
        "E001%00",
        "%00",
        "%E2%80%AE100E",
        "E" * 5000,
        "E001'--",
        "%3Cscript%3E",
    ]:
        with subtests.test(msg=code[:40]):
            got = html(companion.get(f"/{page}/{code}"), 404)
            assert "<table" not in got and "<script>" not in got
    if page == "k":
        for path in [
            f"/k/E%20001/s/{SOME_UUID}",
            f"/k/E001%00/s/{SOME_UUID}",
            f"/k/E999/s/{SOME_UUID}/thanks",
        ]:
            with subtests.test(msg=path):
                html(companion.get(path), 404)
