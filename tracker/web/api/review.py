"""The office's review through the API: the queue of submitted reports, the decisions on
them, and the assessment of a recommendation's status. Scope ``review``; the services are
those of the review pages, so a token may do exactly what its holder may do there."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from tracker.extensions import db
from tracker.models import (
    ApiScope,
    ImplementationStatus,
    ProgressReport,
    Recommendation,
    ReportVisibility,
)
from tracker.services import assessments, reports
from tracker.services import report_queries as queries
from tracker.services.catalogue.listing import MAX_PER_PAGE
from tracker.web.api import schemas
from tracker.web.api.auth import current_api_user
from tracker.web.api.common import api_url, blueprint, coded, named
from tracker.web.api.problems import PROBLEM_TYPE
from tracker.web.api.writes import conflict_schema, perform, version_field

bp = blueprint("api_review", "",
               _l("The office's review: submitted reports and status assessments."))

ONE_OF = _l("Must be one of: {choices}.")
REPORT_CHANGED = _l("The report changed since it was read, or is no longer waiting.")


class QueueQuery(schemas.LangQuery):
    institution = schemas.id_field(metadata={"description": _l("Reports of this institution.")})
    mechanism = schemas.id_field(metadata={
        "description": _l("Reports covering a recommendation of this mechanism.")})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    limit = fields.Integer(load_default=25, validate=validate.Range(1, MAX_PER_PAGE))


class Reference(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)


class QueueItem(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    institution = fields.Nested(schemas.Named, required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    waiting_days = fields.Integer(required=True)
    resubmitted = fields.Boolean(required=True, metadata={
        "description": _l("Whether it was returned before and comes back.")})
    evidence_count = fields.Integer(required=True)
    recommendations = fields.List(fields.Nested(Reference), required=True)


class QueueOut(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    items = fields.List(fields.Nested(QueueItem), required=True)
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": schemas.NEXT_PAGE})


class DecidedReport(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    state = fields.Nested(schemas.Coded, required=True)
    visibility = fields.Nested(schemas.Coded, allow_none=True, required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)


ReportConflict = conflict_schema(DecidedReport, "ReportConflict")


class ApproveIn(schemas.StrictSchema):
    version = version_field()
    visibility = fields.String(required=True, validate=validate.OneOf(
        [v.value for v in ReportVisibility], error=ONE_OF), metadata={
        "description": _l("`public`: shown on the public site; `internal`: for the office "
                          "only.")})
    comment = fields.String(load_default="", validate=validate.Length(max=reports.MAX_COMMENT))


class ReturnIn(schemas.StrictSchema):
    version = version_field()
    comment = fields.String(required=True, validate=validate.Length(
        min=1, max=reports.MAX_COMMENT), metadata={"description": _l("What should change.")})


class AssessmentIn(schemas.StrictSchema):
    version = version_field(_l("The recommendation's version last read."))
    status = fields.String(required=True, validate=validate.OneOf(
        [s.value for s in ImplementationStatus], error=ONE_OF))
    rationale = fields.String(required=True, validate=validate.Length(
        min=1, max=assessments.RATIONALE_MAX))
    report_ids = fields.List(schemas.id_field(), load_default=list,
                             validate=validate.Length(max=100), metadata={
        "description": _l("Approved progress reports covering it that the assessment rests on.")})


class AssessmentCreated(Schema):
    id = fields.Integer(required=True)
    recommendation_id = fields.Integer(required=True)
    recommendation_version = fields.Integer(required=True)
    status = fields.Nested(schemas.Coded, required=True)
    rationale = fields.String(required=True)
    assessed_at = fields.DateTime(required=True)
    report_ids = fields.List(fields.Integer(), required=True)


class RecommendationStatus(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    status = fields.Nested(schemas.Coded, required=True)
    status_assessed_at = fields.DateTime(allow_none=True, required=True)


RecommendationConflict = conflict_schema(RecommendationStatus, "RecommendationConflict")


def _conflict(schema, what):
    """Document a write's 409; ``what`` is a lazy text."""
    return bp.alt_response(409, schema=schema, content_type=PROBLEM_TYPE, description=what)


# --- the queue and the decisions -------------------------------------------------------------


def _queue_item(row: queries.QueueRow) -> dict:
    report = row.report
    return {"id": report.id, "version": report.version, "title": report.title,
            "institution": named(report.institution), "submitted_at": report.submitted_at,
            "waiting_days": row.waiting_days, "resubmitted": row.resubmitted,
            "evidence_count": row.evidence_count,
            "recommendations": [{"id": r.id, "reference": r.reference}
                                for r in report.recommendations]}


@bp.route("/review/queue", methods=["GET"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(QueueQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.response(200, QueueOut)
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary=_l("List the submitted reports waiting for review"),
        description=_l("The longest waiting first, as on the review queue's page."))
def review_queue(page: int, limit: int, institution: int | None = None,
                 mechanism: int | None = None, **_args):
    filters = queries.QueueFilters(institution_id=institution, mechanism_id=mechanism)
    found = queries.review_queue(current_api_user(), filters, page, limit)
    next_url = None
    if found.page * found.per_page < found.total:
        next_url = api_url("api_review.review_queue", page=found.page + 1, limit=limit,
                           **filters.as_args())
    return {"total": found.total, "page": found.page,
            "items": [_queue_item(row) for row in found.items], "next": next_url}


def _decided(report: ProgressReport) -> dict:
    return {"id": report.id, "version": report.version,
            "state": coded("report_state", report.state),
            "visibility": coded("visibility", report.visibility),
            "decided_at": report.decided_at}


def _report_now(report_id: int):
    def current():
        report = db.session.get(ProgressReport, report_id)
        return report.version, _decided(report)

    return current


def _decide(service, report_id: int, version: int, **kwargs) -> dict:
    report = perform(service, current_api_user(), report_id, version,
                     renamed={"decision": "visibility"}, current=_report_now(report_id),
                     **kwargs)
    return _decided(report)


@bp.route("/reports/<id:report_id>/approve", methods=["POST"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(ApproveIn)
@bp.response(200, DecidedReport)
@bp.alt_response(404, response="NOT_FOUND")
@_conflict(ReportConflict, REPORT_CHANGED)
@bp.doc(summary=_l("Approve a submitted report"),
        description=_l("Public or internal; the institution is told by e-mail and its due "
                       "dates move on."))
def approve_report(body: dict, report_id: int):
    return _decide(reports.approve_report, report_id, body["version"],
                   visibility=ReportVisibility(body["visibility"]), comment=body["comment"])


@bp.route("/reports/<id:report_id>/return", methods=["POST"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(ReturnIn)
@bp.response(200, DecidedReport)
@bp.alt_response(404, response="NOT_FOUND")
@_conflict(ReportConflict, REPORT_CHANGED)
@bp.doc(summary=_l("Return a submitted report to its institution"),
        description=_l("With a comment saying what should change; the institution is told "
                       "by e-mail."))
def return_report(body: dict, report_id: int):
    return _decide(reports.return_report, report_id, body["version"], comment=body["comment"])


# --- assessments -----------------------------------------------------------------------------


def _recommendation_now(rec_id: int):
    def current():
        rec = db.session.get(Recommendation, rec_id)
        return rec.version, {"id": rec.id, "version": rec.version,
                             "status": coded("status", rec.status),
                             "status_assessed_at": rec.status_assessed_at}

    return current


@bp.route("/recommendations/<id:rec_id>/assessments", methods=["POST"])
@bp.guarded(ApiScope.REVIEW)
@bp.arguments(AssessmentIn)
@bp.response(201, AssessmentCreated)
@bp.alt_response(404, response="NOT_FOUND")
@_conflict(RecommendationConflict, _l("The recommendation changed since it was read."))
@bp.doc(summary=_l("Assess a recommendation's implementation status"),
        description=_l("The assessment becomes the recommendation's current status, shown "
                       "on the public site when it is published."))
def assess_recommendation(body: dict, rec_id: int):
    found = perform(assessments.assess, current_api_user(), rec_id, body["status"],
                    body["rationale"], body["report_ids"], body["version"],
                    current=_recommendation_now(rec_id))
    rec = found.recommendation
    location = api_url("api_recommendations.get_recommendation", rec_id=rec.id)
    return {"id": found.id, "recommendation_id": rec.id, "recommendation_version": rec.version,
            "status": coded("status", found.status), "rationale": found.rationale,
            "assessed_at": found.assessed_at, "report_ids": [r.id for r in found.reports]
            }, 201, {"Location": location}
