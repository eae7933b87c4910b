"""Prometheus metrics that stay right with several gunicorn workers and a worker process.

Every process of a service writes to the same ``PROMETHEUS_MULTIPROC_DIR`` (set before
prometheus_client is first imported, by ``python -m services``); ``/metrics`` on the web
process merges them and adds the gauges that are read from the database at scrape time.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess, values
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST

HOST = socket.gethostname()


def process_id(pid: int | None = None) -> str:
    """Names this process's metric files: host and pid, because the web and worker containers of a
    service share the directory and each container numbers its processes from 1."""
    return f"{HOST}-{pid or os.getpid()}"


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)

EVENTS_CONSUMED = Counter("xinsheng_events_consumed_total", "Events taken from the service's queue.",
                          ["service", "type", "outcome"])
EVENT_SECONDS = Histogram("xinsheng_event_handle_seconds", "Time to handle one event, commit included.",
                          ["service", "type"], buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 5))
DEAD_LETTERS = Counter("xinsheng_dead_letters_total", "Events this service sent to its dead-letter queue.",
                       ["service", "type"])
EVENTS_PUBLISHED = Counter("xinsheng_events_published_total", "Outbox events confirmed by the broker.",
                           ["service", "type"])
PUBLISH_ERRORS = Counter("xinsheng_publish_errors_total", "Outbox publishes that failed and will be retried.",
                         ["service", "reason"])
HTTP_REQUESTS = Counter("xinsheng_http_requests_total", "HTTP requests answered.",
                        ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram("xinsheng_http_request_seconds", "HTTP request latency.", ["service", "route"],
                         buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))


class _Registry:
    """Yields what a registry collects, so a fresh per-scrape registry can include it."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def exposition(extra_collectors=()) -> tuple[bytes, str]:
    """The text of one scrape: every process's metrics plus the given collectors."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Registry(REGISTRY))
    for collector in extra_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_dead_processes(directory: str | os.PathLike | None = None) -> None:
    """Remove the files of this host's processes that no longer run (left by a crash or a restart).

    Counters of a dead process are dropped with it: a restarted process counts afresh, which
    Prometheus' rate() reads as a counter reset.
    """
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    for path in Path(directory).glob(f"*_{HOST}-*.db"):
        pid = path.stem.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            multiprocess.mark_process_dead(process_id(int(pid)), str(directory))
            path.unlink(missing_ok=True)
