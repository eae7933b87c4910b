"""reports' worker process: consumes every event into its facts."""
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from services.reports.config import SERVICE
from services.reports.handlers import HANDLERS
from services.reports.models import inbox, outbox


def main() -> None:
    rt = bootstrap(SERVICE)
    worker.run([("consumer", Consumer(rt.settings, rt.engine, inbox, outbox, HANDLERS).run)])
