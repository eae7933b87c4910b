"""Processes killed, restarted, duplicated, and a database gone for a while, under load.

One system for the module (real processes on the machine's RabbitMQ, in a private vhost, and
private PostgreSQL databases); every test adds its load and reconciles everything sent so far.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import sqlalchemy as sa

from harness.private import PG_ADMIN_URL
from harness.system import Xinsheng
from shared import deadletters, events
from shared.broker import Publisher
from shared.config import Settings
from shared.procs import wait_until
from tests.faults.load import Load, reconcile
from tests.support.events import demand_submitted

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    with Xinsheng(tmp_path_factory.mktemp("faults"), env={"SMTP_HOST": ""}) as system:
        system.loads = []
        yield system


def run_load(xs, **kwargs) -> Load:
    load = Load(xs.system.ports["intake"], **kwargs)
    xs.loads.append(load)
    return load


def metric(xs, service: str, pattern: str) -> float:
    text = xs.metrics(service)
    return sum(float(v) for v in re.findall(rf"^{pattern} (\S+)$", text, re.M))


@pytest.mark.parametrize("service", ["routing", "notify", "reports", "intake"])
def test_killing_a_worker_mid_load_loses_nothing_and_doubles_nothing(xs, service):
    with run_load(xs):
        time.sleep(2)
        xs.system.kill(f"{service}-worker")
        time.sleep(1.5)
        xs.system.start(f"{service}-worker")
    reconcile(xs, xs.loads)


def test_killing_a_web_worker_during_posts_stores_each_demand_at_most_once(xs):
    with run_load(xs, rate=60):
        time.sleep(2)
        victim = xs.system.children("intake-web")[0]
        os.kill(victim, signal.SIGKILL)  # gunicorn's master starts another
    reconcile(xs, xs.loads)


def test_a_consumer_killed_after_commit_before_ack_changes_nothing_on_redelivery(xs):
    xs.system.stop(["routing-worker"])
    with run_load(xs, rate=20, seconds=2):
        pass
    crashing = xs.system.start("routing-worker", env={"XINSHENG_FAILPOINTS": "consumer.after_commit"})
    wait_until(lambda: crashing.poll() is not None, 60, what="the worker to die after its commit")
    xs.system.start("routing-worker")
    reconcile(xs, xs.loads)
    duplicates = metric(
        xs,
        "routing",
        r'xinsheng_events_consumed_total\{outcome="duplicate",'
        r'service="routing",type="grievance.submitted"\}',
    )
    assert duplicates >= 1, "the redelivered events were recognised as already handled"


def _rename_database(url: str, to: str) -> None:
    """Rename a database, throwing its users out first (they reconnect at once, so retry)."""
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for _ in range(50):
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                try:
                    conn.execute(sa.text(f'ALTER DATABASE "{name}" RENAME TO "{to}"'))
                    return
                except sa.exc.OperationalError:
                    time.sleep(0.05)
        raise AssertionError(f"could not rename {name}")
    finally:
        admin.dispose()


def test_a_consumers_database_away_for_a_while_holds_its_events_without_dead_letters(xs):
    url = xs.env["ROUTING_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with run_load(xs):
        time.sleep(1.5)
        _rename_database(url, f"{name}_away")
        time.sleep(6)
        _rename_database(url.rsplit("/", 1)[0] + f"/{name}_away", name)
    reconcile(xs, xs.loads)


def test_two_relays_of_one_service_publish_each_row_once(xs):
    xs.system.start("intake-worker", alias="intake-worker-2")
    before = metric(
        xs,
        "routing",
        r'xinsheng_events_consumed_total\{outcome="duplicate",'
        r'service="routing",type="grievance.submitted"\}',
    )
    with run_load(xs, rate=80, seconds=5):
        pass
    reconcile(xs, xs.loads)
    after = metric(
        xs,
        "routing",
        r'xinsheng_events_consumed_total\{outcome="duplicate",'
        r'service="routing",type="grievance.submitted"\}',
    )
    assert after == before, "a row was published twice without a crash"
    xs.system.stop(["intake-worker-2"])


def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_rest_flow(xs):
    gid = "not-a-uuid-" + "x" * 40  # valid JSON and model, but no database column can hold it
    poison = events.make(
        "grievance.submitted",
        demand_submitted(grievance_id=gid, description="毒消息测试"),
        "test",
        gid,
    )
    settings = Settings(service="intake", database_url="sqlite://", amqp_url=xs.env["AMQP_URL"])
    publisher = Publisher(settings)
    publisher.publish(poison.type, events.encode(poison), message_id=poison.id, type=poison.type)
    publisher.close()
    with run_load(xs, rate=30, seconds=3):
        pass
    reconcile(xs, xs.loads, dead={"routing": 1, "reports": 1})
    for service in ("routing", "reports"):
        [dead] = deadletters.list_dead(
            Settings(service=service, database_url="sqlite://", amqp_url=xs.env["AMQP_URL"]), service
        )
        assert dead.message_id == poison.id and "DataError" in dead.reason
        assert (
            metric(
                xs,
                service,
                rf'xinsheng_dead_letters_total\{{service="{service}",'
                r'type="grievance.submitted"\}',
            )
            == 1
        )
    listed = xs.cli("dead-letters", "list", "routing")
    assert poison.id in listed.stdout and "1 dead letter(s)" in listed.stderr
    replayed = xs.cli("dead-letters", "replay", "routing", "--id", poison.id)
    assert "1 dead letter(s) replayed" in replayed.stdout
    wait_until(
        lambda: (
            len(
                deadletters.list_dead(
                    Settings(service="routing", database_url="sqlite://", amqp_url=xs.env["AMQP_URL"]),
                    "routing",
                )
            )
            == 1
        ),
        60,
        what="the replayed poison to come back to the dead-letter queue",
    )
