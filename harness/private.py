"""What a test or a benchmark makes for itself and removes afterwards: a free loopback port, a
RabbitMQ vhost, PostgreSQL databases (on the machine's own servers, never touching what others use)."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from urllib.parse import quote

import sqlalchemy as sa

from shared import config

AMQP_BASE = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEMO_DIRECTORY = config.REPO_ROOT / "services" / "routing" / "demo" / "directory.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_amqp_url() -> str:
    return f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"


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
