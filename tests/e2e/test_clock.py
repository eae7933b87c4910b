"""CLOCK_OFFSET moves a real process's time: what it stores and answers, its metric and its log."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta

import pytest

from harness.alone import intake_alone
from shared import clock
from shared.procs import wait_until

pytestmark = pytest.mark.e2e
FIVE_DAYS = timedelta(days=5).total_seconds()
MOVED = {"CLOCK_OFFSET": "5d", "METRICS_TOKEN": "clock-test-token"}


def test_a_moved_clock_is_stored_answered_exported_and_logged_by_every_process(tmp_path):
    with intake_alone(
        tmp_path, {**MOVED, "REPORTS_DATABASE_URL": f"sqlite:///{tmp_path / 'reports.db'}"}, workers=1
    ) as alone:
        alone.start("worker", "reports")
        request = urllib.request.Request(
            f"{alone.url}/api/v1/grievances",
            method="POST",
            data=json.dumps(
                {"enterprise_code": "E001", "category": "wages", "description": "工资拖欠了两个月。"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            submitted_at = datetime.fromisoformat(json.load(response)["submitted_at"])
        scrape = urllib.request.Request(
            f"{alone.url}/metrics", headers={"Authorization": "Bearer clock-test-token"}
        )
        with urllib.request.urlopen(scrape, timeout=10) as response:
            metrics = response.read().decode()
        wait_until(
            lambda: alone.log_text().count("clock moved by CLOCK_OFFSET") >= 2,
            30,
            what="both processes to log the offset",
        )

    assert submitted_at.utcoffset() == timedelta(hours=8)
    ahead = submitted_at - clock.now()
    assert timedelta(days=5) - timedelta(minutes=1) < ahead < timedelta(days=5) + timedelta(minutes=1)
    assert f"xinsheng_clock_offset_seconds {FIVE_DAYS}" in metrics
