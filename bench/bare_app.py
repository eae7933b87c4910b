"""The limit for intake: a bare Flask app doing what one POST /api/v1/grievances writes, nothing more.

One ``grievances`` row and one ``outbox`` row in one transaction, on intake's own tables (made by
intake's Alembic migration), with plain psycopg 3: no SQLAlchemy, no validation, no metrics, no
rate limiting. One connection per gunicorn worker, opened lazily on the first request (after the
fork). Started by ``bench/load.py --limit`` exactly as intake is::

    BARE_DATABASE_URL=postgresql://... python -m gunicorn --no-control-socket -w 4 \\
        -b 127.0.0.1:PORT bench.bare_app:app
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from datetime import UTC, datetime

import psycopg
from flask import Flask, jsonify, request

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INSERT_GRIEVANCE = """
INSERT INTO grievances (id, tracking_code, enterprise_code, category, urgency, channel, anonymous,
    about_chair, description, workshop, status, status_at, submitted_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'registered', %s, %s)"""
INSERT_OUTBOX = """
INSERT INTO outbox (event_id, type, correlation_id, body, created_at) VALUES (%s, %s, %s, %s, %s)"""

app = Flask(__name__)
_conn: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    """This worker's connection: opened on first use, reopened after it broke."""
    global _conn
    if _conn is None or _conn.closed or _conn.broken:
        url = os.environ["BARE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _conn = psycopg.connect(url, connect_timeout=5, autocommit=True)
    return _conn


def tracking_code() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def event_body(event_id: str, gid: str, code: str, d: dict, now: datetime) -> str:
    payload = {"grievance_id": gid, "tracking_code": code, **d, "submitted_at": now.isoformat()}
    return json.dumps(
        {
            "id": event_id,
            "type": "grievance.submitted",
            "version": 1,
            "occurred_at": now.isoformat(),
            "producer": "intake",
            "correlation_id": gid,
            "payload": payload,
        },
        ensure_ascii=False,
    )


@app.post("/api/v1/grievances")
def submit():
    d = request.get_json()
    gid, event_id, code = str(uuid.uuid4()), str(uuid.uuid4()), tracking_code()
    now = datetime.now(UTC)
    row = (
        gid,
        code,
        d["enterprise_code"],
        d["category"],
        d.get("urgency", "normal"),
        d["channel"],
        bool(d.get("anonymous", True)),
        bool(d.get("about_chair", False)),
        d["description"],
        d.get("workshop"),
        now,
        now,
    )
    conn = connection()
    with conn.transaction():
        conn.execute(INSERT_GRIEVANCE, row)
        conn.execute(
            INSERT_OUTBOX,
            (event_id, "grievance.submitted", gid, event_body(event_id, gid, code, d, now), now),
        )
    response = jsonify(tracking_code=code, status="registered", submitted_at=now.isoformat())
    response.status_code = 201
    return response


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
