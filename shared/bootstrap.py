"""Wires a service's settings, clock, logging and database engine; the web app, the worker and the
commands all start here (after gunicorn forks, never at import)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Engine

from shared import clock, config, logs, metrics
from shared.db import make_engine

S = TypeVar("S", bound=config.Settings)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime(Generic[S]):
    settings: S
    engine: Engine


def bootstrap(settings: S) -> Runtime[S]:
    """Set the clock, JSON logging and metrics up for ``settings`` and open the engine."""
    logs.setup(settings.service, settings.log_level)
    clock.set_offset(clock.parse_offset(settings.clock_offset))
    metrics.setup()
    if clock.offset():
        log.warning(
            "clock moved by CLOCK_OFFSET", extra={"clock_offset_seconds": clock.offset().total_seconds()}
        )
    return Runtime(settings, make_engine(settings.database_url))
