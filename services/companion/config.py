"""companion's settings: the common ones and the programme's own."""

from __future__ import annotations

from shared import config

SERVICE = "companion"


class Settings(config.Settings):
    service: str = SERVICE
    # routing's public API: the directory is read from it once, when companion starts empty.
    routing_url: str = "http://127.0.0.1:8002"
    weeks_shown: int = 8  # how many weeks of coming days a schedule shows
    missed_every_seconds: float = 60.0  # how often the worker decides the days whose visit is overdue
    # companion's address as the workers reach it (COMPANION_URL, as intake reads it too): the link
    # printed on a survey's slips, the kiosk's enrolment.
    companion_url: str = "http://localhost:8005"
    # intake's address as the workers reach it (PUBLIC_BASE_URL, as notify reads it too): the kiosk's
    # link to raise a demand. Empty: no link.
    public_base_url: str = "http://localhost:8001"
    kiosk_code_seconds: float = 20.0  # a kiosk issues a survey code at most this often (one per session)


def load() -> Settings:
    return config.load(SERVICE, Settings)
