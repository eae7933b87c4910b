"""companion's worker process: reads the directory once if it starts empty, consumes its events,
relays its outbox, finds the companion days missed."""

from services.companion import config, directory, missed
from services.companion.handlers import HANDLERS
from services.companion.models import inbox, outbox
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from shared.outbox import Relay


def main() -> None:
    rt = bootstrap(config.load())
    directory.fill_if_empty(rt.engine, rt.settings)
    worker.run(
        [
            ("consumer", Consumer(rt.settings, rt.engine, inbox, outbox, HANDLERS).run),
            ("relay", Relay(rt.settings, rt.engine, outbox).run),
            (
                "missed days",
                # find_missed looks at every schedule each time: never "again at once"
                worker.sweep(
                    "missed days",
                    lambda: missed.find_missed(rt.engine, rt.settings),
                    batch=10**9,
                    every=rt.settings.missed_every_seconds,
                ),
            ),
        ]
    )
