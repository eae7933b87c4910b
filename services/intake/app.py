"""intake's web app: the JSON API and the worker's pages."""

from __future__ import annotations

from flask import Flask

from services.intake import api, config, pages
from services.intake.models import outbox, revocations, throttle_counts
from shared import web
from shared.bootstrap import Runtime, bootstrap
from shared.config import REPO_ROOT

RATE_LIMITED = (
    "api.submit_grievance",
    "api.grievance_feedback",
    "pages.form",
    "pages.kiosk",
    "pages.feedback",
)


def create_app(rt: Runtime[config.Settings] | None = None) -> Flask:
    rt = rt or bootstrap(config.load())
    app = web.create_app(
        rt,
        import_name=__name__,
        spec=api.spec,
        outbox=outbox,
        messages=api.MESSAGES,
        revocations=revocations,
        template_folder="templates",
        static_folder=str(REPO_ROOT / "shared" / "static"),  # the pages' style and kiosk.js, companion's too
    )
    app.register_blueprint(api.api)
    app.register_blueprint(pages.pages)
    web.install_rate_limit(app, rt.settings.rate_limit, RATE_LIMITED, throttle_counts)
    return app
