"""The rate limit of intake's public POSTs (RATE_LIMIT, shared/web.py install_rate_limit): one budget per
client for the API and the form pages together, counted in intake's database, keyed by a keyed hash
of the address that rotates daily, a 429 with Retry-After. tests/integration/test_throttle.py shares
the counters between instances on PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.intake import config
from services.intake.app import create_app
from shared import clock, throttle
from shared.bootstrap import Runtime
from shared.db import make_engine
from tests.support.intake import DEMAND, URL, count_rows, make_intake

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
TYPED = {"category": "workplace", "description": "车间噪声太大，耳朵受不了。", "anonymous": "true"}
KIOSK = "203.0.113.10"  # one address for a whole workshop


@pytest.fixture
def moved_clock():
    yield clock.set_offset
    clock.set_offset(None)


def form_post(client, url: str = "/", address: str = "127.0.0.1", **typed):
    """Post the form at ``url`` as its page gives it (its hidden fields) with what the worker typed."""
    hidden = dict(HIDDEN.findall(client.get(url).get_data(as_text=True)))
    fields = {**hidden, **TYPED, **({"enterprise_code": "E001"} if url == "/" else {}), **typed}
    return client.post(url, data=fields, environ_base={"REMOTE_ADDR": address})


def api_post(client, address: str = "127.0.0.1"):
    return client.post(URL, json=DEMAND, environ_base={"REMOTE_ADDR": address})


def retry_after(response) -> int:
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert wait > 0
    return wait


def test_the_limit_is_on_by_default_at_120_posts_per_10_minutes_per_client(intake):
    client, rt = intake
    assert rt.settings.rate_limit == config.Settings.model_fields["rate_limit"].default
    assert throttle.Budget.parse(rt.settings.rate_limit) == throttle.Budget(120, 600)

    assert {api_post(client, KIOSK).status_code for _ in range(120)} == {201}
    refused = api_post(client, KIOSK)
    assert refused.get_json()["error"]["code"] == "rate_limited" and retry_after(refused) <= 600
    assert api_post(client, "203.0.113.11").status_code == 201, "another client has its own budget"
    assert count_rows(rt, "grievances") == 121


def test_the_api_and_the_form_pages_share_one_budget(sqlite_runtime):
    client, rt = make_intake(sqlite_runtime, rate_limit="3/minute")
    assert api_post(client).status_code == 201
    assert form_post(client, "/").status_code == 303
    assert form_post(client, "/k/E001").status_code == 303

    assert api_post(client).status_code == 429
    assert form_post(client, "/k/E001").status_code == 429
    assert count_rows(rt, "grievances") == 3


def test_the_workers_answer_counts_in_the_same_budget(sqlite_runtime):
    client, _ = make_intake(sqlite_runtime, rate_limit="2/minute")
    code = api_post(client).get_json()["tracking_code"]
    assert client.post(f"{URL}/{code}/feedback", json={"satisfied": True}).status_code != 429

    assert retry_after(client.post(f"{URL}/{code}/feedback", json={"satisfied": True}))
    assert retry_after(client.post(f"/s/{code}/feedback", data={"satisfied": "true"}))


def test_a_refused_form_shows_the_form_again_with_what_was_typed_and_retry_after(sqlite_runtime):
    client, _ = make_intake(sqlite_runtime, rate_limit="1/minute")
    assert form_post(client).status_code == 303
    response = form_post(client, description="第二件事：宿舍没有热水。")

    assert response.mimetype == "text/html" and 0 < retry_after(response) <= 60
    assert ">第二件事：宿舍没有热水。</textarea>" in response.get_data(as_text=True)


def test_every_429_says_how_long_to_wait_and_after_that_the_client_may_post_again(
    sqlite_runtime, moved_clock
):
    client, _ = make_intake(sqlite_runtime, rate_limit="2/minute")
    api_post(client)
    api_post(client)
    wait = retry_after(api_post(client))
    assert wait <= 60

    moved_clock(timedelta(seconds=wait + 1))
    assert api_post(client).status_code == 201


def test_gets_are_never_limited(sqlite_runtime):
    client, _ = make_intake(sqlite_runtime, rate_limit="1/minute")
    code = api_post(client).get_json()["tracking_code"]
    assert api_post(client).status_code == 429

    for url in ("/", "/k/E001", f"/s/{code}", f"{URL}/{code}", "/healthz", "/api/v1/enterprises"):
        assert client.get(url).status_code == 200, url


def test_two_app_instances_on_one_database_share_the_counters(sqlite_runtime):
    client, rt = make_intake(sqlite_runtime, rate_limit="3/minute")
    other_rt = Runtime(rt.settings, make_engine(rt.settings.database_url))
    other = create_app(other_rt).test_client()
    try:
        assert [api_post(c).status_code for c in (client, other, other)] == [201] * 3
        assert api_post(client).status_code == 429 and api_post(other).status_code == 429
    finally:
        other_rt.engine.dispose()


@pytest.mark.parametrize("setting", ["off", "0", ""])
def test_off_or_zero_turns_the_limit_off(sqlite_runtime, setting):
    client, rt = make_intake(sqlite_runtime, rate_limit=setting)
    assert [api_post(client).status_code for _ in range(3)] == [201] * 3
    assert count_rows(rt, "throttle") == 0


def test_the_counters_hold_no_address(sqlite_runtime):
    client, rt = make_intake(sqlite_runtime, rate_limit="5/minute")
    for address in ("127.0.0.1", KIOSK, "2001:db8:5:6::42"):
        api_post(client, address)
        form_post(client, address=address)

    with rt.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM throttle")).all()
    assert len(rows) == 3 and all(row.key.startswith("post:") for row in rows)
    dumped = repr(rows)
    for clue in ("127.0.0.1", KIOSK, "2001:db8", "7f000001"):
        assert clue not in dumped


def test_the_clients_key_rotates_daily(sqlite_runtime, moved_clock):
    client, rt = make_intake(sqlite_runtime, rate_limit="2/10 minutes")
    midnight = clock.day_start(clock.today() + timedelta(days=1))  # the next midnight in China
    moved_clock(midnight - clock.now() - timedelta(minutes=2))
    assert [api_post(client).status_code for _ in range(3)] == [201, 201, 429]

    moved_clock(clock.offset() + timedelta(minutes=3))  # the window is still open; the day is not
    assert api_post(client).status_code == 201
    assert count_rows(rt, "throttle") == 2, "yesterday's key and today's, unrelated"

    moved_clock(clock.offset() + timedelta(days=1))
    assert api_post(client).status_code == 201


def post_via(client, forwarded_for: str, remote: str):
    return client.post(
        URL, json=DEMAND, headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": remote}
    )


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(sqlite_runtime):
    client, _rt = make_intake(sqlite_runtime, rate_limit="2/minute", trusted_proxies=1)
    nginx = "10.0.0.2"  # every request comes from the proxy
    assert [post_via(client, "198.51.100.7", nginx).status_code for _ in range(3)] == [201, 201, 429]
    assert post_via(client, "198.51.100.8", nginx).status_code == 201  # another worker behind it


def test_without_a_trusted_proxy_a_forwarded_for_header_is_not_believed(sqlite_runtime):
    client, _rt = make_intake(sqlite_runtime, rate_limit="2/minute")
    lies = [post_via(client, f"198.51.100.{n}", "203.0.113.5").status_code for n in range(3)]
    assert lies == [201, 201, 429]
