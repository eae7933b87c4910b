"""RSS of the system's processes, sampled while the load runs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bench.generator import Load, measure


def sessions() -> dict[int, list[int]]:
    """Session id → the pids in it (each of our processes is started as a session leader)."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out.setdefault(int(stat.rsplit(")", 1)[1].split()[3]), []).append(int(entry))
    return out


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def label(name: str, pid: int, leader: int) -> str:
    if name.endswith("-web"):
        return f"{name} {'master' if pid == leader else 'worker'}"
    return name if pid == leader else f"{name} child"


class RssPeak:
    """The largest RSS seen per process label over the samples, and of all of them together."""

    def __init__(self, leaders):
        self.leaders = leaders  # () → {name: session leader pid}
        self.peak: dict[str, float] = {}
        self.processes: dict[str, int] = {}
        self.total = 0.0

    def sample(self) -> None:
        by_session, seen = sessions(), {"load-generator": [rss_mb(os.getpid()) or 0.0]}
        for name, leader in self.leaders().items():
            for pid in by_session.get(leader, []):
                mb = rss_mb(pid)
                if mb is not None:
                    seen.setdefault(label(name, pid, leader), []).append(mb)
        for key, mbs in seen.items():
            self.peak[key] = max(self.peak.get(key, 0.0), max(mbs))
            self.processes[key] = max(self.processes.get(key, 0), len(mbs))
        self.total = max(self.total, sum(map(sum, seen.values())))

    def figures(self) -> dict:
        return {
            "rss_max_mb": {k: round(v, 1) for k, v in sorted(self.peak.items())},
            "rss_processes": dict(sorted(self.processes.items())),
            "rss_total_max_mb": round(self.total, 1),
        }


class Every(threading.Thread):
    """Call ``fn`` every ``interval`` seconds until the ``with`` block ends."""

    def __init__(self, interval: float, fn):
        super().__init__(daemon=True)
        self.interval, self.fn, self.halt = interval, fn, threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.fn()
            self.halt.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        self.join()


def measured(port: int, args, leaders, load: Load | None = None) -> tuple[Load, RssPeak]:
    """Measure with the RSS of ``leaders``' processes sampled every half second during the load."""
    rss = RssPeak(leaders)
    with Every(0.5, rss.sample):
        load = measure(port, args, load)
    rss.sample()
    return load, rss


def system_leaders(xs):
    return lambda: {name: p.pid for name, p in xs.system.procs.items()}
