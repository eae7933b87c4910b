"""notify's worker process: consumes its events, dispatches notifications, relays its outbox, erases
contacts kept past their retention."""

from services.notify import config, retention
from services.notify.dispatcher import Dispatcher
from services.notify.handlers import HANDLERS
from services.notify.models import inbox, outbox
from shared import worker
from shared.bootstrap import bootstrap
from shared.consumer import Consumer
from shared.outbox import Relay


def main() -> None:
    rt = bootstrap(config.load())
    worker.run(
        [
            ("consumer", Consumer(rt.settings, rt.engine, inbox, outbox, HANDLERS).run),
            ("dispatcher", Dispatcher(rt.settings, rt.engine).run),
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
