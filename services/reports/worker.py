"""reports' worker process: consumes every event into its facts."""
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from services.reports import config
from services.reports.handlers import HANDLERS
from services.reports.models import inbox


def main() -> None:
    rt = bootstrap(config.load())
    worker.run([("consumer", Consumer(rt.settings, rt.engine, inbox, None, HANDLERS).run)])
