"""reports' settings: the common ones and how often the rates for operators are computed."""

from __future__ import annotations

from shared import config

SERVICE = "reports"


class Settings(config.Settings):
    service: str = SERVICE
    rates_every_seconds: float = 300.0  # how often the worker computes the rates per county for /metrics


def load() -> Settings:
    return config.load(SERVICE, Settings)
