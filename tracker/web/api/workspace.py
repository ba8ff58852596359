"""The token holder and their institution's workspace: who they are, what is assigned to them."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker import policy
from tracker.models import ApiScope, ImplementationStatus
from tracker.services import report_queries as queries
from tracker.services.catalogue.listing import MAX_PER_PAGE
from tracker.web.api import schemas
from tracker.web.api.auth import current_token
from tracker.web.api.common import api_url, blueprint, coded, named, reader
from tracker.web.api.problems import ApiProblem
from tracker.web.api.recommendations import ONE_OF

bp = blueprint("api_workspace", "/me", _l(
    "The token's holder and the recommendations assigned to their institution."))

DEFAULT_LIMIT = 25


class TokenOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True,
                           metadata={"description": _l("The token's public part.")})
    scopes = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


class MeOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.Nested(schemas.Coded, required=True)
    institution = fields.Nested(schemas.Named, allow_none=True, required=True)
    token = fields.Nested(TokenOut, required=True)


class AssignmentQuery(schemas.LangQuery):
    """The workspace's filters, as its page's URL writes them."""

    due = fields.String(validate=validate.OneOf(queries.DUE_STATES, error=ONE_OF),
                        metadata={"description": _l(
                            "When it is due: `overdue`, `due_soon` or `later`.")})
    mechanism = schemas.id_field(metadata={"description": _l("Mechanism id.")})
    status = fields.String(
        validate=validate.OneOf([s.value for s in ImplementationStatus], error=ONE_OF),
        metadata={"description": _l("Implementation status of the recommendation.")})
    q = fields.String(validate=validate.Length(max=queries.MAX_QUERY_LENGTH),
                      metadata={"description": _l(
                          "Words of the recommendation's reference or text.")})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_PER_PAGE),
                           metadata={"description": _l("Items per page.")})


class RecommendationRef(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    url = fields.String(required=True, metadata={
        "description": _l("The recommendation in the API (published ones only).")})


class AssignmentOut(Schema):
    id = fields.Integer(required=True)
    recommendation = fields.Nested(RecommendationRef, required=True)
    mechanism = fields.Nested(schemas.Named, required=True)
    status = fields.Nested(schemas.Coded, required=True)
    role = fields.Nested(schemas.Coded, required=True)
    rhythm_months = fields.Integer(required=True, metadata={
        "description": _l("The institution reports every so many months.")})
    due = fields.Date(allow_none=True, required=True,
                      metadata={"description": _l("Next due date.")})
    due_state = fields.String(required=True, validate=validate.OneOf(queries.DUE_STATES))


class AssignmentList(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    items = fields.List(fields.Nested(AssignmentOut), required=True)
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": schemas.NEXT_PAGE})


def workspace_user():
    """The token's holder, when they have an institution's workspace; 403 otherwise."""
    user = reader()
    if not policy.can_use_institution_workspace(user):
        raise ApiProblem("insufficient-scope")
    return user


def recommendation_ref(rec) -> dict:
    return {"id": rec.id, "reference": rec.reference,
            "url": api_url("api_recommendations.get_recommendation", rec_id=rec.id)}


def next_page(endpoint: str, page, **values) -> str | None:
    """The address of the page after this one, with the same arguments; None on the last."""
    if page.page >= page.pages:
        return None
    kept = {key: value for key, value in request.args.items() if key not in ("page", "limit")}
    return api_url(endpoint, **{**kept, **values}, page=page.page + 1, limit=page.per_page)


@bp.read("", MeOut, scope=ApiScope.READ, summary=_l("Who the token belongs to"),
         description=_l("The holder's account, role and institution, and the token's own "
                        "scopes and expiry."))
def get_me(**_args):
    token = current_token()
    user = token.user
    return {
        "id": user.id, "name": user.name, "email": user.email, "role": coded("role", user.role),
        "institution": named(user.institution) if user.institution else None,
        "token": {"id": token.id, "name": token.name, "prefix": token.prefix,
                  "scopes": list(token.scopes or []), "created_at": token.created_at,
                  "expires_at": token.expires_at},
    }


@bp.read("/assignments", AssignmentList, query=AssignmentQuery, scope=ApiScope.READ,
         summary=_l("List the recommendations assigned to my institution"),
         description=_l("The institution workspace's list, soonest due first, with its "
                        "filters. Only for a focal point's token. Pages follow each other "
                        "through the `next` link."))
def list_assignments(page: int, limit: int, due=None, mechanism=None, status=None, q="",
                     **_args):
    user = workspace_user()
    filters = queries.WorkspaceFilters(
        due=due, mechanism_id=mechanism,
        status=ImplementationStatus(status) if status else None, q=" ".join(q.split()))
    found = queries.institution_assignments(user, filters, page=page, per_page=limit)
    next_url = next_page("api_workspace.list_assignments", found)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return {
        "total": found.total, "page": found.page, "next": next_url,
        "items": [{
            "id": row.assignment.id,
            "recommendation": recommendation_ref(row.recommendation),
            "mechanism": named(row.recommendation.mechanism),
            "status": coded("status", row.recommendation.status),
            "role": coded("assignment_role", row.assignment.role),
            "rhythm_months": row.assignment.rhythm_months,
            "due": row.assignment.next_due, "due_state": row.due_state,
        } for row in found.items],
    }, 200, headers
