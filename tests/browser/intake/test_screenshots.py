"""Every worker page at the sizes it is used at, in both languages, saved under var/screenshots/ for a
person to look at; each must fit its screen (no sideways scrolling, the tracking code on one line)
and load without a complaint from the browser."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import clock, events
from shared.config import REPO_ROOT
from tests.support.events import deliver
from tests.support.intake import grievance_id, move, post_json

SHOTS = REPO_ROOT / "var" / "screenshots"
SCREENS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1440, "height": 900},
    "kiosk-portrait": {"width": 1080, "height": 1920},
    "kiosk-1280": {"width": 1280, "height": 1024},
}
LOCALES = {"zh": "zh-CN", "en": "en-GB"}


def new_code(served, resolved: bool = False) -> str:
    code = post_json(served.client).get_json()["tracking_code"]
    if resolved:
        move(served.rt, code, "accepted")
        move(served.rt, code, "resolved", note="已更换降噪设备，噪声已降到 80 分贝以下。")
    return code


def supervised_and_paused(served) -> str:
    """A demand whose case the county union supervises (督办) and whose time limit is paused."""
    code = new_code(served)
    move(served.rt, code, "accepted")
    gid, now = grievance_id(served.rt, code), clock.now()
    deliver(
        served.rt,
        events.CaseSupervisionRaised(case_id=gid, grievance_id=gid, level=1, reason="accept_overdue", at=now),
        producer="routing",
    )
    deliver(
        served.rt,
        events.CaseClockPaused(
            case_id=gid,
            grievance_id=gid,
            reason="等待噪声检测机构出具检测报告（约两周）。",
            resume_by=now + timedelta(days=30),
            at=now + timedelta(minutes=1),
        ),
        producer="routing",
    )
    return code


def fits_the_screen(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow}px wider than the screen"
    for code in page.locator(".code, .code-inline").all():
        assert code.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{name}: the code overflows"
        assert code.evaluate("e => e.getClientRects().length") == 1, f"{name}: the code wraps"


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("screen", SCREENS)
def test_every_page_fits_its_screen_and_is_saved(served, open_page, screen, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(SCREENS[screen], LOCALES[lang])
    complaints = []  # a blocked inline style or script (the Content-Security-Policy), a script error
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    at = "/k/E001" if screen.startswith("kiosk") else ""
    registered, resolved, answered = new_code(served), new_code(served, True), new_code(served, True)

    def shot(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(served.url + path)
        fits_the_screen(page, name)
        page.screenshot(path=str(SHOTS / f"{screen}-{lang}-{name}.png"), full_page=True)

    shot("form", at or "/")
    page.eval_on_selector("form[method=post]", "form => { form.noValidate = true; }")
    page.fill("#description", "太吵")
    page.click("#anonymous-false + label")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_selector("[role=alert]")
    shot("form-refused")
    shot("submitted", f"{at}/registered/{registered}")
    shot("slip", f"/slips/{registered}")  # printed for a worker at a forum or a visit
    assert registered in page.inner_text("#tracking-code")
    shot("status", f"{at}/s/{resolved}")
    shot("status-supervised", f"{at}/s/{supervised_and_paused(served)}")
    said = page.inner_text("#supervision") + page.inner_text("#paused")
    assert ("县级工会" if lang == "zh" else "county union") in said and "噪声检测机构" in said
    page.goto(f"{served.url}{at}/s/{answered}")
    page.click("#satisfied-false + label")
    page.click("#rating-2 + label")
    page.fill("#comment", "噪声白天小了，夜班还是很吵。")
    page.click("#feedback button[type=submit]")
    page.wait_for_selector("#thanks")
    shot("status-answered")
    shot("lookup", f"{at}/s")
    shot("lookup-not-found", f"{at}/s/ABCD-EFGH-JKMN")
    shot("error", "/k/E900")
    # Refusals (422, 404) are meant: Chromium reports their status, which is not a complaint.
    assert [c for c in complaints if not c.startswith("Failed to load resource")] == []
