"""Fixtures of every level: SQLite runtimes (unit), private vhosts and databases (integration, e2e).

Integration and end-to-end tests use the machine's real RabbitMQ and PostgreSQL, each test with
its own vhost and its own databases, removed afterwards even when the test fails.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

from harness.private import PrivateDatabases, PrivateVhost, closed_amqp_url
from shared import clock, config
from shared.bootstrap import Runtime
from shared.db import make_engine

METRICS_TOKEN = "metrics-test-token"  # what the tests' Prometheus would send


def make_settings(
    service: str, database_url: str, amqp_url: str | None = None, **overrides
) -> config.Settings:
    """The service's own settings (its config.Settings), on the given database and broker."""
    settings_class = importlib.import_module(f"services.{service}.config").Settings
    overrides.setdefault("metrics_token", METRICS_TOKEN)
    return settings_class(
        service=service, database_url=database_url, amqp_url=amqp_url or closed_amqp_url(), **overrides
    )


def create_schema(rt: Runtime) -> None:
    importlib.import_module(f"services.{rt.settings.service}.models").metadata.create_all(rt.engine)


@pytest.fixture
def sqlite_runtime(tmp_path):
    """A factory of a service's runtime on a fresh SQLite file, no broker (unit level)."""
    made = []

    def make(service: str, **overrides) -> Runtime:
        settings = make_settings(service, f"sqlite:///{tmp_path / service}.db", **overrides)
        rt = Runtime(settings, make_engine(settings.database_url))
        create_schema(rt)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.engine.dispose()


def seed_enterprises(rt: Runtime, *codes: str, active: bool = True) -> None:
    """Put enterprises into intake's copy of the directory, as enterprise.updated would."""
    from services.intake.models import enterprises

    with rt.engine.begin() as conn:
        for code in codes or ("E001",):
            conn.execute(
                enterprises.insert().values(
                    code=code,
                    name=f"企业{code}",
                    county_code="C01",
                    county_name="城关区",
                    active=active,
                    updated_at=clock.now(),
                )
            )


@pytest.fixture
def vhost():
    """A private RabbitMQ vhost for one test; its URL."""
    v = PrivateVhost()
    yield v.url
    v.close()


@pytest.fixture
def pg_database():
    """A factory of fresh PostgreSQL databases for one test; their URLs."""
    dbs = PrivateDatabases()
    yield dbs
    dbs.close()


@pytest.fixture
def pg_runtime(pg_database, vhost):
    """A factory of a service's runtime on its own PostgreSQL database and the test's vhost."""
    made = []

    def make(service: str, migrate: bool = True, **overrides) -> Runtime:
        settings = make_settings(service, pg_database(service), vhost, **overrides)
        rt = Runtime(settings, make_engine(settings.database_url))
        if migrate:
            from shared import migrate as m

            m.upgrade(settings)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.engine.dispose()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (its own browser download cannot work on this machine), one
    for the whole session: Playwright's sync API runs one instance per thread, so the browser tests
    and the end-to-end tests share it."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: `make test-deps` (or apt-get install chromium fonts-wqy-microhei)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
