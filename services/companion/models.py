"""companion's tables: its copies of the directory and the working calendar, each enterprise's
companion day, the days cancelled beforehand, and the visits (走访)."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import ID, UTCDateTime, inbox_table, outbox_table, revocations_table
from shared.workcal import calendar_tables

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
revocations = revocations_table(metadata)  # staff whose older tokens are refused

# From enterprise.updated (and once from routing's directory, when companion starts empty).
enterprises = Table(
    "enterprises",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("county_code", String(32), nullable=False),
    Column("county_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("chair_id", String(64)),  # the active chair: who goes on the day, unless a stand-in is set
    Column("county_officers", JSON),  # the county union's officers: told of a missed day (notify)
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_enterprises_county", "county_code"),
)

# The official schedule of the years routing loaded (calendar.year_loaded): the days that differ
# from a plain week. Past them, shared/workcal.py falls back to the package and the statutory holidays.
calendar_days, calendar_years = calendar_tables(metadata)

# Each enterprise's companion weekday (0 Monday … 4 Friday) and, when someone else goes, the stand-in.
schedules = Table(
    "schedules",
    metadata,
    Column("enterprise_code", String(32), primary_key=True),
    Column("weekday", Integer, nullable=False),
    Column("stand_in_id", String(64)),  # a vice-chair or an officer who goes instead of the chair
    Column("starts_on", Date, nullable=False),  # the first day the schedule holds
    Column("checked_until", Date),  # every day up to this one is decided: held, cancelled or missed
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# A companion day called off beforehand, with its reason: not a miss.
cancellations = Table(
    "cancellations",
    metadata,
    Column("enterprise_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("cancelled_at", UTCDateTime(), nullable=False),
    Column("cancelled_by", String(64), nullable=False),
)

# One visit to the shop floor (走访) per companion day.
visits = Table(
    "visits",
    metadata,
    Column("id", ID, primary_key=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("visitor_id", String(64), nullable=False),
    Column("visitor_role", String(32), nullable=False),
    Column("workshops", JSON, nullable=False),  # the workshops visited
    Column("workers_met", Integer, nullable=False),  # how many, never who
    Column("summary", Text, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("enterprise_code", "day", name="uq_visits_enterprise_day"),
)

# A micro-forum (微座谈): its topic, how many took part (no names), the minutes, and their items.
forums = Table(
    "forums",
    metadata,
    Column("id", ID, primary_key=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("topic", String(200), nullable=False),
    Column("participants", Integer, nullable=False),
    Column("minutes", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Index("ix_forums_enterprise_day", "enterprise_code", "day"),
)

# Each item of a forum's minutes: one demand in the ledger once posted through intake.
forum_items = Table(
    "forum_items",
    metadata,
    Column("forum_id", ID, primary_key=True),
    Column("item", Integer, primary_key=True),  # its position, from 1
    Column("text", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("about_chair", Boolean, nullable=False),
)

# The demands heard in the programme (grievance.submitted with a source), and what became of each
# (case.assigned, case.status_changed): the latest status and public note, as the worker sees them.
demands = Table(
    "demands",
    metadata,
    Column("grievance_id", ID, primary_key=True),
    Column("source_kind", String(16), nullable=False),
    Column("source_id", ID, nullable=False),
    Column("item", Integer),
    Column("tracking_code", String(16), nullable=False),
    Column("about_chair", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_at", UTCDateTime(), nullable=False),
    Column("public_note", Text),
    Index("ix_demands_source", "source_id", "item"),
)

# The companion days missed: scheduled, not called off, no visit by the end of the next working day.
missed_days = Table(
    "missed_days",
    metadata,
    Column("enterprise_code", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("county_code", String(32), nullable=False),
    Column("found_at", UTCDateTime(), nullable=False),
)

# The chair's own notes in the public-opinion diary (民意日记), by day.
diary_notes = Table(
    "diary_notes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("written_by", String(64), nullable=False),
    Column("written_at", UTCDateTime(), nullable=False),
    Index("ix_diary_notes_enterprise_day", "enterprise_code", "day"),
)

# A micro-survey (微调研): its questions, the cross-tables declared with them (the only breakdowns its
# results ever show), and its period. draft → open → closed; past ``closes_on`` it takes no answer.
surveys = Table(
    "surveys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("enterprise_code", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("intro", Text),
    Column("questions", JSON, nullable=False),  # [{kind, text, options, required}]
    Column("tables", JSON, nullable=False),  # [[a, b]]: question numbers crossed in the results
    Column("closes_on", Date, nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_on", Date),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_surveys_enterprise", "enterprise_code"),
)

# The one-time codes of a survey (printed slips, or one a kiosk issues per session), kept as hashes:
# each lets one answer in. Nothing links a code to the answer it let in.
survey_codes = Table(
    "survey_codes",
    metadata,
    Column("survey_id", ID, primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("channel", String(8), nullable=False),  # slip or kiosk
    Column("issued_on", Date, nullable=False),
    Column("used_on", Date),
    # the page's form that used it (a hash of its random key): the same form sent twice (a double
    # tap) is the one answer, not a refusal; nothing of the worker.
    Column("form_hash", String(64)),
)

# The answers to the choice and scale questions (one row per answer, the day only: no time, no
# address, no code). A free-text answer is kept apart (survey_texts), so that reading it tells
# nothing of the same worker's other answers.
survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("survey_id", ID, nullable=False),
    Column("day", Date, nullable=False),
    Column("choices", JSON, nullable=False),  # by question: an option, options, 1–5, or null
    Index("ix_survey_answers_survey", "survey_id"),
)

survey_texts = Table(
    "survey_texts",
    metadata,
    Column("id", ID, primary_key=True),  # the source id of the demand the chair makes of it
    Column("survey_id", ID, nullable=False),
    Column("question", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_survey_texts_survey", "survey_id"),
)

# The enterprise's kiosk, enrolled by staff: the hash of the key its browser keeps, and when it last
# issued a survey code (one per session, a session at most every KIOSK_CODE_SECONDS).
kiosks = Table(
    "kiosks",
    metadata,
    Column("enterprise_code", String(32), primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("enrolled_by", String(64), nullable=False),
    Column("enrolled_at", UTCDateTime(), nullable=False),
    Column("last_code_at", UTCDateTime()),
)
