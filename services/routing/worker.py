"""routing's worker process: consumes grievance.*, relays its outbox, closes unanswered resolutions."""

from services.routing import config, timers
from services.routing.handlers import HANDLERS
from services.routing.models import inbox, outbox
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from shared.outbox import Relay


def main() -> None:
    rt = bootstrap(config.load())
    worker.run(
        [
            ("consumer", Consumer(rt.settings, rt.engine, inbox, outbox, HANDLERS).run),
            ("relay", Relay(rt.settings, rt.engine, outbox).run),
            (
                "feedback timer",
                worker.sweep(
                    "feedback timer",
                    lambda: timers.close_unanswered(rt.engine, rt.settings),
                    timers.BATCH,
                    timers.EVERY_SECONDS,
                ),
            ),
        ]
    )
