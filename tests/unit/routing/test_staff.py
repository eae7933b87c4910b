"""Staff log-in and the signed token every service checks (routing's /api/v1/auth/*, shared.auth)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from itsdangerous import URLSafeTimedSerializer

from harness.private import DEMO_DIRECTORY
from services.routing import directory, staff
from services.routing.app import create_app
from services.routing.models import outbox
from shared import auth, clock
from shared.uow import unit_of_work


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """argon2 at its lowest cost: these tests count log-ins, they do not time them."""
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    staff._dummy.cache_clear()
    yield
    staff._dummy.cache_clear()


@pytest.fixture
def routing(sqlite_runtime, tmp_path):
    rt = sqlite_runtime("routing", secret_key="test-secret", var_dir=tmp_path)  # hashing slots' locks there
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
        staff.set_password(uow.conn, "e001-chair", "correct horse")
    app = create_app(rt)
    app.testing = True
    client = app.test_client()
    client.rt = rt
    return client


OWNER, ATTACKER = "10.0.0.1", "203.0.113.66"  # the owner's machine, an attacker's


def log_in(client, staff_id="e001-chair", password="correct horse", address=OWNER, **headers):
    return client.post(
        "/api/v1/auth/token",
        json={"staff_id": staff_id, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def refused(response, code: str) -> int:
    """The 429's Retry-After, once its code is checked."""
    assert response.status_code == 429, response.get_json()
    assert response.get_json()["error"]["code"] == code
    return int(response.headers["Retry-After"])


def test_a_chair_logs_in_and_the_token_names_them(routing):
    response = log_in(routing)
    assert response.status_code == 200
    body = response.get_json()
    assert body["staff"] == {"id": "e001-chair", "role": "enterprise_chair", "org_code": "E001"}
    me = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["org_code"] == "E001"


@pytest.mark.parametrize(
    "staff_id,password", [("e001-chair", "wrong"), ("nobody", "correct horse"), ("e002-chair", "")]
)
def test_wrong_password_or_unknown_id_get_the_same_401(routing, staff_id, password):
    response = log_in(routing, staff_id, password)
    assert response.status_code in (401, 422)
    if response.status_code == 401:
        assert response.get_json()["error"]["code"] == "bad_credentials"


def test_an_account_without_a_password_cannot_log_in(routing):
    assert log_in(routing, "e002-chair", "anything").status_code == 401


# -- throttles (staff.py's module docstring) -------------------------------------------------------------
def test_repeated_failures_from_one_client_are_refused_for_that_client_only(routing):
    statuses = [log_in(routing, password=f"guess {i}", address=ATTACKER).status_code for i in range(5)]
    assert statuses == [401] * 5

    wait = refused(log_in(routing, address=ATTACKER), "too_many_failures")
    assert 0 < wait <= staff.PAIR_FAILURES.seconds, "even the right password waits, from that client"
    assert log_in(routing, "c01-officer", "x", address=ATTACKER).status_code == 401, "other accounts go on"


def test_the_owner_logs_in_while_an_attacker_elsewhere_has_burned_the_accounts_failures(routing):
    for i in range(6):
        log_in(routing, password=f"guess {i}", address=ATTACKER)
    assert log_in(routing, address=ATTACKER).status_code == 429

    assert log_in(routing, address=OWNER).status_code == 200


def test_an_account_attacked_from_many_clients_slows_new_clients_not_the_owners_known_machine(routing):
    assert log_in(routing, address=OWNER).status_code == 200  # the owner's machine is known to the account
    for i in range(staff.ACCOUNT_ATTACK.amount):  # one guess from each of many addresses
        assert log_in(routing, password=f"guess {i}", address=f"198.51.100.{i}").status_code == 401

    newcomer = "192.0.2.7"
    for _ in range(staff.PAIR_FAILURES_UNDER_ATTACK):
        assert log_in(routing, password="guess", address=newcomer).status_code == 401
    refused(log_in(routing, address=newcomer), "too_many_failures")

    typos = [log_in(routing, password="correct hose").status_code for _ in range(4)]
    assert typos == [401] * 4, "the owner's machine keeps its five tries"
    assert log_in(routing).status_code == 200


def test_a_success_forgets_the_clients_failures_on_the_account(routing):
    for _ in range(4):
        log_in(routing, password="correct hose")
    assert log_in(routing).status_code == 200

    assert [log_in(routing, password="correct hose").status_code for _ in range(4)] == [401] * 4


def test_a_password_sprayed_over_many_accounts_is_refused_for_everyone(routing):
    accounts = ["c01-officer", "c02-officer", "city-officer-1", "admin-1", "e002-chair"]
    for account in accounts:
        assert log_in(routing, account, "Union2026!", address=ATTACKER).status_code == 401

    wait = refused(log_in(routing, "e011-chair", "Union2026!", address="192.0.2.99"), "password_throttled")
    assert 0 < wait <= staff.SPRAY.seconds
    assert log_in(routing, "e011-chair", "something else", address="192.0.2.99").status_code == 401
    assert log_in(routing).status_code == 200, "other passwords are not affected"


def test_one_password_failing_on_one_account_is_not_spraying(routing):
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"):
        assert log_in(routing, "c01-officer", "Union2026!", address=address).status_code == 401
    assert log_in(routing, "c02-officer", "Union2026!", address="192.0.2.7").status_code == 401


def test_one_clients_log_ins_are_bounded_whatever_their_outcome(routing, monkeypatch):
    monkeypatch.setattr(staff, "CLIENT_ATTEMPTS", staff.Budget(3, 600))
    assert [log_in(routing).status_code for _ in range(3)] == [200] * 3

    wait = refused(log_in(routing), "too_many_attempts")
    assert 0 < wait <= 600
    assert log_in(routing, address="10.0.0.2").status_code == 200, "another client has its own budget"


def test_one_clients_failures_over_many_accounts_are_bounded(routing, monkeypatch):
    monkeypatch.setattr(staff, "CLIENT_FAILURES", staff.Budget(3, 900))
    for account in ("c01-officer", "c02-officer", "admin-1"):
        assert log_in(routing, account, f"guess for {account}", address=ATTACKER).status_code == 401

    refused(log_in(routing, "e002-chair", "another guess", address=ATTACKER), "too_many_attempts")


def test_a_refused_client_may_try_again_once_its_window_has_ended(routing):
    for i in range(5):
        log_in(routing, password=f"guess {i}", address=ATTACKER)
    wait = refused(log_in(routing, password="guess 5", address=ATTACKER), "too_many_failures")
    try:
        clock.set_offset(timedelta(seconds=wait + 1))
        assert log_in(routing, password="guess 6", address=ATTACKER).status_code == 401
    finally:
        clock.set_offset(None)


def test_a_refusal_names_its_wait_in_the_callers_language(routing):
    for i in range(5):
        log_in(routing, password=f"guess {i}", address=ATTACKER)
    body = log_in(routing, address=ATTACKER, **{"Accept-Language": "en"}).get_json()
    assert body["error"]["message"].startswith("Too many failed log-ins to this account from here")
    assert "in 15 minutes" in body["error"]["message"]


def test_a_log_in_that_finds_no_free_hashing_slot_is_refused_busy_not_queued(routing):
    gate = staff.gate_for(routing.rt.engine, routing.rt.settings.secret_key, routing.rt.settings.var_dir)
    with gate.slots.slot(0) as held:
        assert held
        started = time.monotonic()
        wait = refused(log_in(routing), "login_busy")
        assert time.monotonic() - started < 1, "it waited about HASHING_WAIT, not for the slot"
    assert wait == staff.BUSY_RETRY_AFTER
    assert log_in(routing).status_code == 200


def test_the_throttle_table_holds_no_address_account_or_password(routing):
    for i in range(3):
        log_in(routing, password=f"secret-guess-{i}", address=ATTACKER)
        log_in(routing, password=f"secret-guess-{i}", address="2001:db8:1:2::99")
    log_in(routing)

    with routing.rt.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM throttle")).all()
    assert rows
    dumped = repr(rows)
    for clue in (ATTACKER, OWNER, "2001:db8", "e001-chair", "secret-guess", "correct horse", "127.0.0.1"):
        assert clue not in dumped


@pytest.mark.parametrize(
    "body,content_type,status",
    [
        (b"{not json", "application/json", 400),
        (b'{"staff_id": "e001-chair"}', "application/json", 422),
        (b'{"staff_id": 5, "password": "x"}', "application/json", 422),
        (b'{"staff_id": "e001-chair", "password": "x", "role": "admin"}', "application/json", 422),
        (b"staff_id=e001-chair&password=x", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_log_in_bodies_are_answered_clearly(routing, body, content_type, status):
    response = routing.post("/api/v1/auth/token", data=body, content_type=content_type)
    assert response.status_code == status and "error" in response.get_json()


@pytest.mark.parametrize(
    "header,code",
    [
        (None, "unauthenticated"),
        ("Bearer", "unauthenticated"),
        ("Basic abc", "unauthenticated"),
        ("Bearer not-a-token", "invalid_token"),
    ],
)
def test_requests_without_a_good_token_get_401(routing, header, code):
    headers = {"Authorization": header} if header else {}
    response = routing.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == code


def test_a_token_signed_with_another_key_is_refused(routing):
    forged = auth.issue("another-secret", auth.Staff("city-officer-1", "city_officer", "city"))
    response = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "invalid_token"


def test_a_token_whose_claims_were_edited_is_refused(routing):
    token = log_in(routing).get_json()["token"]
    _, stamp, signature = token.rsplit(".", 2)  # value.timestamp.signature; the value may hold dots
    claims = (
        URLSafeTimedSerializer("x")
        .dumps({"id": "city-officer-1", "role": "city_officer", "org_code": "city"})
        .rsplit(".", 2)[0]
    )
    tampered = f"{claims}.{stamp}.{signature}"
    assert tampered != token
    response = routing.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_an_expired_token_is_refused_with_its_own_code(routing):
    from shared.errors import ApiError

    token = auth.issue("k", auth.Staff("e001-chair", "enterprise_chair", "E001"))
    time.sleep(1.1)
    with routing.application.test_request_context(), pytest.raises(ApiError) as info:
        auth.verify("k", token, max_age=0)
    assert info.value.code == "token_expired" and info.value.status == 401


def test_a_role_not_allowed_gets_403(sqlite_runtime):
    from flask import jsonify

    from shared import apidoc, web
    from shared.bootstrap import Runtime

    rt = sqlite_runtime("routing", secret_key="k")
    app = web.create_app(rt, import_name=__name__, spec=apidoc.new_spec("test"), outbox=outbox)

    @app.get("/city-only")
    @auth.require_staff("city_officer")
    def city_only():
        return jsonify(ok=True)

    chair = auth.issue("k", auth.Staff("e001-chair", "enterprise_chair", "E001"))
    city = auth.issue("k", auth.Staff("city-officer-1", "city_officer", "city"))
    client = app.test_client()
    assert client.get("/city-only", headers={"Authorization": f"Bearer {chair}"}).status_code == 403
    assert client.get("/city-only", headers={"Authorization": f"Bearer {city}"}).status_code == 200
    assert isinstance(rt, Runtime)


def test_re_importing_the_directory_keeps_passwords(sqlite_runtime, tmp_path):
    rt = sqlite_runtime("routing", secret_key="k", var_dir=tmp_path)
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
        staff.set_password(uow.conn, "e001-chair", "pw")
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    _token, person = staff.log_in(
        staff.gate_for(rt.engine, "k", rt.settings.var_dir), "e001-chair", "pw", None
    )
    assert person.org_code == "E001"
