"""reports' worker process: consumes every event into its facts, and computes the rates per county
for the operators' dashboards on a schedule."""

from services.reports import config, rates
from services.reports.handlers import HANDLERS
from services.reports.models import inbox
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer


def main() -> None:
    rt = bootstrap(config.load())
    worker.run(
        [
            ("consumer", Consumer(rt.settings, rt.engine, inbox, None, HANDLERS).run),
            (
                "county rates",
                # each run computes every county at once: never "again at once"
                worker.sweep(
                    "county rates",
                    lambda: rates.refresh_counties(rt.engine),
                    batch=10**9,
                    every=rt.settings.rates_every_seconds,
                ),
            ),
        ]
    )
