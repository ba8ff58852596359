"""The versioned REST API (/api/v1) and its OpenAPI 3.1 contract, generated from the code.

Reads are anonymous and see exactly what the public site shows; every answer is JSON,
every error an RFC 9457 problem document.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from tracker.ids import MAX_ID
from tracker.urls import API_PREFIX
from tracker.web.api.http import status_phrase
from tracker.web.api.problems import PROBLEM_TYPE
from tracker.web.api.schemas import Problem
from tracker.web.ids import IdConverter


class TrackerApi(Api):
    """flask-smorest's Api, with errors answered (and documented) as problem documents, and
    every text of its document in the reader's language."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self):
        # The application's own handler answers errors: pages for the site, problem
        # documents under the API (see tracker.web.register_web).
        pass

    def _register_pagination_header(self):
        # The API pages through its own `next` links: flask-smorest's pagination header (and
        # the schema it documents) is never sent.
        pass

    def _register_responses(self):
        # flask-smorest's, with the problem document's media type and translated phrases.
        for status in HTTPStatus:
            response = {"description": status_phrase(status)}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": _l("Any other error"), "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def register_api(app: Flask) -> None:
    """Serve /api/v1: its resources, its OpenAPI document and its documentation page."""
    from tracker.extensions import csrf
    from tracker.services import bulk_data
    from tracker.web.api import (
        activity,
        bulk,
        docs,
        evidence,
        progress,
        recommendations,
        reference,
        review,
        review_actions,
        review_jobs,
        workspace,
    )
    from tracker.web.api.auth import register_token_use
    from tracker.web.api.http import register_http

    app.config.setdefault("API_TITLE", _l("Seguimiento API"))
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": _l("Published human-rights recommendations, their follow-up "
                                   "and the public figures. Documentation: `/api/v1/docs`.")},
        "servers": [{"url": "/"}],
    })
    api = TrackerApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": _l("A personal API token, created on the account page.")})
    api.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID})
    modules = (recommendations, reference, activity, bulk, evidence, workspace, progress,
               review, review_actions, review_jobs)
    for module in modules:
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
    app.register_blueprint(docs.bp)
    register_http(app, [module.bp for module in modules])
    # The bulk download's lines are this API's own records.
    app.extensions[bulk_data.RENDERER] = recommendations.public_record
    register_token_use(app)
