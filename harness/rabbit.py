"""A private RabbitMQ node for tests that stop or kill the broker: own name, ports, data directory.

The machine's RabbitMQ is never touched. Quorum queues survive a restart, since the node comes back
on the same data directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from pathlib import Path

import pika

from harness.private import free_port
from shared.procs import wait_until

BIN = Path("/usr/lib/rabbitmq/bin")


class PrivateRabbit:
    def __init__(self, workdir: Path):
        self.dir = workdir / "rabbit"
        (self.dir / "home").mkdir(parents=True)
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text("loopback_users = none\n")
        self.node = f"xinsheng-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "HOME": str(self.dir / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PID_FILE": str(self.dir / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": "/dev/null",
        }

    def start(self, timeout: float = 90) -> None:
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - the node writes to it
        self.proc = subprocess.Popen(
            [str(BIN / "rabbitmq-server")],
            env=self.env,
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_until(self.accepting, timeout, interval=0.5, what=f"RabbitMQ node {self.node}")

    def accepting(self) -> bool:
        try:
            pika.BlockingConnection(
                pika.URLParameters(self.url + "?connection_attempts=1&socket_timeout=1")
            ).close()
            return True
        except Exception:
            return False

    def stop(self) -> None:
        """A graceful stop: clients see 320 CONNECTION_FORCED."""
        subprocess.run(
            [str(BIN / "rabbitmqctl"), "-n", self.node, "stop"],
            env=self.env,
            capture_output=True,
            timeout=120,
        )
        self._reap()

    def kill(self) -> None:
        """SIGKILL the node's whole process group: no goodbye to anyone."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
            self.proc = None

    def close(self) -> None:
        self.kill()
