"""A micro-survey (微调研) answered in a real browser: at the enterprise's enrolled kiosk (the page
brings its own one-time code) and on a worker's phone with the code of a printed slip; what a refused
answer shows; the pages saved under var/screenshots/ for a person to look at.

companion is served over real HTTP on loopback (SQLite, no broker), its clock on Wednesday
30 September 2026 in China."""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from shared import clock
from shared.config import REPO_ROOT
from tests.browser.conftest import PHONE, serve
from tests.support.companion import CHAIR, make_companion, now_is, put_schedule, record, rows

KIOSK_PORTRAIT = {"width": 1080, "height": 1920}
SHOTS = REPO_ROOT / "var" / "screenshots"
LOCALES = {"zh": "zh-CN", "en": "en-GB"}
TITLE = "食堂与班车微调研"
TYPED = "夜班下班后没有班车，走夜路回宿舍不安全。"
QUESTIONS = [
    {"kind": "single", "text": "您在哪个班次工作？", "options": ["白班", "夜班", "倒班"]},
    {"kind": "scale", "text": "您对食堂的饭菜满意吗？"},
    {
        "kind": "multiple",
        "text": "您最希望改善哪些方面？（可多选）",
        "options": ["食堂", "宿舍", "班车", "加班费"],
    },
    {"kind": "text", "text": "还有什么想对工会说的？"},
]


@pytest.fixture
def site(sqlite_runtime):
    """companion's test client (``.rt``) and, on ``.url``, the same app as a real HTTP server;
    ``.post_delay`` seconds slow every POST down (a slow network: time for a second tap)."""
    now_is(date(2026, 9, 30))
    client = make_companion(sqlite_runtime)
    client.post_delay = 0.0

    def slowed(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and client.post_delay:
            time.sleep(client.post_delay)
        return client.application(environ, start_response)

    client.url, stop = serve(slowed)
    yield client
    stop()
    clock.set_offset(None)


def open_survey(client) -> str:
    """A survey of E001 defined and opened by its chair; its id."""
    answer = client.post(
        "/api/v1/surveys",
        json={
            "enterprise_code": "E001",
            "title": TITLE,
            "intro": "四个问题，一分钟。工会汇总后统一答复。",
            "questions": QUESTIONS,
            "tables": [[1, 2]],
            "closes_on": "2026-10-31",
        },
        headers=CHAIR,
    )
    assert answer.status_code == 201, answer.get_json()
    survey_id = answer.get_json()["id"]
    opened = client.post(f"/api/v1/surveys/{survey_id}/open", headers=CHAIR)
    assert opened.status_code == 200 and opened.get_json()["state"] == "open", opened.get_json()
    return survey_id


def slips(client, survey_id: str, count: int) -> list[str]:
    answer = client.post(f"/api/v1/surveys/{survey_id}/codes", json={"count": count}, headers=CHAIR)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["codes"]


def enrol(client, page) -> None:
    """Enrol E001's kiosk and open the enrolment address on the page's screen, as staff would."""
    answer = client.post("/api/v1/kiosks/E001", headers=CHAIR)
    assert answer.status_code == 201, answer.get_json()
    address = urlsplit(answer.get_json()["enrol_url"])
    assert re.fullmatch(r"/k/E001/enrol", address.path) and address.query.startswith("key=")
    page.goto(f"{client.url}{address.path}?{address.query}")
    page.wait_for_url(f"{client.url}/k/E001")


def fill(page, shift: int | None = 2, scale: int | None = 4, wishes=(1, 3), text: str | None = TYPED) -> None:
    """Answer the survey by tapping the labels (as a finger does) and typing the free text."""
    if shift:
        page.click(f"#q1-{shift} + label")
    if scale:
        page.click(f"#q2-{scale} + label")
    for wish in wishes:
        page.click(f"#q3_{wish} + label")
    if text:
        page.fill("#q4 textarea", text)


def send(page):
    """Tap the form's button; the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.click("form.survey-form button[type=submit]")
    return navigation.value


def answers(client) -> list:
    """The choices stored, one list per answer (SQLite gives the JSON column back as text)."""
    return [json.loads(r["choices"]) for r in rows(client.rt, "survey_answers")]


def texts(client) -> list[str]:
    return [r["text"] for r in rows(client.rt, "survey_texts")]


# -- at the kiosk ----------------------------------------------------------------------------------------
def test_a_worker_answers_at_the_enrolled_kiosk(site, open_page):
    survey_id = open_survey(site)
    page = open_page(KIOSK_PORTRAIT)
    enrol(site, page)
    assert page.get_attribute("html", "class") == "kiosk"
    page.click(f"a.button >> text={TITLE}")

    page.wait_for_url(f"{site.url}/k/E001/s/{survey_id}")
    assert page.get_attribute("html", "class") == "kiosk"
    assert page.locator("#code").count() == 0  # no code to type: the page brings its own
    assert len(page.input_value("form.survey-form input[name=code]")) == 11
    fill(page)
    assert send(page).status == 200
    page.wait_for_selector("#thanks")
    assert page.url == f"{site.url}/k/E001/s/{survey_id}/thanks"
    assert answers(site) == [[2, 4, [1, 3], None]]  # the text is kept apart from the choices
    assert texts(site) == [TYPED]
    [used] = rows(site.rt, "survey_codes")
    assert (used["channel"], used["used_on"]) == ("kiosk", "2026-09-30")  # the day only (as SQLite keeps it)

    # The next worker at once: a code per session at most every 20 seconds, so no one stuffs it.
    page.click("main a.button.secondary")  # 清除 / Clear now
    page.wait_for_url(f"{site.url}/k/E001")
    with page.expect_navigation() as busy:
        page.click(f"a.button >> text={TITLE}")
    assert busy.value.status == 429
    assert page.locator("form.survey-form").count() == 0
    clock.set_offset(clock.offset() + timedelta(seconds=21))
    page.goto(f"{site.url}/k/E001")
    page.click(f"a.button >> text={TITLE}")
    page.wait_for_selector("form.survey-form")
    assert len(rows(site.rt, "survey_codes")) == 2


def test_a_kiosk_that_is_not_enrolled_shows_the_survey_but_gives_no_code(site, open_page):
    survey_id = open_survey(site)
    page = open_page(KIOSK_PORTRAIT)
    page.goto(f"{site.url}/k/E001")
    assert TITLE in page.inner_text("ul.surveys")
    assert page.locator("ul.surveys a").count() == 0
    response = page.goto(f"{site.url}/k/E001/s/{survey_id}")
    assert response.status == 404
    assert rows(site.rt, "survey_codes") == []


def test_a_missing_answer_at_the_kiosk_keeps_the_same_code(site, open_page):
    survey_id = open_survey(site)
    page = open_page(KIOSK_PORTRAIT)
    enrol(site, page)
    page.goto(f"{site.url}/k/E001/s/{survey_id}")
    given = page.input_value("form.survey-form input[name=code]")
    fill(page, scale=None)
    assert send(page).status == 422
    assert page.locator("#q2 .error").count() == 1
    assert page.input_value("form.survey-form input[name=code]") == given  # not a second code
    page.click("#q2-5 + label")
    send(page)
    page.wait_for_selector("#thanks")
    assert answers(site) == [[2, 5, [1, 3], None]]
    assert len(rows(site.rt, "survey_codes")) == 1


def test_a_double_tap_on_send_at_the_kiosk_records_one_answer_and_says_thank_you(site, open_page):
    survey_id = open_survey(site)
    page = open_page(KIOSK_PORTRAIT)
    enrol(site, page)
    page.goto(f"{site.url}/k/E001/s/{survey_id}")
    fill(page)
    site.post_delay = 0.5  # a slow network: the first request is still on its way when the second leaves
    # The form as filled, sent twice at once from the page (two taps; a click under load may land
    # while the page is already leaving, so the page sends them itself): each answered with the
    # redirect to the thanks page, neither with "code used".
    kinds = page.evaluate(
        """async () => {
            const form = document.querySelector("form.survey-form");
            const send = () => fetch(location.href, {
                method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "manual"});
            return (await Promise.all([send(), send()])).map((answer) => answer.type);
        }"""
    )
    assert kinds == ["opaqueredirect", "opaqueredirect"], kinds  # both 303, to the thanks page
    assert answers(site) == [[2, 4, [1, 3], None]]  # one answer recorded
    page.goto(f"{site.url}/k/E001/s/{survey_id}/thanks")
    assert page.locator("#thanks").count() == 1, page.inner_text("main")[:300]  # not "code used"


@pytest.mark.parametrize(
    "screen", [KIOSK_PORTRAIT, {"width": 1280, "height": 1024}], ids=["portrait", "1280"]
)
def test_kiosk_survey_controls_are_touch_sized(site, open_page, screen):
    survey_id = open_survey(site)
    page = open_page(screen)
    enrol(site, page)
    page.goto(f"{site.url}/k/E001/s/{survey_id}")
    controls = page.locator(
        "form.survey-form input[type=radio], form.survey-form input[type=checkbox], button, "
        ".choices > label, .choice > label, main a, nav a"
    ).all()
    assert len(controls) > 15
    small = []
    for control in controls:
        box = control.bounding_box()
        square = control.evaluate("e => e.type === 'radio' || e.type === 'checkbox'")
        if box["height"] < 44 or (square and box["width"] < 44):
            small.append((control.evaluate("e => e.outerHTML")[:80], box["width"], box["height"]))
    assert small == []


def test_the_kiosk_keeps_the_chosen_language_into_the_survey(site, open_page):
    survey_id = open_survey(site)
    page = open_page(KIOSK_PORTRAIT, "zh-CN")
    enrol(site, page)
    page.click("nav >> text=English")
    assert page.get_attribute("html", "lang") == "en"
    page.click(f"a.button >> text={TITLE}")
    page.wait_for_url(re.compile(rf"/k/E001/s/{survey_id}"))
    assert page.get_attribute("html", "lang") == "en", page.url  # the worker chose English


# -- on a phone, with a slip -------------------------------------------------------------------------------
def test_a_worker_answers_on_a_phone_with_the_code_of_a_slip(site, open_page):
    survey_id = open_survey(site)
    first, second = slips(site, survey_id, 2)
    page = open_page(PHONE)
    page.goto(f"{site.url}/s/{survey_id}")
    assert page.get_attribute("html", "class") is None  # not kiosk mode
    page.fill("#code", first.lower())  # typed as it comes, in small letters
    fill(page)
    assert send(page).status == 200
    page.wait_for_selector("#thanks")
    assert answers(site) == [[2, 4, [1, 3], None]] and texts(site) == [TYPED]

    # The same slip again (a colleague borrows it): refused, the form shown again as it was filled.
    page.goto(f"{site.url}/s/{survey_id}")
    page.fill("#code", first.lower())
    fill(page, shift=3, scale=1, wishes=(2, 4), text="宿舍热水经常停。")
    assert send(page).status == 409
    assert page.locator("[role=alert]").count() == 1
    assert page.input_value("#code") == first.lower()
    assert [page.is_checked(f"#q1-{n}") for n in (1, 2, 3)] == [False, False, True]
    assert [page.is_checked(f"#q2-{n}") for n in range(1, 6)] == [True, False, False, False, False]
    assert [page.is_checked(f"#q3_{n}") for n in range(1, 5)] == [False, True, False, True]
    assert page.input_value("#q4 textarea") == "宿舍热水经常停。"
    assert answers(site) == [[2, 4, [1, 3], None]]  # nothing written

    # With their own slip the same answers go through.
    page.fill("#code", second)
    send(page)
    page.wait_for_selector("#thanks")
    assert sorted(answers(site), key=str) == [[2, 4, [1, 3], None], [3, 1, [2, 4], None]]


def test_a_missing_required_answer_is_shown_next_to_its_question(site, open_page):
    survey_id = open_survey(site)
    [code] = slips(site, survey_id, 1)
    page = open_page(PHONE)
    page.goto(f"{site.url}/s/{survey_id}")
    page.fill("#code", code)
    fill(page, shift=None, wishes=())
    assert send(page).status == 422

    assert page.locator(".error").count() == 2
    for question in ("#q1", "#q3"):  # the error inside the question's own box, above its choices
        error = page.locator(f"{question} .error")
        assert error.is_visible()
        first_choice = page.locator(f"{question} input").first.bounding_box()
        assert error.bounding_box()["y"] < first_choice["y"], f"{question}: the error sits beside a choice"
    assert page.input_value("#code") == code and page.is_checked("#q2-4")
    assert page.input_value("#q4 textarea") == TYPED
    # Each choice stays on one line with its label, the error notwithstanding.
    for question in ("#q1", "#q3"):
        for box in page.locator(f"{question} input").all():
            label = page.locator(f"label[for='{box.get_attribute('id')}']").bounding_box()
            mark = box.bounding_box()
            assert label["y"] <= mark["y"] + mark["height"] / 2 <= label["y"] + label["height"], question
            assert mark["x"] < label["x"], question
    assert answers(site) == []

    fill(page, scale=None, wishes=(4,), text=None)
    send(page)
    page.wait_for_selector("#thanks")  # the refusal did not use the code up
    assert answers(site) == [[2, 4, [4], None]]


def test_the_chosen_language_is_kept_onto_the_thanks_page(site, open_page):
    survey_id = open_survey(site)
    [code] = slips(site, survey_id, 1)
    page = open_page(PHONE, "zh-CN")
    page.goto(f"{site.url}/s/{survey_id}?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    page.fill("#code", code)
    fill(page)
    send(page)
    page.wait_for_selector("#thanks")
    assert page.get_attribute("html", "lang") == "en", page.url


# -- what a person looks at ------------------------------------------------------------------------------
def fits_the_screen(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"


@pytest.mark.parametrize("lang", LOCALES)
def test_the_survey_pages_fit_their_screens_and_are_saved(site, open_page, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    survey_id = open_survey(site)
    [code] = slips(site, survey_id, 1)
    put_schedule(site, 2, starts_on="2026-09-01")
    for day in ("2026-09-16", "2026-09-23", "2026-09-30"):
        assert record(site, day).status_code == 201
    suffix = "" if lang == "zh" else f"-{lang}"
    complaints, saved = [], []

    def watched(screen):
        page = open_page(screen, LOCALES[lang])
        page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: complaints.append(str(e)))
        return page

    def shot(page, name: str) -> None:
        path = SHOTS / f"companion-{name}{suffix}.png"
        page.wait_for_load_state("load")  # its stylesheet applied: the full height, not the first paint
        page.screenshot(path=str(path), full_page=True)
        saved.append(name)
        fits_the_screen(page, name)

    kiosk = watched(KIOSK_PORTRAIT)
    enrol(site, kiosk)
    shot(kiosk, "kiosk-home")
    kiosk.click(f"a.button >> text={TITLE}")
    kiosk.wait_for_selector("form.survey-form")
    shot(kiosk, "kiosk-survey")
    fill(kiosk)
    send(kiosk)
    kiosk.wait_for_selector("#thanks")
    shot(kiosk, "kiosk-thanks")

    phone = watched(PHONE)
    phone.goto(f"{site.url}/s/{survey_id}")
    shot(phone, "phone-survey")
    phone.fill("#code", code)
    fill(phone, shift=None, wishes=())
    send(phone)
    shot(phone, "phone-survey-refused")
    fill(phone, scale=None, wishes=(2,), text=None)
    send(phone)
    phone.wait_for_selector("#thanks")
    shot(phone, "thanks")
    phone.goto(f"{site.url}/diary/E001")
    shot(phone, "phone-diary")

    assert saved == [
        "kiosk-home",
        "kiosk-survey",
        "kiosk-thanks",
        "phone-survey",
        "phone-survey-refused",
        "thanks",
        "phone-diary",
    ]
    # Refusals (422) are meant: Chromium reports their status, which is not a complaint.
    assert [c for c in complaints if not c.startswith("Failed to load resource")] == []
