"""The organisation directory (city → counties → enterprises → chairs), imported from YAML.

The file is the whole truth: enterprises and staff missing from it become inactive. Every
enterprise whose public face changed is published as ``enterprise.updated`` in the same
transaction, so intake and reports keep their copies.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, update

from services.routing import rules
from services.routing.config import CITY_ORG
from services.routing.models import counties, enterprises, staff
from services.routing.revocations import revoke
from shared import events
from shared.db import upsert
from shared.uow import Unit


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32)


class County(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str
    officers: list[Person] = []


class Enterprise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str
    county: str
    active: bool = True
    chair: Person | None = None


class City(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    officers: list[Person] = Field(min_length=1)
    admins: list[Person] = []  # administrators: every case in scope; they never receive cases


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    city: City
    counties: list[County] = Field(min_length=1)
    enterprises: list[Enterprise] = []

    @model_validator(mode="after")
    def _references_resolve(self):
        county_codes = {c.code for c in self.counties}
        for e in self.enterprises:
            if e.county not in county_codes:
                raise ValueError(f"enterprise {e.code} names unknown county {e.county}")
        codes = [e.code for e in self.enterprises]
        if len(codes) != len(set(codes)):
            raise ValueError("enterprise codes repeat")
        people = [p.id for p, _role, _org in _people(self)]
        if len(people) != len(set(people)):
            raise ValueError("staff ids repeat")
        return self


def load(path: Path) -> Directory:
    return Directory.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def apply(uow: Unit, d: Directory) -> int:
    """Bring the directory tables in line with ``d``; returns how many enterprises changed."""
    conn = uow.conn
    before = {r.code: r for r in conn.execute(select(enterprises)).all()}
    officers_before: dict[str, list[str]] = {}
    for r in conn.execute(
        select(staff.c.org_code, staff.c.id)
        .where(staff.c.role == "county_officer", staff.c.active)
        .order_by(staff.c.id)
    ).all():
        officers_before.setdefault(r.org_code, []).append(r.id)
    chairs_before = {
        r.org_code: r.id
        for r in conn.execute(
            select(staff.c.org_code, staff.c.id).where(staff.c.role == "enterprise_chair", staff.c.active)
        ).all()
    }
    for c in d.counties:
        upsert(conn, counties, {"code": c.code, "name": c.name}, keys=["code"])
    _revoke_the_gone_and_moved(uow, d)
    conn.execute(update(staff).values(active=False))
    conn.execute(update(enterprises).values(active=False))
    for person, role, org in _people(d):
        upsert(
            conn,
            staff,
            {
                "id": person.id,
                "name": person.name,
                "role": role,
                "org_code": org,
                "email": person.email,
                "phone": person.phone,
                "active": True,
            },
            keys=["id"],
        )
    county_names = {c.code: c.name for c in d.counties}
    officers = {
        c.code: tuple(
            events.Assignee(
                id=p.id, name=p.name, role="county_officer", org_code=c.code, email=p.email, phone=p.phone
            )
            for p in sorted(c.officers, key=lambda p: p.id)
        )
        for c in d.counties
    }
    changed = 0
    listed = {e.code: e for e in d.enterprises}
    for code in sorted(set(before) | set(listed)):
        e, old = listed.get(code), before.get(code)
        now = (
            (e.name, e.county, e.active, e.chair.id if e.chair else None, officers.get(e.county, ()))
            if e
            else (old.name, old.county_code, False, None, ())
        )
        if e:
            upsert(
                conn,
                enterprises,
                {"code": code, "name": e.name, "county_code": e.county, "active": e.active},
                keys=["code"],
            )
        was = (
            (
                old.name,
                old.county_code,
                old.active,
                chairs_before.get(code),
                officers_before.get(old.county_code, []),
            )
            if old
            else None
        )
        if now[:4] != (was or ())[:4] or [p.id for p in now[4]] != (was[4] if was else None):
            changed += 1
            uow.emit(
                "enterprise.updated",
                events.EnterpriseUpdated(
                    code=code,
                    name=now[0],
                    county_code=now[1],
                    county_name=county_names.get(now[1], now[1]),
                    active=now[2],
                    has_chair=now[3] is not None,
                    chair_id=now[3],
                    county_officers=now[4],
                ),
                correlation_id=None,
            )
    rules.forget(conn.engine)
    return changed


def _revoke_the_gone_and_moved(uow: Unit, d: Directory) -> None:
    """A staff member the directory no longer lists (or lists inactive), or lists in another role or
    organisation, loses their tokens: a moved chair must not keep the old enterprise's scope."""
    listed = {p.id: (role, org) for p, role, org in _people(d)}
    for person in uow.conn.execute(select(staff.c.id, staff.c.role, staff.c.org_code).where(staff.c.active)):
        now = listed.get(person.id)
        if now is None:
            revoke(uow, person.id, "removed")
        elif now != (person.role, person.org_code):
            revoke(uow, person.id, "moved")


def _people(d: Directory):
    for p in d.city.officers:
        yield p, "city_officer", CITY_ORG
    for p in d.city.admins:
        yield p, "admin", CITY_ORG
    for c in d.counties:
        for p in c.officers:
            yield p, "county_officer", c.code
    for e in d.enterprises:
        if e.chair:
            yield e.chair, "enterprise_chair", e.code
