"""intake alone, as real processes started as in production (``python -m services web intake``), on
a migrated SQLite database with active enterprises and no broker: for tests of what one web process
does with real sockets (slow clients, malformed requests, a moved clock)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from harness.private import closed_amqp_url, free_port
from services.intake.models import enterprises
from shared import clock
from shared.config import REPO_ROOT
from shared.db import make_engine
from shared.procs import http_ok, stop_pids, wait_until


@dataclass
class Alone:
    """The processes started, their shared log and environment; ``port`` is intake's web."""

    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.workdir / "processes.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``python -m services ARGS`` with this environment, its output to the shared log."""
        with open(self.log, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "services", *args],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def intake_alone(workdir: Path, env: dict[str, str] | None = None, workers: int = 2) -> Iterator[Alone]:
    """intake's web on 127.0.0.1 over a fresh SQLite database holding active E001; every process
    started through the result is stopped on exit."""
    alone = Alone(workdir, {**os.environ, **_environment(workdir), **(env or {})})
    alone.env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each run its own, under VAR_DIR
    subprocess.run(
        [sys.executable, "-m", "services", "migrate", "intake"],
        cwd=REPO_ROOT,
        env=alone.env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    _seed(alone.env["INTAKE_DATABASE_URL"])
    alone.start("web", "intake", "--port", str(alone.port), "--workers", str(workers))
    try:
        wait_until(lambda: http_ok(f"{alone.url}/healthz"), 30, what="intake's web process")
        yield alone
    finally:
        stop_pids([p.pid for p in alone.procs], timeout=10)


def _environment(workdir: Path) -> dict[str, str]:
    return {
        "VAR_DIR": str(workdir / "var"),
        "AMQP_URL": closed_amqp_url(),  # the web never needs the broker to take a demand
        "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}",
        "HOST": "127.0.0.1",
    }


def _seed(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            enterprises.insert().values(
                code="E001",
                name="企业E001",
                county_code="C01",
                county_name="城关区",
                active=True,
                updated_at=clock.now(),
            )
        )
    engine.dispose()
