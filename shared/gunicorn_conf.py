"""gunicorn settings shared by every web process (``python -m services web SERVICE``)."""
from prometheus_client import multiprocess

from shared.metrics import process_id

accesslog = None  # requests are counted by route in /metrics; an access log would hold addresses
errorlog = "-"
timeout = 30
graceful_timeout = 20
keepalive = 5


def child_exit(server, worker):
    multiprocess.mark_process_dead(process_id(worker.pid))
