"""What the progress-report operations read and answer, and a report in its API form.

Input schemas give the fields' types; the rules (a title, recommendations assigned to
the institution, a period that does not end before it starts…) stay the services'.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from tracker.models import MeasureKind, ReportState
from tracker.services.evidence import MAX_LABEL, MAX_URL
from tracker.services.reports import MAX_DESCRIPTION, MAX_TITLE
from tracker.web.api import schemas
from tracker.web.api.common import api_url, coded, named
from tracker.web.api.recommendations import ONE_OF
from tracker.web.api.workspace import RecommendationRef, recommendation_ref
from tracker.web.api.writes import conflict_schema, version_field
from tracker.web.helpers import web_url

MAX_RECOMMENDATIONS = 1000


def _enum(enum, **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf([e.value for e in enum], error=ONE_OF),
                         **kwargs)


class ReportFields(schemas.StrictSchema):
    """A report's content, every field optional (PATCH: what is left out stays)."""

    title = fields.String(validate=validate.Length(max=MAX_TITLE))
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION),
                                metadata={"description": schemas.MARKDOWN})
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    measure_kind = _enum(MeasureKind)
    recommendation_ids = fields.List(
        schemas.id_field(), validate=validate.Length(max=MAX_RECOMMENDATIONS),
        metadata={"description": _l("Recommendations assigned to the institution.")})


class ReportCreate(ReportFields):
    title = fields.String(required=True, validate=validate.Length(max=MAX_TITLE))
    measure_kind = _enum(MeasureKind, load_default=MeasureKind.OTHER.value)
    recommendation_ids = fields.List(
        schemas.id_field(), required=True, validate=validate.Length(max=MAX_RECOMMENDATIONS),
        metadata={"description": _l("Recommendations assigned to the institution.")})


class ReportChange(ReportFields):
    version = version_field()


class VersionIn(schemas.StrictSchema):
    version = version_field()


class ReportListQuery(schemas.LangQuery):
    state = _enum(ReportState, load_default=ReportState.DRAFT.value,
                  metadata={"description": _l(
                      "The reports in this state (default: `draft`).")})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))


class LinkIn(schemas.StrictSchema):
    url = fields.String(required=True, validate=validate.Length(max=MAX_URL),
                        metadata={"description": _l("An http or https address.")})
    label = fields.String(load_default="", validate=validate.Length(max=MAX_LABEL))
    is_public = fields.Boolean(load_default=False, metadata={"description": _l(
        "Shown on the public site once the report is approved as public.")})


class FileField(Upload):
    """A file part of a multipart body (text typed in its place is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError(_("Must be a file."))
        return value


class FileIn(schemas.StrictSchema):
    file = FileField(required=True, metadata={
        "description": _l("PDF, Word, Excel, OpenDocument, JPEG or PNG; its type is read from "
                          "its bytes.")})
    label = fields.String(load_default="", validate=validate.Length(max=MAX_LABEL))
    is_public = fields.Boolean(load_default=False)


class ReportEvidence(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["file", "link"]))
    label = fields.String(required=True)
    url = fields.String(allow_none=True, required=True, metadata={
        "description": _l("The link, or the file's address on the site.")})
    filename = fields.String(allow_none=True, required=True)
    content_type = fields.String(allow_none=True, required=True)
    size = fields.Integer(allow_none=True, required=True)
    is_public = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class ReportStep(Schema):
    from_state = fields.Nested(schemas.Coded, allow_none=True, required=True)
    to_state = fields.Nested(schemas.Coded, required=True)
    at = fields.DateTime(required=True)
    by = fields.String(allow_none=True, required=True, metadata={
        "description": _l("Who made the step (`null`: an account since deleted).")})
    comment = fields.String(allow_none=True, required=True)


class InstitutionReportSummary(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True, metadata={
        "description": _l("Send it back with a change: a change made since is refused.")})
    title = fields.String(required=True)
    state = fields.Nested(schemas.Coded, required=True)
    measure_kind = fields.Nested(schemas.Coded, required=True)
    period_start = fields.Date(allow_none=True, required=True)
    period_end = fields.Date(allow_none=True, required=True)
    recommendations = fields.List(fields.Nested(RecommendationRef), required=True)
    updated_at = fields.DateTime(required=True)
    url = fields.String(required=True)


class InstitutionReport(InstitutionReportSummary):
    description = fields.String(required=True, metadata={"description": schemas.MARKDOWN})
    institution = fields.Nested(schemas.Named, required=True)
    visibility = fields.Nested(schemas.Coded, allow_none=True, required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)
    evidence = fields.List(fields.Nested(ReportEvidence), required=True)
    transitions = fields.List(fields.Nested(ReportStep), required=True)


class InstitutionReportList(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    items = fields.List(fields.Nested(InstitutionReportSummary), required=True)
    next = fields.String(allow_none=True, required=True)


InstitutionReportConflict = conflict_schema(InstitutionReport, "InstitutionReportConflict")


def report_summary(report) -> dict:
    """A report as lists show it."""
    return {
        "id": report.id, "version": report.version, "title": report.title,
        "state": coded("report_state", report.state),
        "measure_kind": coded("measure_kind", report.measure_kind),
        "period_start": report.period_start, "period_end": report.period_end,
        "recommendations": [recommendation_ref(rec) for rec in report.recommendations],
        "updated_at": report.updated_at,
        "url": api_url("api_reports.get_report", report_id=report.id),
    }


def evidence_out(item) -> dict:
    stored = item.stored_file
    return {
        "id": item.id, "kind": item.kind.value, "label": item.label, "is_public": item.is_public,
        "url": (api_url("api_evidence.download", evidence_id=item.id) if stored is not None
                else web_url(item.url)),
        "filename": stored.filename if stored is not None else None,
        "content_type": stored.content_type if stored is not None else None,
        "size": stored.size if stored is not None else None,
        "created_at": item.created_at,
    }


def report_out(report) -> dict:
    """A report of the caller's institution, whole: its evidence and its history."""
    return {
        **report_summary(report),
        "description": report.description, "institution": named(report.institution),
        "visibility": coded("visibility", report.visibility),
        "submitted_at": report.submitted_at, "decided_at": report.decided_at,
        "evidence": [evidence_out(item) for item in report.evidence],
        "transitions": [{
            "from_state": coded("report_state", step.from_state),
            "to_state": coded("report_state", step.to_state), "at": step.at,
            "by": step.actor.name if step.actor else None, "comment": step.comment,
        } for step in report.transitions],
    }
