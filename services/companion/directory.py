"""companion's copy of the directory, read once from routing's public API when companion starts
empty (a deployment that adds it later); from then on ``enterprise.updated`` keeps it current, and
brings each enterprise's chair."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from sqlalchemy import Engine, func, select

from services.companion.config import Settings
from services.companion.models import enterprises
from shared import clock
from shared.db import insert_ignore

log = logging.getLogger(__name__)


def fill_if_empty(engine: Engine, settings: Settings) -> int:
    """Load the counties' active enterprises from routing if companion knows none; how many."""
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(enterprises)).scalar():
            return 0
    url = settings.routing_url.rstrip("/") + "/api/v1/directory"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            directory = json.load(answer)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        log.warning(
            "directory not read from routing; waiting for enterprise.updated",
            extra={"error": type(exc).__name__},
        )
        return 0
    added = 0
    with engine.begin() as conn:
        for county in directory.get("counties", []):
            for e in county.get("enterprises", []):
                added += insert_ignore(
                    conn,
                    enterprises,
                    {
                        "code": e["code"],
                        "name": e["name"],
                        "county_code": county["code"],
                        "county_name": county["name"],
                        "active": True,
                        "chair_id": None,  # comes with enterprise.updated
                        "updated_at": clock.now(),
                    },
                )
    log.info("directory read from routing", extra={"enterprises": added})
    return added
