"""routing's settings: the common ones and the ledger's own."""

from __future__ import annotations

from shared import config

SERVICE = "routing"
CITY_ORG = "city"  # the organisation code of the city federation


class Settings(config.Settings):
    service: str = SERVICE
    feedback_days: int = 7  # a resolution unanswered this long (plus a grace hour) is closed
    timer_every_seconds: float = 15.0  # how often the worker looks for due timers


def load() -> Settings:
    return config.load(SERVICE, Settings)
