"""notify's test payloads (the officers a supervision event names, reminders, a worker's contact),
a fixed clock, and a real HTTP sink standing in for an SMS gateway or a group bot."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from services.notify.models import notifications
from shared import clock, events

COUNTY_OFFICER = events.Assignee(
    id="c01-officer",
    name="张县干",
    role="county_officer",
    org_code="C01",
    email="c01.union@example.org",
    phone="+86 139 0000 0101",
)
COUNTY_OFFICER_2 = events.Assignee(
    id="c01-officer-2", name="李县干", role="county_officer", org_code="C01", email="c01.b@example.org"
)
CITY_OFFICER = events.Assignee(
    id="city-officer-1",
    name="王市干",
    role="city_officer",
    org_code="city",
    email="city.union@example.org",
    phone="13900000201",
)
CHAIR = events.Assignee(
    id="e001-chair",
    name="王建国",
    role="enterprise_chair",
    org_code="E001",
    email="chair.e001@example.org",
    phone="13900000001",
)


def supervision(level: int = 1, reason: str = "accept_overdue", **changes) -> events.CaseSupervisionRaised:
    """``case.supervision_raised`` as routing makes it on a missed deadline at E001 (county C01)."""
    now = clock.now()
    fields = dict(
        case_id=str(uuid.uuid4()),
        grievance_id=str(uuid.uuid4()),
        level=level,
        reason=reason,
        supervisor="system",
        at=now,
        recipients=(COUNTY_OFFICER, COUNTY_OFFICER_2) if level == 1 else (CITY_OFFICER,),
        automatic=reason.endswith("_overdue"),
        about_chair=False,
        urgency="normal",
        enterprise_code="E001",
        county_code="C01",
        accept_due=now - timedelta(hours=1),
        resolve_due=now + timedelta(days=13),
        supervised_due=now + timedelta(days=7),
    )
    return events.CaseSupervisionRaised(**(fields | changes))


def reminder(**changes) -> events.CaseReminderDue:
    now = clock.now()
    fields = dict(
        case_id=str(uuid.uuid4()),
        grievance_id=str(uuid.uuid4()),
        deadline="accept",
        when="half_time",
        due=now + timedelta(days=1),
        recipients=(CHAIR,),
        urgency="normal",
        at=now,
    )
    return events.CaseReminderDue(**(fields | changes))


def phone_only_contact(phone: str = "+86 139-1234-5678") -> events.GrievanceContactShared:
    return events.GrievanceContactShared(
        grievance_id=str(uuid.uuid4()), tracking_code="ABCD-EFGH-JKMN", name="赵工", phone=phone
    )


def assigned_for(s: events.CaseSupervisionRaised, assignee: events.Assignee = CHAIR) -> events.CaseAssigned:
    """The ``case.assigned`` of the case of a supervision event (so notify knows its scope)."""
    return events.CaseAssigned(
        case_id=s.case_id,
        grievance_id=s.grievance_id,
        assignee=assignee,
        level=0,
        accept_due=s.accept_due or clock.now(),
        resolve_due=s.resolve_due or clock.now(),
        enterprise_code=s.enterprise_code,
        county_code=s.county_code,
        category="wages",
        urgency=s.urgency,
        assigned_at=clock.now() - timedelta(days=3),
        about_chair=s.about_chair,
    )


def rows(rt, **where) -> list:
    """The notification log, oldest first, filtered by column values."""
    query = select(notifications).order_by(notifications.c.created_at, notifications.c.dedup_key)
    for column, value in where.items():
        query = query.where(notifications.c[column] == value)
    with rt.engine.connect() as conn:
        return conn.execute(query).all()


def china(text: str) -> datetime:
    """A moment given in China time, ``"2026-12-01 22:30"``, in UTC."""
    day, hm = text.split()
    hour, minute = (int(x) for x in hm.split(":"))
    return clock.day_start(datetime.fromisoformat(day).date()) + timedelta(hours=hour, minutes=minute)


@contextlib.contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Move the system's clock (its offset, as CLOCK_OFFSET would) so that it reads ``moment`` now."""
    before = clock.offset()
    real_now = clock.now() - before
    clock.set_offset(moment - real_now)
    try:
        yield
    finally:
        clock.set_offset(before)


def move_clock(by: timedelta) -> None:
    clock.set_offset(clock.offset() + by)


class Sink:
    """A real HTTP server on a free local port that records the JSON posted to it and answers
    ``status`` (200; set 500 to play a gateway that is down)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    sink.posts.append((self.path, json.loads(body)))
                except ValueError:
                    sink.posts.append((self.path, {"raw": body.decode(errors="replace")}))
                self.send_response(sink.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        """The Apprise URL of a JSON webhook at ``path`` of this sink."""
        return f"json://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[dict]:
        return [body for p, body in self.posts if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
