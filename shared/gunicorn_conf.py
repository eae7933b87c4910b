"""gunicorn settings shared by every web process (``python -m services web SERVICE``)."""

import os
from typing import Any

from prometheus_client import multiprocess

from shared.metrics import process_id

accesslog = None  # requests are counted by route in /metrics; an access log would hold addresses
errorlog = "-"
timeout = 30
graceful_timeout = 20
keepalive = 5

# gunicorn's own lines (boot, worker exits) in the same JSON shape as the services' logs.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": os.environ.get("XINSHENG_SERVICE", "")},
        }
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},  # the app's own setup takes root over later
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def child_exit(server: Any, worker: Any) -> None:  # gunicorn's Arbiter and Worker; it ships no types
    multiprocess.mark_process_dead(process_id(worker.pid))
