"""Fixtures of every level: SQLite runtimes (unit), private vhosts and databases (integration, e2e).

Integration and end-to-end tests use the machine's real RabbitMQ and PostgreSQL, each test with
its own vhost and its own databases, removed afterwards even when the test fails.
"""
from __future__ import annotations

import importlib
import os
import socket
import subprocess
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from shared import clock, config
from shared.bootstrap import Runtime
from shared.db import make_engine

AMQP_BASE = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEMO_DIRECTORY = config.REPO_ROOT / "services" / "routing" / "demo" / "directory.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_amqp_url() -> str:
    return f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"


def make_settings(service: str, database_url: str, amqp_url: str | None = None, **overrides) -> config.Settings:
    """The service's own settings (its config.Settings), on the given database and broker."""
    settings_class = importlib.import_module(f"services.{service}.config").Settings
    return settings_class(service=service, database_url=database_url, amqp_url=amqp_url or closed_amqp_url(),
                          **overrides)


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
            conn.execute(enterprises.insert().values(code=code, name=f"企业{code}", county_code="C01",
                                                     county_name="城关区", active=active, updated_at=clock.now()))


# -- real RabbitMQ --------------------------------------------------------------------------------
def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


class PrivateVhost:
    """A RabbitMQ vhost of our own; ``close`` deletes it with everything in it."""

    def __init__(self):
        self.name = f"xinsheng-test-{uuid.uuid4().hex[:10]}"
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        self.url = f"{AMQP_BASE}/{quote(self.name, safe='')}"

    def close(self):
        _rabbitmqctl("delete_vhost", self.name)


@pytest.fixture
def vhost():
    """A private RabbitMQ vhost for one test; its URL."""
    v = PrivateVhost()
    yield v.url
    v.close()


# -- real PostgreSQL ------------------------------------------------------------------------------
class PrivateDatabases:
    """Fresh PostgreSQL databases made on demand; ``close`` drops them all."""

    def __init__(self):
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def __call__(self, label: str) -> str:
        name = f"xinsheng_test_{uuid.uuid4().hex[:10]}_{label}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def close(self):
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


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
