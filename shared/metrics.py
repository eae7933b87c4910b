"""Prometheus metrics that stay right with several gunicorn workers and a worker process.

Every process of a service writes to the same ``PROMETHEUS_MULTIPROC_DIR`` (set before
prometheus_client is first imported, by ``python -m services``); ``/metrics`` on the web
process merges them and adds the gauges that are read from the database at scrape time.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

HOST = socket.gethostname()


def process_id(pid: int | None = None) -> str:
    """Names this process's metric files: host and pid, because the web and worker containers of a
    service share the directory and each container numbers its processes from 1."""
    return f"{HOST}-{pid or os.getpid()}"


_ready = threading.Lock()
_set_up = False


def setup() -> None:
    """Make this process's metrics (once, at start, from ``bootstrap``): with a
    ``PROMETHEUS_MULTIPROC_DIR`` their files are named by host and pid; the files of dead processes
    are removed; the clock's offset is exported."""
    global _set_up
    with _ready:
        if _set_up:
            return
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            values.ValueClass = values.MultiProcessValue(process_identifier=process_id)
        _set_up = True
    forget_dead_processes()
    from shared import clock

    CLOCK_OFFSET.labels().set(clock.offset().total_seconds())


class _Lazy:
    """A metric made at its first use, after ``setup`` chose how values are stored: metrics made at
    import would be stored before the value class is set."""

    def __init__(self, kind: type[MetricWrapperBase], name: str, doc: str, labels: list[str], **kwargs: Any):
        self.kind, self.name, self.doc, self.labelnames, self.kwargs = kind, name, doc, labels, kwargs
        self.metric: Any = None

    def labels(self, *values: Any) -> Any:
        if self.metric is None:
            with _ready:
                if self.metric is None:
                    self.metric = self.kind(self.name, self.doc, self.labelnames, **self.kwargs)
        return self.metric.labels(*values) if self.labelnames else self.metric


CLOCK_OFFSET = _Lazy(
    Gauge,
    "xinsheng_clock_offset_seconds",
    "How far CLOCK_OFFSET moves this process's clock from the machine's.",
    [],
    multiprocess_mode="livemax",
)
EVENTS_CONSUMED = _Lazy(
    Counter,
    "xinsheng_events_consumed_total",
    "Events taken from the service's queue.",
    ["service", "type", "outcome"],
)
EVENT_SECONDS = _Lazy(
    Histogram,
    "xinsheng_event_handle_seconds",
    "Time to handle one event, commit included.",
    ["service", "type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
DEAD_LETTERS = _Lazy(
    Counter,
    "xinsheng_dead_letters_total",
    "Events this service sent to its dead-letter queue.",
    ["service", "type"],
)
EVENTS_PUBLISHED = _Lazy(
    Counter, "xinsheng_events_published_total", "Outbox events confirmed by the broker.", ["service", "type"]
)
PUBLISH_ERRORS = _Lazy(
    Counter,
    "xinsheng_publish_errors_total",
    "Outbox publishes that failed and will be retried.",
    ["service", "reason"],
)
CONTACTS_ERASED = _Lazy(
    Counter,
    "xinsheng_contacts_erased_total",
    "Named workers' contacts erased once kept for the retention period after their case was final.",
    ["service"],
)
NOTIFY_SEND_FAILURES = _Lazy(
    Counter,
    "xinsheng_notify_send_failures_total",
    "Attempts to send a notification that its channel refused or could not take (each retry counts).",
    ["channel"],
)
NOTIFY_CIRCUIT_OPEN = _Lazy(
    Gauge,
    "xinsheng_notify_circuit_open",
    "1 while a notify channel's circuit is open: the channel failed repeatedly and is rested.",
    ["channel"],
    multiprocess_mode="livemax",
)
HTTP_REQUESTS = _Lazy(
    Counter,
    "xinsheng_http_requests_total",
    "HTTP requests answered.",
    ["service", "method", "route", "status"],
)
HTTP_SECONDS = _Lazy(
    Histogram,
    "xinsheng_http_request_seconds",
    "HTTP request latency.",
    ["service", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class _Registry:
    """Yields what a registry collects, so a fresh per-scrape registry can include it."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def exposition(extra_collectors: Iterable[Collector] = ()) -> tuple[bytes, str]:
    """The text of one scrape: every process's metrics plus the given collectors."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Registry(REGISTRY))
    for collector in extra_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_dead_processes(directory: str | os.PathLike[str] | None = None) -> None:
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
