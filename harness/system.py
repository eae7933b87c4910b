"""The whole system as real processes, on private PostgreSQL databases, a private vhost and a
real SMTP server run by the caller: every end-to-end and fault test, and the benchmarks."""

from __future__ import annotations

import email
import email.policy
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from harness.private import DEMO_DIRECTORY, PrivateDatabases, PrivateVhost, free_port
from shared import auth
from shared.config import REPO_ROOT, SERVICES
from shared.procs import System, wait_until


@dataclass
class Mailbox:
    """A real SMTP server on a free loopback port; keeps every message it receives."""

    port: int = field(default_factory=free_port)
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def __enter__(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


class Xinsheng:
    """Start with ``with Xinsheng(tmp_path) as xs:``; everything it made is removed on exit."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, amqp_url: str | None = None):
        """``amqp_url``: a broker of the test's own (a private node); else a private vhost here."""
        self.workdir = workdir
        self.extra_env = env or {}
        self.amqp_url = amqp_url

    def __enter__(self):
        self.mailbox = Mailbox().__enter__()
        self.vhost = None if self.amqp_url else PrivateVhost()
        self.dbs = PrivateDatabases()
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        env = {
            "AMQP_URL": self.amqp_url or self.vhost.url,
            "VAR_DIR": str(self.workdir / "var"),
            "SECRET_KEY": secrets.token_hex(16),
            "METRICS_TOKEN": secrets.token_hex(16),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.mailbox.port),
            "WEB_CONCURRENCY": "2",
            "RATE_LIMIT": "off",  # tests and benchmarks post thousands from one address; a test may set it
            **{f"{s.upper()}_DATABASE_URL": self.dbs(s) for s in SERVICES},
            **self.extra_env,
        }
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each service gets its own under VAR_DIR
        ports = {s: free_port() for s in SERVICES}
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{ports['intake']}"
        env["ROUTING_URL"] = f"http://127.0.0.1:{ports['routing']}"  # companion reads the directory there
        env["COMPANION_URL"] = f"http://127.0.0.1:{ports['companion']}"  # the slips' link, the kiosks' links
        self.env = env
        self.cli("migrate")
        self.cli("import-directory", str(DEMO_DIRECTORY))
        self.system = System(env=env, log_dir=self.workdir / "log", ports=ports)
        self.system.start_all()
        self.system.wait_healthy(timeout=60)
        wait_until(
            lambda: self.get("intake", "/api/v1/enterprises")[1]["enterprises"],
            30,
            what="the directory to reach intake",
        )

    def __exit__(self, *exc):
        if hasattr(self, "system"):
            self.system.stop_all()
        self.dbs.close()
        if self.vhost:
            self.vhost.close()
        self.mailbox.__exit__()

    def restart(self, wait: bool = True, **env: str) -> None:
        """Stop every process and start them all again with ``env`` changed: a moved CLOCK_OFFSET (every
        process of a system runs with the same), or another setting. ``wait``: until all are ready."""
        self.system.stop_all()
        self.env.update(env)
        self.system.start_all()
        if wait:
            self.system.wait_healthy(timeout=60)

    def database(self, service: str) -> sa.Engine:
        """An engine on the service's own database, for a test to look at what it stored."""
        return sa.create_engine(self.env[f"{service.upper()}_DATABASE_URL"], poolclass=sa.pool.NullPool)

    def staff(self, staff_id: str = "city-officer-1", role: str = "city_officer", org: str = "city") -> dict:
        """The Authorization header of a staff member, signed with this system's secret (no log-in)."""
        return {
            "Authorization": "Bearer " + auth.issue(self.env["SECRET_KEY"], auth.Staff(staff_id, role, org))
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "services", *args],
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def request(
        self,
        service: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        method: str | None = None,
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(
            self.system.url(service, path), data=body, headers=headers or {}, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def metrics(self, service: str) -> str:
        """The service's /metrics, as Prometheus scrapes it (with the metrics token)."""
        status, body = self.request(
            service, "/metrics", headers={"Authorization": f"Bearer {self.env['METRICS_TOKEN']}"}
        )
        assert status == 200, status
        return body.decode()

    def get(self, service: str, path: str, **headers) -> tuple[int, dict]:
        status, body = self.request(service, path, headers=headers)
        return status, json.loads(body)

    def post_json(self, service: str, path: str, data: dict, **headers) -> tuple[int, dict]:
        status, body = self.request(
            service, path, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )
        return status, json.loads(body)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.workdir / "log").glob("*.log"))
