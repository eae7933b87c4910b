"""The command line a newcomer meets first."""

import subprocess
import sys

import pytest

from harness.private import closed_amqp_url
from shared.config import REPO_ROOT

pytestmark = pytest.mark.e2e


def run(*args, **env):
    import os

    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_up_without_a_broker_says_so_in_one_line_and_fails(tmp_path):
    result = run("up", AMQP_URL=closed_amqp_url(), VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "RabbitMQ is not reachable" in lines[0] and "rabbitmq-server" in lines[0]
    assert not (tmp_path / "run").exists(), "nothing was started"


def test_import_directory_rejects_a_broken_file(tmp_path):
    bad = tmp_path / "directory.yaml"
    bad.write_text("city: {name: x, officers: []}\ncounties: []\n", encoding="utf-8")
    result = run("import-directory", str(bad), VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "directory.yaml" in result.stderr


def test_parked_outbox_events_are_listed_and_handed_back_by_the_cli(tmp_path):
    from services.intake.models import outbox
    from shared import clock
    from shared.db import make_engine
    from shared.outbox import PARK_AFTER

    url = f"sqlite:///{tmp_path / 'intake.db'}"
    assert run("migrate", "intake", INTAKE_DATABASE_URL=url, VAR_DIR=str(tmp_path)).returncode == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            outbox.insert(),
            {
                "event_id": "e-parked",
                "type": "nobody.binds_this",
                "body": "{}",
                "created_at": clock.now(),
                "attempts": PARK_AFTER,
            },
        )
    listed = run("dead-letters", "parked", "intake", INTAKE_DATABASE_URL=url, VAR_DIR=str(tmp_path))
    assert listed.returncode == 0 and listed.stdout.startswith("e-parked\tnobody.binds_this\t5\t")
    handed = run("dead-letters", "unpark", "intake", "--id", "e-parked", INTAKE_DATABASE_URL=url)
    assert handed.returncode == 0 and "1 parked event(s)" in handed.stdout
    with engine.connect() as conn:
        assert conn.execute(outbox.select()).one().attempts == 0
    engine.dispose()
    nothing = run("dead-letters", "parked", "reports", VAR_DIR=str(tmp_path))
    assert nothing.returncode != 0 and "publishes nothing" in nothing.stderr


def test_a_new_password_closes_the_sessions_opened_before_it(tmp_path):
    import sqlalchemy as sa

    from harness.private import DEMO_DIRECTORY

    url = f"sqlite:///{tmp_path / 'routing.db'}"
    env = {"ROUTING_DATABASE_URL": url, "VAR_DIR": str(tmp_path)}
    assert run("migrate", "routing", **env).returncode == 0
    assert run("import-directory", str(DEMO_DIRECTORY), **env).returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "services", "set-password", "e001-chair"],
        cwd=REPO_ROOT,
        input="a-new-pass\na-new-pass\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, **env},
    )
    assert result.returncode == 0 and "sessions are closed" in result.stdout
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT staff_id FROM revocations")).scalars().all() == ["e001-chair"]
        [event] = (
            conn.execute(sa.text("SELECT body FROM outbox WHERE type = 'staff.revoked'")).scalars().all()
        )
    engine.dispose()
    assert '"reason":"password_reset"' in event.replace(" ", "")


def test_a_years_official_schedule_is_imported_and_a_wrong_one_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'routing.db'}"
    env = {"ROUTING_DATABASE_URL": url, "VAR_DIR": str(tmp_path)}
    assert run("migrate", "routing", **env).returncode == 0
    shipped = REPO_ROOT / "services" / "routing" / "calendars" / "2026.yaml"
    done = run("calendar", "import", str(shipped), **env)
    assert done.returncode == 0 and "calendar 2026" in done.stdout and "known until 2026-12-31" in done.stdout
    wrong = tmp_path / "2027.yaml"
    wrong.write_text("year: 2027\nsource: x\ndays_off:\n  - {name: 春节, from: 2027-02-12, to: 2027-02-05}\n")
    refused = run("calendar", "import", str(wrong), **env)
    assert refused.returncode != 0 and "2027.yaml" in refused.stderr and "is after" in refused.stderr
    right = tmp_path / "2027-right.yaml"
    right.write_text("year: 2027\nsource: x\ndays_off:\n  - {name: 春节, from: 2027-02-05, to: 2027-02-12}\n")
    assert "known until 2027-12-31" in run("calendar", "import", str(right), **env).stdout


def test_a_deadline_policy_is_imported_and_a_wrong_one_refused_with_what_is_wrong(tmp_path):
    url = f"sqlite:///{tmp_path / 'routing.db'}"
    env = {"ROUTING_DATABASE_URL": url, "VAR_DIR": str(tmp_path)}
    assert run("migrate", "routing", **env).returncode == 0
    assert "# version 0 (the shipped defaults)" in run("policy", "show", **env).stdout
    shipped = REPO_ROOT / "services" / "routing" / "policy.yaml"
    done = run("policy", "import", str(shipped), **env)
    assert done.returncode == 0 and "version 1" in done.stdout
    wrong = tmp_path / "policy.yaml"
    wrong.write_text(
        shipped.read_text(encoding="utf-8").replace(
            "resolve: {calendar_days: 15}", "resolve: {calendar_days: 15, working_days: 3}"
        )
    )
    refused = run("policy", "import", str(wrong), **env)
    assert refused.returncode != 0 and "policy.yaml" in refused.stderr
    assert "exactly one of working_days and calendar_days" in refused.stderr
    shown = run("policy", "show", **env).stdout
    assert "# version 1" in shown and "calendar_days: 15" in shown
