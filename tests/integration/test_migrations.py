"""Each service's Alembic migrations build exactly the schema its models describe."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared import config, migrate
from shared.db import make_engine

pytestmark = pytest.mark.integration
SERVICES = ("intake", "routing", "notify", "reports")


def drift(url: str, service: str) -> list:
    migrate.upgrade(config.Settings(service=service, database_url=url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            metadata = importlib.import_module(f"services.{service}.models").metadata
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_postgresql(pg_database, service):
    assert drift(pg_database(service), service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(tmp_path, service):
    assert drift(f"sqlite:///{tmp_path / service}.db", service) == []
