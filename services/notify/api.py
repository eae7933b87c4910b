"""notify's HTTP API: no routes of its own yet (health, readiness, metrics and the OpenAPI document
come with every service); the per-case notification log for staff is to come."""
from __future__ import annotations

from shared import web
from services.notify.config import SERVICE

spec = web.new_spec(SERVICE)
