"""reports' facts: one row per demand (no description, no contact), enterprises, notifications."""

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table

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
    # What the rates read (rates.py), derived again from the demand's own steps (case_log) at each
    # event, so the order events come in never changes them.
    Column("answered_at", UTCDateTime()),  # first accepted, or rejected with its reason
    Column("answer_due", UTCDateTime()),  # the accept deadline in force then (else the latest)
    Column("first_resolved_at", UTCDateTime()),
    Column("first_resolve_due", UTCDateTime()),  # the resolve deadline in force at the first resolution
    Column("resolve_seconds", Integer),  # assignment to first resolution, paused time excluded
    Column("final_answer_at", UTCDateTime()),  # the worker's latest answer
    Column("final_satisfied", Boolean),
    Column("closed_without_answer", Boolean),  # closed by the window, no answer to its last resolution
    Index("ix_facts_case", "case_id"),
    Index("ix_facts_submitted", "submitted_at"),
    Index("ix_facts_assigned", "assigned_at"),
    Index("ix_facts_resolve_due", "resolve_due"),
    Index("ix_facts_first_resolved", "first_resolved_at"),
    Index("ix_facts_final_answer", "final_answer_at"),
)

# What became of each enterprise's companion days (companion_day.decided): the days held out of the
# days due, for the public scoreboard.
companion_days = Table(
    "companion_days",
    metadata,
    Column("enterprise_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("outcome", String(16), nullable=False),
)

# The rates per county over the last 30 days, computed on a schedule by the worker (not at each
# scrape) and exposed on /metrics as numerator and denominator series.
county_rates = Table(
    "county_rates",
    metadata,
    Column("county_code", String(32), primary_key=True),
    Column("rate", String(32), primary_key=True),
    Column("numerator", Integer, nullable=False),
    Column("denominator", Integer, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)

# Each step of a demand that the rates depend on (the event's id, its kind, when, and the little it
# carries: a status, a due date, a level, an answer). Never a description, a note or a contact.
case_log = Table(
    "case_log",
    metadata,
    Column("event_id", ID, primary_key=True),
    Column("grievance_id", ID, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_case_log_grievance", "grievance_id"),
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
