"""companion's worker process: reads the directory once if it starts empty, consumes its events,
relays its outbox."""

from services.companion import config, directory
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
        ]
    )
