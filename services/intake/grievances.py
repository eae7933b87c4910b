"""intake's use cases: take a demand, show its public status. Called by the API and the pages."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.intake import tracking
from services.intake.models import batches, enterprises, feedback, grievances, outbox, timeline
from services.intake.schemas import BatchIn, FeedbackIn, GrievanceIn
from shared import auth, clock, events
from shared.bootstrap import Runtime
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.uow import unit_of_work

_CARRIED = {
    "enterprise_code",
    "category",
    "urgency",
    "channel",
    "anonymous",
    "about_chair",
    "description",
    "workshop",
}
FOLLOW_LIMIT = 20  # merges chained deeper than this are not followed (they cannot be made by hand)


class FeedbackRefused(Conflict):
    """The demand is not waiting for an answer: the code is ``feedback_`` and one of ``not_resolved``,
    ``closed`` (already written off or rejected), ``window_closed``, ``already_given``."""

    def __init__(self, reason: str, days: int):
        super().__init__(f"feedback_{reason}", params={"days": days})


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
                    raise Invalid("invalid_fields", fields={"enterprise_code": "unknown_enterprise"})
                return _register(uow, demand, idempotency_key, request_hash)
        except IntegrityError:
            # Either the same Idempotency-Key raced us, or (once in 2^54) the tracking code was taken.
            previous = idempotency_key and _by_key(rt, idempotency_key)
            if previous:
                if previous.request_hash != request_hash:
                    raise Conflict("idempotency_conflict") from None
                return Submitted(previous.tracking_code, previous.submitted_at, replayed=True)
    raise RuntimeError("could not allocate a tracking code")


def submit_batch(rt: Runtime, staff: auth.Staff, batch: BatchIn, key: str) -> tuple[list[str], bool]:
    """Store every demand of a forum, visit or survey and their events in one transaction, all or
    nothing, once per Idempotency-Key: their tracking codes, and whether this was a repeat."""
    request_hash = hashlib.sha256(batch.model_dump_json().encode()).hexdigest()
    demands = batch.demands()  # each checked across its fields by the edge (api.submit_batch)
    for _ in range(3):
        try:
            with unit_of_work(rt.engine, outbox, rt.settings) as uow:
                company = uow.conn.execute(
                    select(enterprises).where(
                        enterprises.c.code == batch.enterprise_code, enterprises.c.active
                    )
                ).first()
                if company is None:
                    raise Invalid("invalid_fields", fields={"enterprise_code": "unknown_enterprise"})
                if not _within(staff, company):
                    raise Forbidden("forbidden", message="not_your_enterprise")
                codes = [
                    _register(
                        uow,
                        demand,
                        None,
                        None,
                        events.Source(kind=batch.source.kind, id=batch.source.id, item=n),
                    ).tracking_code
                    for n, demand in enumerate(demands, 1)
                ]
                uow.conn.execute(
                    batches.insert(),
                    {
                        "idempotency_key": key,
                        "request_hash": request_hash,
                        "staff_id": staff.id,
                        "codes": codes,
                        "created_at": clock.now(),
                    },
                )
                return codes, False
        except IntegrityError:
            with rt.engine.connect() as conn:
                previous = conn.execute(select(batches).where(batches.c.idempotency_key == key)).first()
            if previous is not None:
                if previous.request_hash != request_hash or previous.staff_id != staff.id:
                    raise Conflict("idempotency_conflict") from None
                return list(previous.codes), True
    raise RuntimeError("could not allocate tracking codes")


def _within(staff: auth.Staff, company) -> bool:
    """Whether ``staff`` may post demands heard at ``company``: its chair, its county's officers, the city."""
    if staff.role in ("city_officer", "admin"):
        return True
    if staff.role == "county_officer":
        return company.county_code == staff.org_code
    return staff.role == "enterprise_chair" and staff.org_code == company.code


def _by_key(rt: Runtime, key: str):
    with rt.engine.connect() as conn:
        return conn.execute(
            select(grievances.c.tracking_code, grievances.c.submitted_at, grievances.c.request_hash).where(
                grievances.c.idempotency_key == key
            )
        ).first()


def _register(
    uow, demand: GrievanceIn, key: str | None, request_hash: str | None, source: events.Source | None = None
) -> Submitted:
    gid, code, now = str(uuid.uuid4()), tracking.new(), clock.now()
    contact = demand.contact if not demand.anonymous else None
    carried = demand.model_dump(include=_CARRIED)  # what the row and the event both hold
    # A constant statement with parameters: compiled once, not rebuilt for every request.
    uow.conn.execute(
        grievances.insert(),
        dict(
            id=gid,
            tracking_code=code,
            **carried,
            contact_name=contact and contact.name,
            contact_phone=contact and contact.phone,
            contact_email=contact and contact.email,
            status="registered",
            status_at=now,
            submitted_at=now,
            idempotency_key=key,
            request_hash=request_hash,
            source_kind=source and source.kind,
            source_id=source and source.id,
            source_item=source and source.item,
        ),
    )
    uow.emit(
        "grievance.submitted",
        events.GrievanceSubmitted(
            grievance_id=gid, tracking_code=code, submitted_at=now, source=source, **carried
        ),
        correlation_id=gid,
    )
    if contact is not None:
        uow.emit(
            "grievance.contact_shared",
            events.GrievanceContactShared(
                grievance_id=gid,
                tracking_code=code,
                name=contact.name,
                email=contact.email,
                phone=contact.phone,
            ),
            correlation_id=gid,
        )
    return Submitted(code, now)


def _followed(conn, row):
    """The demand whose case a merged demand follows (itself when it was not merged)."""
    for _ in range(FOLLOW_LIMIT):
        if row.follows_id is None:
            return row
        row = conn.execute(select(grievances).where(grievances.c.id == row.follows_id)).first()
    return row


def _answer(conn, row, target) -> dict | None:
    """This worker's answer to the latest resolution, if any (shown back on their status page; after a
    merge, another worker's answer is not theirs). The comment is not kept here: it travels to
    routing only, so a tracking code never shows it."""
    if target.resolved_at is None:
        return None
    row = conn.execute(
        select(feedback.c.satisfied, feedback.c.rating, feedback.c.at).where(
            feedback.c.grievance_id == target.id,
            feedback.c.resolved_at == target.resolved_at,
            feedback.c.answered_by == row.id,
        )
    ).first()
    return dict(row._mapping) if row else None


def _feedback_state(conn, target, days: int, now: datetime) -> tuple[str | None, datetime | None]:
    """Why the answer is refused now (None: it is welcome) and until when the window is open."""
    if target.status != "resolved" or target.resolved_at is None:
        return ("closed" if target.status in ("closed", "rejected") else "not_resolved"), None
    until = target.resolved_at + timedelta(days=days)
    if now > until:
        return "window_closed", until
    given = conn.execute(
        select(feedback.c.seq).where(
            feedback.c.grievance_id == target.id, feedback.c.resolved_at == target.resolved_at
        )
    ).first()
    return ("already_given" if given else None), until


def public_status(rt: Runtime, code: str) -> dict | None:
    """The demand's public face, or None when no demand has this code. A merged demand shows its own
    steps up to the merge, then the surviving demand's status and later steps (status, time, public
    note: nothing of the other worker)."""
    with rt.engine.connect() as conn:
        row = conn.execute(select(grievances).where(grievances.c.tracking_code == code)).first()
        if row is None:
            return None
        name = conn.execute(
            select(enterprises.c.name).where(enterprises.c.code == row.enterprise_code)
        ).scalar()
        registered = {
            "status": "registered",
            "at": row.submitted_at,
            "note": None,
            "event": None,
            "level": None,
        }
        steps = [registered, *_steps(conn, row.id)]
        target = _followed(conn, row)
        if target.id != row.id:
            merged_at = next((s["at"] for s in reversed(steps) if s["status"] == "merged"), row.status_at)
            steps += [s for s in _steps(conn, target.id) if s["at"] > merged_at]
        refused, until = _feedback_state(conn, target, rt.settings.feedback_days, clock.now())
        answer = _answer(conn, row, target)
    return {
        "tracking_code": row.tracking_code,
        "status": target.status,
        "category": row.category,
        "enterprise_name": name or "",
        "submitted_at": row.submitted_at,
        "merged": target.id != row.id,
        "timeline": steps,
        # The case's supervision level (the level, never a name) and its paused clock.
        "supervision_level": target.supervision_level,
        "paused": {"since": target.paused_at, "reason": target.pause_reason} if target.paused_at else None,
        "feedback": {
            "open": refused is None,
            "until": until,
            "given": refused == "already_given",
            "answer": answer,
        },
    }


def _steps(conn, grievance_id: str) -> list[dict]:
    return [
        {"status": e.status, "at": e.at, "note": e.public_note, "event": e.event, "level": e.level}
        for e in conn.execute(
            select(
                timeline.c.status, timeline.c.at, timeline.c.public_note, timeline.c.event, timeline.c.level
            )
            .where(timeline.c.grievance_id == grievance_id)
            .order_by(timeline.c.at, timeline.c.seq)
        )
    ]


def give_feedback(rt: Runtime, code: str, answer: FeedbackIn) -> datetime:
    """Record the worker's answer to the resolution and send it to routing (satisfied → closed,
    not → reopened); when it was received. NotFound when no demand has this code; FeedbackRefused
    when no answer is expected."""
    days = rt.settings.feedback_days
    try:
        with unit_of_work(rt.engine, outbox, rt.settings) as uow:
            row = uow.conn.execute(select(grievances).where(grievances.c.tracking_code == code)).first()
            if row is None:
                raise NotFound("not_found")
            target, now = _followed(uow.conn, row), clock.now()
            refused, _until = _feedback_state(uow.conn, target, days, now)
            if refused:
                raise FeedbackRefused(refused, days)
            uow.conn.execute(
                feedback.insert(),
                dict(
                    grievance_id=target.id,
                    answered_by=row.id,
                    resolved_at=target.resolved_at,
                    satisfied=answer.satisfied,
                    rating=answer.rating,
                    at=now,
                ),
            )
            uow.emit(
                "grievance.feedback_given",
                events.GrievanceFeedbackGiven(
                    grievance_id=target.id,
                    satisfied=answer.satisfied,
                    rating=answer.rating,
                    comment=answer.comment,
                ),
                correlation_id=target.id,
            )
            return now
    except IntegrityError:  # the same answer raced us in: the unique round wins once
        raise FeedbackRefused("already_given", days) from None


def active_enterprises(rt: Runtime) -> list[dict]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(enterprises.c.code, enterprises.c.name, enterprises.c.county_name)
            .where(enterprises.c.active)
            .order_by(enterprises.c.county_name, enterprises.c.code)
        ).all()
    return [{"code": r.code, "name": r.name, "county": r.county_name} for r in rows]
