"""The office's own actions through the API: record, read, change and delete them.

Scope ``review``; the service is the one of the office-action pages. Listing them is the
reading API's (``GET /office-actions``), which shows a staff token the internal ones too.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.models import ApiScope, OfficeAction, OfficeActionKind
from tracker.services import office_actions
from tracker.services.errors import ServiceError
from tracker.web.api import schemas
from tracker.web.api.auth import current_api_user
from tracker.web.api.common import api_url, blueprint, coded
from tracker.web.api.problems import PROBLEM_TYPE, not_found
from tracker.web.api.writes import conflict_schema, perform, version_field

bp = blueprint("api_office_actions", "/office-actions",
               _l("The office's own actions, internal ones included: record, change, delete."))

ONE_OF = _l("Must be one of: {choices}.")
ACTION_CHANGED = _l("The action changed since it was read.")
KINDS = validate.OneOf([k.value for k in OfficeActionKind], error=ONE_OF)


class ActionFields(schemas.StrictSchema):
    """What the office-action form asks, every field optional (as a change sends it)."""

    kind = fields.String(validate=KINDS)
    title = fields.String(validate=validate.Length(min=1, max=300))
    description = fields.String(validate=validate.Length(max=50_000),
                                metadata={"description": schemas.MARKDOWN})
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    is_public = fields.Boolean(metadata={"description": _l("Shown on the public site.")})
    term_ids = fields.List(schemas.id_field(), validate=validate.Length(max=200), metadata={
        "description": _l("Pillars (at least one) and other terms for actions.")})
    institution_ids = fields.List(schemas.id_field(), validate=validate.Length(max=500))
    references = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=office_actions.MAX_REFERENCES),
        metadata={"description": _l("References of the recommendations it supports, as each "
                                    "recommendation's page shows it.")})


class ActionIn(ActionFields):
    kind = fields.String(required=True, validate=KINDS)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    start_date = fields.Date(required=True)


class ActionChange(ActionFields):
    version = version_field()


class DeleteQuery(schemas.StrictSchema):
    version = version_field()


class ActionOut(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    kind = fields.Nested(schemas.Coded, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True, required=True)
    is_public = fields.Boolean(required=True)
    term_ids = fields.List(fields.Integer(), required=True)
    institution_ids = fields.List(fields.Integer(), required=True)
    references = fields.List(fields.String(), required=True)
    url = fields.String(required=True, metadata={"description": schemas.THIS_ADDRESS})


ActionConflict = conflict_schema(ActionOut, "OfficeActionConflict")
INPUT_FIELDS = [f.name for f in dataclass_fields(office_actions.OfficeActionInput)]


def _out(action: OfficeAction) -> dict:
    return {"id": action.id, "version": action.version,
            "kind": coded("action_kind", action.kind), "title": action.title,
            "description": action.description, "start_date": action.start_date,
            "end_date": action.end_date, "is_public": action.is_public,
            "term_ids": sorted(t.id for t in action.terms),
            "institution_ids": sorted(i.id for i in action.institutions),
            "references": [r.reference for r in action.recommendations],
            "url": api_url("api_office_actions.get_action", action_id=action.id)}


def _as_input(action: OfficeAction) -> dict:
    current = _out(action)
    current["kind"] = action.kind.value
    return {name: current[name] for name in INPUT_FIELDS}


def _visible(action_id: int) -> OfficeAction:
    try:
        return office_actions.get_office_action(current_api_user(), action_id)
    except ServiceError:
        raise not_found() from None


def _now(action_id: int):
    def current():
        action = _visible(action_id)
        return action.version, _out(action)

    return current


def _conflict(what: str):
    return bp.alt_response(409, schema=ActionConflict, content_type=PROBLEM_TYPE,
                           description=what)


@bp.route("", methods=["POST"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(ActionIn)
@bp.response(201, ActionOut)
@bp.doc(summary=_l("Record an office action"),
        description=_l("With its pillars, the institutions it worked with and the "
                       "recommendations it supports; public or internal."))
def create_action(body: dict):
    action = perform(office_actions.create_office_action, current_api_user(),
                     office_actions.OfficeActionInput(**body))
    found = _out(action)
    return found, 201, {"Location": found["url"]}


@bp.route("/<id:action_id>", methods=["GET"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(schemas.LangQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.response(200, ActionOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(summary=_l("Read an office action, with its version"))
def get_action(action_id: int, **_args):
    return _out(_visible(action_id))


@bp.route("/<id:action_id>", methods=["PATCH"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(ActionChange)
@bp.response(200, ActionOut)
@bp.alt_response(404, response="NOT_FOUND")
@_conflict(ACTION_CHANGED)
@bp.doc(summary=_l("Change an office action"),
        description=_l("Only the fields sent change; the others keep their values."))
def update_action(body: dict, action_id: int):
    version = body.pop("version")
    wanted = {**_as_input(_visible(action_id)), **body}
    action = perform(office_actions.update_office_action, current_api_user(), action_id,
                     office_actions.OfficeActionInput(**wanted), version,
                     current=_now(action_id))
    return _out(action)


@bp.route("/<id:action_id>", methods=["DELETE"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(DeleteQuery, location="query", error_status_code=400)
@bp.response(204)
@bp.alt_response(404, response="NOT_FOUND")
@_conflict(ACTION_CHANGED)
@bp.doc(summary=_l("Delete an office action"))
def delete_action(query: dict, action_id: int):
    perform(office_actions.delete_office_action, current_api_user(), action_id,
            query["version"], current=_now(action_id))
    return None
