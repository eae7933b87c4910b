"""CLOCK_OFFSET moves a real process's time: what it stores and answers, its metric and its log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta

import pytest

from harness.private import closed_amqp_url, free_port
from services.intake.models import enterprises
from shared import clock
from shared.config import REPO_ROOT
from shared.db import make_engine
from shared.procs import http_ok, stop_pids, wait_until

pytestmark = pytest.mark.e2e
FIVE_DAYS = timedelta(days=5).total_seconds()


@pytest.fixture
def moved_env(tmp_path):
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "CLOCK_OFFSET": "5d",
        "METRICS_TOKEN": "clock-test-token",
        "AMQP_URL": closed_amqp_url(),
        "INTAKE_DATABASE_URL": f"sqlite:///{tmp_path / 'intake.db'}",
        "REPORTS_DATABASE_URL": f"sqlite:///{tmp_path / 'reports.db'}",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run(
        [sys.executable, "-m", "services", "migrate", "intake"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    engine = make_engine(env["INTAKE_DATABASE_URL"])
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
    return env


def start(env: dict, log, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "services", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_moved_clock_is_stored_answered_exported_and_logged_by_every_process(moved_env, tmp_path):
    port = free_port()
    log_path = tmp_path / "processes.log"
    with open(log_path, "wb") as log:
        procs = [
            start(moved_env, log, "web", "intake", "--port", str(port), "--workers", "1"),
            start(moved_env, log, "worker", "reports"),
        ]
        try:
            wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 30, what="intake's web process")
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/grievances",
                method="POST",
                data=json.dumps(
                    {"enterprise_code": "E001", "category": "wages", "description": "工资拖欠了两个月。"}
                ).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                submitted_at = datetime.fromisoformat(json.load(response)["submitted_at"])
            scrape = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer clock-test-token"}
            )
            with urllib.request.urlopen(scrape, timeout=10) as response:
                metrics = response.read().decode()
            wait_until(
                lambda: log_path.read_text(errors="replace").count("clock moved by CLOCK_OFFSET") >= 2,
                30,
                what="both processes to log the offset",
            )
        finally:
            stop_pids([p.pid for p in procs])

    assert submitted_at.utcoffset() == timedelta(hours=8)
    ahead = submitted_at - clock.now()
    assert timedelta(days=5) - timedelta(minutes=1) < ahead < timedelta(days=5) + timedelta(minutes=1)
    assert f"xinsheng_clock_offset_seconds {FIVE_DAYS}" in metrics
