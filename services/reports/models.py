"""reports' facts: one row per demand (no description, no contact), enterprises, notifications."""

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table

from shared.db import ID, UTCDateTime, inbox_table, revocations_table

metadata = MetaData()
inbox = inbox_table(metadata)  # reports publishes nothing: it has no outbox
revocations = revocations_table(metadata)  # staff whose older tokens are refused

enterprises = Table(
    "enterprises",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county_code", String(32), nullable=False),
    Column("county_name", String(200), nullable=False),
)

# Events of one demand may come in any order, so every column but the key may be NULL until its event comes.
facts = Table(
    "grievance_facts",
    metadata,
    Column("grievance_id", ID, primary_key=True),
    Column("enterprise_code", String(32)),
    Column("category", String(32)),
    Column("channel", String(16)),
    Column("urgency", String(16)),
    Column("anonymous", Boolean),
    Column("about_chair", Boolean),
    Column("submitted_at", UTCDateTime()),
    Column("case_id", ID),
    Column("assignee_role", String(32)),
    Column("assignee_org", String(32)),  # the organisation working the case: a county's scope holds it
    Column("assigned_at", UTCDateTime()),
    Column("accept_due", UTCDateTime()),
    Column("resolve_due", UTCDateTime()),
    Column("status", String(16)),
    Column("status_at", UTCDateTime()),
    Column("supervision_level", Integer, nullable=False, server_default="0"),
    Column("accepted_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),  # the latest resolution
    Column("satisfied", Boolean),  # the worker's latest answer; NULL: none yet
    Column("rating", Integer),
    # The resolve clock: paused since (NULL: running), and the seconds of the pauses ended; the
    # resolve_due above has moved by them already.
    Column("paused_at", UTCDateTime()),
    Column("paused_seconds", Integer, nullable=False, server_default="0"),
    Index("ix_facts_case", "case_id"),
    Index("ix_facts_submitted", "submitted_at"),
)

notification_facts = Table(
    "notification_facts",
    metadata,
    Column("notification_id", ID, primary_key=True),
    Column("grievance_id", ID),
    Column("case_id", ID),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
