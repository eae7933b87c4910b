"""Routing rules (DESIGN §2), first match wins:
1. about the union chair or management retaliation → the county union, never the enterprise chair;
2. otherwise → the enterprise's active chair;
3. an enterprise with no active chair → its county union;
and a county with no officer → the city federation.

The directory is read as a snapshot kept for a few seconds per process: routing a demand then
costs no database round trip, and a directory import takes effect within ``TTL`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.routing.config import CITY_ORG
from services.routing.models import enterprises, staff
from shared.db import PerEngine
from shared.events import Assignee

TTL = 5.0


@dataclass(frozen=True)
class Snapshot:
    enterprises: dict  # code → (county_code, active)
    first_staff: dict  # (role, org_code) → Assignee, the active person with the lowest id


def load(conn) -> Snapshot:
    firms = {r.code: (r.county_code, r.active) for r in conn.execute(select(enterprises))}
    people = {}
    for p in conn.execute(select(staff).where(staff.c.active).order_by(staff.c.id)):
        people.setdefault(
            (p.role, p.org_code),
            Assignee(id=p.id, name=p.name, role=p.role, org_code=p.org_code, email=p.email, phone=p.phone),
        )
    return Snapshot(firms, people)


_snapshots = PerEngine(load, TTL)


def snapshot(conn) -> Snapshot:
    """This process's snapshot of the directory behind ``conn``, reloaded when older than ``TTL``."""
    return _snapshots.get(conn)


def forget(engine) -> None:
    """Drop the snapshot, after this process changed the directory itself."""
    _snapshots.forget(engine)


def route(snapshot: Snapshot, enterprise_code: str, about_chair: bool) -> tuple[Assignee, str | None]:
    """The assignee of a new demand and the county it belongs to."""
    county, active = snapshot.enterprises.get(enterprise_code, (None, False))
    people = snapshot.first_staff
    person = None
    if active and not about_chair:
        person = people.get(("enterprise_chair", enterprise_code))
    person = person or people.get(("county_officer", county)) or people.get(("city_officer", CITY_ORG))
    if person is None:
        raise LookupError("the directory has no city officer to route to")
    return person, county
