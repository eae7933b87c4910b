"""Wires a service's settings, logging and database engine; the web app and the worker both start here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from shared import config, logs
from shared.db import make_engine
from shared.metrics import forget_dead_processes


@dataclass(frozen=True)
class Runtime:
    settings: config.Settings
    engine: Engine


def bootstrap(service: str, settings: config.Settings | None = None) -> Runtime:
    """Read settings, set up JSON logging and open the engine (after gunicorn forks, never at import)."""
    settings = settings or config.load(service)
    logs.setup(service, settings.log_level)
    forget_dead_processes()
    return Runtime(settings, make_engine(settings.database_url))
