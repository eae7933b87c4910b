"""routing's tables: the organisation directory and the cases with their append-only history."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text
from sqlalchemy import false as sa_false

from shared.db import ID, SEQ, UTCDateTime, inbox_table, outbox_table, revocations_table, throttle_table
from shared.timers import timers_table
from shared.workcal import calendar_tables

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
revocations = revocations_table(metadata)  # staff whose older tokens are refused
throttle_counts = throttle_table(metadata)  # shared.throttle: log-in throttles
# Reminders, missed deadlines, the end of a pause, the feedback window (services/routing/timers.py);
# the subject of each is a case id.
timers = timers_table(metadata)

counties = Table(
    "counties",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county_code", String(32), ForeignKey("counties.code"), nullable=False),
    Column("active", Boolean, nullable=False),
)

# Union staff: enterprise chairs (org = enterprise code), county officers (org = county code),
# city officers (org = "city").
staff = Table(
    "staff",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("role", String(32), nullable=False),
    Column("org_code", String(32), nullable=False),
    Column("email", String(254)),
    Column("phone", String(32)),
    Column("active", Boolean, nullable=False),
    Column("password_hash", String(200)),  # argon2; NULL: cannot log in
    Index("ix_staff_org", "org_code", "role"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", ID, primary_key=True),
    Column("grievance_id", ID, nullable=False, unique=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("county_code", String(32)),
    Column("category", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("about_chair", Boolean, nullable=False),
    Column("description", Text, nullable=False),
    Column("workshop", String(100)),
    Column("status", String(16), nullable=False),
    Column("assignee_id", String(64)),
    Column("assignee_role", String(32)),
    Column("assignee_org", String(32)),
    Column("supervision_level", Integer, nullable=False, server_default="0"),
    Column("accept_due", UTCDateTime()),
    Column("resolve_due", UTCDateTime()),
    # A due date counted a day past the official schedules known (services/routing/calendar.py).
    Column("deadlines_provisional", Boolean, nullable=False, server_default=sa_false()),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),  # optimistic concurrency
    Column("extended_at", UTCDateTime()),  # the one extension, when granted
    Column("resolved_at", UTCDateTime()),  # the latest resolution: the worker's feedback window opens
    Index("ix_cases_status_resolved", "status", "resolved_at"),
    Column("merged_into", ID),  # the surviving case, once merged
    # The deadline policy's terms the case was given when assigned (services/routing/policy.py), and
    # the policy's version: a changed policy applies to new cases only.
    Column("terms", JSON),
    Column("policy_version", Integer),
    Column("supervised_due", UTCDateTime()),  # the supervisors' deadline, once supervised (督办)
    # The resolve clock, paused while the case waits on a third party (a flag, not a status).
    Column("paused_at", UTCDateTime()),  # NULL: the clock runs
    Column("pause_reason", Text),  # for the worker to read
    Column("pause_ends", UTCDateTime()),  # the clock runs again by itself then
    Column("pauses_used", Integer, nullable=False, server_default="0"),
    Column("paused_seconds", Integer, nullable=False, server_default="0"),  # all pauses ended so far
    Index("ix_cases_org_status", "assignee_org", "status"),
)

history = Table(
    "case_history",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("case_id", ID, nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_id", String(64)),
    Column("actor_role", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    # The staff action, "feedback", or what the system did ("accept_overdue", "pause_ended", …);
    # NULL for the routing steps.
    Column("action", String(32)),
    Column("supervision_level", Integer),  # the level after this step, when it changed
    Column("public_note", Text),
    Column("internal_note", Text),
    # The worker's answer to a resolution, in their own words: never a staff note.
    Column("worker_comment", Text),
    Column("worker_rating", Integer),
)

# The official schedule of the years loaded (services/routing/calendar.py): the days that differ
# from a plain week, and which years were loaded, from what.
calendar_days, calendar_years = calendar_tables(metadata, Column("loaded_at", UTCDateTime(), nullable=False))

# The deadline policies loaded (services/routing/policy.py), every version kept; the highest is current.
policies = Table(
    "deadline_policies",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", JSON, nullable=False),
    Column("source", String(300), nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
)
