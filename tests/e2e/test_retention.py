"""Every copy of a named worker's contact is gone once its case has been final for the retention
period, through the real processes: the contact is planted in a named demand, the demand goes through
the pipeline to a rejection (the worker is mailed twice, so notify used the contact), then intake's and
notify's workers are restarted 91 days later (``CLOCK_OFFSET=91d``) and every table of every service's
database, every queue of the system's vhost (its dead letters included), the logs and the files the
system wrote are searched for the contact: nothing is left.

Only the two workers move in time: the case was rejected at the real time, so its moment is the same
for every service, and the sweeps (which start at once) see it 91 days old.
"""

from __future__ import annotations

import subprocess
import time
import urllib.parse
import uuid

import pika
import pytest
import sqlalchemy as sa

from harness.system import Xinsheng
from shared.config import SERVICES
from shared.procs import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

MARK = uuid.uuid4().hex
NAME = f"退休工人{MARK[:8]}"
PHONE = "139" + str(int(MARK[:12], 16))[-8:].zfill(8)
EMAIL = f"keep-{MARK[:12]}@example.net"
CONTACT = (NAME, PHONE, EMAIL)
CHAIR = ("e001-chair", "enterprise_chair", "E001")
WAIT = 30


def dump(url: str) -> str:
    """Every value of every column of every table of one database."""
    engine = sa.create_engine(url)
    try:
        tables = sa.MetaData()
        tables.reflect(bind=engine)
        with engine.connect() as conn:
            return "".join(
                f"{name}: {conn.execute(sa.select(t)).all()!r}\n" for name, t in tables.tables.items()
            )
    finally:
        engine.dispose()


def databases(xs) -> dict[str, str]:
    return {s: dump(xs.env[f"{s.upper()}_DATABASE_URL"]) for s in SERVICES}


def queued(xs) -> str:
    """The bodies and headers of every message now in every queue of the system's vhost, dead letters
    included; they go back to their queues when the connection closes (nothing is acknowledged)."""
    names = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", xs.vhost.name, "--no-table-headers", "name"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    assert any(n.endswith(".dead") for n in names), names
    seen = []
    connection = pika.BlockingConnection(pika.URLParameters(xs.env["AMQP_URL"]))
    try:
        channel = connection.channel()
        for name in names:
            while (got := channel.basic_get(name, auto_ack=False))[0] is not None:
                _, properties, body = got
                seen.append(f"{name}: {properties!r} {body.decode(errors='replace')}")
    finally:
        connection.close()
    return "\n".join(seen)


def files(xs) -> str:
    """Everything the system's processes wrote under its working directory (logs, metrics)."""
    return "\n".join(p.read_bytes().decode(errors="replace") for p in xs.workdir.rglob("*") if p.is_file())


def found(text: str) -> list[str]:
    return [secret for secret in CONTACT if secret in text]


def reject_named_demand(xs) -> str:
    """A named demand at E001, rejected by the chair; its tracking code once intake and notify know."""
    marker = f"retention-{MARK[:8]}"
    status, body = xs.post_json(
        "intake",
        "/api/v1/grievances",
        {
            "enterprise_code": "E001",
            "category": "wages",
            "description": f"加班费没有发 overtime unpaid {marker}",
            "anonymous": False,
            "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
        },
    )
    assert status == 201, body
    code = body["tracking_code"]
    chair = xs.staff(*CHAIR)

    def listed():
        status, cases = xs.get("routing", f"/api/v1/cases?q={urllib.parse.quote(marker)}", **chair)
        assert status == 200, cases
        return cases["items"] and cases["items"][0]

    case = wait_until(listed, WAIT, interval=0.2, what="the case in the chair's ledger")
    status, body = xs.post_json(
        "routing",
        f"/api/v1/cases/{case['id']}/reject",
        {"version": case["version"], "reason": "不属于本企业工会受理范围 not ours to handle"},
        **chair,
    )
    assert status == 200 and body["status"] == "rejected", body
    wait_until(
        lambda: xs.get("intake", f"/api/v1/grievances/{code}")[1]["status"] == "rejected",
        WAIT,
        interval=0.2,
        what="intake to show the rejection",
    )
    wait_until(lambda: len(xs.mailbox.to(EMAIL)) == 2, WAIT, interval=0.2, what="the worker's two mails")
    wait_until(
        lambda: _notify_knows_the_end(xs.env["NOTIFY_DATABASE_URL"]),
        WAIT,
        interval=0.2,
        what="notify to record the end of the case",
    )
    return code


def _notify_knows_the_end(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(sa.text("SELECT count(*) FROM contacts WHERE finished_at IS NOT NULL")).scalar()
            )
    finally:
        engine.dispose()


def erased(xs) -> bool:
    tables = databases(xs)
    return not found(tables["intake"]) and not found(tables["notify"])


def test_every_copy_of_a_contact_is_gone_91_days_after_its_case_was_final(tmp_path):
    started = time.monotonic()
    with Xinsheng(tmp_path) as xs:
        code = reject_named_demand(xs)
        before = databases(xs)
        assert found(before["intake"]) == found(before["notify"]) == list(CONTACT)  # the search finds it
        assert not found(before["routing"]) and not found(before["reports"])

        # 91 days later for the two services that keep contacts; their sweeps run as they start.
        workers = ["intake-worker", "notify-worker"]
        xs.system.stop(workers)
        for name in workers:
            xs.system.start(name, env={"CLOCK_OFFSET": "91d"})
        wait_until(lambda: erased(xs), WAIT, interval=0.5, what="both sweeps to erase the contact")

        for service, text in databases(xs).items():
            assert not found(text), f"{service}'s database keeps {found(text)}"
        assert not found(queued(xs)), "a queue keeps the contact"
        assert not found(xs.logs()), "a log holds the contact"
        assert not found(files(xs)), "a file the system wrote holds the contact"
        assert "contacts erased" in xs.logs()
        # The demand itself lives on: the worker's status page still answers with the rejection.
        status, public = xs.get("intake", f"/api/v1/grievances/{code}")
        assert status == 200 and public["status"] == "rejected"
    assert time.monotonic() - started < 90
