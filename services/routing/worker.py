"""routing's worker process: consumes grievance.*, relays its outbox, fires the ledger's timers
(reminders, missed deadlines, pauses that end, unanswered resolutions)."""

from services.routing import config, timers
from services.routing.handlers import HANDLERS
from services.routing.models import inbox, outbox
from services.routing.models import timers as timers_table
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from shared.outbox import Relay
from shared.timers import Runner


def main() -> None:
    rt = bootstrap(config.load())
    worker.run(
        [
            ("consumer", Consumer(rt.settings, rt.engine, inbox, outbox, HANDLERS).run),
            ("relay", Relay(rt.settings, rt.engine, outbox).run),
            (
                "timers",
                Runner(rt.engine, outbox, rt.settings, timers_table, timers.FIRES, timers.BATCH).loop(
                    rt.settings.timer_every_seconds
                ),
            ),
        ]
    )
