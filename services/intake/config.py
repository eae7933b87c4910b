"""intake's settings: the common ones and the forms' own."""

from __future__ import annotations

from shared import config

SERVICE = "intake"


class Settings(config.Settings):
    service: str = SERVICE
    # The public POSTs (API and form pages, one budget) per client, shared by every process and
    # instance: a kiosk is one address for a whole workshop, and a demand takes minutes to type, so
    # one every 5 s for 10 minutes is more than a busy kiosk ever sends. "off", "0" or "": no limit.
    rate_limit: str = "120/10 minutes"
    feedback_days: int = 7  # how long after a resolution the worker may answer it
    contact_retention_days: int = 90  # days a named worker's contact is kept after the case is final (PIPL)
    # companion's address as the kiosk reaches it: the kiosk's link to the union's week (the public
    # diary, the surveys open now). Empty: no link.
    companion_url: str = "http://localhost:8005"


def load() -> Settings:
    return config.load(SERVICE, Settings)
