"""What every resource module of the API shares: its blueprints, arguments and wording."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from tracker.i18n import current_language, label
from tracker.urls import API_PREFIX
from tracker.web.api.auth import current_api_user, require_scope
from tracker.web.api.http import status_phrase
from tracker.web.api.schemas import LangQuery


class StrictParser(FlaskParser):
    """Refuse what a schema does not declare, wherever it comes from."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def response(self, status_code, schema=None, *, description=None, **kwargs):
        """flask-smorest's, documenting the answer with the status's phrase in the reader's
        language unless it has a description of its own."""
        return super().response(status_code, schema,
                                description=description or status_phrase(status_code),
                                **kwargs)

    def read(self, path: str, schema, *, summary, description="", query=LangQuery,
             not_found: bool = False, scope=None):
        """Declare a GET operation: its query, its answer, its documented errors and its
        summary and description (lazy texts: the document speaks the reader's language);
        with ``scope``, only for a token carrying it (see ``guarded``)."""

        def decorate(view):
            wrapped = self.response(200, schema)(view)
            wrapped = self.arguments(query, location="query", as_kwargs=True,
                                     error_status_code=400)(wrapped)
            if not_found:
                wrapped = self.alt_response(404, response="NOT_FOUND")(wrapped)
            wrapped = self.alt_response(429, response="TOO_MANY_REQUESTS")(wrapped)
            wrapped = self.doc(summary=summary, description=description)(wrapped)
            if scope is not None:
                wrapped = self.guarded(scope)(wrapped)
            return self.route(path, methods=["GET"])(wrapped)

        return decorate


    def guarded(self, scope):
        """Require a live token carrying ``scope`` (401 without one, 403 without the scope or
        the role), checked before the request's body is read; documented as such.

        Place it under ``route`` and above ``arguments`` and ``response``.
        """

        def decorate(view):
            wrapped = require_scope(scope)(view)
            wrapped = self.alt_response(401, response="UNAUTHORIZED")(wrapped)
            wrapped = self.alt_response(403, response="FORBIDDEN")(wrapped)
            return self.doc(security=[{"bearerAuth": []}])(wrapped)

        return decorate


def blueprint(name: str, url: str, description) -> ApiBlueprint:
    """A resource module's blueprint; ``description`` (a lazy text) names it in the document."""
    return ApiBlueprint(name, __name__, url_prefix=API_PREFIX + url, description=description)


def reader():
    """Who reads: the caller's account, or None for the public."""
    return current_api_user()


def localized(obj, field: str = "name") -> str:
    """A bilingual field in the request's language (the other one when it is empty)."""
    return obj.localized(field, current_language())


def coded(group: str, value) -> dict | None:
    """An enumeration's value as its stable code and its label in the request's language."""
    if value is None:
        return None
    code = getattr(value, "value", value)
    return {"code": code, "label": label(group, code)}


def named(obj, field: str = "name") -> dict:
    return {"id": obj.id, "name": localized(obj, field)}


def api_url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)

