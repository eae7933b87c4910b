"""The worker's pages in a real browser: a phone, a double tap, the kiosk's idle reset, China time,
the answer shown back, the contact fields that follow the choice to be named."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.browser.conftest import PHONE
from tests.support.intake import count_rows, move, post_json, stored

KIOSK_PORTRAIT = {"width": 1080, "height": 1920}
TYPED = "食堂的饭菜一个月涨价两次，工资没涨。"


def submitted_code(served) -> str:
    response = post_json(served.client)
    assert response.status_code == 201
    return response.get_json()["tracking_code"]


def fill_demand(page, enterprise: str | None = "E002") -> None:
    if enterprise:
        page.select_option("#enterprise_code", enterprise)
    page.select_option("#category", "welfare")
    page.fill("#description", TYPED)


def test_a_worker_submits_the_form_on_a_phone_and_sees_the_tracking_code(served, open_page):
    page = open_page(PHONE)
    page.goto(served.url + "/")
    assert page.input_value("#enterprise_code") == ""  # nobody is filed against a preselected employer
    fill_demand(page)
    page.click("button[type=submit] >> text=提交")

    page.wait_for_url(re.compile(r"/registered/"))
    code = page.inner_text("#tracking-code")
    [row] = stored(served.rt, "grievances")
    assert (code, row["enterprise_code"], row["category"], row["description"]) == (
        row["tracking_code"],
        "E002",
        "welfare",
        TYPED,
    )
    box = page.locator("#tracking-code").bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] < 100  # one line, on the screen


def test_a_double_tap_on_submit_makes_one_demand(served, open_page):
    served.post_delay = 0.5  # a slow network: the first request has left when the second tap comes
    page = open_page(PHONE)
    page.goto(served.url + "/")
    fill_demand(page)
    button = page.locator("form[method=post] button[type=submit]")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)  # the page has not changed yet: the same button, tapped again

    page.wait_for_selector("#tracking-code")  # the second navigation wins; the first is aborted
    page.wait_for_load_state("networkidle")
    assert len(posts) == 2  # the browser did send the form twice
    assert count_rows(served.rt, "grievances") == 1
    assert page.inner_text("#tracking-code") == stored(served.rt, "grievances")[0]["tracking_code"]


def test_the_kiosk_forgets_a_half_typed_demand_when_left_alone(served, open_page):
    page = open_page(KIOSK_PORTRAIT)
    home = served.url + "/k/E001?idle=2"
    page.goto(home)
    page.fill("#description", TYPED)
    page.click("#anonymous-false + label")
    page.fill("#contact_phone", "13800000000")

    with page.expect_navigation(timeout=8_000):
        pass  # the idle timer goes home by itself
    assert page.url == home
    assert page.input_value("#description") == "" and page.input_value("#contact_phone") == ""
    assert page.is_checked("#anonymous-true")


def test_back_after_an_idle_reset_shows_nothing_of_the_last_worker(served, open_page):
    page = open_page(KIOSK_PORTRAIT)
    home = served.url + "/k/E001?idle=2"
    page.goto(home)
    page.fill("#description", TYPED)
    page.fill("#workshop", "三号车间")
    page.click("nav >> text=查询诉求")  # the worker looks something up, then walks away
    page.wait_for_url(re.compile(r"/k/E001/s\?"))

    page.wait_for_url(home, timeout=8_000)  # reset: the lookup page is replaced by the empty form
    page.go_back()
    page.wait_for_load_state()
    assert page.input_value("#description") == "" and page.input_value("#workshop") == ""
    assert TYPED not in page.content()


def test_the_kiosk_keeps_the_chosen_language_through_submission_and_then_resets_to_chinese(served, open_page):
    page = open_page(KIOSK_PORTRAIT)
    page.goto(served.url + "/k/E001?idle=3")
    page.click("nav >> text=English")
    fill_demand(page, enterprise=None)
    page.click("form[method=post] button[type=submit]")

    page.wait_for_url(re.compile(r"/k/E001/registered/"))
    assert "Your tracking code" in page.inner_text("main")
    page.wait_for_url(served.url + "/k/E001?idle=3", timeout=8_000)
    assert "提交" in page.inner_text("form[method=post] button[type=submit]")


@pytest.mark.parametrize(
    "screen", [KIOSK_PORTRAIT, {"width": 1280, "height": 1024}], ids=["portrait", "1280"]
)
def test_kiosk_controls_are_touch_sized(served, open_page, screen):
    code = submitted_code(served)
    move(served.rt, code, "resolved")
    page = open_page(screen)
    for path in ("/k/E001", f"/k/E001/s/{code}"):  # the demand, and the answer with its rating scale
        page.goto(served.url + path)
        controls = page.locator(
            "input[type=radio], input[type=checkbox], button, .choices > label, "
            ".choice > label, main a, nav a"
        ).all()
        for control in controls:
            box = control.bounding_box()
            assert box["height"] >= 44, control.evaluate("e => e.outerHTML")
            if control.evaluate("e => e.type === 'radio' || e.type === 'checkbox'"):
                assert box["width"] >= 44, control.evaluate("e => e.outerHTML")
        assert len(controls) > 10


def test_the_kiosk_form_fills_the_screen_without_scrolling(served, open_page):
    for screen in (KIOSK_PORTRAIT, {"width": 1280, "height": 1024}):
        page = open_page(screen)
        page.goto(served.url + "/k/E001")
        assert page.evaluate("document.documentElement.scrollHeight") <= screen["height"]
        submit = page.locator("form[method=post] button[type=submit]").bounding_box()
        assert submit["y"] + submit["height"] > 0.85 * screen["height"]  # down at the bottom, not mid-screen


def test_the_status_page_shows_china_time(served, open_page):
    code = submitted_code(served)
    move(served.rt, code, "resolved", at=datetime(2030, 1, 1, 1, 30, tzinfo=UTC))
    page = open_page(PHONE)
    page.goto(f"{served.url}/s/{code}")

    timeline = page.inner_text("ol.timeline")
    assert "2030-01-01 09:30" in timeline and "01:30" not in timeline
    assert "2030-01-08 09:30" in page.inner_text("#feedback")  # the deadline too
    assert "UTC" not in page.inner_text("body")


@pytest.mark.parametrize("kiosk", ["", "/k/E001"], ids=["web", "kiosk"])
def test_the_answer_is_shown_at_once_with_a_thank_you_that_is_not_an_error(served, open_page, kiosk):
    code = submitted_code(served)
    move(served.rt, code, "resolved", note="已调整价格")
    page = open_page(PHONE)
    page.goto(f"{served.url}{kiosk}/s/{code}")
    page.click("#satisfied-false + label")
    page.click("#rating-2 + label")
    page.fill("#comment", "价格还是没降下来")
    page.click("#feedback button[type=submit]")

    page.wait_for_selector("#thanks")
    assert page.url.endswith(f"{kiosk}/s/{code}#answer")
    answer = page.inner_text("#answer")
    assert "谢谢" in answer and "不满意" in answer and "2 — 不满意" in answer and "价格还是没降下来" in answer
    assert page.locator("[role=alert], .banner").count() == 0
    colour = page.eval_on_selector("#answer", "e => getComputedStyle(e).borderLeftColor")
    assert colour == "rgb(30, 126, 52)"  # the green of a notice, not the red of an error
    assert page.locator("#feedback").count() == 0


def test_contact_fields_show_only_when_the_worker_chooses_to_be_named(served, open_page):
    page = open_page(PHONE)
    page.goto(served.url + "/")
    assert page.is_checked("#anonymous-true")
    assert not page.is_visible("#contact_name") and not page.is_visible("#contact_phone")

    page.click("#anonymous-false + label")
    assert page.is_visible("#contact_name") and page.is_visible("#contact_phone")
    page.click("#anonymous-true + label")
    assert not page.is_visible("#contact_email")
