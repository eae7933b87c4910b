"""intake's settings: the common ones and the forms' own."""

from __future__ import annotations

from shared import config

SERVICE = "intake"


class Settings(config.Settings):
    service: str = SERVICE
    rate_limit: str = ""  # POSTs of the forms per client and web process, e.g. "20/minute"; off when empty
    feedback_days: int = 7  # how long after a resolution the worker may answer it


def load() -> Settings:
    return config.load(SERVICE, Settings)
