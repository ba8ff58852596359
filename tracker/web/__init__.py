"""Blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def register_web(app: Flask) -> None:
    """Register every blueprint, the error handlers and the template globals."""
    from tracker.web import public
    from tracker.web.api.problems import from_http_exception
    from tracker.web.helpers import WebRequest, register_template_helpers, remember_language
    from tracker.web.ids import register_id_converter

    register_id_converter(app)
    app.register_blueprint(public.bp)
    register_template_helpers(app)
    app.before_request(remember_language)
    app.request_class = WebRequest

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.is_api:
            return from_http_exception(exc)
        if wants_json():
            return jsonify(error=exc.name, message=exc.description, status=exc.code), exc.code
        return render_template("errors/error.html", error=exc), exc.code

    from tracker.web.outages import register_outage_handling

    register_outage_handling(app, _http_error)
