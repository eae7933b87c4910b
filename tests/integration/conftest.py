"""Fixtures of the integration tests (real PostgreSQL and RabbitMQ)."""

import pytest

from harness.private import DEMO_DIRECTORY
from services.routing import directory
from services.routing.app import create_app
from services.routing.models import outbox
from shared.uow import unit_of_work
from tests.support.routing import SECRET


@pytest.fixture
def pg_ledger(pg_runtime):
    """routing's app on its own PostgreSQL database with the demo directory; ``app.rt`` its runtime."""
    rt = pg_runtime("routing", secret_key=SECRET)
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        directory.apply(uow, directory.load(DEMO_DIRECTORY))
    app = create_app(rt)
    app.testing = True
    app.rt = rt
    return app
