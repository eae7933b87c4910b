"""Settings, read from the environment in one place.

``Settings`` holds what every service reads; each service's ``config.py`` adds its own fields in a
subclass and loads it with ``load``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar, overload

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "routing", "notify", "reports", "companion")
DEFAULT_PORTS = {"intake": 8001, "routing": 8002, "notify": 8003, "reports": 8004, "companion": 8005}


class Settings(BaseSettings):
    """What every service reads from its environment.

    The database URL is per service: ``INTAKE_DATABASE_URL`` (and so on) wins over a plain
    ``DATABASE_URL``, which wins over a SQLite file under ``var/``.
    """

    model_config = SettingsConfigDict(extra="ignore")

    service: str
    database_url: str
    amqp_url: str = "amqp://guest:guest@localhost:5672/%2F"
    exchange: str = "xinsheng.events"
    prefetch: int = 200
    batch_size: int = 100
    max_attempts: int = 5
    delivery_limit: int = 20
    heartbeat: int = 30
    relay_batch: int = 500
    relay_idle_seconds: float = 0.05
    log_level: str = "INFO"
    secret_key: str = "dev-only-secret-change-me"
    max_content_length: int = 64 * 1024
    clock_offset: str = ""  # moves the system's clock, e.g. "36h" (shared.clock)
    # /metrics answers only a scraper with ``Authorization: Bearer <this>``; none set: nobody.
    metrics_token: str = ""
    # How many proxies stand in front (compose: nginx, 1): their X-Forwarded-For names the client,
    # for the per-client limits. 0: the connection's own address; a header is never believed then.
    trusted_proxies: int = 0
    var_dir: Path = REPO_ROOT / "var"


S = TypeVar("S", bound=Settings)


@overload
def load(service: str) -> Settings: ...
@overload
def load(service: str, settings_class: type[S]) -> S: ...


def load(service: str, settings_class: type[Settings] = Settings) -> Settings:
    """The settings of one service, from the environment (its own class, or the common fields)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    var_dir = Path(os.environ.get("VAR_DIR", REPO_ROOT / "var"))
    url = (
        os.environ.get(f"{service.upper()}_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{var_dir / service}.db"
    )
    return settings_class(service=service, database_url=url, var_dir=var_dir)
