"""The public scoreboard in Chromium, on a phone and at a kiosk: the table readable, nothing pushed
off the side of the page (the table scrolls in its own box), "—" for what is withheld; the pages
saved under var/screenshots/ for a person to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import clock
from shared.config import REPO_ROOT
from tests.browser.conftest import PHONE, serve
from tests.unit.reports.test_reports import Client, seed_enterprises
from tests.unit.reports.test_scoreboard import MARCH, TODAY, demands

SHOTS = REPO_ROOT / "var" / "screenshots"
KIOSK = {"width": 1080, "height": 1920}


@pytest.fixture
def site(sqlite_runtime):
    clock.set_offset(timedelta(0))
    clock.set_offset(clock.day_start(TODAY) + timedelta(hours=10) - clock.now())
    rt = sqlite_runtime("reports")
    seed_enterprises(rt)
    demands(rt, 12, "E001", MARCH, answered=7)
    demands(rt, 8, "E003", MARCH, answered=0)
    demands(rt, 3, "E002", MARCH, answered=3)
    url, stop = serve(Client(rt).flask.application)
    yield url
    stop()
    clock.set_offset(None)


@pytest.mark.parametrize(("size", "name"), [(PHONE, "phone"), (KIOSK, "kiosk")])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_scoreboard_reads_on_a_phone_and_at_a_kiosk(site, chromium, size, name, lang):
    context = chromium.new_context(viewport=size, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{site}/scoreboard?lang={lang}")
        board = page.locator("#board")
        assert board.is_visible()
        assert "7 / 12" in board.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways page
        SHOTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if lang == "zh" else "-en"
        page.screenshot(path=str(SHOTS / f"reports-scoreboard-{name}{suffix}.png"), full_page=True)
    finally:
        context.close()
