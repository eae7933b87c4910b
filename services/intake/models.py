"""intake's own tables: its copy of the enterprise directory, the grievances, their public timeline."""

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from shared.db import ID, SEQ, UTCDateTime, inbox_table, outbox_table, revocations_table, throttle_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
throttle_counts = throttle_table(metadata)  # shared.throttle: the public POSTs' rate limit
revocations = revocations_table(metadata)  # staff whose older tokens are refused (the batch endpoint)

enterprises = Table(
    "enterprises",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county_code", String(32), nullable=False),
    Column("county_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

grievances = Table(
    "grievances",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tracking_code", String(16), nullable=False, unique=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("category", String(32), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("about_chair", Boolean, nullable=False),
    Column("description", Text, nullable=False),
    Column("workshop", String(100)),
    # Contact lives here and travels only to notify; NULL for every anonymous demand.
    Column("contact_name", String(50)),
    Column("contact_phone", String(32)),
    Column("contact_email", String(254)),
    Column("status", String(16), nullable=False),
    Column("status_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("idempotency_key", String(200), unique=True),
    Column("request_hash", String(64)),
    Column("resolved_at", UTCDateTime()),  # the latest resolution: the feedback window opens here
    Column("follows_id", ID),  # merged into another demand's case: this worker follows that demand
    # The case's supervision (督办) level, and its paused resolve clock with the reason the worker reads.
    Column("supervision_level", Integer, nullable=False, server_default="0"),
    Column("paused_at", UTCDateTime()),
    Column("pause_reason", Text),
    # Heard in the companion programme: a visit, forum or survey (companion's id) and the item.
    Column("source_kind", String(16)),
    Column("source_id", ID),
    Column("source_item", Integer),
)

# A batch of demands staff posted from a companion forum, visit or survey: its Idempotency-Key, the
# hash of its body, and the tracking codes it made, so a repeat answers the same and makes nothing.
batches = Table(
    "batches",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("staff_id", String(64), nullable=False),
    Column("codes", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# What the worker may see of the case's life: status, time, public note. Never staff or internal notes.
timeline = Table(
    "timeline",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("grievance_id", ID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("public_note", Text),
    # A step that moves no status: "supervised" (at ``level``: 1 the county union, 2 the city
    # federation; never a name), "paused" (the note is the reason), "resumed". NULL: a status step.
    Column("event", String(16)),
    Column("level", Integer),
    Index("ix_timeline_grievance", "grievance_id", "at"),
)

# The worker's answer to a resolution: one per demand and resolution (a reopened case that is
# resolved again may be answered again). The comment travels to routing only; it is not kept here.
feedback = Table(
    "feedback",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("grievance_id", ID, nullable=False),  # the demand answered (the surviving one after a merge)
    Column("answered_by", ID),  # the demand whose worker answered (after a merge, maybe another one)
    Column("resolved_at", UTCDateTime(), nullable=False),
    Column("satisfied", Boolean, nullable=False),
    Column("rating", Integer),
    Column("at", UTCDateTime(), nullable=False),
    UniqueConstraint("grievance_id", "resolved_at", name="uq_feedback_round"),
)
