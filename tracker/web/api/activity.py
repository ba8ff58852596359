"""What the office did and what the figures say: public office actions, the dashboard."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import policy
from tracker.exports.statistics import STATUSES
from tracker.extensions import db
from tracker.models import OfficeAction, Recommendation
from tracker.models.followup import office_action_recommendation
from tracker.services.catalogue import dashboard as public_dashboard
from tracker.services.catalogue.listing import MAX_PER_PAGE
from tracker.web.api import schemas
from tracker.web.api.common import api_url, blueprint, coded, reader
from tracker.web.api.recommendations import office_action

bp = blueprint("api_activity", "",
               _l("The office's public actions and the dashboard's figures."))


class ActionQuery(schemas.LangQuery):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PER_PAGE))
    after = schemas.id_field(metadata={
        "description": _l("Resume after this action id (the `next` link carries it).")})


ActionList = Schema.from_dict({
    "items": fields.List(fields.Nested(schemas.OfficeActionOut), required=True),
    "next": fields.String(allow_none=True, required=True)}, name="OfficeActionList")


def _supported(action_ids: list[int]) -> dict[int, list[int]]:
    """The published recommendations each action supports, in one statement."""
    link = office_action_recommendation.c
    rows = db.session.execute(policy.recommendations_visible_to(
        reader(), select(link.action_id, link.recommendation_id)
        .join(Recommendation, Recommendation.id == link.recommendation_id)
        .where(link.action_id.in_(action_ids))
        .order_by(link.action_id, link.recommendation_id))).all() if action_ids else []
    found: dict[int, list[int]] = {}
    for action_id, rec_id in rows:
        found.setdefault(action_id, []).append(rec_id)
    return found


@bp.read("/office-actions", ActionList, query=ActionQuery,
         summary=_l("List the office's public actions"),
         description=_l(
            "In id order; pages follow each other through the `next` link."))
def list_office_actions(limit: int, after: int | None = None, **_args):
    query = policy.office_actions_visible_to(
        reader(), select(OfficeAction)
        .options(selectinload(OfficeAction.terms), selectinload(OfficeAction.institutions))
        .order_by(OfficeAction.id))
    if after is not None:
        query = query.where(OfficeAction.id > after)
    found = db.session.scalars(query.limit(limit + 1)).all()
    items = found[:limit]
    supported = _supported([a.id for a in items])
    next_url = None
    if len(found) > limit:
        kept = {"lang": request.args["lang"]} if "lang" in request.args else {}
        next_url = api_url("api_activity.list_office_actions", limit=limit, after=items[-1].id,
                           **kept)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return {"items": [office_action(a, supported.get(a.id, [])) for a in items],
            "next": next_url}, 200, headers


class StatusGroup(Schema):
    label = fields.String(required=True, metadata={"description": _l("Short name.")})
    name = fields.String(required=True)
    total = fields.Integer(required=True)
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class OverdueGroup(Schema):
    institution_id = fields.Integer(required=True)
    label = fields.String(required=True)
    name = fields.String(required=True)
    assignments = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class DashboardOut(Schema):
    statuses = fields.List(fields.Nested(schemas.Coded), required=True)
    overall = fields.Nested(StatusGroup, required=True)
    by_mechanism = fields.List(fields.Nested(StatusGroup), required=True)
    by_pillar = fields.List(fields.Nested(StatusGroup), required=True)
    by_institution = fields.List(fields.Nested(StatusGroup), required=True)
    without_lead = fields.Nested(StatusGroup, required=True)
    by_theme = fields.List(fields.Nested(StatusGroup), required=True)
    changes = fields.List(fields.Nested(StatusGroup), required=True, metadata={
        "description": _l("Status changes over the period, by month or quarter.")})
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    overdue = fields.List(fields.Nested(OverdueGroup), required=True)
    today = fields.Date(required=True)


def _group(counts) -> dict:
    return {"label": counts.label, "name": counts.name, "total": counts.total,
            "by_status": {s.value: n for s, n in zip(STATUSES, counts.counts, strict=True)}}


@bp.read("/dashboard", DashboardOut, summary=_l("The public dashboard's figures"),
         description=_l(
            "Published recommendations by status: overall, by mechanism, pillar, "
            "institution and theme; status changes over the period; institutions with "
            "overdue reports."))
def get_dashboard(**_args):
    figures = public_dashboard.dashboard()
    return {
        "statuses": [coded("status", s) for s in STATUSES],
        "overall": _group(figures.overall),
        "by_mechanism": [_group(c) for c in figures.by_mechanism],
        "by_pillar": [_group(c) for c in figures.by_pillar],
        "by_institution": [_group(c) for c in figures.by_institution],
        "without_lead": _group(figures.without_lead),
        "by_theme": [_group(c) for c in figures.by_theme],
        "changes": [_group(c) for c in figures.changes],
        "period_start": figures.period_start, "period_end": figures.period_end,
        "overdue": [{"institution_id": o.institution_id, "label": o.label, "name": o.name,
                     "assignments": o.assignments, "overdue": o.overdue}
                    for o in figures.overdue],
        "today": figures.today,
    }
