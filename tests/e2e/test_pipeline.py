"""One demand's whole trip through real processes: intake → RabbitMQ → routing, notify, reports,
and back to the worker's status page."""

from __future__ import annotations

import re
import urllib.parse
import uuid

import pytest

from harness.system import Xinsheng
from shared.procs import wait_until

pytestmark = pytest.mark.e2e
MARKER = f"噪音-{uuid.uuid4().hex[:8]}"
CONTACT = {"name": "王小明", "phone": "13912345678", "email": f"worker-{uuid.uuid4().hex[:6]}@example.net"}


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    with Xinsheng(tmp_path_factory.mktemp("xinsheng")) as system:
        yield system


def demand(enterprise="E001", **extra) -> dict:
    return {
        "enterprise_code": enterprise,
        "category": "workplace",
        "description": f"车间噪音超标，耳朵疼 {MARKER}",
        "channel": "web",
        **extra,
    }


def submit_all(xs) -> dict[str, dict]:
    """Twelve demands through every door: JSON, JSON with contact, form, kiosk page; code → expectation."""
    sent = {}
    for i in range(8):
        status, body = xs.post_json("intake", "/api/v1/grievances", demand(f"E00{i + 1}"))
        assert status == 201, body
        sent[body["tracking_code"]] = {"to": f"chair.e00{i + 1}@example.org", "channel": "web"}
    status, body = xs.post_json(
        "intake", "/api/v1/grievances", demand("E002", anonymous=False, contact=CONTACT, channel="mobile")
    )
    assert status == 201, body
    sent[body["tracking_code"]] = {
        "to": "chair.e002@example.org",
        "channel": "mobile",
        "ack": CONTACT["email"],
    }
    status, body = xs.post_json("intake", "/api/v1/grievances", demand("E009", about_chair=True))
    assert status == 201
    sent[body["tracking_code"]] = {"to": "c09.union@example.org", "channel": "web"}  # never the chair
    status, body = xs.post_json("intake", "/api/v1/grievances", demand("E030"))
    assert status == 201
    sent[body["tracking_code"]] = {"to": "c10.union@example.org", "channel": "web"}  # E030 has no chair
    form = urllib.parse.urlencode({"category": "wages", "description": f"加班费没发 {MARKER}"}).encode()
    status, page = xs.request(
        "intake", "/k/E004", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200  # the 303 to the result page, followed
    code = re.search(rb'id="tracking-code">([A-Z0-9-]+)<', page).group(1).decode()
    sent[code] = {"to": "chair.e004@example.org", "channel": "kiosk"}
    return sent


def test_every_demand_is_assigned_emailed_shown_and_counted(xs):
    sent = submit_all(xs)

    def all_assigned():
        return all(xs.get("intake", f"/api/v1/grievances/{code}")[1]["status"] == "assigned" for code in sent)

    wait_until(all_assigned, 30, interval=0.3, what="every demand to be assigned")
    wait_until(lambda: len(xs.mailbox.messages) >= len(sent) + 1, 30, what="the emails")

    for code, expect in sent.items():
        page_status, page = xs.request("intake", f"/s/{code}", headers={"Accept-Language": "zh"})
        assert page_status == 200 and "已分派".encode() in page
        assert len([m for m in xs.mailbox.to(expect["to"]) if "新诉求已分派" in m["Subject"]]) >= 1
    assert not xs.mailbox.to("chair.e009@example.org"), "a demand about the chair reached the chair"
    acks = xs.mailbox.to(CONTACT["email"])
    assert len(acks) == 1 and any(code in acks[0].get_content() for code in sent)
    assert len(xs.mailbox.messages) == len(sent) + 1, "each notification is sent once"

    def counted():
        return xs.get("reports", "/api/v1/reports/summary", **xs.staff())[1]

    summary = wait_until(
        lambda: (s := counted())["by_status"].get("assigned") == len(sent) and s,
        30,
        what="reports to count every demand",
    )
    assert summary["total"] == len(sent)
    assert summary["by_channel"] == {"web": 10, "mobile": 1, "kiosk": 1}
    assert sum(c["count"] for c in summary["by_county"]) == len(sent)

    text = xs.metrics("reports")
    submitted = sum(
        float(v) for v in re.findall(r"^xinsheng_grievances_submitted_total\{[^}]*\} (\S+)$", text, re.M)
    )
    assert submitted == len(sent)
    assert re.search(rf'^xinsheng_cases\{{status="assigned"\}} {len(sent)}\.0$', text, re.M)
    intake_text = xs.metrics("intake")
    assert re.search(r'^xinsheng_outbox_pending\{service="intake"\} 0\.0$', intake_text, re.M)
    # Two gunicorn workers answered the POSTs: /metrics must add up both, whichever one answers.
    posts = re.findall(
        r'^xinsheng_http_requests_total\{method="POST",route="/api/v1/grievances",'
        r'service="intake",status="201"\} (\S+)$',
        intake_text,
        re.M,
    )
    assert [float(p) for p in posts] == [len(sent) - 1]  # all but the kiosk's


def test_no_log_holds_a_description_or_a_contact(xs):
    logs = xs.logs()
    assert logs, "the processes wrote logs"
    for secret in (MARKER, CONTACT["name"], CONTACT["phone"], CONTACT["email"]):
        assert secret not in logs


def test_every_service_is_ready_and_documents_its_api(xs):
    for service in ("intake", "routing", "notify", "reports"):
        status, ready = xs.get(service, "/readyz")
        assert status == 200 and ready["checks"] == {"database": "ok", "broker": "ok"}
        status, doc = xs.get(service, "/apidoc/openapi.json")
        assert status == 200 and doc["openapi"].startswith("3.")
    assert "/api/v1/grievances" in xs.get("intake", "/apidoc/openapi.json")[1]["paths"]


def test_dead_letter_cli_lists_an_empty_queue(xs):
    out = xs.cli("dead-letters", "list", "routing")
    assert "0 dead letter(s) in routing" in out.stderr


def test_a_chair_whose_password_was_set_logs_in_over_http(xs):
    import os
    import subprocess
    import sys

    from shared.config import REPO_ROOT

    subprocess.run(
        [sys.executable, "-m", "services", "set-password", "e005-chair"],
        cwd=REPO_ROOT,
        env={**os.environ, **xs.env},
        input="s3cret-pass\ns3cret-pass\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    status, body = xs.post_json(
        "routing", "/api/v1/auth/token", {"staff_id": "e005-chair", "password": "s3cret-pass"}
    )
    assert status == 200 and body["staff"]["org_code"] == "E005"
    status, me = xs.get("routing", "/api/v1/auth/me", Authorization=f"Bearer {body['token']}")
    assert status == 200 and me["id"] == "e005-chair"
    status, _ = xs.post_json("routing", "/api/v1/auth/token", {"staff_id": "e005-chair", "password": "nope"})
    assert status == 401
