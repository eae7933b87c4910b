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
