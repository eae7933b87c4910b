"""The worker process of a service: its consumer, its outbox relay and any loops of its own,
each on its own thread with its own connections, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable

from shared.broker import RETRYABLE
from shared.db import is_transient

log = logging.getLogger(__name__)
Loop = Callable[[threading.Event], None]


def run(loops: Iterable[tuple[str, Loop]]) -> None:
    """Run each named loop on a thread; a loop that crashes is restarted after a pause."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = [
        threading.Thread(target=_supervise, args=(name, loop, stop), name=name, daemon=True)
        for name, loop in loops
    ]
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"loops": [t.name for t in threads]})
    while not stop.wait(1.0):
        pass
    log.info("worker stopping")
    for thread in threads:
        thread.join(timeout=30)


def repeat(
    stop: threading.Event,
    step: Callable[[], bool],
    idle: Callable[[], object],
    name: str,
    on_failure: Callable[[Exception], object] = lambda exc: None,
) -> None:
    """Call ``step`` until ``stop`` is set; when it answers False (no more work now), ``idle``.

    A failure backs off from 1 s up to 30 s, reset by the next success: an absent broker or
    database is waited out (logged as a warning), anything else is logged with its traceback.
    """
    delay = 1.0
    while not stop.is_set():
        try:
            if not step():
                idle()
            delay = 1.0
        except Exception as exc:
            if isinstance(exc, RETRYABLE) or is_transient(exc):
                log.warning(
                    f"{name} waiting for broker or database",
                    extra={"error": type(exc).__name__, "retry_in": delay},
                )
            else:
                log.exception(f"{name} failed")
            on_failure(exc)
            stop.wait(delay)
            delay = min(delay * 2, 30.0)


def _supervise(name: str, loop: Loop, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            loop(stop)
        except Exception:
            log.exception("loop crashed; restarting", extra={"loop": name})
            stop.wait(2.0)


def sweep(name: str, step: Callable[[], int], batch: int, every: float) -> Loop:
    """A loop of time-based work: ``step`` does one batch and says how many it did; it runs every
    ``every`` seconds, and at once again while batches come back full."""

    def loop(stop: threading.Event) -> None:
        repeat(stop, lambda: step() >= batch, lambda: stop.wait(every), name)

    return loop
