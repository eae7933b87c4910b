"""companion's HTTP API: each enterprise's companion day (schedule, the days to come and what became
of those past), days called off, and the visits (走访). Staff only, within the ledger's scope."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from pydantic import TypeAdapter, ValidationError
from spectree import Response as Doc

from services.companion import coverage, diary, programme, surveys
from services.companion.config import SERVICE
from services.companion.models import outbox
from services.companion.schemas import (
    AnswerIn,
    CancelIn,
    CodesIn,
    CodesOut,
    CoverageOut,
    CoverageQuery,
    Created,
    DiaryOut,
    DiaryQuery,
    ForumIn,
    ForumList,
    ForumOut,
    ForumQuery,
    KioskOut,
    NoteIn,
    PublicDiaryOut,
    PublicDiaryQuery,
    PublicSurveyOut,
    Recorded,
    ResultsOut,
    ScheduleIn,
    ScheduleList,
    ScheduleOut,
    ScheduleQuery,
    SurveyIn,
    SurveyList,
    SurveyOut,
    SurveyQuery,
    TextsOut,
    VisitIn,
    VisitList,
    VisitOut,
    VisitQuery,
)
from shared import apidoc, auth, bodies, clock, web
from shared.errors import ApiError, ErrorResponse, NotFound, invalid
from shared.text import Day, is_uuid
from shared.uow import unit_of_work

api = Blueprint("api", __name__, url_prefix="/api/v1")
spec = apidoc.new_spec(SERVICE)

# The message of each code companion's domain may refuse with.
MESSAGES = {
    "no_enterprise": lazy_gettext("No such enterprise within your scope."),
    "no_visit": lazy_gettext("No such visit."),
    "not_yours": lazy_gettext(
        "Only the enterprise's chair, its stand-in and the union officers may do this."
    ),
    "enterprise_inactive": lazy_gettext("This enterprise is no longer active."),
    "no_schedule": lazy_gettext("This enterprise has no companion day yet; set its schedule first."),
    "not_a_companion_day": lazy_gettext("This is not one of the enterprise's companion days."),
    "day_to_come": lazy_gettext("A visit is recorded on its day or after, not before."),
    "too_late_to_cancel": lazy_gettext("A day is called off beforehand; this one has passed."),
    "already_held": lazy_gettext("A visit is already recorded for this day."),
    "already_cancelled": lazy_gettext("This day is already called off."),
    "day_cancelled": lazy_gettext("This day was called off; no visit can be recorded for it."),
    "already_recorded": lazy_gettext("A visit is already recorded for this day."),
    "no_forum": lazy_gettext("No such forum."),
    "no_survey": lazy_gettext("No such survey."),
    "survey_period": lazy_gettext("A survey closes today or later, within 92 days."),
    "not_a_table": lazy_gettext(
        "A cross-table pairs two different required questions, each of one choice or the 1–5 scale."
    ),
    "survey_not_draft": lazy_gettext("This survey is already open or closed."),
    "survey_not_open": lazy_gettext("This survey is not open."),
    "survey_not_closed": lazy_gettext(
        "A survey's results and texts are read once it is closed: read while it is open, before and "
        "after one worker's answer, they would give that answer away."
    ),
    "survey_closed": lazy_gettext("This survey is closed."),
    "answer_each": lazy_gettext("Give one answer per question, in order (null for one left out)."),
    "answer_required": lazy_gettext("This question needs an answer."),
    "answer_unfit": lazy_gettext("This answer does not fit the question."),
    "code_unknown_or_used": lazy_gettext(
        "This code is not one of the survey's, or it has been used already: each code answers once."
    ),
    "no_kiosk": lazy_gettext("This screen is not the enterprise's enrolled kiosk."),
    "kiosk_busy": lazy_gettext("The kiosk gives one survey code per session; try again in a moment."),
}
_ERRORS = {f"HTTP_{s}": ErrorResponse for s in (400, 401, 403, 404, 409, 413, 415, 422)}


def _staff_doc(tag: str, status: int, answer, **request_models):
    """A staff operation's OpenAPI entry: its query or body model, its answer, the bearer token."""
    return spec.validate(
        **request_models,
        resp=Doc(**{f"HTTP_{status}": answer}, **_ERRORS),
        tags=[tag],
        security=apidoc.STAFF,
        skip_validation=True,
    )


def _period(start, end, default_start):
    """A period of one day to a year (``end`` defaults to today); 422 otherwise."""
    end = end or clock.today()
    start = start or default_start(end)
    if start > end or (end - start).days > 366:
        raise ApiError(
            422,
            "invalid_fields",
            _("Some fields are invalid."),
            {"end": _("A period of one day to one year.")},
        )
    return start, end


def _query(model):
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(exc) from None


_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DAY = TypeAdapter(Day)  # the one way a day is read (shared/text.py)


def _enterprise(code: str) -> str:
    """An enterprise code from the URL; anything else (a NUL byte, say) is no enterprise."""
    if _CODE.fullmatch(code) is None:
        raise NotFound("not_found", message="no_enterprise")
    return code


def _day(text: str):
    try:
        return _DAY.validate_python(text)
    except ValidationError:
        raise NotFound("not_found", message="not_a_companion_day") from None


@api.get("/schedules")
@_staff_doc("schedule", 200, ScheduleList)
@auth.require_staff()
def schedules():
    """The enterprises within your scope and their companion weekday (0 Monday … 4 Friday; null: none yet)."""
    with web.runtime().engine.connect() as conn:
        return jsonify(enterprises=programme.listing(conn, g.staff))


@api.get("/schedules/<code>")
@_staff_doc("schedule", 200, ScheduleOut, query=ScheduleQuery)
@auth.require_staff()
def schedule(code: str):
    """An enterprise's companion day and its days (?start=YYYY-MM-DD&weeks=N, default this week and 8
    weeks): each held, open, missed, cancelled or to come, and moved when a day off fell on it."""
    q, code = _query(ScheduleQuery), _enterprise(code)
    with web.runtime().engine.connect() as conn:
        return jsonify(programme.view(conn, g.staff, code, q.start, q.weeks))


@api.put("/schedules/<code>")
@_staff_doc("schedule", 200, ScheduleOut, json=ScheduleIn)
@auth.require_staff()
def set_schedule(code: str):
    """Set the enterprise's companion weekday and, if someone else goes, the stand-in. The chair, the
    stand-in, union officers."""
    body, code = bodies.json_body(ScheduleIn), _enterprise(code)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        programme.set_schedule(uow, g.staff, code, body)
        return jsonify(programme.view(uow.conn, g.staff, code, None, rt.settings.weeks_shown))


@api.post("/schedules/<code>/days/<day>/cancel")
@_staff_doc("schedule", 200, ScheduleOut, json=CancelIn)
@auth.require_staff()
def cancel_day(code: str, day: str):
    """Call a companion day off beforehand, with its reason (the chair ill, the plant shut): not a miss."""
    body = bodies.json_body(CancelIn)
    code, when = _enterprise(code), _day(day)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        programme.cancel(uow, g.staff, code, when, body)
        return jsonify(programme.view(uow.conn, g.staff, code, None, rt.settings.weeks_shown))


@api.post("/visits")
@_staff_doc("visits", 201, Created, json=VisitIn)
@auth.require_staff()
def record_visit():
    """Record the visit (走访) of a companion day: the workshops, how many workers were met (never
    who), a summary. One per day, on the day or after."""
    body = bodies.json_body(VisitIn)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        visit_id = programme.record_visit(uow, g.staff, body)
    return jsonify(id=visit_id), 201


@api.get("/visits")
@_staff_doc("visits", 200, VisitList, query=VisitQuery)
@auth.require_staff()
def list_visits():
    """Visits within your scope, latest first (?enterprise=&start=&end=)."""
    q = _query(VisitQuery)
    with web.runtime().engine.connect() as conn:
        return jsonify(visits=programme.visit_list(conn, g.staff, q))


@api.get("/visits/<visit_id>")
@_staff_doc("visits", 200, VisitOut)
@auth.require_staff()
def get_visit(visit_id: str):
    """One visit; outside your scope it does not exist (404)."""
    if not is_uuid(visit_id):
        raise NotFound("not_found", message="no_visit")
    with web.runtime().engine.connect() as conn:
        return jsonify(programme.visit(conn, g.staff, visit_id))


@api.post("/forums")
@_staff_doc("forums", 201, ForumOut, json=ForumIn)
@auth.require_staff()
def record_forum():
    """Record a micro-forum (微座谈): the topic, how many took part (never who), the minutes and their
    items. The answer's ``batch`` is the body to post to intake's ``POST /api/v1/batches`` (with an
    Idempotency-Key): each item becomes a demand in the ledger, and this forum shows what becomes of it."""
    body = bodies.json_body(ForumIn)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        forum_id = programme.record_forum(uow, g.staff, body)
        return jsonify(programme.forum(uow.conn, g.staff, forum_id)), 201


@api.get("/forums")
@_staff_doc("forums", 200, ForumList, query=ForumQuery)
@auth.require_staff()
def list_forums():
    """Forums within your scope, latest first (?enterprise=)."""
    q = _query(ForumQuery)
    with web.runtime().engine.connect() as conn:
        return jsonify(forums=programme.forum_list(conn, g.staff, q))


@api.get("/forums/<forum_id>")
@_staff_doc("forums", 200, ForumOut)
@auth.require_staff()
def get_forum(forum_id: str):
    """A forum with each item and what became of its demand (status, the public note)."""
    if not is_uuid(forum_id):
        raise NotFound("not_found", message="no_forum")
    with web.runtime().engine.connect() as conn:
        return jsonify(programme.forum(conn, g.staff, forum_id))


@api.get("/coverage")
@_staff_doc("coverage", 200, CoverageOut, query=CoverageQuery)
@auth.require_staff()
def get_coverage():
    """Were the companion days held? Per county and week within your scope, days held out of days due
    (both numbers), missed, open, cancelled; each enterprise's streak (?start=&end=, at most a year)."""
    q = _query(CoverageQuery)
    start, end = _period(q.start, q.end, lambda end: end - timedelta(days=end.weekday() + 7 * 7))
    with web.runtime().engine.connect() as conn:
        return jsonify(coverage.coverage(conn, g.staff, start, end))


@api.get("/diary/<code>")
@_staff_doc("diary", 200, DiaryOut, query=DiaryQuery)
@auth.require_staff()
def get_diary(code: str):
    """The enterprise's public-opinion diary (民意日记), day by day (?start=&end=, default four weeks)."""
    q, code = _query(DiaryQuery), _enterprise(code)
    start, end = _period(q.start, q.end, lambda end: end - timedelta(weeks=4))
    with web.runtime().engine.connect() as conn:
        return jsonify(diary.staff_diary(conn, g.staff, code, start, end))


@api.post("/diary/<code>/notes")
@_staff_doc("diary", 201, Created, json=NoteIn)
@auth.require_staff()
def add_note(code: str):
    """The chair's own note in the diary for a day (today or before)."""
    body, code = bodies.json_body(NoteIn), _enterprise(code)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        note_id = diary.add_note(uow, g.staff, code, body)
    return jsonify(id=note_id), 201


@api.post("/surveys")
@_staff_doc("surveys", 201, SurveyOut, json=SurveyIn)
@auth.require_staff()
def define_survey():
    """Define a micro-survey (微调研): its questions, the cross-tables its results may show, its last
    day. It starts as a draft; open it, and hand out its codes."""
    body = bodies.json_body(SurveyIn)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        survey_id = surveys.define(uow, g.staff, body)
        return jsonify(surveys.view(uow.conn, g.staff, survey_id)), 201


@api.get("/surveys")
@_staff_doc("surveys", 200, SurveyList, query=SurveyQuery)
@auth.require_staff()
def list_surveys():
    """Surveys within your scope, latest first (?enterprise=)."""
    q = _query(SurveyQuery)
    with web.runtime().engine.connect() as conn:
        return jsonify(surveys=surveys.listing(conn, g.staff, q))


def _survey_id(survey_id: str) -> str:
    if not is_uuid(survey_id):
        raise NotFound("not_found", message="no_survey")
    return survey_id


@api.get("/surveys/<survey_id>")
@_staff_doc("surveys", 200, SurveyOut)
@auth.require_staff()
def get_survey(survey_id: str):
    """A survey: its definition, state and, from 5 up, how many answered."""
    with web.runtime().engine.connect() as conn:
        return jsonify(surveys.view(conn, g.staff, _survey_id(survey_id)))


@api.post("/surveys/<survey_id>/open")
@_staff_doc("surveys", 200, SurveyOut)
@auth.require_staff()
def open_survey(survey_id: str):
    """Open a draft survey to answers, until its last day."""
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        surveys.open_survey(uow, g.staff, _survey_id(survey_id))
        return jsonify(surveys.view(uow.conn, g.staff, survey_id))


@api.post("/surveys/<survey_id>/close")
@_staff_doc("surveys", 200, SurveyOut)
@auth.require_staff()
def close_survey(survey_id: str):
    """Close an open survey before its last day: it takes no more answers."""
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        surveys.close_survey(uow, g.staff, _survey_id(survey_id))
        return jsonify(surveys.view(uow.conn, g.staff, survey_id))


@api.post("/surveys/<survey_id>/codes")
@_staff_doc("surveys", 201, CodesOut, json=CodesIn)
@auth.require_staff()
def make_codes(survey_id: str):
    """One-time codes for printed slips (shown this once), and the link to answer at. ``?format=html``
    answers a sheet of slips to print and cut."""
    body = bodies.json_body(CodesIn)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        codes = surveys.slips(uow, g.staff, _survey_id(survey_id), body.count)
        about = surveys.public_view(uow.conn, survey_id) if request.args.get("format") == "html" else None
    link = f"{rt.settings.companion_url.rstrip('/')}/s/{survey_id}"
    if about is not None:
        return render_template("slips.html", survey=about, link=link, codes=codes), 201
    return jsonify(survey_id=survey_id, link=link, codes=codes), 201


@api.get("/surveys/<survey_id>/results")
@_staff_doc("surveys", 200, ResultsOut)
@auth.require_staff()
def survey_results(survey_id: str):
    """The declared tables, once the survey is closed (409 before): each choice and scale question,
    and the cross-tables declared with the survey; a count under 5, and any that would give one
    away, is null. No filters."""
    if request.args:
        raise ApiError(422, "invalid_fields", _("Some fields are invalid."), {"query": _("No filters.")})
    with web.runtime().engine.connect() as conn:
        return jsonify(surveys.survey_results(conn, g.staff, _survey_id(survey_id)))


@api.get("/surveys/<survey_id>/texts")
@_staff_doc("surveys", 200, TextsOut)
@auth.require_staff()
def survey_texts(survey_id: str):
    """The free-text answers, once the survey is closed (409 before) and from 5 answers up, each
    with what became of its demand, or the ``batch`` to post to intake's ``POST /api/v1/batches`` to
    make one (choose its category first)."""
    with web.runtime().engine.connect() as conn:
        return jsonify(surveys.texts(conn, g.staff, _survey_id(survey_id)))


@api.post("/kiosks/<code>")
@_staff_doc("surveys", 201, KioskOut)
@auth.require_staff()
def enrol_kiosk(code: str):
    """Enrol the enterprise's kiosk: open the answer's ``enrol_url`` once on the kiosk's screen, and
    it issues a survey code per session. A new enrolment retires the old key."""
    code = _enterprise(code)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        key = surveys.enrol_kiosk(uow, g.staff, code)
    enrol = f"{rt.settings.companion_url.rstrip('/')}/k/{code}/enrol?key={key}"
    return jsonify(enterprise_code=code, enrol_url=enrol), 201


@api.get("/public/surveys/<survey_id>")
@spec.validate(
    resp=Doc(HTTP_200=PublicSurveyOut, HTTP_404=ErrorResponse),
    tags=["public"],
    skip_validation=True,
)
def get_public_survey(survey_id: str):
    """A survey's questions, for a worker to answer (no token)."""
    with web.runtime().engine.connect() as conn:
        return jsonify(surveys.public_view(conn, _survey_id(survey_id)))


@api.post("/public/surveys/<survey_id>/answers")
@spec.validate(
    json=AnswerIn,
    resp=Doc(HTTP_201=Recorded, **{f"HTTP_{s}": ErrorResponse for s in (400, 404, 409, 413, 415, 422)}),
    tags=["public"],
    skip_validation=True,
)
def post_answer(survey_id: str):
    """Answer a survey with a one-time code (no token; anonymous: no address, no time finer than the
    day, nothing ties the code to the answer). A used or unknown code is a 409."""
    body = bodies.json_body(AnswerIn)
    rt = web.runtime()
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        surveys.answer(uow, _survey_id(survey_id), body)
    return jsonify(recorded_on=clock.today()), 201


@api.get("/public/diary/<code>")
@spec.validate(
    query=PublicDiaryQuery,
    resp=Doc(HTTP_200=PublicDiaryOut, HTTP_404=ErrorResponse, HTTP_422=ErrorResponse),
    tags=["public"],
    skip_validation=True,
)
def get_public_diary(code: str):
    """For the workers at the kiosk: per week, was the companion day held, how many demands were heard
    and answered (?weeks=, default 4). Counts only; one under 5 is not shown."""
    q, code = _query(PublicDiaryQuery), _enterprise(code)
    with web.runtime().engine.connect() as conn:
        return jsonify(diary.public_diary(conn, code, q.weeks))
