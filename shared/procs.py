"""Starting, watching and stopping the services as real processes.

Used by ``python -m services up``/``down`` and by the end-to-end and fault tests, which need to
start every process of the system, kill one with SIGKILL, and bring it back.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from shared.config import DEFAULT_PORTS, REPO_ROOT

T = TypeVar("T")


def procfile(path: Path = REPO_ROOT / "Procfile") -> dict[str, str]:
    """The process types of the Procfile, name → command."""
    entries: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status == 200
    except OSError:
        return False


def wait_until(
    predicate: Callable[[], T], timeout: float, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll ``predicate`` until it returns something true; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class System:
    """The processes of the Procfile, started with one environment; logs under ``log_dir``."""

    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def command(self, name: str) -> list[str]:
        argv = shlex.split(procfile()[name])
        if argv[0] == "python":
            argv[0] = sys.executable
        if name.endswith("-web"):
            argv += ["--port", str(self.ports[name.removesuffix("-web")])]
        return argv

    def start(
        self, name: str, env: dict[str, str] | None = None, alias: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start the Procfile's ``name`` (as ``alias``, to run a second copy), with ``env`` added."""
        alias = alias or name
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{alias}.log", "ab")  # noqa: SIM115 - the child process writes to it
        proc = subprocess.Popen(
            self.command(name),
            cwd=REPO_ROOT,
            env={**os.environ, **self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.procs[alias] = proc
        return proc

    def children(self, name: str) -> list[int]:
        """The pids of a process's children (gunicorn's workers, for a web)."""
        pid = self.procs[name].pid
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def start_all(self, names: Iterable[str] | None = None) -> None:
        for name in names or procfile():
            self.start(name)

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until every web answers /readyz; fail at once if one of our processes has exited."""

        def ready(service: str) -> bool:
            dead = [n for n, p in self.procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited; see {self.log_dir}")
            return http_ok(self.url(service, "/readyz"))

        for service in self.ports:
            wait_until(functools.partial(ready, service), timeout, what=f"{service} /readyz")

    def busy_ports(self) -> list[int]:
        """The web ports something else already listens on."""
        busy = []
        for port in self.ports.values():
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    busy.append(port)
        return busy

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the process group (gunicorn's master and workers, or a worker)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop(self, names: Iterable[str], timeout: float = 15.0) -> None:
        """SIGTERM the named processes, SIGKILL what is still there after ``timeout``."""
        stop_pids([self.procs.pop(name).pid for name in list(names)], timeout)

    def stop_all(self, timeout: float = 15.0) -> None:
        self.stop(list(self.procs), timeout)


def stop_pids(pids: list[int], timeout: float = 15.0) -> None:
    """Stop process groups, SIGTERM then SIGKILL; works for our children and for ``up``'s."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True while the process runs (a child that has exited is reaped here, not left a zombie)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
