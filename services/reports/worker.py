"""reports' worker process: consumes every event into its facts."""

from services.reports import config
from services.reports.handlers import HANDLERS
from services.reports.models import inbox
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer


def main() -> None:
    rt = bootstrap(config.load())
    worker.run([("consumer", Consumer(rt.settings, rt.engine, inbox, None, HANDLERS).run)])
