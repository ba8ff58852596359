"""An institution's progress reports through the API: read, write, attach evidence, submit.

The same services and the same policy as the institution workspace's pages; each write
commits once on success and saves nothing when refused.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from tracker import policy
from tracker.extensions import db
from tracker.models import ApiScope, ProgressReport, ReportState
from tracker.services import evidence as evidence_service
from tracker.services import report_queries as queries
from tracker.services import reports
from tracker.web.api import schemas
from tracker.web.api.common import api_url, blueprint
from tracker.web.api.problems import PROBLEM_TYPE, ApiProblem, field_errors, not_found
from tracker.web.api.progress_schemas import (
    FileIn,
    InstitutionReport,
    InstitutionReportConflict,
    InstitutionReportList,
    LinkIn,
    ReportChange,
    ReportCreate,
    ReportEvidence,
    ReportListQuery,
    VersionIn,
    evidence_out,
    report_out,
    report_summary,
)
from tracker.web.api.workspace import next_page, workspace_user
from tracker.web.api.writes import perform, version_field

bp = blueprint("api_reports", "/reports", _l(
    "The progress reports of the token holder's institution, and their evidence."))

READ, WRITE = ApiScope.READ, ApiScope.REPORTS
ONLY_FOCAL = _l("Only for a focal point's token: the reports of the holder's institution.")


def focal_only(text) -> LazyString:
    """An operation's description, opening with the sentence every one of them shares; both
    lazy texts, joined when the document is written, so in the reader's language."""
    return LazyString(lambda: f"{ONLY_FOCAL} {text}")


class VersionQuery(schemas.LangQuery):
    version = version_field()


def own_report(report_id: int) -> ProgressReport:
    """A report of the caller's institution; any other is not found, revealing nothing."""
    report = db.session.get(ProgressReport, report_id)
    if report is None or not policy.is_own_institution(workspace_user(), report.institution_id):
        raise not_found()
    return report


def _current(report_id: int):
    """The report as it stands now, for a conflict's answer (read after the rollback)."""
    def current():
        report = own_report(report_id)
        return report.version, report_out(report)

    return current


def _documented_errors(*statuses: int):
    """Document the usual refusals of a write, each as a problem document."""
    names = {400: "BAD_REQUEST", 404: "NOT_FOUND", 413: "REQUEST_ENTITY_TOO_LARGE",
             415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE_ENTITY",
             429: "TOO_MANY_REQUESTS"}

    def decorate(view):
        for status in statuses:
            view = bp.alt_response(status, response=names[status])(view)
        return view

    return decorate


def _conflict_documented(view):
    return bp.alt_response(
        409, schema=InstitutionReportConflict, content_type=PROBLEM_TYPE,
        description=_l("The version sent is not the current one, or the report's state no "
                       "longer allows the change: the body holds the report as it stands and "
                       "its version."))(view)


@bp.read("", InstitutionReportList, query=ReportListQuery, scope=READ,
         summary=_l("List my institution's progress reports"),
         description=focal_only(_l("In one state at a time, the most recently changed first.")))
def list_reports(state: str, page: int, limit: int, **_args):
    found = queries.institution_reports(workspace_user(), ReportState(state), page, limit)
    next_url = next_page("api_reports.list_reports", found)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return {"total": found.total, "page": found.page, "next": next_url,
            "items": [report_summary(r) for r in found.items]}, 200, headers


@bp.read("/<id:report_id>", InstitutionReport, scope=READ, not_found=True,
         summary=_l("Read one of my institution's progress reports"),
         description=focal_only(_l("With its version, state, recommendations, evidence and "
                                   "history of transitions.")))
def get_report(report_id: int, **_args):
    return report_out(own_report(report_id))


@bp.route("", methods=["POST"])
@bp.guarded(WRITE)
@bp.arguments(ReportCreate)
@bp.response(201, InstitutionReport, headers={"Location": {
    "description": _l("The new report's address."), "schema": {"type": "string"}}})
@_documented_errors(400, 413, 422, 429)
@bp.doc(summary=_l("Write a draft progress report"),
        description=focal_only(_l("The draft covers recommendations assigned to the "
                                  "institution; add evidence, then submit it.")))
def create_report(data: dict):
    report = perform(reports.create_report, workspace_user(), reports.ReportInput(**data))
    url = api_url("api_reports.get_report", report_id=report.id)
    return report_out(report), 201, {"Location": url}


@bp.route("/<id:report_id>", methods=["PATCH"])
@bp.guarded(WRITE)
@bp.arguments(ReportChange)
@bp.response(200, InstitutionReport)
@_conflict_documented
@_documented_errors(400, 404, 413, 422, 429)
@bp.doc(summary=_l("Change a draft or returned report"),
        description=focal_only(_l("Send the version last read and the fields to change; the "
                                  "others stay as they are.")))
def update_report(data: dict, report_id: int):
    report = own_report(report_id)
    version = data.pop("version")
    content = reports.ReportInput(
        title=report.title, description=report.description,
        period_start=report.period_start, period_end=report.period_end,
        measure_kind=report.measure_kind,
        recommendation_ids=[rec.id for rec in report.recommendations])
    for key, value in data.items():
        setattr(content, key, value)
    perform(reports.update_report, workspace_user(), report.id, version, content,
            current=_current(report_id))
    return report_out(own_report(report_id))


@bp.route("/<id:report_id>", methods=["DELETE"])
@bp.guarded(WRITE)
@bp.arguments(VersionQuery, location="query", error_status_code=400)
@bp.response(204)
@_conflict_documented
@_documented_errors(400, 404, 429)
@bp.doc(summary=_l("Delete a draft"),
        description=focal_only(_l("Only a draft never submitted, with the version last read.")))
def delete_report(args: dict, report_id: int):
    report = own_report(report_id)
    perform(reports.delete_report, workspace_user(), report.id, args["version"],
            current=_current(report_id))
    return current_app.response_class(status=204)


@bp.route("/<id:report_id>/submit", methods=["POST"])
@bp.guarded(WRITE)
@bp.arguments(VersionIn)
@bp.response(200, InstitutionReport)
@_conflict_documented
@_documented_errors(400, 404, 413, 422, 429)
@bp.doc(summary=_l("Submit a report for review"),
        description=focal_only(_l("Sends a draft or returned report to the office, with the "
                                  "version last read.")))
def submit_report(data: dict, report_id: int):
    report = own_report(report_id)
    perform(reports.submit_report, workspace_user(), report.id, data["version"],
            current=_current(report_id))
    return report_out(own_report(report_id))


def _load(schema, raw) -> dict:
    try:
        return schema().load(raw)
    except ValidationError as exc:
        raise ApiProblem("validation-failed", field_errors(exc.messages)) from None


def _evidence_body() -> tuple[str, dict]:
    """Say whether the body brings a file (multipart) or a link (JSON), and read it."""
    if request.mimetype == "multipart/form-data":
        return "file", _load(FileIn, {**request.form.to_dict(), **request.files.to_dict()})
    if request.is_json:
        body = request.get_json(silent=True)
        if body is None:
            raise ApiProblem("invalid-json")
        return "link", _load(LinkIn, body)
    raise ApiProblem("unsupported-media-type", extra={"detail": _(
        "Send a file as multipart/form-data, or a link as JSON.")})


@bp.route("/<id:report_id>/evidence", methods=["POST"])
@bp.guarded(WRITE)
@bp.response(201, ReportEvidence)
@_conflict_documented
@_documented_errors(400, 404, 413, 415, 422, 429)
@bp.doc(summary=_l("Attach evidence to a draft or returned report"),
        description=focal_only(_l(
            "A file (multipart/form-data: `file`, `label`, `is_public`) or a link (JSON: "
            "`url`, `label`, `is_public`). A file's type is read from its bytes; the size "
            "limit is the site's.")),
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": FileIn},
                                                   "application/json": {"schema": LinkIn}}})
def add_evidence(report_id: int):
    report = own_report(report_id)
    kind, data = _evidence_body()
    user, current = workspace_user(), _current(report_id)
    if kind == "link":
        item = perform(evidence_service.add_link, user, report.id, url=data["url"],
                       is_public=data["is_public"], label=data["label"], current=current)
    else:
        upload = data["file"]
        # One byte over the limit is enough for the service to refuse it.
        content = upload.read(evidence_service.max_bytes() + 1)
        item = perform(evidence_service.attach_file, user, report.id, filename=upload.filename,
                       data=content, is_public=data["is_public"], label=data["label"],
                       current=current)
    return evidence_out(item), 201


@bp.route("/<id:report_id>/evidence/<id:evidence_id>", methods=["DELETE"])
@bp.guarded(WRITE)
@bp.response(204)
@_conflict_documented
@_documented_errors(404, 429)
@bp.doc(summary=_l("Remove evidence from a draft or returned report"),
        description=focal_only(_l("The file's stored bytes go with it.")))
def remove_evidence(report_id: int, evidence_id: int):
    report = own_report(report_id)
    perform(evidence_service.remove_evidence, workspace_user(), report.id, evidence_id,
            current=_current(report_id))
    return current_app.response_class(status=204)
