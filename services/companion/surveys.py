"""Micro-surveys (微调研): staff define a few questions for an enterprise, open the survey for a
period, hand out one-time codes (printed slips, or one per session from the enterprise's kiosk), and
read the results as declared tables only (results.py). A worker answers with a code, anonymously:
no account, no address, no time finer than the day, and nothing that ties the code to the answer.

A free-text answer is kept apart from the same worker's choices, shown to staff in no order of
arrival once ``K`` workers have answered, and can be made into a demand in the ledger: the chair
posts the ``batch`` it comes with to intake, like a forum's items, and the text shows what became
of it.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from services.companion import results
from services.companion.models import (
    demands,
    enterprises,
    kiosks,
    schedules,
    survey_answers,
    survey_codes,
    survey_texts,
    surveys,
)
from services.companion.programme import REFERRED, _may_act, enterprise, in_scope, schedule_of
from services.companion.schemas import AnswerIn, SurveyIn, SurveyQuery
from shared import auth, clock
from shared.db import upsert
from shared.errors import Conflict, Invalid, NotFound, Throttled
from shared.uow import Unit

K = results.K
LONGEST = timedelta(days=92)  # a survey is open for a quarter at most
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a slip without doubt


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    """A one-time code of ten characters (about 50 bits), written in two groups of five."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normal_code(typed: str) -> str:
    """A code as typed (spaces, dashes, small letters) in the form it was hashed."""
    raw = "".join(ch for ch in typed.upper() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}"


# -- definitions -------------------------------------------------------------------------------------
def _check_tables(body: SurveyIn) -> None:
    for i, pair in enumerate(body.tables):
        a, b = pair
        fits = a != b and all(
            1 <= n <= len(body.questions)
            and body.questions[n - 1].kind in results.TABULATED
            and body.questions[n - 1].required
            for n in pair
        )
        if not fits or sorted(pair) in [sorted(p) for p in body.tables[:i]]:
            raise Invalid("invalid_fields", fields={f"tables.{i}": "not_a_table"})


def define(uow: Unit, staff: auth.Staff, body: SurveyIn) -> str:
    company = enterprise(uow.conn, staff, body.enterprise_code)
    _may_act(staff, company, schedule_of(uow.conn, company.code))
    if not company.active:
        raise Conflict("enterprise_inactive")
    today = clock.today()
    if not today <= body.closes_on <= today + LONGEST:
        raise Invalid("invalid_fields", fields={"closes_on": "survey_period"})
    _check_tables(body)
    survey_id = str(uuid.uuid4())
    uow.conn.execute(
        surveys.insert(),
        {
            "id": survey_id,
            "enterprise_code": company.code,
            "title": body.title,
            "intro": body.intro,
            "questions": [q.model_dump(exclude_none=True) for q in body.questions],
            "tables": body.tables,
            "closes_on": body.closes_on,
            "state": "draft",
            "opened_on": None,
            "created_by": staff.id,
            "created_at": clock.now(),
        },
    )
    return survey_id


def _seen_by(staff: auth.Staff):
    seen = in_scope(staff) | (schedules.c.stand_in_id == staff.id)
    joined = surveys.join(enterprises, enterprises.c.code == surveys.c.enterprise_code).outerjoin(
        schedules, schedules.c.enterprise_code == surveys.c.enterprise_code
    )
    return joined, seen


def _survey(conn, staff: auth.Staff, survey_id: str):
    joined, seen = _seen_by(staff)
    row = conn.execute(select(surveys).select_from(joined).where(surveys.c.id == survey_id, seen)).first()
    if row is None:
        raise NotFound("not_found", message="no_survey")
    return row


def state(row) -> str:
    """draft, open or closed; an open survey past its last day is closed."""
    if row.state == "open" and clock.today() > row.closes_on:
        return "closed"
    return row.state


def _answered(conn, survey_id: str) -> int:
    return conn.execute(
        select(func.count()).select_from(survey_answers).where(survey_answers.c.survey_id == survey_id)
    ).scalar_one()


def _counted(n: int) -> int | None:
    return n if n >= K else None


def view(conn, staff: auth.Staff, survey_id: str) -> dict:
    row = _survey(conn, staff, survey_id)
    return {
        "id": row.id,
        "enterprise_code": row.enterprise_code,
        "title": row.title,
        "intro": row.intro,
        "questions": row.questions,
        "tables": row.tables,
        "closes_on": row.closes_on,
        "state": state(row),
        "opened_on": row.opened_on,
        "answers": _counted(_answered(conn, row.id)) if state(row) == "closed" else None,
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def listing(conn, staff: auth.Staff, q: SurveyQuery) -> list[dict]:
    joined, seen = _seen_by(staff)
    where = [seen] + ([surveys.c.enterprise_code == q.enterprise] if q.enterprise else [])
    rows = conn.execute(
        select(surveys).select_from(joined).where(*where).order_by(surveys.c.created_at.desc()).limit(500)
    ).all()
    return [
        {
            "id": r.id,
            "enterprise_code": r.enterprise_code,
            "title": r.title,
            "state": state(r),
            "opened_on": r.opened_on,
            "closes_on": r.closes_on,
        }
        for r in rows
    ]


def _acting(uow: Unit, staff: auth.Staff, survey_id: str):
    row = _survey(uow.conn, staff, survey_id)
    company = enterprise(uow.conn, staff, row.enterprise_code)
    _may_act(staff, company, schedule_of(uow.conn, company.code))
    return row, company


def open_survey(uow: Unit, staff: auth.Staff, survey_id: str) -> None:
    row, company = _acting(uow, staff, survey_id)
    if state(row) != "draft":
        raise Conflict("survey_not_draft")
    if not company.active:
        raise Conflict("enterprise_inactive")
    uow.conn.execute(
        update(surveys).where(surveys.c.id == row.id).values(state="open", opened_on=clock.today())
    )


def close_survey(uow: Unit, staff: auth.Staff, survey_id: str) -> None:
    row, _ = _acting(uow, staff, survey_id)
    if state(row) != "open":
        raise Conflict("survey_not_open")
    uow.conn.execute(update(surveys).where(surveys.c.id == row.id).values(state="closed"))


# -- one-time codes ---------------------------------------------------------------------------------
def _issue(conn, survey_id: str, channel: str, count: int) -> list[str]:
    codes = [new_code() for _ in range(count)]
    conn.execute(
        survey_codes.insert(),
        [
            {"survey_id": survey_id, "code_hash": digest(c), "channel": channel, "issued_on": clock.today()}
            for c in codes
        ],
    )
    return codes


def slips(uow: Unit, staff: auth.Staff, survey_id: str, count: int) -> list[str]:
    """Codes for printed slips, shown this once (only their hashes are kept)."""
    row, _ = _acting(uow, staff, survey_id)
    if state(row) == "closed":
        raise Conflict("survey_closed")
    return _issue(uow.conn, row.id, "slip", count)


def enrol_kiosk(uow: Unit, staff: auth.Staff, code: str) -> str:
    """A new key for the enterprise's kiosk (an older one stops working); shown this once."""
    company = enterprise(uow.conn, staff, code)
    _may_act(staff, company, schedule_of(uow.conn, code))
    if not company.active:
        raise Conflict("enterprise_inactive")
    key = secrets.token_urlsafe(24)
    upsert(
        uow.conn,
        kiosks,
        {
            "enterprise_code": code,
            "key_hash": digest(key),
            "enrolled_by": staff.id,
            "enrolled_at": clock.now(),
            "last_code_at": None,
        },
        keys=["enterprise_code"],
    )
    return key


def kiosk_known(conn, code: str, key: str | None) -> bool:
    if not key:
        return False
    row = conn.execute(select(kiosks.c.key_hash).where(kiosks.c.enterprise_code == code)).first()
    return row is not None and secrets.compare_digest(row.key_hash, digest(key))


def kiosk_code(uow: Unit, code: str, key: str | None, survey_id: str, every: float) -> str:
    """A code for one session at the enrolled kiosk: at most one every ``every`` seconds, so that one
    person at the screen cannot stuff the survey."""
    row = public_row(uow.conn, survey_id)
    if row.enterprise_code != code or not kiosk_known(uow.conn, code, key):
        raise NotFound("not_found", message="no_kiosk")
    if state(row) != "open":
        raise Conflict("survey_closed")
    now = clock.now()
    claimed = uow.conn.execute(
        update(kiosks)
        .where(
            kiosks.c.enterprise_code == code,
            (kiosks.c.last_code_at.is_(None)) | (kiosks.c.last_code_at <= now - timedelta(seconds=every)),
        )
        .values(last_code_at=now)
    ).rowcount
    if not claimed:
        raise Throttled("kiosk_busy", retry_after=int(every))
    return _issue(uow.conn, row.id, "kiosk", 1)[0]


# -- answering --------------------------------------------------------------------------------------
def public_row(conn, survey_id: str):
    row = conn.execute(
        select(surveys, enterprises.c.name.label("enterprise_name"))
        .join(enterprises, enterprises.c.code == surveys.c.enterprise_code)
        .where(surveys.c.id == survey_id, surveys.c.state != "draft")
    ).first()
    if row is None:
        raise NotFound("not_found", message="no_survey")
    return row


def open_to_public(conn, survey_id: str):
    row = public_row(conn, survey_id)
    if state(row) != "open":
        raise Conflict("survey_closed")
    return row


def public_view(conn, survey_id: str) -> dict:
    row = public_row(conn, survey_id)
    return {
        "id": row.id,
        "enterprise": {"code": row.enterprise_code, "name": row.enterprise_name},
        "title": row.title,
        "intro": row.intro,
        "questions": row.questions,
        "closes_on": row.closes_on,
        "open": state(row) == "open",
    }


def open_for(conn, code: str) -> list[dict]:
    """The enterprise's surveys open today (for its kiosk)."""
    rows = conn.execute(
        select(surveys.c.id, surveys.c.title, surveys.c.closes_on)
        .where(
            surveys.c.enterprise_code == code,
            surveys.c.state == "open",
            surveys.c.closes_on >= clock.today(),
        )
        .order_by(surveys.c.closes_on)
    ).all()
    return [dict(r._mapping) for r in rows]


def _fits(question: dict, given) -> bool:
    kind = question["kind"]
    count = len(question.get("options") or [])
    if kind == "single":
        return type(given) is int and 1 <= given <= count
    if kind == "multiple":
        return (
            isinstance(given, list)
            and 1 <= len(given) == len(set(given))
            and all(type(x) is int and 1 <= x <= count for x in given)
        )
    if kind == "scale":
        return type(given) is int and 1 <= given <= 5
    return (
        isinstance(given, str)
        and len(given.strip()) <= 2000
        and all(ch.isprintable() or ch in "\n\r\t" for ch in given)
    )


def answer(uow: Unit, survey_id: str, body: AnswerIn, form: str | None = None) -> None:
    """Record one answer and use up its code, in one transaction; or refuse, writing nothing. The
    same page's form sent again with the code it used (``form``: the page's key) is the answer
    already recorded, not a refusal."""
    row = open_to_public(uow.conn, survey_id)
    questions = row.questions
    if len(body.answers) != len(questions):
        raise Invalid("invalid_fields", fields={"answers": "answer_each"})
    given_all = [None if isinstance(g, str) and not g.strip() else g for g in body.answers]  # blank: none
    wrong = {}
    for n, (q, given) in enumerate(zip(questions, given_all, strict=True), 1):
        if given is None:
            if q.get("required", True) and q["kind"] != "text":
                wrong[f"answers.{n - 1}"] = "answer_required"
        elif not _fits(q, given):
            wrong[f"answers.{n - 1}"] = "answer_unfit"
    if wrong:
        raise Invalid("invalid_fields", fields=wrong)
    today = clock.today()
    code = survey_codes.c.survey_id == row.id, survey_codes.c.code_hash == digest(normal_code(body.code))
    used = uow.conn.execute(
        update(survey_codes)
        .where(*code, survey_codes.c.used_on.is_(None))
        .values(used_on=today, form_hash=digest(form) if form else None)
    ).rowcount
    if not used:
        if (
            form
            and uow.conn.execute(
                select(survey_codes.c.code_hash).where(*code, survey_codes.c.form_hash == digest(form))
            ).first()
        ):
            return  # a double tap: the first press recorded the answer
        raise Conflict("code_unknown_or_used")
    choices = [
        None if q["kind"] == "text" else (sorted(g) if isinstance(g, list) else g)
        for q, g in zip(questions, given_all, strict=True)
    ]
    uow.conn.execute(
        survey_answers.insert(),
        {"id": str(uuid.uuid4()), "survey_id": row.id, "day": today, "choices": choices},
    )
    texts = [
        {"id": str(uuid.uuid4()), "survey_id": row.id, "question": n, "day": today, "text": g.strip()}
        for n, (q, g) in enumerate(zip(questions, given_all, strict=True), 1)
        if q["kind"] == "text" and isinstance(g, str)
    ]
    if texts:
        uow.conn.execute(survey_texts.insert(), texts)


# -- what staff read --------------------------------------------------------------------------------
def _closed(row) -> None:
    """Results and texts only once a survey is closed: read before and after one worker's answer at
    the kiosk, they would give that answer away, whatever the tables withhold."""
    if state(row) != "closed":
        raise Conflict("survey_not_closed")


def survey_results(conn, staff: auth.Staff, survey_id: str) -> dict:
    row = _survey(conn, staff, survey_id)
    _closed(row)
    given = conn.execute(
        select(survey_answers.c.choices).where(survey_answers.c.survey_id == row.id)
    ).scalars()
    return {
        "survey": {"id": row.id, "title": row.title, "state": state(row), "closes_on": row.closes_on},
        **results.tables(row.questions, row.tables, list(given)),
    }


def texts(conn, staff: auth.Staff, survey_id: str) -> dict:
    row = _survey(conn, staff, survey_id)
    _closed(row)
    withheld = _answered(conn, row.id) < K
    shown = []
    if not withheld:
        made = {
            d.source_id: d
            for d in conn.execute(
                select(demands)
                .join(survey_texts, survey_texts.c.id == demands.c.source_id)
                .where(demands.c.source_kind == "survey", survey_texts.c.survey_id == row.id)
            )
        }
        chair = staff.role == "enterprise_chair"
        for t in conn.execute(
            select(survey_texts)
            .where(survey_texts.c.survey_id == row.id)
            .order_by(survey_texts.c.question, survey_texts.c.text, survey_texts.c.id)
        ):
            d = made.get(t.id)
            if d is not None and chair and d.about_chair:
                shown.append({"id": t.id, "question": t.question, "outcome": REFERRED})
                continue
            shown.append(
                {
                    "id": t.id,
                    "question": t.question,
                    "text": t.text,
                    "tracking_code": d.tracking_code if d else None,
                    "status": d.status if d else "not_posted",
                    "public_note": d.public_note if d else None,
                    "batch": None
                    if d
                    else {
                        "enterprise_code": row.enterprise_code,
                        "source": {"kind": "survey", "id": t.id},
                        "items": [{"category": "other", "description": t.text}],
                    },
                }
            )
    return {"survey_id": row.id, "fewer_than": K, "withheld": withheld, "texts": shown}
