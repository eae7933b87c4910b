"""Routing rules (DESIGN §2), first match wins:
1. about the union chair or management retaliation → the county union, never the enterprise chair;
2. otherwise → the enterprise's active chair;
3. an enterprise with no active chair → its county union;
and a county with no officer → the city federation.
"""
from __future__ import annotations

from sqlalchemy import select

from shared.events import Assignee
from services.routing.config import CITY_ORG
from services.routing.models import enterprises, staff


def _first_staff(conn, role: str, org_code: str | None):
    if org_code is None:
        return None
    return conn.execute(select(staff).where(staff.c.role == role, staff.c.org_code == org_code,
                                            staff.c.active).order_by(staff.c.id).limit(1)).first()


def route(conn, enterprise_code: str, about_chair: bool) -> tuple[Assignee, str | None]:
    """The assignee of a new demand and the county it belongs to."""
    enterprise = conn.execute(select(enterprises).where(enterprises.c.code == enterprise_code)).first()
    county = enterprise.county_code if enterprise else None
    person = None
    if enterprise is not None and enterprise.active and not about_chair:
        person = _first_staff(conn, "enterprise_chair", enterprise_code)
    person = person or _first_staff(conn, "county_officer", county) or _first_staff(conn, "city_officer", CITY_ORG)
    if person is None:
        raise LookupError("the directory has no city officer to route to")
    return Assignee(id=person.id, name=person.name, role=person.role, org_code=person.org_code,
                    email=person.email, phone=person.phone), county
