"""routing's test client on the demo directory, with a few cases, and staff tokens (no broker, SQLite)."""

from __future__ import annotations

from sqlalchemy import select

from harness.private import DEMO_DIRECTORY
from services.routing import directory
from services.routing.app import create_app
from services.routing.models import cases, outbox
from shared import auth
from shared.uow import unit_of_work
from tests.support.events import deliver, demand_submitted

SECRET = "k"
# name → (enterprise, about the chair, category). In the demo directory E001 and E011 lie in C01,
# E002 in C02, E030 (no chair) in C10.
DEMANDS = {
    "e001": ("E001", False, "wages"),
    "e001-about-chair": ("E001", True, "harassment_discrimination"),
    "e011": ("E011", False, "workplace"),
    "e002": ("E002", False, "wages"),
    "e030": ("E030", False, "safety_health"),
}


def as_(staff_id: str, role: str, org: str) -> dict:
    """The Authorization header of a staff member (signed with the test secret)."""
    return {"Authorization": "Bearer " + auth.issue(SECRET, auth.Staff(staff_id, role, org))}


CHAIR = as_("e001-chair", "enterprise_chair", "E001")
CHAIR_2 = as_("e002-chair", "enterprise_chair", "E002")
COUNTY = as_("c01-officer", "county_officer", "C01")
COUNTY_2 = as_("c02-officer", "county_officer", "C02")
COUNTY_10 = as_("c10-officer", "county_officer", "C10")
CITY = as_("city-officer-1", "city_officer", "city")
ADMIN = as_("admin-1", "admin", "city")


def submit(rt, enterprise: str, about_chair: bool = False, category: str = "wages") -> str:
    """Route one demand as routing's worker would; the new case's id."""
    g = demand_submitted(
        enterprise_code=enterprise,
        category=category,
        channel="kiosk",
        about_chair=about_chair,
        description=f"诉求 {enterprise} 车间噪音",
    )
    deliver(rt, g, producer="intake")
    with rt.engine.connect() as conn:
        return conn.execute(select(cases.c.id).where(cases.c.grievance_id == g.grievance_id)).scalar_one()


def make_ledger(sqlite_runtime):
    """routing's test client on the demo directory with one case per DEMANDS entry
    (``client.case_ids[name]``) and its runtime (``client.rt``)."""
    rt = sqlite_runtime("routing", secret_key=SECRET)
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    app = create_app(rt)
    app.testing = True
    client = app.test_client()
    client.rt = rt
    client.case_ids = {
        name: submit(rt, enterprise, about_chair, category)
        for name, (enterprise, about_chair, category) in DEMANDS.items()
    }
    return client
