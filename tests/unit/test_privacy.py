"""Privacy (DESIGN §4): descriptions and contacts are never logged; contacts stay in intake and notify.

One named demand goes through intake's submit path, then routing's, reports' and notify's
handlers as the broker would deliver them, and notify's dispatcher (its SMTP server down, so
that failures are logged); the logs and the tables are then searched for it.
"""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from harness.private import DEMO_DIRECTORY, free_port
from services.intake import grievances
from services.intake.schemas import GrievanceIn
from services.notify.dispatcher import Dispatcher
from services.routing import directory
from services.routing.models import outbox as routing_outbox
from shared import events
from shared.uow import unit_of_work
from tests.conftest import seed_enterprises
from tests.support.events import handle, published

MARK = uuid.uuid4().hex
DESCRIPTION = f"车间噪音太大 privacy-marker-{MARK} the workshop is too loud"
NAME = f"工人{MARK[:8]}"
PHONE_DIGITS = "139" + str(int(MARK[:12], 16))[-8:].zfill(8)
PHONE = f"+86 {PHONE_DIGITS}"
EMAIL = f"worker-{MARK[:12]}@example.org"
CONTACT = (NAME, PHONE, PHONE_DIGITS, EMAIL)


def named_demand() -> GrievanceIn:
    return GrievanceIn.model_validate(
        {
            "enterprise_code": "E001",
            "category": "harassment_discrimination",
            "description": DESCRIPTION,
            "channel": "web",
            "anonymous": False,
            "about_chair": True,
            "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
        }
    )


def consume(rt, delivered: list[tuple[events.Envelope, events.Frozen]]) -> None:
    """Hand the events to the service's handlers (those it does not handle are ignored)."""
    for envelope, payload in delivered:
        handle(rt, envelope, payload)


def record_text(record: logging.LogRecord) -> str:
    """All a log record carries: its message, arguments, extras and exception."""
    exc = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    return f"{record.getMessage()} {vars(record)!r} {exc}"


def rows_text(rt) -> dict[str, str]:
    """Every value of every column of every table of a service's database, per table."""
    tables = sa.MetaData()
    tables.reflect(bind=rt.engine)
    with rt.engine.connect() as conn:
        return {name: repr(conn.execute(sa.select(table)).all()) for name, table in tables.tables.items()}


def found(secrets: tuple[str, ...], text: str) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.fixture
def services(sqlite_runtime, caplog):
    """The demand submitted and handled everywhere, with every log record of the way captured."""
    caplog.set_level(logging.DEBUG)
    rts = {name: sqlite_runtime(name) for name in ("intake", "routing", "reports")}
    # An SMTP server that is down, so the dispatcher's warning path is logged too.
    rts["notify"] = sqlite_runtime("notify", smtp_host="127.0.0.1", smtp_port=free_port())
    seed_enterprises(rts["intake"], "E001")
    with unit_of_work(rts["routing"].engine, routing_outbox, rts["routing"].settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))

    grievances.submit(rts["intake"], named_demand(), idempotency_key=f"privacy-{MARK}")
    from_intake = published(rts["intake"])
    consume(rts["routing"], from_intake)
    from_routing = [e for e in published(rts["routing"]) if e[0].type != "enterprise.updated"]
    consume(rts["reports"], from_intake + from_routing)
    consume(rts["notify"], from_intake + from_routing)
    Dispatcher(rts["notify"].settings, rts["notify"].engine).run_once()
    logging.getLogger("xinsheng.test").debug("capture probe")
    return rts


def test_the_demand_went_all_the_way(services):
    with services["routing"].engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar() == 1
    with services["reports"].engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM grievance_facts")).scalar() == 1
    assert NAME in rows_text(services["intake"])["grievances"]
    assert EMAIL in rows_text(services["notify"])["contacts"]


def test_no_log_record_holds_the_description_or_the_contact(services, caplog):
    records = caplog.get_records("setup")  # the fixture ran the pipeline
    assert any("capture probe" in r.getMessage() for r in records)  # the capture does work
    leaks = {
        record_text(r)[:300]: found((DESCRIPTION, MARK, *CONTACT), record_text(r))
        for r in records
        if found((DESCRIPTION, MARK, *CONTACT), record_text(r))
    }
    assert leaks == {}


@pytest.mark.parametrize("service", ["routing", "reports"])
def test_no_table_outside_intake_and_notify_holds_the_contact(services, service):
    leaks = {
        table: found(CONTACT, text)
        for table, text in rows_text(services[service]).items()
        if found(CONTACT, text)
    }
    assert leaks == {}


def test_no_reports_table_holds_the_description(services):
    leaks = [table for table, text in rows_text(services["reports"]).items() if MARK in text]
    assert leaks == []


def test_anonymous_demand_stores_no_contact_in_intake(sqlite_runtime):
    rt = sqlite_runtime("intake")
    seed_enterprises(rt, "E001")
    demand = named_demand().model_copy(update={"anonymous": True, "contact": None})
    grievances.submit(rt, demand, None)
    assert found(CONTACT, repr(rows_text(rt))) == []
    assert [envelope.type for envelope, _ in published(rt)] == ["grievance.submitted"]
