"""Micro-surveys (微调研): defined by staff in scope, opened, answered once per one-time code (slips
or the enrolled kiosk), anonymously; results as declared tables only; free texts made into demands.

The many small refusals of one endpoint run as subtests of one test (each a fresh check that nothing
was written), so that the file stays fast."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pytest

from services.companion import results
from shared import clock, events
from tests.support.companion import (
    ADMIN,
    CHAIR,
    CHAIR_2,
    CHAIR_11,
    CHAIR_900,
    CITY,
    COUNTY,
    COUNTY_2,
    error,
    now_is,
    rows,
    snapshot,
)
from tests.support.events import deliver, demand_submitted

TODAY = date(2026, 9, 30)
CODE = re.compile(r"[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}")  # no 0/O, 1/I/L
SURVEY_TABLES = ("surveys", "survey_codes", "survey_answers", "survey_texts", "kiosks", "demands")
GOOD = [1, 4, [1, 3], "食堂晚上关门太早"]  # one answer to survey_body()'s four questions
SOME_UUID = "2b1f5c1e-0c7a-4d43-9d0e-5b7b3a0f4e11"


def survey_body(**changes) -> dict:
    body = {
        "enterprise_code": "E001",
        "title": "食堂满意度调研",
        "intro": "三个问题，一分钟。",
        "questions": [
            {"kind": "single", "text": "你在哪个车间？", "options": ["一车间", "二车间", "装配车间"]},
            {"kind": "scale", "text": "你对食堂满意吗？"},
            {"kind": "multiple", "text": "你希望改进什么？", "options": ["价格", "口味", "卫生", "营业时间"]},
            {"kind": "text", "text": "还有什么想说的？", "required": False},
        ],
        "tables": [[1, 2]],
        "closes_on": "2026-10-15",
    }
    return body | changes


def with_question(n: int, **fields) -> list[dict]:
    """survey_body()'s questions, question ``n`` (from 0) changed (a field given as ... is left out)."""
    questions = survey_body()["questions"]
    questions[n] = {k: v for k, v in (questions[n] | fields).items() if v is not ...}
    return questions


def define(client, headers=CHAIR, **changes):
    """POST /api/v1/surveys with survey_body(**changes) today (2026-09-30); the answer."""
    now_is(TODAY)
    return client.post("/api/v1/surveys", json=survey_body(**changes), headers=headers)


def open_survey(client, headers=CHAIR, **changes) -> str:
    made = define(client, headers, **changes)
    assert made.status_code == 201, made.get_json()
    survey_id = made.get_json()["id"]
    opened = client.post(f"/api/v1/surveys/{survey_id}/open", headers=headers)
    assert opened.status_code == 200 and opened.get_json()["state"] == "open", opened.get_json()
    return survey_id


def slips(client, survey_id: str, count: int, headers=CHAIR) -> list[str]:
    answer = client.post(f"/api/v1/surveys/{survey_id}/codes", json={"count": count}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["codes"]


def answer(client, survey_id: str, code: str, answers: list):
    return client.post(f"/api/v1/public/surveys/{survey_id}/answers", json={"code": code, "answers": answers})


def answered(client, survey_id: str, many: list[list]) -> None:
    """Each of ``many`` answered with a code of its own."""
    for code, given in zip(slips(client, survey_id, len(many)), many, strict=True):
        got = answer(client, survey_id, code, given)
        assert got.status_code == 201, (given, got.get_json())


def tables(client) -> dict[str, list[dict]]:
    """companion's tables and the survey tables: what must not change when a request is refused."""
    return snapshot(client.rt) | {t: rows(client.rt, t) for t in SURVEY_TABLES}


def refused(client, status: int, code: str, method: str, path: str, **kwargs) -> dict:
    """A request refused with ``status`` and ``code`` (the one JSON error shape), nothing written."""
    before = tables(client)
    got = client.open(path, method=method, **kwargs)
    assert error(got) == (status, code), got.get_json()
    assert tables(client) == before
    return got.get_json()["error"]


def closed(client, survey_id: str) -> None:
    """The survey closed (as the chair), if it is not yet: its results are read then."""
    client.post(f"/api/v1/surveys/{survey_id}/close", headers=CHAIR)


def results_of(client, survey_id: str, headers=CHAIR) -> dict:
    closed(client, survey_id)
    got = client.get(f"/api/v1/surveys/{survey_id}/results", headers=headers)
    assert got.status_code == 200, got.get_json()
    return got.get_json()


def texts_of(client, survey_id: str, headers=CHAIR) -> dict:
    closed(client, survey_id)
    got = client.get(f"/api/v1/surveys/{survey_id}/texts", headers=headers)
    assert got.status_code == 200, got.get_json()
    return got.get_json()


def counts(table: dict) -> list[int | None]:
    return [r["count"] for r in table["rows"]]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- the started tests -----------------------------------------------------------------------------
def test_a_survey_is_answered_once_per_code_and_keeps_the_day_only(companion):
    survey_id = open_survey(companion)
    codes = slips(companion, survey_id, 2)
    first = answer(companion, survey_id, codes[0], [1, 4, [1, 3], "食堂晚上关门太早"])
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"recorded_on": "2026-09-30"}
    again = answer(companion, survey_id, codes[0], [2, 2, [2], None])
    assert error(again) == (409, "code_unknown_or_used")
    typed = answer(companion, survey_id, codes[1].lower().replace("-", " "), [2, 5, [4], ""])
    assert typed.status_code == 201, typed.get_json()
    stored = rows(companion.rt, "survey_answers")
    assert sorted(json.loads(r["choices"]) for r in stored) == [[1, 4, [1, 3], None], [2, 5, [4], None]]
    assert {str(r["day"]) for r in stored} == {"2026-09-30"}
    assert [r["text"] for r in rows(companion.rt, "survey_texts")] == ["食堂晚上关门太早"]


def test_the_pages_render(companion):
    """Each page of a survey's life once (test_survey_pages.py tests each in detail)."""
    survey_id = open_survey(companion)
    page = companion.get(f"/s/{survey_id}")
    assert (page.status_code, page.mimetype) == (200, "text/html")
    assert "食堂满意度调研" in page.get_data(as_text=True)
    enrol = companion.post("/api/v1/kiosks/E001", headers=CHAIR)
    assert enrol.status_code == 201, enrol.get_json()
    url = urlsplit(enrol.get_json()["enrol_url"])
    went = companion.get(f"{url.path}?{url.query}")
    assert (went.status_code, went.headers["Location"]) == (303, "/k/E001")
    home = companion.get("/k/E001")
    assert home.status_code == 200 and f'href="/k/E001/s/{survey_id}"' in home.get_data(as_text=True)
    form = companion.get(f"/k/E001/s/{survey_id}")
    hidden = re.search(
        r'<input(?=[^>]*type="hidden")(?=[^>]*name="code")[^>]*value="([^"]*)"', form.get_data(as_text=True)
    )
    assert form.status_code == 200 and hidden and CODE.fullmatch(hidden[1])
    busy = companion.get(f"/k/E001/s/{survey_id}")
    assert (busy.status_code, busy.headers.get("Retry-After")) == (429, "20")
    diary = companion.get("/diary/E001")
    assert diary.status_code == 200 and 'id="weeks"' in diary.get_data(as_text=True)
    sheet = companion.post(f"/api/v1/surveys/{survey_id}/codes?format=html", json={"count": 3}, headers=CHAIR)
    assert (sheet.status_code, sheet.mimetype) == (201, "text/html")
    printed = re.findall(r'<p class="code">([^<]*)</p>', sheet.get_data(as_text=True))
    assert len(printed) == 3 and all(CODE.fullmatch(c) for c in printed), printed
    assert sheet.get_data(as_text=True).count(f"/s/{survey_id}") >= 3  # the link on each slip
    slip_hashes = {r["code_hash"] for r in rows(companion.rt, "survey_codes") if r["channel"] == "slip"}
    assert slip_hashes == {sha256(c) for c in printed}
    shown = results_of(companion, survey_id)
    assert shown["answers"] is None and shown["survey"]["state"] == "closed"


# -- definition ------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [CHAIR, COUNTY, CITY, ADMIN], ids=["chair", "county", "city", "admin"])
def test_staff_in_scope_define_a_draft(companion, headers):
    made = define(companion, headers)
    assert made.status_code == 201, made.get_json()
    got = made.get_json()
    assert (got["state"], got["answers"], got["opened_on"]) == ("draft", None, None)
    assert (got["enterprise_code"], got["closes_on"], got["tables"]) == ("E001", "2026-10-15", [[1, 2]])
    assert [q["kind"] for q in got["questions"]] == ["single", "scale", "multiple", "text"]
    assert [q["required"] for q in got["questions"]] == [True, True, True, False]
    assert uuid.UUID(got["id"]).version == 4
    assert companion.get(f"/api/v1/surveys/{got['id']}", headers=headers).get_json() == got
    listed = companion.get("/api/v1/surveys?enterprise=E001", headers=COUNTY).get_json()["surveys"]
    assert [(s["id"], s["state"]) for s in listed] == [(got["id"], "draft")]
    assert [r["state"] for r in rows(companion.rt, "surveys")] == ["draft"]


@pytest.mark.parametrize(
    "headers", [CHAIR_2, CHAIR_11, COUNTY_2], ids=["chair of E002", "chair of E011", "officer of C02"]
)
def test_staff_out_of_scope_neither_define_nor_see_a_survey(companion, headers, subtests):
    now_is(TODAY)
    refused(companion, 404, "not_found", "POST", "/api/v1/surveys", json=survey_body(), headers=headers)
    survey_id = open_survey(companion)
    slips(companion, survey_id, 1)
    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/open", None),
        ("POST", "/close", None),
        ("POST", "/codes", {"count": 3}),
        ("GET", "/results", None),
        ("GET", "/texts", None),
    ]:
        with subtests.test(msg=f"{method} {suffix}"):
            path = f"/api/v1/surveys/{survey_id}{suffix}"
            refused(companion, 404, "not_found", method, path, json=body, headers=headers)
    assert companion.get("/api/v1/surveys", headers=headers).get_json()["surveys"] == []
    refused(companion, 404, "not_found", "POST", "/api/v1/kiosks/E001", headers=headers)


@pytest.mark.parametrize("headers", [CHAIR_900, COUNTY], ids=["its chair", "the county officer"])
def test_a_survey_of_an_inactive_enterprise_is_409(companion, headers):
    now_is(TODAY)
    body = survey_body(enterprise_code="E900")
    refused(companion, 409, "enterprise_inactive", "POST", "/api/v1/surveys", json=body, headers=headers)


def test_a_survey_closes_today_or_within_92_days(companion, subtests):
    now_is(TODAY)
    for closes_on in ["2026-09-29", "2026-01-01", "2027-01-01", "2099-12-31"]:  # 2027-01-01: day 93
        with subtests.test(msg=closes_on):
            body = survey_body(closes_on=closes_on)
            got = refused(
                companion, 422, "invalid_fields", "POST", "/api/v1/surveys", json=body, headers=CHAIR
            )
            assert list(got["fields"]) == ["closes_on"]
    for closes_on in ["2026-09-30", "2026-12-31"]:  # today, day 92
        with subtests.test(msg=closes_on):
            assert define(companion, closes_on=closes_on).status_code == 201


def test_a_table_pairs_two_different_required_single_or_scale_questions(companion, subtests):
    now_is(TODAY)
    optional_scale = with_question(1, required=False)
    for why, changes, field in [
        ("a multiple-choice question", {"tables": [[1, 3]]}, "tables.0"),
        ("a multiple-choice question second", {"tables": [[3, 1]]}, "tables.0"),
        ("a text question", {"tables": [[1, 4]]}, "tables.0"),
        ("an optional question", {"questions": optional_scale, "tables": [[1, 2]]}, "tables.0"),
        ("the same question twice", {"tables": [[1, 1]]}, "tables.0"),
        ("out of range", {"tables": [[1, 5]]}, "tables.0"),
        ("question 0", {"tables": [[0, 1]]}, "tables.0"),
        ("negative", {"tables": [[-1, 2]]}, "tables.0"),
        ("the same pair twice", {"tables": [[1, 2], [1, 2]]}, "tables.1"),
        ("a good pair then a bad one", {"tables": [[1, 2], [2, 2]]}, "tables.1"),
        ("one number", {"tables": [[1]]}, "tables.0"),
        ("three numbers", {"tables": [[1, 2, 3]]}, "tables.0"),
        ("a bool", {"tables": [[True, 2]]}, "tables.0.0"),
        ("a string", {"tables": [["1", 2]]}, "tables.0.0"),
        ("a float", {"tables": [[1.0, 2]]}, "tables.0.0"),
        ("four tables", {"tables": [[1, 2]] * 4}, "tables"),
        ("not a list", {"tables": "1,2"}, "tables"),
    ]:
        with subtests.test(msg=why):
            body = survey_body(**changes)
            got = refused(
                companion, 422, "invalid_fields", "POST", "/api/v1/surveys", json=body, headers=CHAIR
            )
            assert list(got["fields"]) == [field]
    assert define(companion, questions=optional_scale, tables=[]).status_code == 201


def test_tables_of_scale_and_single_questions_are_accepted(companion):
    questions = [
        *survey_body()["questions"],
        {"kind": "single", "text": "你上什么班？", "options": ["白班", "夜班"]},
    ]
    made = define(companion, questions=questions, tables=[[1, 2], [5, 2], [1, 5]])
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["tables"] == [[1, 2], [5, 2], [1, 5]]


def test_options_fit_the_kind_of_question(companion, subtests):
    now_is(TODAY)
    for why, questions, field in [
        ("one option", with_question(0, options=["一车间"]), "questions.0.options"),
        (
            "eleven options",
            with_question(0, options=[f"{i}号车间" for i in range(11)]),
            "questions.0.options",
        ),
        ("the same option twice", with_question(0, options=["一车间", "一车间"]), "questions.0"),
        ("the same once trimmed", with_question(0, options=["一车间", " 一车间 "]), "questions.0"),
        ("a choice without options", with_question(0, options=...), "questions.0"),
        ("no options", with_question(0, options=[]), "questions.0.options"),
        ("an empty option", with_question(0, options=["一车间", ""]), "questions.0.options.1"),
        ("a number for an option", with_question(0, options=["一车间", 2]), "questions.0.options.1"),
        ("a NUL in an option", with_question(0, options=["一车间", "二车间\x00"]), "questions.0.options.1"),
        ("a multiple choice of one", with_question(2, options=["价格"]), "questions.2.options"),
        ("a multiple choice without options", with_question(2, options=...), "questions.2"),
        ("a scale with options", with_question(1, options=["不满意", "满意"]), "questions.1"),
        ("a text with options", with_question(3, options=["有", "没有"]), "questions.3"),
        ("an unknown kind", with_question(0, kind="ranking"), "questions.0.kind"),
        ("required as text", with_question(0, required="yes"), "questions.0.required"),
        ("a question too short", with_question(0, text="x"), "questions.0.text"),
        ("an unknown field", with_question(0, hint="选一个"), "questions.0.hint"),
        ("no question", [], "questions"),
        ("24 questions", survey_body()["questions"] * 6, "questions"),
    ]:
        with subtests.test(msg=why):
            body = survey_body(questions=questions, tables=[])
            got = refused(
                companion, 422, "invalid_fields", "POST", "/api/v1/surveys", json=body, headers=CHAIR
            )
            assert field in got["fields"], got["fields"]
    ten = with_question(2, options=[f"{i}号建议" for i in range(10)])
    assert define(companion, questions=ten).status_code == 201
    two = with_question(0, options=["是", "否"])
    assert define(companion, questions=two).status_code == 201


# -- the life cycle --------------------------------------------------------------------------------
def test_a_survey_opens_once_and_closes_once(companion):
    survey_id = define(companion).get_json()["id"]
    base = f"/api/v1/surveys/{survey_id}"
    refused(companion, 409, "survey_not_open", "POST", f"{base}/close", headers=CHAIR)
    opened = companion.post(f"{base}/open", headers=CHAIR).get_json()
    assert (opened["state"], opened["opened_on"]) == ("open", "2026-09-30")
    refused(companion, 409, "survey_not_draft", "POST", f"{base}/open", headers=CHAIR)
    code = slips(companion, survey_id, 1)[0]
    closed = companion.post(f"{base}/close", headers=COUNTY)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    refused(companion, 409, "survey_not_open", "POST", f"{base}/close", headers=CHAIR)
    refused(companion, 409, "survey_not_draft", "POST", f"{base}/open", headers=CHAIR)
    refused(companion, 409, "survey_closed", "POST", f"{base}/codes", json={"count": 1}, headers=CHAIR)
    path = f"/api/v1/public/surveys/{survey_id}/answers"
    refused(companion, 409, "survey_closed", "POST", path, json={"code": code, "answers": GOOD})
    public = companion.get(f"/api/v1/public/surveys/{survey_id}").get_json()
    assert public["open"] is False and public["questions"] == opened["questions"]


def test_a_survey_past_its_last_day_reads_as_closed(companion):
    survey_id = open_survey(companion)
    early, late = slips(companion, survey_id, 2)
    now_is(date(2026, 10, 15), 23, 59)  # its last day
    assert answer(companion, survey_id, early, GOOD).status_code == 201
    now_is(date(2026, 10, 16), 0, 0)
    assert companion.get(f"/api/v1/surveys/{survey_id}", headers=CHAIR).get_json()["state"] == "closed"
    listed = companion.get("/api/v1/surveys", headers=CHAIR).get_json()["surveys"]
    assert [s["state"] for s in listed] == ["closed"]
    assert companion.get(f"/api/v1/public/surveys/{survey_id}").get_json()["open"] is False
    path = f"/api/v1/public/surveys/{survey_id}/answers"
    refused(companion, 409, "survey_closed", "POST", path, json={"code": late, "answers": GOOD})
    base = f"/api/v1/surveys/{survey_id}"
    refused(companion, 409, "survey_not_open", "POST", f"{base}/close", headers=CHAIR)
    refused(companion, 409, "survey_closed", "POST", f"{base}/codes", json={"count": 1}, headers=CHAIR)
    assert results_of(companion, survey_id)["survey"]["state"] == "closed"


def test_a_draft_is_not_public(companion):
    survey_id = define(companion).get_json()["id"]
    code = slips(companion, survey_id, 1)[0]  # slips may be printed before it opens
    refused(companion, 404, "not_found", "GET", f"/api/v1/public/surveys/{survey_id}")
    path = f"/api/v1/public/surveys/{survey_id}/answers"
    refused(companion, 404, "not_found", "POST", path, json={"code": code, "answers": GOOD})
    companion.post(f"/api/v1/surveys/{survey_id}/open", headers=CHAIR)
    public = companion.get(f"/api/v1/public/surveys/{survey_id}").get_json()
    assert public["open"] is True and public["enterprise"] == {"code": "E001", "name": "城关机械厂"}
    assert "created_by" not in public and "tables" not in public
    assert answer(companion, survey_id, code, GOOD).status_code == 201


# -- one-time codes --------------------------------------------------------------------------------
def test_codes_are_distinct_and_only_their_hashes_are_kept(companion):
    survey_id = open_survey(companion)
    got = companion.post(f"/api/v1/surveys/{survey_id}/codes", json={"count": 500}, headers=CHAIR)
    assert got.status_code == 201
    body = got.get_json()
    assert body["survey_id"] == survey_id and urlsplit(body["link"]).path == f"/s/{survey_id}"
    codes = body["codes"]
    assert len(codes) == len(set(codes)) == 500
    assert all(CODE.fullmatch(c) for c in codes), [c for c in codes if not CODE.fullmatch(c)]
    stored = rows(companion.rt, "survey_codes")
    assert {r["code_hash"] for r in stored} == {sha256(c) for c in codes}
    assert {(r["survey_id"], r["channel"], str(r["issued_on"]), r["used_on"]) for r in stored} == {
        (survey_id, "slip", "2026-09-30", None)
    }
    dumped = repr(tables(companion))
    assert not [c for c in codes if c in dumped or c.replace("-", "") in dumped]
    assert len(slips(companion, survey_id, 1)) == 1


def test_a_code_answers_as_typed(companion, subtests):
    survey_id = open_survey(companion)
    codes = slips(companion, survey_id, 5)
    for why, typed in [
        ("small letters", codes[0].lower()),
        ("a space for the dash", codes[1].replace("-", " ")),
        ("no dash", codes[2].replace("-", "")),
        ("spaces around", f"  {codes[3].lower()}  "),
        ("spaced out", " ".join(codes[4].replace("-", ""))),
    ]:
        with subtests.test(msg=why):
            assert answer(companion, survey_id, typed, GOOD).status_code == 201
    for code in codes:
        assert error(answer(companion, survey_id, code, GOOD)) == (409, "code_unknown_or_used")
    assert {str(r["used_on"]) for r in rows(companion.rt, "survey_codes")} == {"2026-09-30"}


def test_a_code_answers_one_survey_once(companion):
    first = open_survey(companion)
    second = open_survey(companion, title="夜班调研")
    mine, theirs = slips(companion, first, 1)[0], slips(companion, second, 1)[0]
    path = f"/api/v1/public/surveys/{first}/answers"
    refused(companion, 409, "code_unknown_or_used", "POST", path, json={"code": theirs, "answers": GOOD})
    refused(
        companion, 409, "code_unknown_or_used", "POST", path, json={"code": "ABCDE-FGHJK", "answers": GOOD}
    )
    assert answer(companion, first, mine, GOOD).status_code == 201
    again = {"code": mine, "answers": [2, 2, [2], None]}
    refused(companion, 409, "code_unknown_or_used", "POST", path, json=again)
    assert answer(companion, second, theirs, GOOD).status_code == 201  # still unused there
    assert len(rows(companion.rt, "survey_answers")) == 2


def test_a_refused_answer_writes_nothing_and_keeps_its_code(companion, subtests):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    path = f"/api/v1/public/surveys/{survey_id}/answers"
    for why, answers, field in [
        ("one answer short", [1, 4, [1, 3]], "answers"),
        ("one too many", [1, 4, [1, 3], None, None], "answers"),
        ("none", [], "answers"),
        ("a required choice missing", [None, 4, [1], None], "answers.0"),
        ("the scale missing", [1, None, [1], None], "answers.1"),
        ("the multiple choice missing", [1, 4, None, None], "answers.2"),
        ("a blank for a required choice", ["  ", 4, [1], None], "answers.0"),
        ("no option 4", [4, 4, [1], None], "answers.0"),
        ("option 0", [0, 4, [1], None], "answers.0"),
        ("option -1", [-1, 4, [1], None], "answers.0"),
        ("a huge option", [10**30, 4, [1], None], "answers.0"),
        ("6 on a scale of 5", [1, 6, [1], None], "answers.1"),
        ("0 on the scale", [1, 0, [1], None], "answers.1"),
        ("no option 5 of four", [1, 4, [5], None], "answers.2"),
        ("option 0 of four", [1, 4, [0], None], "answers.2"),
        ("an option chosen twice", [1, 4, [1, 1], None], "answers.2"),
        ("an option chosen twice among others", [1, 4, [2, 3, 2], None], "answers.2"),
        ("an empty choice", [1, 4, [], None], "answers.2"),
        ("a bool for a choice", [True, 4, [1], None], "answers.0"),
        ("a bool for the scale", [1, False, [1], None], "answers.1"),
        ("a bool among options", [1, 4, [True], None], "answers.2"),
        ("a float", [1.0, 4, [1], None], "answers.0"),
        ("a digit as text", ["1", 4, [1], None], "answers.0"),
        ("a list for a single choice", [[1], 4, [1], None], "answers.0"),
        ("a list for the scale", [1, [4], [1], None], "answers.1"),
        ("a number for a multiple choice", [1, 4, 1, None], "answers.2"),
        ("a digit among options", [1, 4, ["1"], None], "answers.2"),
        ("a number for a text", [1, 4, [1], 5], "answers.3"),
        ("a list for a text", [1, 4, [1], [1]], "answers.3"),
        ("a text too long", [1, 4, [1], "太长" * 1001], "answers.3"),
        ("a NUL in a text", [1, 4, [1], "食堂\x00关门"], "answers.3"),
        ("escapes in a text", [1, 4, [1], "\x1b[31m食堂\x1b[0m"], "answers.3"),
        ("an object for a text", [1, 4, [1], {"text": "食堂"}], "answers.3"),
        ("answers as text", "1,4,1", "answers"),
        ("answers null", None, "answers"),
    ]:
        with subtests.test(msg=why):
            body = {"code": code, "answers": answers}
            got = refused(companion, 422, "invalid_fields", "POST", path, json=body)
            assert any(f == field or f.startswith(field + ".") for f in got["fields"]), got["fields"]
    assert [r["used_on"] for r in rows(companion.rt, "survey_codes")] == [None]
    assert answer(companion, survey_id, code, GOOD).status_code == 201  # the code was not used up
    assert len(rows(companion.rt, "survey_answers")) == 1


def test_an_answer_without_its_code_or_answers_is_422(companion, subtests):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    path = f"/api/v1/public/surveys/{survey_id}/answers"
    for body, field in [
        ({"answers": GOOD}, "code"),
        ({"code": "", "answers": GOOD}, "code"),
        ({"code": "ABC", "answers": GOOD}, "code"),
        ({"code": "A" * 41, "answers": GOOD}, "code"),
        ({"code": 1234567890, "answers": GOOD}, "code"),
        ({"code": None, "answers": GOOD}, "code"),
        ({"code": [code], "answers": GOOD}, "code"),
        ({"code": code}, "answers"),
        ({"code": code, "answers": GOOD, "day": "2026-09-30"}, "day"),
        ({"code": code, "answers": [None] * 21}, "answers"),
    ]:
        with subtests.test(msg=repr(body)[:60]):
            got = refused(companion, 422, "invalid_fields", "POST", path, json=body)
            assert field in got["fields"], got["fields"]
    assert answer(companion, survey_id, code, GOOD).status_code == 201


def test_optional_questions_may_be_left_out(companion):
    survey_id = open_survey(companion, questions=with_question(0, required=False), tables=[])
    answered(companion, survey_id, [[None, 3, [2], None], [2, 3, [2], ""], [None, 5, [4], "   "]])
    stored = sorted((json.loads(r["choices"]) for r in rows(companion.rt, "survey_answers")), key=str)
    assert stored == [[2, 3, [2], None], [None, 3, [2], None], [None, 5, [4], None]]
    assert rows(companion.rt, "survey_texts") == []


def test_an_optional_choice_left_blank_is_stored_as_no_answer(companion):
    """A blank string for an optional choice question is no answer: stored as null (not as the
    string), and not counted among those who answered the question."""
    survey_id = open_survey(companion, questions=with_question(0, required=False), tables=[])
    blanks = [["", 3, [2], None], ["   ", 3, [2], None]]
    answered(companion, survey_id, blanks + [[o, 3, [2], None] for o in (1, 2, 3) for _ in range(5)])
    stored = [json.loads(r["choices"])[0] for r in rows(companion.rt, "survey_answers")]
    assert sorted(stored, key=str) == [1] * 5 + [2] * 5 + [3] * 5 + [None, None], stored
    first = results_of(companion, survey_id)["questions"][0]
    assert (first["answered"], counts(first)) == (15, [5, 5, 5]), first


# -- anonymity -------------------------------------------------------------------------------------
def test_an_answer_keeps_the_day_only_and_nothing_of_its_code(companion):
    survey_id = open_survey(companion)
    code = slips(companion, survey_id, 1)[0]
    now_is(TODAY, 15, 42)
    got = answer(companion, survey_id, code, GOOD)
    assert got.status_code == 201 and got.get_json() == {"recorded_on": "2026-09-30"}
    assert "Set-Cookie" not in got.headers and code not in got.get_data(as_text=True)
    [stored] = rows(companion.rt, "survey_answers")
    assert set(stored) == {"id", "survey_id", "day", "choices"}
    assert (str(stored["day"]), json.loads(stored["choices"])) == ("2026-09-30", [1, 4, [1, 3], None])
    [text] = rows(companion.rt, "survey_texts")
    assert set(text) == {"id", "survey_id", "question", "day", "text"}
    assert (text["question"], text["text"], str(text["day"])) == (4, "食堂晚上关门太早", "2026-09-30")
    [used] = rows(companion.rt, "survey_codes")
    assert str(used["used_on"]) == "2026-09-30"  # the day, no time
    assert not {stored["id"], text["id"]} & {str(v) for v in used.values()}  # no link to the answer
    everything = repr(tables(companion))
    assert code not in everything and "15:42" not in everything and "07:42" not in everything


def test_the_logs_hold_neither_a_text_nor_a_code(companion, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # every statement, at every level
    survey_id = open_survey(companion)
    codes = slips(companion, survey_id, 3)
    secret = "主任克扣加班费 the foreman skims overtime"
    answer(companion, survey_id, codes[0], [1, 4, [1], secret + "\x00"])  # refused: a NUL
    answer(companion, survey_id, codes[0], [9, 4, [1], secret])  # refused: no option 9
    assert answer(companion, survey_id, codes[0], [1, 4, [1], secret]).status_code == 201
    answer(companion, survey_id, codes[0], [1, 4, [1], secret])  # refused: used
    answer(companion, survey_id, codes[1].lower(), [1, 4, [1], secret])
    form = {"code": codes[2], "q1": "1", "q2": "3", "q3_1": "on", "q4": secret}
    assert companion.post(f"/s/{survey_id}", data=form).status_code == 303
    assert companion.post(f"/s/{survey_id}", data=form | {"form_key": "x" * 20}).status_code == 409
    assert companion.post(f"/s/{survey_id}", data=form | {"q1": "9"}).status_code == 422
    texts_of(companion, survey_id)
    logging.getLogger("xinsheng.http").warning("probe")  # the service's records reach caplog
    assert caplog.records and caplog.records[-1].getMessage() == "probe"
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    logged = [f"{r.getMessage()} {r.__dict__!r} {r.exc_text or ''}" for r in caplog.records]
    for c in codes:
        words = {c, c.lower(), c.replace("-", ""), sha256(c)}
        assert not [line for line in logged for w in words if w in line]
    assert not [line for line in logged if "克扣" in line or "skims" in line]


# -- results ---------------------------------------------------------------------------------------
def _lines_hold(got: dict) -> None:
    """No withheld count is alone in its line: a question's table, a cross-table's row or column."""
    for q in got["questions"]:
        if q["kind"] in results.TABULATED and q["answered"] is not None:
            assert counts(q).count(None) != 1, q
    for cross in got["cross"]:
        for line in [*cross["cells"], *zip(*cross["cells"], strict=True)]:
            assert list(line).count(None) != 1, cross


def test_results_and_texts_wait_for_the_survey_to_close(companion):
    """Read before and after one worker's answer at the kiosk, open results would give it away."""
    survey_id = open_survey(companion, tables=[])
    answered(companion, survey_id, [[1, 4, [1, 3], "食堂太贵了"]] * 6)
    for part in ("results", "texts"):
        got = companion.get(f"/api/v1/surveys/{survey_id}/{part}", headers=CHAIR)
        assert error(got) == (409, "survey_not_closed")
    assert companion.get(f"/api/v1/surveys/{survey_id}", headers=CHAIR).get_json()["answers"] is None
    closed(companion, survey_id)
    assert companion.get(f"/api/v1/surveys/{survey_id}", headers=CHAIR).get_json()["answers"] == 6


def test_counts_and_answers_show_from_five(companion):
    survey_id = open_survey(companion, tables=[])
    answered(companion, survey_id, [[1, 4, [1, 3], None]] * 4)
    few = results_of(companion, survey_id)
    assert few["answers"] is None and few["fewer_than"] == results.K == 5
    assert all(c is None for q in few["questions"] for c in counts(q))
    assert companion.get(f"/api/v1/surveys/{survey_id}", headers=CHAIR).get_json()["answers"] is None
    survey_id = open_survey(companion, tables=[])
    answered(companion, survey_id, [[1, 4, [1, 3], None]] * 5)
    got = results_of(companion, survey_id, headers=CITY)
    assert companion.get(f"/api/v1/surveys/{survey_id}", headers=CHAIR).get_json()["answers"] == 5
    assert got["answers"] == 5 and got["cross"] == []
    single, scale, many = got["questions"]
    assert [q["question"] for q in got["questions"]] == [1, 2, 3]  # no table for the text
    # 5, 0, 0: the two 0 withheld, and the 5 with them, else 5 of 5 would tell the 0s.
    assert (counts(single), single["answered"]) == ([None, None, None], 5)
    assert (counts(scale), scale["mean"]) == ([None] * 5, None)
    assert counts(many) == [5, None, 5, None]  # multiple choice: its counts overlap; under 5 withheld
    assert [r["label"] for r in many["rows"]] == ["价格", "口味", "卫生", "营业时间"]
    assert [r["label"] for r in scale["rows"]] == ["1", "2", "3", "4", "5"]


def test_a_count_under_five_is_withheld_with_a_complement(companion):
    survey_id = open_survey(companion, tables=[])
    # question 1: 10 in 一车间, 7 in 二车间, 3 in 装配车间; question 2: 5 of each of 1 … 4, none 5
    given = [[1, 1 + i % 4, [1], None] for i in range(10)]
    given += [[2, 1 + (i + 2) % 4, [2], None] for i in range(7)]
    given += [[3, 1 + (i + 1) % 4, [3], None] for i in range(3)]
    answered(companion, survey_id, given)
    got = results_of(companion, survey_id)
    single, scale, many = got["questions"]
    assert got["answers"] == 20 and single["answered"] == 20  # the total shows …
    assert counts(single) == [10, None, None]  # … so the 3 has a complement: 20 − 10 − 7 would tell it
    assert counts(scale)[4] is None and counts(scale).count(None) == 2  # the 0, and one 5 with it
    assert scale["mean"] is None  # a figure of the scale is withheld: no mean
    assert counts(many) == [10, 7, None, None]
    _lines_hold(got)


def test_the_mean_shows_only_when_nothing_of_its_question_is_withheld(companion):
    clear = open_survey(companion, tables=[])
    answered(companion, clear, [[1, 1 + i % 5, [1], None] for i in range(25)])  # 5 of each
    scale = results_of(companion, clear)["questions"][1]
    assert (counts(scale), scale["answered"], scale["mean"]) == ([5] * 5, 25, 3.0)
    hidden = open_survey(companion, tables=[])
    answered(companion, hidden, [[1, 5, [1], None]] * 12 + [[1, 1, [1], None]] * 3)
    scale = results_of(companion, hidden)["questions"][1]
    assert scale["answered"] == 15 and counts(scale)[0] is None
    assert scale["mean"] is None  # 4.2 would tell 3 × 1 and 12 × 5


def test_a_cross_table_shows_none_of_its_small_cells(companion):
    survey_id = open_survey(companion)  # question 1 crossed with question 2
    given = (
        [[1, 5, [1], None]] * 8 + [[1, 4, [1], None]] * 6 + [[2, 5, [2], None]] * 7 + [[2, 1, [2], None]] * 2
    )
    answered(companion, survey_id, given)
    got = results_of(companion, survey_id)
    [cross] = got["cross"]
    assert (cross["questions"], cross["rows"], cross["columns"]) == ([1, 2], [1, 2, 3], [1, 2, 3, 4, 5])
    assert cross["cells"][1][0] is None  # the 2 of 二车间 who gave 1
    assert cross["cells"][0][4] == 8
    assert all(c is None or c >= 5 for row in cross["cells"] for c in row)
    assert got["answers"] == 23
    _lines_hold(got)


def test_a_cross_table_does_not_give_away_what_a_questions_table_withholds(companion):
    """BUG (results.protect): six answers, all 装配车间 and 1. Question 1's own table withholds its 6
    as well as its two 0s (withheld figures summing to 0 must not show), but the cross-table shows
    the cell 装配车间 × 1 = 6 = every answer: so 一车间 and 二车间 had 0, and the 6 is known too. The
    audit is of the sums only; a shown cell is also a floor under its withheld row and column."""
    survey_id = open_survey(companion)
    answered(companion, survey_id, [[3, 1, [1], None]] * 6)
    got = results_of(companion, survey_id)
    single = got["questions"][0]
    assert got["answers"] == 6 and counts(single) == [None, None, None]
    cells = got["cross"][0]["cells"]
    for a, withheld in enumerate(counts(single)):
        if withheld is None:  # the shown cells of its row are a floor under it
            floor = sum(c for c in cells[a] if c is not None)
            others = sum(c if c is not None else 0 for i, c in enumerate(counts(single)) if i != a)
            assert floor + others < got["answers"], f"row {a + 1} shows {floor} of {got['answers']}: {cells}"


def test_the_results_take_no_filters_and_are_for_staff_in_scope(companion, subtests):
    survey_id = open_survey(companion)
    answered(companion, survey_id, [GOOD] * 5)
    path = f"/api/v1/surveys/{survey_id}/results"
    for query in ["enterprise=E001", "question=1", "q1=2", "by=workshop", "x="]:
        with subtests.test(msg=query):
            got = refused(companion, 422, "invalid_fields", "GET", f"{path}?{query}", headers=CHAIR)
            assert list(got["fields"]) == ["query"]
    for headers in (CHAIR_2, CHAIR_11, COUNTY_2):
        refused(companion, 404, "not_found", "GET", path, headers=headers)
    refused(companion, 401, "unauthenticated", "GET", path)
    refused(companion, 401, "unauthenticated", "GET", f"/api/v1/surveys/{survey_id}/texts")
    assert results_of(companion, survey_id, COUNTY)["answers"] == 5


# -- free texts ------------------------------------------------------------------------------------
SAID = ["夜班没有热饭", "食堂太贵", "窗口太少，排队太久", "希望有清真窗口", "饭菜太咸"]


def test_free_texts_are_withheld_until_five_answers(companion):
    survey_id = open_survey(companion)
    answered(companion, survey_id, [[1, 3, [1], t] for t in SAID[:4]])
    got = texts_of(companion, survey_id)
    assert got == {"survey_id": survey_id, "fewer_than": 5, "withheld": True, "texts": []}
    survey_id = open_survey(companion)
    answered(companion, survey_id, [[1, 3, [1], t] for t in SAID])
    got = texts_of(companion, survey_id)
    assert got["withheld"] is False
    assert [t["text"] for t in got["texts"]] == sorted(SAID)  # in no order of arrival
    ids = {r["text"]: r["id"] for r in rows(companion.rt, "survey_texts") if r["survey_id"] == survey_id}
    for t in got["texts"]:
        assert (t["id"], t["question"], t["tracking_code"], t["status"]) == (
            ids[t["text"]],
            4,
            None,
            "not_posted",
        )
        assert t["batch"] == {
            "enterprise_code": "E001",
            "source": {"kind": "survey", "id": t["id"]},
            "items": [{"category": "other", "description": t["text"]}],
        }


def test_texts_show_once_five_answered_however_few_wrote(companion):
    survey_id = open_survey(companion)
    answered(companion, survey_id, [[1, 3, [1], None]] * 4 + [[1, 3, [1], "只有我写了"]])
    got = texts_of(companion, survey_id)
    assert got["withheld"] is False and [t["text"] for t in got["texts"]] == ["只有我写了"]


def _heard(rt, text_id: str, tracking_code: str, about_chair: bool = False) -> str:
    """intake made the text a demand: its grievance.submitted, with the survey's text as source."""
    g = demand_submitted(
        tracking_code=tracking_code,
        category="other",
        channel="web",
        about_chair=about_chair,
        source=events.Source(kind="survey", id=text_id),
    )
    deliver(rt, g, producer="intake")
    return g.grievance_id


def _moved(rt, gid: str, to: str, note: str | None = None, minutes: int = 1) -> None:
    at = clock.now() + timedelta(minutes=minutes)
    change = events.CaseStatusChanged(case_id=gid, grievance_id=gid, to=to, public_note=note, at=at)
    deliver(rt, change, producer="routing")


def test_a_text_made_a_demand_shows_what_became_of_it(companion):
    survey_id = open_survey(companion)
    answered(companion, survey_id, [[1, 3, [1], t] for t in SAID])
    shown = {t["text"]: t for t in texts_of(companion, survey_id)["texts"]}
    gid = _heard(companion.rt, shown["食堂太贵"]["id"], "TEXT-0001-ABCD")
    got = {t["text"]: t for t in texts_of(companion, survey_id, COUNTY)["texts"]}
    made = got["食堂太贵"]
    assert (made["tracking_code"], made["status"], made["batch"]) == ("TEXT-0001-ABCD", "registered", None)
    assert got["饭菜太咸"]["batch"] is not None and got["饭菜太咸"]["status"] == "not_posted"
    _moved(companion.rt, gid, "resolved", "食堂已降价一元")
    made = {t["text"]: t for t in texts_of(companion, survey_id)["texts"]}["食堂太贵"]
    assert (made["status"], made["public_note"]) == ("resolved", "食堂已降价一元")


def test_a_text_about_the_chair_shows_to_the_chair_only_as_referred(companion):
    survey_id = open_survey(companion)
    said = [*SAID[:4], "主席打击报复提意见的人"]
    answered(companion, survey_id, [[1, 3, [1], t] for t in said])
    shown = {t["text"]: t for t in texts_of(companion, survey_id)["texts"]}
    _heard(companion.rt, shown[said[4]]["id"], "TEXT-0002-ABCD", about_chair=True)
    to_chair = texts_of(companion, survey_id, CHAIR)["texts"]
    [referred] = [t for t in to_chair if "outcome" in t]
    assert referred["outcome"] == "referred_to_county_union"
    assert set(referred) <= {"id", "question", "outcome"}, referred
    assert "打击报复" not in json.dumps(to_chair, ensure_ascii=False) and "TEXT-0002" not in str(to_chair)
    assert len(to_chair) == 5 and sum("text" in t for t in to_chair) == 4
    to_county = {t["text"]: t for t in texts_of(companion, survey_id, COUNTY)["texts"]}
    assert (to_county[said[4]]["tracking_code"], to_county[said[4]]["status"]) == (
        "TEXT-0002-ABCD",
        "registered",
    )


# -- the kiosk, as the API enrols it ----------------------------------------------------------------
@pytest.mark.parametrize("headers", [CHAIR, COUNTY, CITY], ids=["chair", "county", "city"])
def test_staff_enrol_the_kiosk_and_only_the_key_hash_is_kept(companion, headers):
    now_is(TODAY)
    got = companion.post("/api/v1/kiosks/E001", headers=headers)
    assert got.status_code == 201, got.get_json()
    body = got.get_json()
    url = urlsplit(body["enrol_url"])
    assert (body["enterprise_code"], url.path) == ("E001", "/k/E001/enrol")
    assert url.query.startswith("key=")
    key = url.query.removeprefix("key=")
    assert len(key) >= 32
    [kiosk] = rows(companion.rt, "kiosks")
    assert kiosk["key_hash"] == sha256(key) and key not in repr(kiosk)
    again = companion.post("/api/v1/kiosks/E001", headers=headers).get_json()["enrol_url"]
    assert again != body["enrol_url"] and len(rows(companion.rt, "kiosks")) == 1


# -- bad input at every new JSON endpoint ----------------------------------------------------------
@pytest.fixture
def opened(companion):
    """The client with an open survey (``companion.survey``) and one unused code (``companion.code``)."""
    companion.survey = open_survey(companion)
    companion.code = slips(companion, companion.survey, 1)[0]
    return companion


def _with_body(client) -> dict[str, tuple[str, str, dict, dict]]:
    """Every new JSON endpoint that takes a body: (method, path, a good body, headers)."""
    s = client.survey
    return {
        "define": ("POST", "/api/v1/surveys", survey_body(), CHAIR),
        "codes": ("POST", f"/api/v1/surveys/{s}/codes", {"count": 2}, CHAIR),
        "answer": ("POST", f"/api/v1/public/surveys/{s}/answers", {"code": client.code, "answers": GOOD}, {}),
    }


MALFORMED = {
    "cut": b'{"count": 2',
    "bare key": b"{count: 2}",
    "single quotes": b"{'count': 2}",
    "trailing comma": b'{"count": 2,}',
    "empty": b"",
    "not utf-8": b"\xff\xfe",
    "not utf-8 in a string": b'{"title": "\xff\xfe"}',
    "deep": b"[" * 20_000 + b"]" * 20_000,
}


def test_a_body_that_is_not_a_json_object_is_refused(opened, subtests):
    as_json = {"Content-Type": "application/json"}
    for what, (method, path, good, headers) in _with_body(opened).items():
        for why, raw in MALFORMED.items():
            with subtests.test(msg=f"{what}: {why}"):
                refused(opened, 400, "malformed", method, path, data=raw, headers=headers | as_json)
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]:
            with subtests.test(msg=f"{what}: {content_type}"):
                sent = headers | ({"Content-Type": content_type} if content_type else {})
                refused(
                    opened, 415, "unsupported_media_type", method, path, data=json.dumps(good), headers=sent
                )
        with subtests.test(msg=f"{what}: no body"):
            refused(opened, 415, "unsupported_media_type", method, path, headers=headers)
        for body in [[], ["count", 2], "text", 3, None, True]:
            with subtests.test(msg=f"{what}: {body!r}"):
                raw = json.dumps(body)
                refused(opened, 422, "invalid_fields", method, path, data=raw, headers=headers | as_json)
        with subtests.test(msg=f"{what}: over max_content_length"):
            raw = json.dumps({**good, "padding": "x" * opened.rt.settings.max_content_length})
            refused(opened, 413, "too_large", method, path, data=raw, headers=headers | as_json)
        with subtests.test(msg=f"{what}: a key twice"):
            key = next(iter(good))
            raw = json.dumps(good)[:-1] + f", {json.dumps(key)}: {json.dumps(good[key])}}}"
            got = refused(opened, 422, "invalid_fields", method, path, data=raw, headers=headers | as_json)
            assert list(got["fields"]) == [key]


def test_codes_of_a_wrong_count_are_422(opened, subtests):
    path = f"/api/v1/surveys/{opened.survey}/codes"
    for count in ["5", 5.0, 0, -1, 501, 10**20, True, None, [5], {"n": 5}]:
        with subtests.test(msg=repr(count)):
            got = refused(opened, 422, "invalid_fields", "POST", path, json={"count": count}, headers=CHAIR)
            assert list(got["fields"]) == ["count"]
    got = refused(
        opened, 422, "invalid_fields", "POST", path, json={"count": 2, "channel": "kiosk"}, headers=CHAIR
    )
    assert list(got["fields"]) == ["channel"]


def test_a_survey_with_a_wrong_field_is_422_naming_it(companion, subtests):
    now_is(TODAY)
    for field, value in [
        ("title", ["食堂满意度调研"]),
        ("title", 12),
        ("title", None),
        ("title", ""),
        ("title", "调" * 201),
        ("title", "调" * 10_000),
        ("title", "食堂\x00调研"),
        ("title", "\u202e研调堂食"),
        ("title", "食堂\u200b调研"),
        ("title", "食堂\n调研"),
        ("intro", "介" * 10_000),
        ("intro", "三个问题\x00"),
        ("intro", 3),
        ("enterprise_code", "E 001"),
        ("enterprise_code", "E001\x00"),
        ("enterprise_code", ["E001"]),
        ("closes_on", "2026-10-15T00:00:00"),
        ("closes_on", 20261015),
        ("closes_on", "2026-02-30"),
        ("closes_on", None),
        ("questions", "你在哪个车间？"),
        ("questions", [{"kind": "scale", "text": "满\x00意吗"}]),
        ("questions", [{"kind": "scale", "text": "\u202e吗意满"}]),
        ("questions", [{"kind": "scale", "text": "满" * 10_000}]),
        ("questions", [{"kind": "single", "text": "哪个车间", "options": ["一", "\u202e二"]}]),
        ("state", "open"),
        ("created_by", "admin-1"),
    ]:
        with subtests.test(msg=f"{field}={value!r:.40}"):
            body = survey_body(**{field: value}) | ({"tables": []} if field == "questions" else {})
            got = refused(
                companion, 422, "invalid_fields", "POST", "/api/v1/surveys", json=body, headers=CHAIR
            )
            assert {f.split(".")[0] for f in got["fields"]} == {field}, got["fields"]
    for field in ["enterprise_code", "title", "questions", "closes_on"]:
        with subtests.test(msg=f"no {field}"):
            body = {k: v for k, v in survey_body().items() if k != field}
            got = refused(
                companion, 422, "invalid_fields", "POST", "/api/v1/surveys", json=body, headers=CHAIR
            )
            assert list(got["fields"]) == [field]


HOSTILE = [
    "'); DROP TABLE survey_answers; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
    "🍚 饭 " * 100,
]


def test_hostile_text_that_is_valid_is_kept_as_written(companion):
    survey_id = open_survey(companion, title=HOSTILE[1], intro="\n".join(HOSTILE[:3]))
    public = companion.get(f"/api/v1/public/surveys/{survey_id}").get_json()
    assert (public["title"], public["intro"]) == (HOSTILE[1], "\n".join(HOSTILE[:3]))
    answered(companion, survey_id, [[1, 3, [1], t] for t in HOSTILE] + [[1, 3, [1], "正常意见"]])
    shown = sorted(t["text"] for t in texts_of(companion, survey_id)["texts"])
    assert shown == sorted([*(t.strip() for t in HOSTILE), "正常意见"])
    assert len(rows(companion.rt, "survey_answers")) == 5
    page = companion.get(f"/s/{survey_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_survey_id_that_is_not_one_is_404(opened, subtests):
    bad_ids = [
        "not-a-uuid",
        "1",
        "' OR 1=1 --",
        SOME_UUID[:-1],
        SOME_UUID + "0",
        SOME_UUID[:-1] + "\x00",
        "x" * 1000,
        "<script>",
        "\u202e" + SOME_UUID,
        SOME_UUID,  # well formed, no such survey
    ]
    answer_body = {"code": opened.code, "answers": GOOD}
    for method, pattern, body, headers in [
        ("GET", "/api/v1/surveys/{}", None, CHAIR),
        ("POST", "/api/v1/surveys/{}/open", None, CHAIR),
        ("POST", "/api/v1/surveys/{}/close", None, CHAIR),
        ("POST", "/api/v1/surveys/{}/codes", {"count": 1}, CHAIR),
        ("GET", "/api/v1/surveys/{}/results", None, CHAIR),
        ("GET", "/api/v1/surveys/{}/texts", None, CHAIR),
        ("GET", "/api/v1/public/surveys/{}", None, {}),
        ("POST", "/api/v1/public/surveys/{}/answers", answer_body, {}),
    ]:
        for survey_id in bad_ids:
            with subtests.test(msg=f"{method} {pattern} {survey_id[:40]!r}"):
                path = pattern.format(quote(survey_id))
                refused(opened, 404, "not_found", method, path, json=body, headers=headers)
    assert answer(opened, opened.survey, opened.code, GOOD).status_code == 201


def test_the_kiosk_of_no_enterprise_is_404(companion, subtests):
    for code in ["E 001", "E001\x00", "E001' OR '1'='1", "\u202e100E", "E" * 500, "E999", "*"]:
        with subtests.test(msg=repr(code)[:40]):
            refused(companion, 404, "not_found", "POST", f"/api/v1/kiosks/{quote(code)}", headers=CITY)


def test_the_staff_endpoints_want_a_token(companion, subtests):
    for method, path in [
        ("POST", "/api/v1/surveys"),
        ("GET", "/api/v1/surveys"),
        ("GET", f"/api/v1/surveys/{SOME_UUID}"),
        ("POST", f"/api/v1/surveys/{SOME_UUID}/open"),
        ("POST", f"/api/v1/surveys/{SOME_UUID}/close"),
        ("POST", f"/api/v1/surveys/{SOME_UUID}/codes"),
        ("POST", "/api/v1/kiosks/E001"),
    ]:
        with subtests.test(msg=f"{method} {path}"):
            refused(companion, 401, "unauthenticated", method, path, json={"count": 1})


def test_a_wrong_survey_list_query_or_method_is_refused(companion, subtests):
    for query in ["enterprise=E%20001", "enterprise=", "state=open", "enterprise=E001%00"]:
        with subtests.test(msg=query):
            refused(companion, 422, "invalid_fields", "GET", f"/api/v1/surveys?{query}", headers=CITY)
    for method, path in [
        ("DELETE", f"/api/v1/surveys/{SOME_UUID}"),
        ("PUT", f"/api/v1/surveys/{SOME_UUID}"),
        ("GET", f"/api/v1/surveys/{SOME_UUID}/open"),
        ("GET", f"/api/v1/surveys/{SOME_UUID}/codes"),
        ("POST", f"/api/v1/surveys/{SOME_UUID}/results"),
        ("GET", f"/api/v1/public/surveys/{SOME_UUID}/answers"),
        ("GET", "/api/v1/kiosks/E001"),
    ]:
        with subtests.test(msg=f"{method} {path}"):
            assert error(companion.open(path, method=method, headers=CITY)) == (405, "method_not_allowed")
