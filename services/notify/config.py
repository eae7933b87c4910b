"""notify's settings: the common ones and the mail's own."""

from __future__ import annotations

from shared import config

SERVICE = "notify"


class Settings(config.Settings):
    service: str = SERVICE
    smtp_host: str = ""  # none: messages stay in the notification log (the "log" channel)
    smtp_port: int = 25
    smtp_from: str = "xinsheng@localhost"
    smtp_timeout: float = 10.0
    max_send_attempts: int = 5
    public_base_url: str = "http://localhost:8001"  # links to the worker's status page
    contact_retention_days: int = 90  # days a named worker's contact is kept after the case is final (PIPL)


def load() -> Settings:
    return config.load(SERVICE, Settings)
