"""A micro-survey (微调研) among the other services, as real processes: a chair defines and opens it,
six workers answer with the codes of printed slips, the results show only counts of five and more,
and one free-text answer becomes a demand in the ledger by the one path (intake → outbox → routing →
companion), its tracking code and status shown back beside the text. Nothing a worker wrote, no code
and no kiosk key is left in any service's log. And one survey answered at the enrolled kiosk, in
Debian's Chromium at the kiosk's size, against the same processes."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from harness.system import Xinsheng
from shared import clock
from shared.procs import wait_until

pytestmark = pytest.mark.e2e

QUESTIONS = [
    {"kind": "single", "text": "您在哪个班次工作？", "options": ["白班", "夜班", "倒班"]},
    {"kind": "scale", "text": "您对食堂的饭菜满意吗？"},
    {"kind": "multiple", "text": "您最希望改善哪些方面？", "options": ["食堂", "宿舍", "班车", "加班费"]},
    {"kind": "text", "text": "还有什么想对工会说的？"},
]
# Six workers' answers, one per slip: the fifth leaves the text out.
GIVEN = [
    [1, 4, [1, 3], "夜班食堂十点就关门，下夜班吃不上热饭。"],
    [1, 4, [1, 3], "班车只到东门，宿舍在西区，要走二十分钟。"],
    [1, 5, [1, 3], "希望宿舍多装几台洗衣机。"],
    [1, 4, [1, 2, 3], "加班费一直按最低工资算，不合理。"],
    [2, 3, [1, 3], None],
    [1, 4, [1, 4], "车间夏天太热，没有降温饮料。"],
]
POSTED = GIVEN[0][3]  # the text the chair makes a demand of
KIOSK_PORTRAIT = {"width": 1080, "height": 1920}
KIOSK_CODE_SECONDS = 5  # a kiosk's session at most this often: short, for the test to see it pass
TYPED_AT_KIOSK = "夜班下班后没有班车，走夜路回宿舍不安全。"


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    env = {"KIOSK_CODE_SECONDS": str(KIOSK_CODE_SECONDS)}
    with Xinsheng(tmp_path_factory.mktemp("surveys"), env=env) as system:
        yield system


@pytest.fixture
def kiosk_screen(chromium):
    """A page of the session's Chromium at the kiosk's size (portrait 1080×1920), in a fresh
    context, closed afterwards whatever the test did."""
    context = chromium.new_context(viewport=KIOSK_PORTRAIT, locale="zh-CN")
    try:
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.errors = []  # what the page's scripts threw (kiosk.js runs on every kiosk page)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        yield page
    finally:
        context.close()


def define_and_open(xs: Xinsheng, chair: dict) -> str:
    status, survey = xs.post_json(
        "companion",
        "/api/v1/surveys",
        {
            "enterprise_code": "E001",
            "title": "食堂与班车微调研",
            "intro": "四个问题，一分钟。",
            "questions": QUESTIONS,
            "tables": [[1, 2]],
            "closes_on": (clock.today() + timedelta(days=14)).isoformat(),
        },
        **chair,
    )
    assert status == 201, survey
    assert survey["state"] == "draft"
    status, opened = xs.post_json("companion", f"/api/v1/surveys/{survey['id']}/open", {}, **chair)
    assert status == 200 and opened["state"] == "open", opened
    return survey["id"]


def test_a_survey_answered_by_six_workers_and_one_text_made_a_demand(xs):
    city, chair = xs.staff(), xs.staff("e001-chair", "enterprise_chair", "E001")
    wait_until(
        lambda: xs.get("companion", "/api/v1/schedules", **city)[1]["enterprises"],
        60,
        what="the directory to reach companion",
    )
    survey_id = define_and_open(xs, chair)
    status, made = xs.post_json("companion", f"/api/v1/surveys/{survey_id}/codes", {"count": 6}, **chair)
    assert status == 201, made
    codes = made["codes"]
    assert len(set(codes)) == 6 and urlsplit(made["link"]).path == f"/s/{survey_id}"

    def answer(code: str, given: list) -> tuple[int, dict]:
        return xs.post_json(
            "companion", f"/api/v1/public/surveys/{survey_id}/answers", {"code": code, "answers": given}
        )

    def texts(headers=chair) -> dict:
        status, body = xs.get("companion", f"/api/v1/surveys/{survey_id}/texts", **headers)
        assert status == 200, body
        return body

    for code, given in zip(codes[:4], GIVEN[:4], strict=True):
        status, body = answer(code, given)
        assert status == 201 and body == {"recorded_on": clock.today().isoformat()}, body
    status, early = xs.get("companion", f"/api/v1/surveys/{survey_id}/texts", **chair)
    assert status == 409 and early["error"]["code"] == "survey_not_closed", early  # read once closed
    status, refused = answer(codes[0], GIVEN[4])  # a slip already used, by a colleague who borrowed it
    assert status == 409 and refused["error"]["code"] == "code_unknown_or_used", refused
    for code, given in zip(codes[4:], GIVEN[4:], strict=True):
        status, body = answer(code.lower(), given)  # typed in small letters
        assert status == 201, body

    # Closed, the results: the declared tables only, every count under 5 (and any that would give
    # one away) null.
    status, body = xs.post_json("companion", f"/api/v1/surveys/{survey_id}/close", {}, **chair)
    assert status == 200 and body["state"] == "closed", body
    status, results = xs.get("companion", f"/api/v1/surveys/{survey_id}/results", **chair)
    assert status == 200, results
    assert results["answers"] == 6 and results["fewer_than"] == 5
    counts = {(q["question"], r["option"]): r["count"] for q in results["questions"] for r in q["rows"]}
    assert {key: n for key, n in counts.items() if n is not None} == {(3, 1): 6, (3, 3): 5}
    assert [q["answered"] for q in results["questions"]] == [6, 6, 6]
    assert results["questions"][1]["mean"] is None  # its cells withheld: no mean to narrow them down
    [cross] = results["cross"]
    assert cross["questions"] == [1, 2] and {n for row in cross["cells"] for n in row} == {None}
    shown = [n for n in counts.values() if n is not None] + [results["answers"]]
    assert min(shown) >= 5

    # The texts: five, apart from the answers they came with, each with the batch to post.
    listed = texts()
    assert listed["withheld"] is False
    assert sorted(t["text"] for t in listed["texts"]) == sorted(g[3] for g in GIVEN if g[3])
    assert {t["status"] for t in listed["texts"]} == {"not_posted"}
    assert all(
        set(t) == {"id", "question", "text", "tracking_code", "status", "public_note", "batch"}
        for t in listed["texts"]
    )
    text = next(t for t in listed["texts"] if t["text"] == POSTED)
    batch = text["batch"]
    assert batch == {
        "enterprise_code": "E001",
        "source": {"kind": "survey", "id": text["id"]},
        "items": [{"category": "other", "description": POSTED}],
    }
    batch["items"][0]["category"] = "welfare"  # the chair chooses its category first
    key = {"Idempotency-Key": f"survey-text-{text['id']}"}
    status, posted = xs.post_json("intake", "/api/v1/batches", batch, **chair, **key)
    assert status == 201, posted
    [item] = posted["items"]
    tracking = item["tracking_code"]
    status, again = xs.post_json("intake", "/api/v1/batches", batch, **chair, **key)
    assert status == 200 and again["items"][0]["tracking_code"] == tracking  # posted once
    status, public = xs.get("intake", item["status_url"])
    assert status == 200 and public["category"] == "welfare", public

    def shown_back() -> dict:
        return next(t for t in texts()["texts"] if t["id"] == text["id"])

    wait_until(lambda: shown_back()["status"] == "assigned", 60, what="routing to assign the survey's demand")
    back = shown_back()
    assert (back["tracking_code"], back["text"], back["batch"]) == (tracking, POSTED, None)
    assert {t["status"] for t in texts()["texts"] if t["id"] != text["id"]} == {"not_posted"}
    assert texts(city) == texts()  # the city's officers see the same (nothing about the chair here)

    # The kiosk enrolled (its key is a secret of the same kind as a code) and opened once.
    status, kiosk = xs.post_json("companion", "/api/v1/kiosks/E001", {}, **chair)
    assert status == 201, kiosk
    enrol = urlsplit(kiosk["enrol_url"])
    status, page = xs.request("companion", f"{enrol.path}?{enrol.query}")  # followed to the kiosk's page
    # the kiosk's first page: the diary, and no closed survey offered
    assert status == 200 and "工会民意日记" in page.decode(), page[:300]
    assert f"/k/E001/s/{survey_id}" not in page.decode()

    # No log of any service holds what a worker wrote, a code, or the kiosk's key.
    secrets_ = [g[3] for g in GIVEN if g[3]] + codes + [c.replace("-", "") for c in codes]
    secrets_ += [enrol.query.removeprefix("key=")]
    logs = xs.logs()
    assert "companion" in logs and "intake" in logs  # the logs are there to look at
    leaked = [s for s in secrets_ if s in logs or json.dumps(s)[1:-1] in logs]
    assert leaked == []


def test_the_slips_and_the_kiosk_lead_to_companion(xs):
    """Every process of a system runs with one environment (the Procfile, `make up`, this harness):
    the address printed on a slip and the kiosk's enrolment address must reach companion's pages."""
    chair = xs.staff("e001-chair", "enterprise_chair", "E001")
    survey_id = define_and_open(xs, chair)
    status, made = xs.post_json("companion", f"/api/v1/surveys/{survey_id}/codes", {"count": 1}, **chair)
    assert status == 201, made
    status, kiosk = xs.post_json("companion", "/api/v1/kiosks/E001", {}, **chair)
    assert status == 201, kiosk
    status, page = fetch(made["link"])  # a worker types the address printed on the slip
    assert status == 200 and "食堂与班车微调研" in page, (made["link"], status, page[:300])
    status, page = fetch(kiosk["enrol_url"])  # staff open the enrolment address on the kiosk
    assert status == 200 and "食堂与班车微调研" in page, (kiosk["enrol_url"], status, page[:300])
    companion = xs.system.url("companion")
    assert made["link"] == f"{companion}/s/{survey_id}"
    assert kiosk["enrol_url"].startswith(f"{companion}/k/E001/enrol?key=")


@pytest.mark.browser
def test_a_survey_answered_at_the_kiosk_page(xs, kiosk_screen):
    """The chair opens a survey and enrols E001's kiosk; on the kiosk's screen (Chromium, 1080×1920) a
    worker goes from companion's kiosk page to intake's and back, answers every question with the code
    the page brings, and is thanked; companion has one answer and one kiosk code used. The next session
    within KIOSK_CODE_SECONDS is refused (429); after it, the kiosk gives a code again."""
    chair = xs.staff("e001-chair", "enterprise_chair", "E001")
    companion, intake = xs.system.url("companion"), xs.system.url("intake")
    survey_id = define_and_open(xs, chair)
    status, kiosk = xs.post_json("companion", "/api/v1/kiosks/E001", {}, **chair)
    assert status == 201, kiosk
    assert kiosk["enrol_url"].startswith(f"{companion}/k/E001/enrol?key="), kiosk["enrol_url"]
    home = f"{companion}/k/E001"
    # Earlier tests here opened surveys of the same title at E001: this one's button, by its address.
    button = f'ul.surveys a.button[href="/k/E001/s/{survey_id}"]'
    page = kiosk_screen

    # Staff open the enrolment address on the kiosk's screen: it lands on the kiosk's first page.
    page.goto(kiosk["enrol_url"])
    page.wait_for_url(home)
    assert page.get_attribute("html", "class") == "kiosk"
    assert page.inner_text(button) == "食堂与班车微调研"

    # 提新诉求: the link to intake's kiosk of the same enterprise, and intake's link back.
    assert page.get_attribute("#new-demand", "href") == f"{intake}/k/E001"
    assert page.inner_text("#new-demand") == "提新诉求"
    page.click("#new-demand")
    page.wait_for_url(f"{intake}/k/E001")
    assert page.get_attribute("html", "class") == "kiosk"
    assert page.locator("form.kiosk-form").count() == 1
    assert page.get_attribute("#union-week", "href") == home
    page.click("#union-week")
    page.wait_for_url(home)
    assert page.get_attribute("html", "class") == "kiosk"

    # The survey: the page brings its own one-time code; every question answered by tapping.
    started = time.monotonic()  # the kiosk's code is issued after this
    page.click(button)
    page.wait_for_url(f"{home}/s/{survey_id}")
    issued = time.monotonic()  # ... and before this
    assert page.get_attribute("html", "class") == "kiosk"
    assert page.locator("#code").count() == 0  # nothing to type
    assert len(page.input_value("form.survey-form input[name=code]")) == 11
    page.click("#q1-2 + label")  # 夜班
    page.click("#q2-4 + label")
    page.click("#q3_1 + label")  # 食堂
    page.click("#q3_3 + label")  # 班车
    page.fill("#q4 textarea", TYPED_AT_KIOSK)
    with page.expect_navigation() as sent:
        page.click("form.survey-form button[type=submit]")
    assert sent.value.status == 200
    page.wait_for_selector("#thanks")
    assert page.url == f"{home}/s/{survey_id}/thanks"

    # What companion stored: one answer (the text kept apart), one kiosk code, used today.
    engine = xs.database("companion")
    try:
        with engine.connect() as conn:
            given = conn.execute(
                sa.text("SELECT choices FROM survey_answers WHERE survey_id = :s"), {"s": survey_id}
            ).all()
            typed = conn.execute(
                sa.text("SELECT question, text FROM survey_texts WHERE survey_id = :s"), {"s": survey_id}
            ).all()
            codes = conn.execute(
                sa.text("SELECT channel, used_on FROM survey_codes WHERE survey_id = :s"), {"s": survey_id}
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in given] == [([2, 4, [1, 3], None],)]
    assert [tuple(r) for r in typed] == [(4, TYPED_AT_KIOSK)]
    assert [tuple(r) for r in codes] == [("kiosk", clock.today())]

    # The next worker at once: refused, a session at most every KIOSK_CODE_SECONDS.
    page.click("main a.button.secondary")  # 清除 / Clear now
    page.wait_for_url(home)
    with page.expect_navigation() as busy:
        page.click(button)
    elapsed = time.monotonic() - started
    assert elapsed < KIOSK_CODE_SECONDS, f"too slow to see the refusal: {elapsed:.1f} s"
    assert busy.value.status == 429, busy.value.status
    assert busy.value.headers.get("retry-after") == str(KIOSK_CODE_SECONDS)
    assert page.locator("form.survey-form").count() == 0
    # After the window, the kiosk gives the next session its code.
    time.sleep(max(0.0, issued + KIOSK_CODE_SECONDS + 0.5 - time.monotonic()))
    page.goto(home)
    with page.expect_navigation() as later:
        page.click(button)
    assert later.value.status == 200
    page.wait_for_selector("form.survey-form")
    assert page.errors == []

    engine = xs.database("companion")
    try:
        with engine.connect() as conn:
            channels = conn.execute(
                sa.text("SELECT channel, used_on IS NOT NULL FROM survey_codes WHERE survey_id = :s"),
                {"s": survey_id},
            ).all()
    finally:
        engine.dispose()
    assert sorted(tuple(r) for r in channels) == [("kiosk", False), ("kiosk", True)]


def fetch(url: str) -> tuple[int, str]:
    """GET an absolute address as a browser would (redirects followed): its status and page."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")
