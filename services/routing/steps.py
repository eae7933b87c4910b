"""One step of a case, whoever takes it (staff, the worker's answer, a timer): the one way a case
changes. The row moves if it is still at the version read, the step joins the append-only
history, and a status change or a public note is published as ``case.status_changed``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update

from services.routing.models import cases, history
from shared import events
from shared.uow import Unit


@dataclass
class Step:
    row: Any  # the case as read, with its version
    action: str
    to: str
    actor_id: str | None
    actor_role: str
    at: datetime
    public_note: str | None = None
    internal_note: str | None = None
    worker_comment: str | None = None  # the worker's own words (their answer to a resolution)
    worker_rating: int | None = None
    level: int | None = None  # the supervision level this step raised the case to
    changes: dict = field(default_factory=dict)  # more columns of the case to set
    events: list[tuple[str, events.Frozen]] = field(default_factory=list)  # more events to publish
    merged_into_grievance_id: str | None = None

    def write(self, uow: Unit) -> bool:
        """Write the step; False, and nothing written, if the case changed since ``row`` was read."""
        row, conn = self.row, uow.conn
        done = conn.execute(
            update(cases)
            .where(cases.c.id == row.id, cases.c.version == row.version)
            .values(status=self.to, updated_at=self.at, version=row.version + 1, **self.changes)
        )
        if done.rowcount != 1:
            return False
        conn.execute(
            history.insert(),
            {
                "case_id": row.id,
                "at": self.at,
                "actor_id": self.actor_id,
                "actor_role": self.actor_role,
                "from_status": row.status,
                "to_status": self.to,
                "action": self.action,
                "supervision_level": self.level,
                "public_note": self.public_note,
                "internal_note": self.internal_note,
                "worker_comment": self.worker_comment,
                "worker_rating": self.worker_rating,
            },
        )
        if self.to != row.status or self.public_note:
            uow.emit(
                "case.status_changed",
                events.CaseStatusChanged(
                    case_id=row.id,
                    grievance_id=row.grievance_id,
                    from_=row.status,
                    to=self.to,
                    public_note=self.public_note,
                    actor_role=self.actor_role,
                    at=self.at,
                    merged_into_grievance_id=self.merged_into_grievance_id,
                ),
                correlation_id=row.grievance_id,
            )
        for etype, payload in self.events:
            uow.emit(etype, payload, correlation_id=row.grievance_id)
        return True
