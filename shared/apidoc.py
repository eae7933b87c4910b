"""The OpenAPI document of each service and Swagger UI to browse it, served by the service itself
(Swagger UI 5 from the ``flask-swagger-ui`` package: the machine may reach no CDN), with the bearer
token of staff operations."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, send_from_directory
from spectree import Response as Doc
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType
from werkzeug.exceptions import NotFound

from shared.config import REPO_ROOT

# The OpenAPI security of a staff operation: ``spec.validate(security=apidoc.STAFF)``.
STAFF: dict[str, list[str]] = {"bearer": []}
_SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Xinsheng API</title><link rel="stylesheet" href="/apidoc/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="{spec_url}"></div>
<script src="/apidoc/assets/swagger-ui-bundle.js"></script>
<script src="/apidoc/assets/swagger-ui-standalone-preset.js"></script>
<script src="/apidoc/assets/swagger-init.js"></script></body></html>"""


def new_spec(service: str) -> SpecTree:
    """The service's OpenAPI document, served at /apidoc/openapi.json once registered, and browsable
    at /apidoc/swagger/ with assets the service serves itself; staff operations name the bearer token."""
    return SpecTree(
        "flask",
        title=f"Xinsheng {service}",
        version="v1",
        path="apidoc",
        annotations=False,
        naming_strategy=lambda model: model.__name__,
        page_templates={"swagger": _SWAGGER_PAGE},
        security_schemes=[
            SecurityScheme(
                name="bearer",
                data=SecuritySchemeData(
                    type=SecureType.HTTP,
                    scheme="bearer",
                    description="The token of POST /api/v1/auth/token (routing).",
                ),
            )
        ],
    )


def streamed(spec: SpecTree, **documented: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document a view in the OpenAPI document as ``spec.validate(**documented)`` does, but leave its
    answer alone when it runs: spectree reads every answer's body whole, which would hold a streamed
    export (or a file) in memory. The view validates its own query."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        entry = spec.validate(**documented)(view)  # what the document is generated from

        @functools.wraps(entry)
        def run(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        return run

    return decorate


def install(app: Flask) -> None:
    """Swagger UI's files (those of the ``flask-swagger-ui`` package, Swagger UI 5, which reads
    OpenAPI 3.1), served by the service itself: the machine may reach no CDN."""
    spec = importlib.util.find_spec("flask_swagger_ui")
    locations = (spec.submodule_search_locations or []) if spec else []
    folders = (REPO_ROOT / "shared" / "static", *(Path(p) / "dist" for p in locations))

    @app.get("/apidoc/assets/<path:name>")
    def apidoc_asset(name: str) -> Response:
        for folder in folders:
            if (folder / name).is_file():
                return send_from_directory(folder, name, max_age=3600)
        raise NotFound()


class Pages(Doc):
    """Answers that are not JSON (an HTML page, Prometheus' text), documented with their media type
    so a client (or schemathesis) knows what each status carries."""

    def __init__(self, media_type: str, *codes: int, **models: Any):
        """``codes`` answer ``media_type``; ``models`` (``HTTP_403=ErrorResponse``) answer JSON."""
        super().__init__(*(f"HTTP_{code}" for code in codes), **models)
        self.media_type, self.pages = media_type, {str(code) for code in codes}

    def generate_spec(self, naming_strategy: Any = None) -> dict[str, Any]:
        spec: dict[str, Any] = (
            super().generate_spec() if naming_strategy is None else super().generate_spec(naming_strategy)
        )
        for code, answer in spec.items():
            if code in self.pages:  # a form refused is its page again, not spectree's JSON 422
                answer["content"] = {self.media_type: {"schema": {"type": "string"}}}
        return spec
