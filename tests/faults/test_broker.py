"""The broker restarted (gracefully, and killed) in the middle of the load, on a private node.

Intake keeps answering 201 while the broker is away (it only needs its database); the relays and
consumers reconnect with backoff, and the backlog drains once the broker is back.
"""

from __future__ import annotations

import time

import pytest

from harness.rabbit import PrivateRabbit
from harness.system import Xinsheng
from tests.faults.load import Load, reconcile

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def xs(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("broker")
    rabbit = PrivateRabbit(workdir)
    rabbit.start()
    try:
        with Xinsheng(workdir, env={"SMTP_HOST": ""}, amqp_url=rabbit.url) as system:
            system.rabbit, system.loads = rabbit, []
            yield system
    finally:
        rabbit.close()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_broker_restarted_mid_load_loses_nothing_and_intake_keeps_answering(xs, how):
    load = Load(xs.system.ports["intake"], rate=40, seconds=12)
    xs.loads.append(load)
    with load:
        time.sleep(2)
        getattr(xs.rabbit, how)()
        time.sleep(4)  # the broker is away: intake must keep answering 201
        xs.rabbit.start()
    assert load.cut == 0 and not load.refused
    reconcile(xs, xs.loads, timeout=240)
