"""notify's tables: the contacts named workers left, and the notification log."""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from shared.db import ID, UTCDateTime, inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

contacts = Table(
    "contacts",
    metadata,
    Column("grievance_id", ID, primary_key=True),
    Column("tracking_code", String(16), nullable=False),
    Column("name", String(50)),
    Column("email", String(254)),
    Column("phone", String(32)),
    # When the case became final (closed, rejected, merged): the contact is erased (the row deleted)
    # ``contact_retention_days`` later (services/notify/retention.py). NULL while the case is open.
    Column("finished_at", UTCDateTime()),
    Index("ix_contacts_finished", "finished_at"),
)

# One row per message to send; ``dedup_key`` makes a message exist once however often its event comes.
notifications = Table(
    "notifications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("dedup_key", String(200), nullable=False, unique=True),
    Column("grievance_id", ID),
    Column("case_id", ID),
    Column("kind", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(254)),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("error", String(300)),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_notifications_due", "status", "next_attempt_at"),
    Index("ix_notifications_case", "case_id"),
    Index("ix_notifications_grievance", "grievance_id"),  # a worker's messages, scrubbed with the contact
)
