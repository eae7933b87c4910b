"""The broker away while the ledger's timers fire: the escalations wait in routing's outbox, then
arrive once each (intake's timeline, reports' facts), on a private RabbitMQ node."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from harness.rabbit import PrivateRabbit
from harness.system import Xinsheng
from shared import clock
from shared.procs import wait_until

pytestmark = pytest.mark.e2e
DEMANDS = 4


def test_escalations_fired_while_the_broker_is_down_wait_in_the_outbox_and_arrive_once(tmp_path):
    rabbit = PrivateRabbit(tmp_path)
    rabbit.start()
    try:
        env = {"SMTP_HOST": "", "TIMER_EVERY_SECONDS": "1"}
        with Xinsheng(tmp_path, env=env, amqp_url=rabbit.url) as xs:
            codes = []
            for i in range(DEMANDS):
                status, body = xs.post_json(
                    "intake",
                    "/api/v1/grievances",
                    {"enterprise_code": "E001", "category": "wages", "description": f"工资拖欠第{i}个月"},
                )
                assert status == 201, body
                codes.append(body["tracking_code"])
            wait_until(
                lambda: all(
                    xs.get("intake", f"/api/v1/grievances/{c}")[1]["status"] == "assigned" for c in codes
                ),
                60,
                what="the demands to be assigned",
            )
            routing, reports, intake = (xs.database(s) for s in ("routing", "reports", "intake"))
            with routing.connect() as conn:
                due = max(conn.execute(sa.text("SELECT accept_due FROM cases")).scalars())

            rabbit.stop()
            xs.restart(wait=False, CLOCK_OFFSET=clock.offset_to(due + timedelta(minutes=5)))

            def waiting() -> int:
                with routing.connect() as conn:
                    return conn.execute(
                        sa.text(
                            "SELECT count(*) FROM outbox WHERE type = 'case.supervision_raised'"
                            " AND published_at IS NULL"
                        )
                    ).scalar()

            wait_until(lambda: waiting() == DEMANDS, 90, what="the escalations to wait in the outbox")
            with routing.connect() as conn:
                levels = conn.execute(sa.text("SELECT supervision_level FROM cases")).scalars().all()
            assert levels == [1] * DEMANDS

            rabbit.start()

            def arrived() -> bool:
                with reports.connect() as conn:
                    raised = conn.execute(
                        sa.text("SELECT count(*) FROM grievance_facts WHERE supervision_level = 1")
                    ).scalar()
                with intake.connect() as conn:
                    steps = conn.execute(
                        sa.text("SELECT count(*) FROM timeline WHERE event = 'supervised'")
                    ).scalar()
                return raised == DEMANDS and steps == DEMANDS

            wait_until(arrived, 120, what="the escalations to reach reports and intake")
            # the publisher marks a row published after the broker's confirm, which can come a moment
            # after the consumers have already handled the message
            wait_until(lambda: waiting() == 0, 30, what="the outbox to mark the escalations published")
            with routing.connect() as conn:
                bodies = conn.execute(
                    sa.text("SELECT body FROM outbox WHERE type = 'case.supervision_raised'")
                ).scalars()
                once = [json.loads(b)["payload"]["case_id"] for b in bodies]
            assert len(once) == len(set(once)) == DEMANDS  # each fired once, though the worker restarted
            with intake.connect() as conn:
                per_demand = conn.execute(
                    sa.text("SELECT count(*) FROM timeline WHERE event = 'supervised' GROUP BY grievance_id")
                ).scalars()
                assert set(per_demand) == {1}
            status, page = xs.get("intake", f"/api/v1/grievances/{codes[0]}")
            assert page["supervision_level"] == 1 and datetime.fromisoformat(page["submitted_at"])
            for engine in (routing, reports, intake):
                engine.dispose()
    finally:
        rabbit.close()
