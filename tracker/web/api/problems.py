"""Errors of the API as RFC 9457 problem documents, in the request's language."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, json, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"

# Every problem the API answers: its stable code -> (status, title, detail).
PROBLEMS = {
    "invalid-parameter": (400, _l("Invalid request"),
                          _l("A parameter of the request is not one the API accepts.")),
    "invalid-json": (400, _l("Malformed JSON"), _l("The request's body is not valid JSON.")),
    "unknown-filter-value": (400, _l("Unknown filter value"),
                             _l("Some filter values name nothing the catalogue knows.")),
    "invalid-cursor": (400, _l("Invalid cursor"),
                       _l("This cursor is not one this list gave, or it belongs to other "
                          "filters.")),
    "unauthorized": (401, _l("Unauthorized"),
                     _l("The API token is missing, malformed, expired or revoked.")),
    "insufficient-scope": (403, _l("Forbidden"),
                           _l("The API token does not allow this, or its holder may not do it.")),
    "not-found": (404, _l("Not found"), _l("Nothing is published at this address.")),
    "bulk-not-built": (404, _l("Not built yet"),
                       _l("The bulk download has not been built yet: try again in a few "
                          "minutes.")),
    "method-not-allowed": (405, _l("Method not allowed"),
                           _l("This address does not accept that method.")),
    "not-acceptable": (406, _l("Not acceptable"), _l("The API answers in JSON only.")),
    "conflict": (409, _l("Conflict"), _l("The record changed since it was read.")),
    "wrong-state": (409, _l("Not possible now"),
                    _l("The record's state does not allow this now.")),
    "body-too-large": (413, _l("Request too large"),
                       _l("The request's body is larger than the API accepts.")),
    "unsupported-media-type": (415, _l("Unsupported media type"),
                               _l("The request's body must be JSON.")),
    "validation-failed": (422, _l("Validation failed"),
                          _l("Some fields of the request are not valid.")),
    "too-many-requests": (429, _l("Too many requests"),
                          _l("Too many requests from this caller: wait before trying again.")),
    "server-error": (500, _l("Server error"),
                     _l("The server could not answer; the error has been logged.")),
}
# The code of an HTTP error raised without one of its own.
CODE_OF_STATUS = {}
for _code, (_status, _title, _detail) in PROBLEMS.items():
    CODE_OF_STATUS.setdefault(_status, _code)
# What marshmallow says, in words a caller of either language reads.
FIELD_MESSAGES = {
    "Unknown field.": _l("Unknown parameter."),
    "Missing data for required field.": _l("Required."),
    "Not a valid integer.": _l("Must be a whole number."),
    "Not a valid boolean.": _l("Must be true or false."),
    "Not a valid string.": _l("Must be text."),
    "Not a valid list.": _l("Must be a list."),
    "Field may not be null.": _l("Must not be null."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid value.": _l("Invalid value."),
}


def problem_url(code: str) -> str:
    """The address documenting a problem code: a section of the API's documentation page."""
    return url_for("api_manual.page", _external=True, _anchor=f"problem-{code}")


def _iso_dates(value):
    # A problem may carry a record (a conflict's current one): its dates are written as the
    # API writes them everywhere, in ISO 8601, not in Flask's HTTP-date default.
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    return current_app.json.default(value)


def problem(status: int, code: str | None = None, errors: list[dict] | None = None,
            headers=None, extra: dict | None = None) -> Response:
    """Build a problem+json response; ``extra`` members are merged into its body."""
    code = code or CODE_OF_STATUS.get(status)
    if code in PROBLEMS:
        _status, title, detail = PROBLEMS[code]
    else:
        code, title, detail = f"http-{status}", _l("Error"), _l("The request failed.")
    body = {"type": problem_url(code), "title": str(title), "status": status,
            "detail": str(detail), "code": code, "instance": request.path}
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return current_app.response_class(json.dumps(body, default=_iso_dates), status=status,
                                      mimetype=PROBLEM_TYPE, headers=headers)


def field_errors(messages: dict, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages into ``{"field", "message"}`` pairs."""
    found = []
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            found.extend(field_errors(value, name))
            continue
        for message in value if isinstance(value, list) else [value]:
            if isinstance(message, dict):
                found.extend(field_errors(message, name))
            else:
                found.append({"field": name, "message": str(FIELD_MESSAGES.get(message, message))})
    return found


def from_http_exception(exc: HTTPException) -> Response:
    """Answer any HTTP error raised under the API (a webargs refusal included) as a problem."""
    status = exc.code or 500
    headers = [(k, v) for k, v in (exc.get_headers() if status == 405 else [])
               if k.lower() == "allow"]
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if messages:
        if "json" in messages and not isinstance(messages["json"], dict):
            return problem(400, "invalid-json", headers=headers)
        body = messages.get("json") or messages.get("multipart")
        if body:
            return problem(422, errors=field_errors(body), headers=headers)
        errors = []
        for location, found in messages.items():
            for error in field_errors(found, "" if location == "query" else location):
                if location == "query":
                    # Named as the URL writes it, whichever of its values is wrong.
                    error["field"] = error["field"].split(".")[0]
                if error not in errors:
                    errors.append(error)
        return problem(400, errors=errors, headers=headers)
    if status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="api"'))
    return problem(status, getattr(exc, "problem_code", None),
                   getattr(exc, "problem_errors", None), headers,
                   getattr(exc, "problem_extra", None))


class ApiProblem(HTTPException):
    """An error a view raises with its own problem code, field errors and extra members."""

    def __init__(self, code: str, errors: list[dict] | None = None,
                 extra: dict | None = None):
        status, _title, detail = PROBLEMS[code]
        super().__init__(description=str(detail))
        self.code = status
        self.problem_code = code
        self.problem_errors = errors
        self.problem_extra = extra


def not_found() -> ApiProblem:
    return ApiProblem("not-found")
