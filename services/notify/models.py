"""notify's tables: the contacts named workers left, the notification log, the scope facts of each
case (for the staff's notification log), and the revoked staff tokens."""

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, false

from shared.db import ID, UTCDateTime, inbox_table, outbox_table, revocations_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
revocations = revocations_table(metadata)  # staff whose older tokens are refused

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
    Column("audience", String(8), nullable=False),  # staff, worker, group
    Column("medium", String(8), nullable=False),  # what the message is: email, sms, group
    Column("channel", String(16), nullable=False),  # how it went: email, sms, group, or log (none configured)
    # The address: a staff member's or a worker's (scrubbed with the contact); none for a group.
    Column("recipient", String(254)),
    Column("recipient_id", String(64)),  # a staff member's id, a group's organisation; never a worker's
    Column("recipient_name", String(100)),  # a staff member's name; never a worker's
    Column("urgent", Boolean, nullable=False, server_default=false()),  # sent outside the daytime window too
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

# What the scope rule (shared/scope.py) needs of a case, from case.assigned: who may read its notifications.
case_scopes = Table(
    "case_scopes",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("grievance_id", ID, nullable=False),
    Column("enterprise_code", String(32)),
    Column("county_code", String(32)),
    Column("assignee_org", String(32)),
    Column("about_chair", Boolean),  # NULL (not said): hidden from the chair, as a demand about the chair
    Column("urgent", Boolean, nullable=False, server_default=false()),
    Column("assigned_at", UTCDateTime(), nullable=False),
)
