"""reports' settings: the common ones (reports has none of its own yet)."""

from __future__ import annotations

from shared import config

SERVICE = "reports"


class Settings(config.Settings):
    service: str = SERVICE


def load() -> Settings:
    return config.load(SERVICE, Settings)
