"""A real browser on another site's page cannot post a demand to intake (CSRF)."""

from __future__ import annotations

from tests.browser.conftest import PHONE, serve
from tests.support.intake import count_rows


def foreign_site(target: str):
    """A page of another origin (another port) whose form posts a demand to intake."""
    page = f"""<!doctype html><meta charset="utf-8"><form method="post" action="{target}/">
    <input name="enterprise_code" value="E001"><input name="category" value="wages">
    <input name="description" value="有人替你提交的诉求"><button id="go">go</button></form>"""

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]

    return serve(app)


def test_a_form_on_another_site_cannot_post_a_demand(served, open_page):
    url, stop = foreign_site(served.url)
    try:
        page = open_page(PHONE)
        page.goto(url)
        with page.expect_navigation():
            page.click("#go")
        assert "another site" in page.content() or "其他网站" in page.content()
    finally:
        stop()
    assert count_rows(served.rt, "grievances") == 0


# Our own form keeps posting with this check on: test_pages.py's phone submission.
