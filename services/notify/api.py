"""notify's HTTP API: no routes of its own yet (health, readiness, metrics and the OpenAPI document
come with every service); the per-case notification log for staff is to come."""

from __future__ import annotations

from services.notify.config import SERVICE
from shared import apidoc

spec = apidoc.new_spec(SERVICE)
