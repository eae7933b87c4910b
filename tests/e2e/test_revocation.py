"""A staff member removed from the directory loses access within a minute in every service with
staff endpoints, with tokens still checked without a call to routing."""

from __future__ import annotations

import copy
import time

import pytest
import yaml

from harness.private import DEMO_DIRECTORY
from harness.system import Xinsheng
from shared.procs import wait_until

pytestmark = pytest.mark.e2e
ENDPOINTS = {"routing": "/api/v1/cases", "reports": "/api/v1/reports/summary"}


def test_a_removed_chair_is_refused_everywhere_within_a_minute(tmp_path):
    with Xinsheng(tmp_path) as xs:
        token = xs.staff("e001-chair", "enterprise_chair", "E001")
        for service, path in ENDPOINTS.items():
            assert xs.request(service, path, headers=token)[0] == 200, service
        time.sleep(1.1)  # the token's second is over before the revocation

        data = copy.deepcopy(yaml.safe_load(DEMO_DIRECTORY.read_text(encoding="utf-8")))
        next(e for e in data["enterprises"] if e["code"] == "E001")["chair"] = None
        changed = tmp_path / "directory.yaml"
        changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        started = time.monotonic()
        xs.cli("import-directory", str(changed))

        for service, path in ENDPOINTS.items():
            wait_until(
                lambda s=service, p=path: xs.request(s, p, headers=token)[0] == 401,
                60,
                interval=0.5,
                what=f"{service} to refuse the removed chair",
            )
        elapsed = time.monotonic() - started
        assert elapsed < 60
        others = xs.staff("c01-officer", "county_officer", "C01")
        assert xs.request("reports", ENDPOINTS["reports"], headers=others)[0] == 200
