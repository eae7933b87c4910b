"""The worker's pages: the web form, the kiosk of one enterprise, the status lookup."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from shared import labels, web
from shared.errors import ApiError
from services.intake import api, grievances

pages = Blueprint("pages", __name__)


def _render_form(template: str, status: int = 200, **context):
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(template, categories=labels.CATEGORY, **context), status


@pages.route("/", methods=["GET", "POST"])
def form():
    enterprises = grievances.active_enterprises(web.runtime())
    if request.method == "GET":
        return _render_form("form.html", enterprises=enterprises)
    try:
        result = api.submit(api.parse_demand(), None)
    except ApiError as exc:
        return _render_form("form.html", exc.status, enterprises=enterprises, errors=exc.fields,
                            message=exc.message, values=request.form)
    return render_template("submitted.html", code=result.tracking_code, kiosk=None), 201


@pages.route("/k/<enterprise_code>", methods=["GET", "POST"])
def kiosk(enterprise_code: str):
    enterprise = next((e for e in grievances.active_enterprises(web.runtime())
                       if e["code"] == enterprise_code), None)
    if enterprise is None:
        abort(404)
    if request.method == "GET":
        return _render_form("kiosk.html", enterprise=enterprise)
    try:
        result = api.submit(api.parse_demand({"enterprise_code": enterprise_code, "channel": "kiosk"}), None)
    except ApiError as exc:
        return _render_form("kiosk.html", exc.status, enterprise=enterprise, errors=exc.fields,
                            message=exc.message, values=request.form)
    return render_template("submitted.html", code=result.tracking_code, kiosk=enterprise), 201


@pages.get("/s")
def lookup():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("pages.status", code=code))
    return render_template("lookup.html")


@pages.get("/s/<code>")
def status(code: str):
    try:
        found = api.status_or_404(code)
    except ApiError as exc:
        return render_template("lookup.html", message=exc.message, code=code), 404
    return render_template("status.html", g=found, errors={}, values={})


@pages.post("/s/<code>/feedback")
def feedback(code: str):
    """The feedback form of the status page; answers with the status page again."""
    try:
        api.give_feedback(code, api.parse_feedback())
    except ApiError as exc:
        if exc.status == 404:
            return render_template("lookup.html", message=exc.message, code=code), 404
        found = api.status_or_404(code)
        return render_template("status.html", g=found, message=exc.message, errors=exc.fields,
                               values=request.form), exc.status
    return render_template("status.html", g=api.status_or_404(code), thanks=True, errors={}, values={}), 201
