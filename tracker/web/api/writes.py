"""What the API's writing views share: one service call per request, its refusals as problems.

A view calls one service through ``perform``: the request commits once on success; on a
refusal it rolls back (nothing of it is saved) and answers the problem the refusal names.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from tracker.services.errors import ConflictError, ServiceError
from tracker.web.api import schemas
from tracker.web.api.problems import ApiProblem
from tracker.web.transaction import run

LAST_READ = _l("The version last read: a change made since is refused with 409.")


def version_field(description=LAST_READ) -> fields.Integer:
    """A write's required ``version``; ``description`` is a lazy text (the document is written
    in the reader's language)."""
    return schemas.id_field(required=True, metadata={"description": description})


def from_service_error(exc: ServiceError, renamed: dict[str, str] | None = None,
                       extra: dict | None = None) -> ApiProblem:
    """The problem answering a service's refusal, its message on the field it names."""
    message = str(exc.message)
    if exc.status == 404:
        return ApiProblem("not-found")
    if exc.status == 403:
        return ApiProblem("insufficient-scope", extra={"detail": message})
    if exc.status == 409:
        code = "conflict" if isinstance(exc, ConflictError) else "wrong-state"
        return ApiProblem(code, extra={"detail": message, **(extra or {})})
    if exc.status == 413:
        return ApiProblem("body-too-large", extra={"detail": message})
    if exc.field:
        field = (renamed or {}).get(exc.field, exc.field)
        return ApiProblem("validation-failed", [{"field": field, "message": message}])
    return ApiProblem("validation-failed", extra={"detail": message})


def perform(service: Callable, *args, renamed: dict[str, str] | None = None,
            current: Callable[[], tuple[int, dict]] | None = None, **kwargs):
    """Call one service and commit; raise its refusal as a problem, having saved nothing.

    ``current`` gives the record's version and its API form as they stand now, for the
    answer to a refusal on a stale version or a state that changed meanwhile.
    """
    result, error = run(service, *args, **kwargs)
    if error is None:
        return result
    extra = None
    if error.status == 409 and current is not None:
        version, record = current()
        extra = {"current_version": version, "current": record}
    raise from_service_error(error, renamed, extra)


def conflict_schema(record: type[Schema], name: str) -> type[Schema]:
    """The 409 problem of one resource: the record as it stands now, and its version."""
    return type(name, (schemas.Problem,), {
        "current_version": fields.Integer(
            metadata={"description": _l("The record's version now.")}),
        "current": fields.Nested(
            record, metadata={"description": _l("The record as it stands now.")}),
    })
