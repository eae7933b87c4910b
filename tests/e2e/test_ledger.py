"""The ledger (台账) end to end, through the real processes: a named worker's demand from the kiosk
to 销账 (closed after the worker's answer), two staff acting on one case version at once, and a
demand about the chair that the chair never sees."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
import uuid
from collections import Counter

import pytest

from harness.system import Xinsheng
from shared.config import REPO_ROOT
from shared.procs import wait_until

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
CHAIR_ID, CHAIR_NAME, CHAIR_EMAIL = "e001-chair", "王建国", "chair.e001@example.org"
OFFICER_ID, OFFICER_NAME, OFFICER_EMAIL = "c01-officer", "徐建国", "c01.union@example.org"
PASSWORD = f"ledger-{RUN}-pass"
WAIT = 30

# Every demand this module submitted, by (enterprise, about_chair): the system is the module's own,
# so the reports' counts can be checked exactly whichever tests ran before.
SUBMITTED: Counter = Counter()


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    with Xinsheng(tmp_path_factory.mktemp("ledger")) as system:
        yield system


# --- helpers -----------------------------------------------------------------------------------


def kiosk(xs, enterprise: str, **fields) -> str:
    """Submit the kiosk form of ``enterprise``; the tracking code shown on the answer page."""
    form = urllib.parse.urlencode({"category": "wages", **fields}).encode()
    status, page = xs.request(
        "intake",
        f"/k/{enterprise}",
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "zh"},
    )
    assert status == 200, page.decode(errors="replace")[:2000]  # the 303 to the result page, followed
    SUBMITTED[(enterprise, fields.get("about_chair") == "true")] += 1
    return re.search(rb'id="tracking-code">([A-Z0-9-]+)<', page).group(1).decode()


def public(xs, code: str) -> tuple[dict, str]:
    """The demand's public status, as JSON and as the raw text anyone with the code can read."""
    status, raw = xs.request("intake", f"/api/v1/grievances/{code}")
    assert status == 200, raw
    return json.loads(raw), raw.decode()


def status_page(xs, code: str) -> str:
    status, page = xs.request("intake", f"/s/{code}", headers={"Accept-Language": "zh"})
    assert status == 200
    return page.decode()


def wait_public(xs, code: str, status: str, **extra) -> dict:
    def reached():
        body, _ = public(xs, code)
        return (
            body
            if body["status"] == status and all(body["feedback"][k] == v for k, v in extra.items())
            else None
        )

    return wait_until(reached, WAIT, interval=0.2, what=f"intake to show {code} as {status}")


def feedback(xs, code: str, **answer) -> tuple[int, dict]:
    return xs.post_json("intake", f"/api/v1/grievances/{code}/feedback", answer)


def find_case(xs, headers: dict, marker: str) -> dict:
    """The one case whose description carries ``marker``, once it is in the caller's list."""

    def listed():
        status, body = xs.get("routing", f"/api/v1/cases?q={urllib.parse.quote(marker)}", **headers)
        assert status == 200, body
        assert body["total"] <= 1, body
        return body["items"][0] if body["items"] else None

    return wait_until(listed, WAIT, interval=0.2, what=f"the case {marker} in the list")


def case(xs, headers: dict, case_id: str) -> dict:
    status, body = xs.get("routing", f"/api/v1/cases/{case_id}", **headers)
    assert status == 200, body
    return body


def wait_case(xs, headers: dict, case_id: str, status: str) -> dict:
    return wait_until(
        lambda: (c := case(xs, headers, case_id))["status"] == status and c,
        WAIT,
        interval=0.2,
        what=f"routing to show case {case_id} as {status}",
    )


def act(xs, headers: dict, case_id: str, action: str, **body) -> tuple[int, dict]:
    return xs.post_json("routing", f"/api/v1/cases/{case_id}/{action}", body, **headers)


def act_ok(xs, headers: dict, case_id: str, action: str, **body) -> dict:
    version = case(xs, headers, case_id)["version"]
    status, after = act(xs, headers, case_id, action, version=version, **body)
    assert status == 200, (action, after)
    assert after["version"] == version + 1
    return after


def mails(xs, address: str, needle: str) -> list:
    """Messages to ``address`` whose subject or body mentions ``needle``."""
    return [m for m in xs.mailbox.to(address) if needle in m["Subject"] or needle in m.get_content()]


def summary(xs, headers: dict) -> dict:
    status, body = xs.get("reports", "/api/v1/reports/summary", **headers)
    assert status == 200, body
    return body


def chair(xs) -> dict:
    return xs.staff(CHAIR_ID, "enterprise_chair", "E001")


def officer(xs) -> dict:
    return xs.staff(OFFICER_ID, "county_officer", "C01")


def city(xs) -> dict:
    return xs.staff("city-officer-1", "city_officer", "city")


def log_in_chair(xs) -> dict:
    """Set the chair's password through the command line, log in over HTTP: the bearer header."""
    subprocess.run(
        [sys.executable, "-m", "services", "set-password", CHAIR_ID],
        cwd=REPO_ROOT,
        env={**os.environ, **xs.env},
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )
    status, body = xs.post_json("routing", "/api/v1/auth/token", {"staff_id": CHAIR_ID, "password": PASSWORD})
    assert status == 200, body
    assert body["staff"] == {"id": CHAIR_ID, "role": "enterprise_chair", "org_code": "E001"}
    return {"Authorization": f"Bearer {body['token']}"}


# --- 1. one demand from the kiosk to 销账 ---------------------------------------------------------


def test_a_named_demand_goes_from_the_kiosk_to_written_off(xs):
    marker = f"ledger-{RUN}-wages"
    worker = {"name": "李小红", "email": f"worker-{RUN}@example.net", "phone": "13800001111"}
    accepted_note = f"已受理，正在与人事部门核实 {RUN}"
    internal_note = f"INTERNAL-{RUN}: 车间主任拒绝配合，只在工会内部讨论"
    resolution = f"人事部已补发三月加班费 {RUN}"
    second_note = f"重新核实四月的加班记录 {RUN}"
    second_resolution = f"四月加班费也已补发到工资卡 {RUN}"
    complaint = f"只补发了三月的，四月的还没有 {RUN}"

    code = kiosk(
        xs,
        "E001",
        description=f"三月和四月的加班费没有发 {marker}",
        workshop="二车间",
        anonymous="false",
        contact_name=worker["name"],
        contact_email=worker["email"],
        contact_phone=worker["phone"],
    )
    ack = wait_until(lambda: mails(xs, worker["email"], code), WAIT, what="the worker's acknowledgement")
    assert len(ack) == 1

    # The chair logs in over HTTP and finds the case in the ledger; routing never has the worker's identity.
    me = log_in_chair(xs)
    listed = find_case(xs, me, marker)
    assert listed["status"] == "assigned" and listed["channel"] == "kiosk" and not listed["anonymous"]
    assert listed["assignee"] == {"id": CHAIR_ID, "role": "enterprise_chair", "org_code": "E001"}
    case_id = listed["id"]
    seen = json.dumps(case(xs, me, case_id), ensure_ascii=False)
    for secret in worker.values():
        assert secret not in seen, "the staff ledger shows the worker's identity"
    wait_until(
        lambda: [m for m in mails(xs, CHAIR_EMAIL, case_id[:8]) if "新诉求已分派" in m["Subject"]],
        WAIT,
        what="the assignment email to the chair",
    )

    status, refused = feedback(xs, code, satisfied=True)
    assert status == 409 and refused["error"]["code"] == "feedback_not_resolved"

    # Accept with a public note, an internal note (the work begins), resolve.
    assert act_ok(xs, me, case_id, "accept", public_note=accepted_note)["status"] == "accepted"
    assert act_ok(xs, me, case_id, "note", internal_note=internal_note)["status"] == "in_progress"
    assert act_ok(xs, me, case_id, "resolve", resolution=resolution)["status"] == "resolved"

    body = wait_public(xs, code, "resolved", open=True)
    assert [(s["status"], s["note"]) for s in body["timeline"]] == [
        ("registered", None),
        ("assigned", None),
        ("accepted", accepted_note),
        ("in_progress", None),
        ("resolved", resolution),
    ]
    assert all(s["label"] for s in body["timeline"]) and body["feedback"]["until"] and not body["merged"]
    assert_nothing_internal(xs, code, [internal_note])
    assert accepted_note in status_page(xs, code) and resolution in status_page(xs, code)

    answer = wait_until(lambda: mails(xs, worker["email"], resolution), WAIT, what="the resolution email")
    assert len(answer) == 1 and code in answer[0]["Subject"]
    assert internal_note not in answer[0].get_content() and CHAIR_NAME not in answer[0].get_content()

    # Not satisfied: the case is reopened, in routing and for the worker.
    status, received = feedback(xs, code, satisfied=False, rating=2, comment=complaint)
    assert status == 201 and received["satisfied"] is False, received
    reopened = wait_case(xs, me, case_id, "reopened")
    assert "resolve" in reopened["actions"] and "note" in reopened["actions"]
    wait_public(xs, code, "reopened", open=False)
    status, refused = feedback(xs, code, satisfied=True)
    assert status == 409 and refused["error"]["code"] == "feedback_not_resolved"

    # Worked again and resolved again: a fresh window for the worker's answer.
    assert act_ok(xs, me, case_id, "note", public_note=second_note)["status"] == "in_progress"
    assert act_ok(xs, me, case_id, "resolve", resolution=second_resolution)["status"] == "resolved"
    wait_public(xs, code, "resolved", open=True, given=False)
    wait_until(
        lambda: mails(xs, worker["email"], second_resolution), WAIT, what="the second resolution email"
    )

    # Satisfied, through the status page's form: closed (销账) everywhere, and counted so.
    closed_before = summary(xs, city(xs))["by_status"].get("closed", 0)
    form = urllib.parse.urlencode({"satisfied": "true", "rating": "5", "comment": ""}).encode()
    status, page = xs.request(
        "intake",
        f"/s/{code}/feedback",
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "zh"},
    )
    # The 303 back to the status page, followed (without the cookie that carries the thank-you): the
    # page shows the answer itself.
    assert status == 200 and b'id="answer-satisfied"' in page, page.decode(errors="replace")[:2000]

    closed = wait_case(xs, me, case_id, "closed")
    assert closed["actions"] == []
    answers = [h for h in closed["history"] if h["action"] == "feedback"]
    assert [(h["from"], h["to"], h["actor_role"], h["actor_id"]) for h in answers] == [
        ("resolved", "reopened", "worker", None),
        ("resolved", "closed", "worker", None),
    ]
    # The worker's own words, marked as theirs, never a staff note.
    assert (answers[0]["worker_comment"], answers[0]["worker_rating"]) == (complaint, 2)
    assert (answers[1]["worker_rating"], answers[0]["internal_note"], answers[1]["internal_note"]) == (
        5,
        None,
        None,
    )
    assert [(h["from"], h["to"]) for h in closed["history"]] == [
        (None, "registered"),
        ("registered", "assigned"),
        ("assigned", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]

    body = wait_public(xs, code, "closed", open=False)
    assert [s["status"] for s in body["timeline"]] == [
        "registered",
        "assigned",
        "accepted",
        "in_progress",
        "resolved",
        "reopened",
        "in_progress",
        "resolved",
        "closed",
    ]
    notes = [s["note"] for s in body["timeline"] if s["note"]]
    assert notes == [accepted_note, resolution, second_note, second_resolution]
    assert_nothing_internal(xs, code, [internal_note, complaint])

    wait_until(
        lambda: summary(xs, city(xs))["by_status"].get("closed", 0) == closed_before + 1,
        WAIT,
        interval=0.2,
        what="reports to count the case as closed",
    )

    status, refused = feedback(xs, code, satisfied=False, comment="还有问题")
    assert status == 409 and refused["error"]["code"] == "feedback_closed", refused
    status, refused = feedback(xs, code, satisfied=True)
    assert status == 409 and refused["error"]["code"] == "feedback_closed", refused
    assert case(xs, me, case_id)["version"] == closed["version"], "a refused answer moved the case"


def assert_nothing_internal(xs, code: str, secrets: list[str]) -> None:
    """Neither the status API nor the status page shows internal notes or who on the staff acted."""
    _, raw = public(xs, code)
    page = status_page(xs, code)
    for shown in (raw, page):
        for secret in [
            *secrets,
            CHAIR_ID,
            CHAIR_NAME,
            OFFICER_ID,
            OFFICER_NAME,
            CHAIR_EMAIL,
            "enterprise_chair",
            "county_officer",
            "actor",
        ]:
            assert secret not in shown, f"the worker can read {secret!r}"


# --- 2. two staff, one case version -------------------------------------------------------------


def race(xs, case_id: str, moves: dict[str, tuple[dict, str, dict]]) -> dict[str, tuple[int, dict]]:
    """Send every move (headers, action, body) at the same moment from its own thread."""
    barrier = threading.Barrier(len(moves))
    results: dict[str, tuple[int, dict]] = {}

    def send(who, headers, action, body):
        barrier.wait(timeout=10)
        results[who] = act(xs, headers, case_id, action, **body)

    threads = [threading.Thread(target=send, args=(who, *move)) for who, move in moves.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert set(results) == set(moves), "a request did not come back"
    return results


def test_two_staff_acting_on_the_same_version_one_wins_the_other_sees_the_current_case(xs):
    marker = f"ledger-{RUN}-race"
    kiosk(xs, "E001", description=f"食堂饭菜价格上涨太多 {marker}", category="welfare")
    case_id = find_case(xs, chair(xs), marker)["id"]
    assert find_case(xs, officer(xs), marker)["id"] == case_id

    winners = []
    for round_ in range(4):
        version = case(xs, chair(xs), case_id)["version"]
        notes = {who: f"round {round_} by {who} {RUN}" for who in ("chair", "officer")}
        chair_move = (
            ("accept", {"public_note": notes["chair"]})
            if round_ == 0
            else ("note", {"internal_note": notes["chair"]})
        )
        results = race(
            xs,
            case_id,
            {
                "chair": (chair(xs), chair_move[0], {"version": version, **chair_move[1]}),
                "officer": (officer(xs), "note", {"version": version, "internal_note": notes["officer"]}),
            },
        )
        assert sorted(s for s, _ in results.values()) == [200, 409], results
        winner = next(who for who, (s, _) in results.items() if s == 200)
        loser = "officer" if winner == "chair" else "chair"
        won, lost = results[winner][1], results[loser][1]
        assert won["version"] == version + 1
        error = lost["error"]
        assert error["code"] == "version_conflict", lost
        assert error["current"]["id"] == case_id and error["current"]["version"] == version + 1
        assert error["current"]["status"] == won["status"]
        assert isinstance(error["allowed"], list) and "note" in error["allowed"]
        winners.append((notes[winner], notes[loser]))

    history = case(xs, city(xs), case_id)["history"]
    internal = [h["internal_note"] for h in history] + [h["public_note"] for h in history]
    for kept, dropped in winners:
        assert internal.count(kept) == 1, "the winner's step is in the history once"
        assert dropped not in internal, "the refused step left a trace"
    assert case(xs, city(xs), case_id)["version"] == 1 + len(winners)

    # The loser of the first round reads the current case and acts on it.
    if winners[0][0].endswith(f"by officer {RUN}"):
        assert act_ok(xs, chair(xs), case_id, "accept", public_note="已受理")["status"] == "accepted"


# --- 3. a demand about the chair ----------------------------------------------------------------


def test_a_demand_about_the_chair_never_reaches_the_chair(xs):
    about = f"ledger-{RUN}-about"
    control = f"ledger-{RUN}-control"
    kiosk(
        xs,
        "E001",
        description=f"工会主席和老板一起压工资 {about}",
        about_chair="true",
        category="harassment_discrimination",
    )
    kiosk(xs, "E001", description=f"更衣室没有热水 {control}", category="workplace")

    hidden = find_case(xs, officer(xs), about)
    assert hidden["about_chair"] is True and hidden["enterprise_code"] == "E001"
    assert hidden["assignee"] == {"id": OFFICER_ID, "role": "county_officer", "org_code": "C01"}
    seen = find_case(xs, chair(xs), control)  # the chair's ledger is current, and still without it
    assert seen["assignee"]["id"] == CHAIR_ID

    status, body = xs.get("routing", f"/api/v1/cases?q={urllib.parse.quote(about)}", **chair(xs))
    assert status == 200 and body["total"] == 0 and body["items"] == []
    listed, page = [], 1
    while True:
        status, body = xs.get("routing", f"/api/v1/cases?per_page=100&page={page}", **chair(xs))
        assert status == 200
        listed += body["items"]
        if page * 100 >= body["total"]:
            break
        page += 1
    assert hidden["id"] not in {c["id"] for c in listed} and not any(c["about_chair"] for c in listed)
    status, body = xs.get("routing", f"/api/v1/cases/{hidden['id']}", **chair(xs))
    assert status == 404, body
    status, body = act(xs, chair(xs), hidden["id"], "note", version=hidden["version"], internal_note="看看")
    assert status == 404, body

    # Emails: the county officer is told, the chair is not.
    wait_until(
        lambda: [m for m in mails(xs, OFFICER_EMAIL, hidden["id"][:8]) if "新诉求已分派" in m["Subject"]],
        WAIT,
        what="the assignment email to the county officer",
    )
    wait_until(lambda: mails(xs, CHAIR_EMAIL, seen["id"][:8]), WAIT, what="the control's email to the chair")
    assert not mails(xs, CHAIR_EMAIL, hidden["id"][:8]), "the chair was emailed about a demand about them"
    assert not mails(xs, CHAIR_EMAIL, about)

    # Reports: the city counts every demand of E001; the chair's summary never counts this one.
    everyone = SUBMITTED[("E001", False)] + SUBMITTED[("E001", True)]

    def e001_count(s):
        return next((e["count"] for e in s["by_enterprise"] if e["code"] == "E001"), 0)

    wait_until(
        lambda: e001_count(summary(xs, city(xs))) == everyone,
        WAIT,
        interval=0.2,
        what="reports to count every demand of E001",
    )
    mine = summary(xs, chair(xs))
    assert mine["total"] == SUBMITTED[("E001", False)], mine
    assert e001_count(mine) == SUBMITTED[("E001", False)]
    assert [e["code"] for e in mine["by_enterprise"]] == ["E001"]
    assert "harassment_discrimination" not in mine["by_category"], mine
    county = summary(xs, officer(xs))
    assert e001_count(county) == everyone
