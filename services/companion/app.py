"""companion's web app: the schedule, days called off and visits, for staff."""

from __future__ import annotations

from flask import Flask

from services.companion import api, config
from services.companion.models import outbox, revocations
from shared import web
from shared.bootstrap import Runtime, bootstrap


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        outbox=outbox,
        messages=api.MESSAGES,
        revocations=revocations,
    )
    app.register_blueprint(api.api)
    return app
