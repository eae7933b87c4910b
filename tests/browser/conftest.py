"""Fixtures of the browser tests: intake served over real HTTP on loopback (SQLite, no broker),
driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shared.bootstrap import Runtime
from tests.support.intake import make_intake

PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Served:
    """intake answering on ``url``, its runtime (the database) and a test client of the same app;
    ``post_delay`` seconds slow every POST down (a slow network: time for a second tap)."""

    url: str
    rt: Runtime
    client: object
    post_delay: float = 0.0

    def slowed(self, app):
        def wsgi(environ, start_response):
            if environ["REQUEST_METHOD"] == "POST" and self.post_delay:
                time.sleep(self.post_delay)
            return app(environ, start_response)

        return wsgi


def serve(app):
    """A WSGI app as a real HTTP server on a free loopback port, in a thread: (url, stop)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture
def served(sqlite_runtime):
    """intake as a real HTTP server on a free loopback port, for one test (active E001, E002)."""
    client, rt = make_intake(sqlite_runtime)
    answering = Served("", rt, client)
    answering.url, stop = serve(answering.slowed(client.application))
    yield answering
    stop()


@pytest.fixture
def open_page(chromium):
    """A factory of fresh pages (each in its own browser context: no shared cookies or history)."""
    contexts = []

    def make(viewport: dict = PHONE, locale: str = "zh-CN"):
        context = chromium.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
