"""intake's worker process: consumes case.* and enterprise.updated, relays its outbox, erases contacts
kept past their retention."""

from services.intake import config, retention
from services.intake.handlers import HANDLERS
from services.intake.models import inbox, outbox
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
                "contact retention",
                worker.sweep(
                    "contact retention",
                    lambda: retention.erase_expired(rt.engine, rt.settings),
                    retention.BATCH,
                    retention.EVERY_SECONDS,
                ),
            ),
        ]
    )
