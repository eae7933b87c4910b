"""The event envelope and payloads (DESIGN §3): versioned, validated, and silent about values on error."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared import events

AT = datetime(2026, 3, 6, 2, 30, tzinfo=UTC)
GID, CID = str(uuid.uuid4()), str(uuid.uuid4())
MARKER = "marker-7f3c2e-never-echo"
OUTCOME = {
    "notification_id": str(uuid.uuid4()),
    "case_id": CID,
    "grievance_id": GID,
    "channel": "email",
    "kind": "case_assigned",
    "attempt": 1,
}

# One valid payload (as a dict of fields) for each payload model.
SAMPLES: dict[type[events.Frozen], dict] = {
    events.GrievanceSubmitted: {
        "grievance_id": GID,
        "tracking_code": "ABCD-EFGH-JKMN",
        "enterprise_code": "E001",
        "category": "workplace",
        "urgency": "normal",
        "channel": "kiosk",
        "anonymous": True,
        "about_chair": False,
        "description": "车间噪音太大 the workshop is too loud",
        "workshop": "二车间",
        "submitted_at": AT,
    },
    events.GrievanceContactShared: {
        "grievance_id": GID,
        "tracking_code": "ABCD-EFGH-JKMN",
        "name": "王五",
        "email": "wang@example.org",
        "phone": "13800000000",
    },
    events.GrievanceFeedbackGiven: {"grievance_id": GID, "satisfied": True, "rating": 5, "comment": "好"},
    events.CaseAssigned: {
        "case_id": CID,
        "grievance_id": GID,
        "level": 0,
        "accept_due": AT,
        "resolve_due": AT,
        "assignee": {
            "id": "e001-chair",
            "name": "王建国",
            "role": "enterprise_chair",
            "org_code": "E001",
            "email": "chair.e001@example.org",
            "phone": "138-0000-0001",
        },
        "enterprise_code": "E001",
        "county_code": "C01",
        "category": "workplace",
        "urgency": "normal",
        "assigned_at": AT,
    },
    events.CaseStatusChanged: {
        "case_id": CID,
        "grievance_id": GID,
        "from": "assigned",
        "to": "accepted",
        "public_note": "已受理",
        "actor_role": "enterprise_chair",
        "at": AT,
    },
    events.CaseSupervisionRaised: {
        "case_id": CID,
        "grievance_id": GID,
        "level": 1,
        "reason": "accept_overdue",
        "supervisor": "C01",
    },
    events.CaseDeadlineExtended: {"case_id": CID, "grievance_id": GID, "resolve_due": AT, "at": AT},
    events.NotificationOutcome: OUTCOME,
    events.EnterpriseUpdated: {
        "code": "E001",
        "name": "宏达面业有限公司",
        "county_code": "C01",
        "county_name": "城关区",
        "active": True,
        "has_chair": True,
    },
    events.CaseDeadlinesChanged: {
        "case_id": GID,
        "grievance_id": GID,
        "accept_due": "2027-02-15T15:59:59+00:00",
        "resolve_due": "2027-02-19T15:59:59+00:00",
        "provisional": False,
        "at": "2027-01-02T02:00:00+00:00",
    },
    events.CaseReminderDue: {
        "case_id": GID,
        "grievance_id": GID,
        "deadline": "accept",
        "when": "half_time",
        "due": "2026-03-11T15:59:59+00:00",
        "recipients": [
            {"id": "e001-chair", "name": "张主席", "role": "enterprise_chair", "phone": "13800000001"}
        ],
        "urgency": "normal",
        "at": "2026-03-10T08:00:00+00:00",
    },
    events.CaseClockPaused: {
        "case_id": GID,
        "grievance_id": GID,
        "reason": "等待噪声检测机构出具报告",
        "resume_by": "2026-04-10T02:00:00+00:00",
        "at": "2026-03-11T02:00:00+00:00",
    },
    events.CaseClockResumed: {
        "case_id": GID,
        "grievance_id": GID,
        "paused_seconds": 86400,
        "resolve_due": "2026-03-26T15:59:59+00:00",
        "at": "2026-03-12T02:00:00+00:00",
    },
    events.CalendarYearLoaded: {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "days": [{"day": "2027-02-05", "workday": False, "name": "春节"}],
    },
    events.CompanionDayMissed: {
        "enterprise_code": "E001",
        "enterprise_name": "示范机械厂",
        "county_code": "C01",
        "day": "2026-12-02",
        "planned": "2026-12-02",
        "recipients": [
            {"id": "c01-officer", "name": "徐建国", "role": "county_officer", "email": "c01@example.org"}
        ],
        "at": "2026-12-04T00:00:00+00:00",
    },
    events.CompanionDayDecided: {
        "enterprise_code": "E001",
        "county_code": "C01",
        "day": "2026-12-02",
        "outcome": "held",
        "at": "2026-12-04T00:00:00+00:00",
    },
    events.StaffRevoked: {
        "staff_id": "e001-chair",
        "revoked_at": "2026-03-10T02:05:00+00:00",
        "reason": "moved",
    },
}
EVENT_TYPES = sorted(etype for etype, _ in events.PAYLOADS)


def payload_for(etype: str) -> events.Frozen:
    model = events.PAYLOADS[(etype, events.CURRENT_VERSION[etype])]
    return model.model_validate(SAMPLES[model])


def body(etype: str = "grievance.submitted", version: int = 1, **payload_changes) -> bytes:
    """A message as the wire carries it, with the payload's fields changed as given."""
    envelope = events.make(etype, payload_for(etype), "test", GID)
    data = json.loads(events.encode(envelope))
    data.update(version=version)
    data["payload"].update(payload_changes)
    return json.dumps(data).encode()


def decode_error(raw: bytes) -> str:
    with pytest.raises(events.EventError) as caught:
        events.decode(raw)
    return str(caught.value)


def test_every_payload_model_has_a_sample():
    assert {model for model in events.PAYLOADS.values()} <= set(SAMPLES)


@pytest.mark.parametrize("etype", EVENT_TYPES)
def test_event_survives_make_encode_decode(etype):
    payload = payload_for(etype)
    envelope = events.make(etype, payload, "test", GID)
    decoded_envelope, decoded_payload = events.decode(events.encode(envelope))
    assert decoded_envelope == envelope
    assert decoded_payload == payload
    assert (decoded_envelope.type, decoded_envelope.version, decoded_envelope.producer) == (etype, 1, "test")
    assert decoded_envelope.correlation_id == GID


def test_each_envelope_gets_its_own_id_and_a_utc_time():
    first, second = (
        events.make("grievance.feedback_given", payload_for("grievance.feedback_given"), "test")
        for _ in range(2)
    )
    assert first.id != second.id
    assert first.occurred_at.utcoffset().total_seconds() == 0


def test_unknown_event_type_is_an_event_error():
    raw = json.loads(body())
    raw["type"] = "grievance.vanished"
    assert "grievance.vanished" in decode_error(json.dumps(raw).encode())


def test_unknown_version_is_an_event_error():
    assert "v99" in decode_error(body(version=99))


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b'"text"', "诉求".encode()])
def test_bad_json_is_an_event_error(raw):
    decode_error(raw)


def test_invalid_payload_error_names_the_field_but_not_its_value():
    message = decode_error(body(category=MARKER))
    assert "category" in message
    assert MARKER not in message


def test_invalid_envelope_error_names_the_field_but_not_its_value():
    raw = json.loads(body())
    raw["occurred_at"] = MARKER
    message = decode_error(json.dumps(raw).encode())
    assert "occurred_at" in message
    assert MARKER not in message


def test_missing_payload_field_is_named():
    raw = json.loads(body())
    del raw["payload"]["grievance_id"]
    assert "grievance_id" in decode_error(json.dumps(raw).encode())


def test_make_refuses_a_payload_of_the_wrong_model():
    with pytest.raises(TypeError):
        events.make("case.assigned", payload_for("grievance.feedback_given"), "test")


def test_status_change_serialises_its_from_field_as_from():
    envelope = events.make("case.status_changed", payload_for("case.status_changed"), "test")
    wire = json.loads(events.encode(envelope))["payload"]
    assert wire["from"] == "assigned"
    assert "from_" not in wire
    assert events.decode(events.encode(envelope))[1].from_ == "assigned"
