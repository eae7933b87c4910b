"""intake's use cases: take a demand, show its public status. Called by the API and the pages."""
from __future__ import annotations

import hashlib
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared import events
from shared.bootstrap import Runtime
from shared.db import utcnow
from shared.uow import unit_of_work
from services.intake import tracking
from services.intake.models import enterprises, grievances, outbox, timeline
from services.intake.schemas import GrievanceIn


class UnknownEnterprise(Exception):
    pass


class IdempotencyConflict(Exception):
    pass


@dataclass(frozen=True)
class Submitted:
    tracking_code: str
    submitted_at: datetime
    replayed: bool = False


_KNOWN_TTL = 30.0
_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → {code: seen active at}
_known_lock = threading.Lock()


def _is_active(conn, code: str) -> bool:
    """Whether an enterprise is active; a recent yes is remembered, a no always asks again
    (enterprises arrive by event, and a new one must be usable at once)."""
    with _known_lock:
        seen = _known.setdefault(conn.engine, {})
        if time.monotonic() - seen.get(code, -1e9) < _KNOWN_TTL:
            return True
    active = conn.execute(select(enterprises.c.active).where(enterprises.c.code == code)).scalar()
    if active:
        with _known_lock:
            seen[code] = time.monotonic()
    return bool(active)


def submit(rt: Runtime, demand: GrievanceIn, idempotency_key: str | None) -> Submitted:
    """Store the demand and its events in one transaction; the answer means committed."""
    request_hash = hashlib.sha256(demand.model_dump_json().encode()).hexdigest() if idempotency_key else None
    for _ in range(3):
        try:
            with unit_of_work(rt.engine, outbox, rt.settings) as uow:
                if not _is_active(uow.conn, demand.enterprise_code):
                    raise UnknownEnterprise(demand.enterprise_code)
                return _register(uow, demand, idempotency_key, request_hash)
        except IntegrityError:
            # Either the same Idempotency-Key raced us, or (once in 2^54) the tracking code was taken.
            previous = idempotency_key and _by_key(rt, idempotency_key)
            if previous:
                if previous.request_hash != request_hash:
                    raise IdempotencyConflict() from None
                return Submitted(previous.tracking_code, previous.submitted_at, replayed=True)
    raise RuntimeError("could not allocate a tracking code")


def _by_key(rt: Runtime, key: str):
    with rt.engine.connect() as conn:
        return conn.execute(select(grievances.c.tracking_code, grievances.c.submitted_at,
                                   grievances.c.request_hash)
                            .where(grievances.c.idempotency_key == key)).first()


def _register(uow, demand: GrievanceIn, key: str | None, request_hash: str | None) -> Submitted:
    gid, code, now = str(uuid.uuid4()), tracking.new(), utcnow()
    contact = demand.contact if not demand.anonymous else None
    # A constant statement with parameters: compiled once, not rebuilt for every request.
    uow.conn.execute(grievances.insert(), dict(
        id=gid, tracking_code=code, enterprise_code=demand.enterprise_code, category=demand.category,
        urgency=demand.urgency, channel=demand.channel, anonymous=demand.anonymous,
        about_chair=demand.about_chair, description=demand.description, workshop=demand.workshop,
        contact_name=contact and contact.name, contact_phone=contact and contact.phone,
        contact_email=contact and contact.email, status="registered", status_at=now, submitted_at=now,
        idempotency_key=key, request_hash=request_hash))
    uow.emit("grievance.submitted", events.GrievanceSubmitted(
        grievance_id=gid, tracking_code=code, enterprise_code=demand.enterprise_code,
        category=demand.category, urgency=demand.urgency, channel=demand.channel,
        anonymous=demand.anonymous, about_chair=demand.about_chair, description=demand.description,
        workshop=demand.workshop, submitted_at=now), correlation_id=gid)
    if contact is not None:
        uow.emit("grievance.contact_shared", events.GrievanceContactShared(
            grievance_id=gid, tracking_code=code, name=contact.name, email=contact.email,
            phone=contact.phone), correlation_id=gid)
    return Submitted(code, now)


def public_status(rt: Runtime, code: str) -> dict | None:
    """The demand's public face, or None when no demand has this code."""
    with rt.engine.connect() as conn:
        row = conn.execute(
            select(grievances.c.id, grievances.c.tracking_code, grievances.c.status,
                   grievances.c.category, grievances.c.submitted_at, enterprises.c.name.label("enterprise_name"))
            .select_from(grievances.outerjoin(enterprises, enterprises.c.code == grievances.c.enterprise_code))
            .where(grievances.c.tracking_code == code)).first()
        if row is None:
            return None
        entries = conn.execute(select(timeline.c.status, timeline.c.at, timeline.c.public_note)
                               .where(timeline.c.grievance_id == row.id)
                               .order_by(timeline.c.at, timeline.c.seq)).all()
    steps = [{"status": "registered", "at": row.submitted_at, "note": None}]
    steps += [{"status": e.status, "at": e.at, "note": e.public_note} for e in entries]
    return {"tracking_code": row.tracking_code, "status": row.status, "category": row.category,
            "enterprise_name": row.enterprise_name or "", "submitted_at": row.submitted_at,
            "timeline": steps}


def active_enterprises(rt: Runtime) -> list[dict]:
    with rt.engine.connect() as conn:
        rows = conn.execute(select(enterprises.c.code, enterprises.c.name, enterprises.c.county_name)
                            .where(enterprises.c.active).order_by(enterprises.c.county_name,
                                                                  enterprises.c.code)).all()
    return [{"code": r.code, "name": r.name, "county": r.county_name} for r in rows]
