"""Work the office hands to the worker, through the API: imports and report jobs.

Scope ``jobs``. A request records the job and answers 202 with the address to poll; the
worker does the rest once the answer has gone. The services are those of the import and
export pages, with the same checks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from tracker.models import (
    ApiScope,
    ImplementationStatus,
    ImportFormat,
    ImportJob,
    JobState,
    ReportJob,
)
from tracker.services import exports as export_service
from tracker.services import import_jobs, import_messages
from tracker.services.errors import ServiceError
from tracker.services.report_queries import MAX_QUERY_LENGTH
from tracker.urls import API_PREFIX
from tracker.web.api import schemas
from tracker.web.api.auth import current_api_user
from tracker.web.api.common import ApiBlueprint, StrictParser, api_url, coded
from tracker.web.api.problems import ApiProblem, not_found
from tracker.web.api.writes import from_service_error, perform
from tracker.web.files import stream_stored

ONE_OF = _l("Must be one of: {choices}.")


class MultipartParser(StrictParser):
    """Read a multipart body's fields and files as one set of arguments."""

    __location_map__ = {**StrictParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.form, req.files]), schema)


class JobsBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **ApiBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "multipart": "multipart/form-data"}


bp = JobsBlueprint("api_jobs", __name__, url_prefix=API_PREFIX,
                   description=_l("Imports of recommendations and report jobs, run by a "
                                  "worker."))


# --- imports ---------------------------------------------------------------------------------


class ImportIn(schemas.StrictSchema):
    file = Upload(required=True, metadata={"description": _l("The file to import.")})
    format = fields.String(validate=validate.OneOf([f.value for f in ImportFormat],
                                                   error=ONE_OF), metadata={
        "description": _l("Told from the file's name and first bytes when left out.")})
    publish = fields.Boolean(load_default=False, metadata={
        "description": _l("Publish the recommendations it creates.")})
    keep_other_states = fields.Boolean(load_default=False, metadata={
        "description": _l("Keep the rows addressed to other States.")})


class ImportRowError(Schema):
    row = fields.Integer(allow_none=True, required=True)
    message = fields.String(required=True)
    level = fields.String(required=True)


class ImportOut(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(allow_none=True, required=True)
    format = fields.Nested(schemas.Coded, required=True)
    phase = fields.Nested(schemas.Coded, required=True, metadata={
        "description": _l("`previewing`, `preview_ready`, `importing`, `done`, `failed` or "
                          "`discarded`.")})
    working = fields.Boolean(required=True, metadata={
        "description": _l("Whether the worker is at it: poll again while true.")})
    progress = fields.Integer(required=True, metadata={"description": _l("Percent.")})
    rows = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": _l("Rows per outcome of the last run (preview or import).")})
    errors = fields.List(fields.Nested(ImportRowError), required=True)
    publish = fields.Boolean(required=True)
    keep_other_states = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True, metadata={"description": schemas.THIS_ADDRESS})


def _import(job: ImportJob) -> dict:
    return {"id": job.id, "filename": job.filename,
            "format": coded("import_format", job.source_format),
            "phase": coded("import_phase", job.phase), "working": job.working,
            "progress": job.progress, "rows": job.total_rows, "counts": job.counts or {},
            "errors": [{"row": e.get("row"), "message": import_messages.translate(e["message"]),
                        "level": e.get("level", "error")} for e in job.errors or []],
            "publish": job.publish, "keep_other_states": job.keep_other_states,
            "created_at": job.created_at, "finished_at": job.finished_at,
            "url": api_url("api_jobs.get_import", import_id=job.id)}


def _accepted(found: dict):
    return found, 202, {"Location": found["url"]}


@bp.route("/imports", methods=["POST"])
@bp.guarded(ApiScope.JOBS)
@bp.arguments(ImportIn, location="multipart")
@bp.response(202, ImportOut, description=_l("Kept; its preview is being built."))
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.doc(summary=_l("Upload a file to import"),
        description=_l("The file is checked at once as on the import page; a worker then "
                       "builds its preview, which imports nothing until it is confirmed. "
                       "Poll the address in Location."))
def start_import(body: dict):
    sent = body["file"]
    upload = import_jobs.Upload(filename=sent.filename, stream=sent.stream,
                                format=body.get("format"), publish=body["publish"],
                                keep_other_states=body["keep_other_states"])
    job = perform(import_jobs.start_import, current_api_user(), upload)
    if job.stored_file_id is None:  # refused: the history keeps the refusal, not the file
        message = import_messages.file_problem(job.errors[-1]["message"], job.filename)
        raise ApiProblem("validation-failed", [{"field": "file", "message": message}])
    return _accepted(_import(job))


def _visible_import(import_id: int) -> ImportJob:
    job = import_jobs.find_import(current_api_user(), import_id)
    if job is None:
        raise not_found()
    return job


@bp.route("/imports/<id:import_id>", methods=["GET"])
@bp.guarded(ApiScope.JOBS)
@bp.arguments(schemas.LangQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.response(200, ImportOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(summary=_l("Follow an import"))
def get_import(import_id: int, **_args):
    return _import(_visible_import(import_id))


@bp.route("/imports/<id:import_id>/confirm", methods=["POST"])
@bp.guarded(ApiScope.JOBS)
@bp.response(202, ImportOut, description=_l("Confirmed; the import is under way."))
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.doc(summary=_l("Confirm an import whose preview is ready"),
        description=_l("Runs the import the preview showed; once only."))
def confirm_import(import_id: int):
    _visible_import(import_id)
    return _accepted(_import(perform(import_jobs.confirm, current_api_user(), import_id)))


# --- report jobs -----------------------------------------------------------------------------


class ReportJobIn(schemas.StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(
        [t.code for t in export_service.EXPORT_TYPES], error=ONE_OF))
    public = fields.Boolean(load_default=False, metadata={
        "description": _l("Published recommendations only, for anyone to download.")})
    mechanism = schemas.id_field()
    document = schemas.id_field()
    institution = fields.String(validate=validate.Length(max=12), metadata={
        "description": _l("An institution id, or `none`: the recommendations assigned to "
                          "no institution.")})
    status = fields.String(validate=validate.OneOf(
        [s.value for s in ImplementationStatus], error=ONE_OF))
    term = schemas.id_field()
    published = fields.String(validate=validate.OneOf(["yes", "no"], error=ONE_OF))
    q = fields.String(validate=validate.Length(max=MAX_QUERY_LENGTH))
    period_start = fields.Date()
    period_end = fields.Date()


class ReportJobOut(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    state = fields.String(required=True, metadata={
        "description": _l("`queued`, `running`, `done` or `failed`.")})
    progress = fields.Integer(required=True)
    public = fields.Boolean(required=True)
    filters = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    error = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)
    download = fields.String(allow_none=True, required=True, metadata={
        "description": _l("The file's address, once it is built.")})


def _report_job(job: ReportJob) -> dict:
    ready = job.state == JobState.DONE and job.stored_file_id is not None
    return {"id": job.id, "type": export_service.export_type_of(job).code,
            "state": job.state.value, "progress": job.progress, "public": job.public,
            "filters": {k: str(v) for k, v in (job.filters or {}).items()},
            "error": job.error, "created_at": job.created_at, "finished_at": job.finished_at,
            "url": api_url("api_jobs.get_report_job", job_id=job.id),
            "download": api_url("api_jobs.report_job_file", job_id=job.id) if ready else None}


def _as_form(body: dict) -> dict[str, str]:
    """The request as the export form sends it, for the export service to check."""
    found = {key: str(value) for key, value in body.items() if value is not None}
    found["public"] = "yes" if body.get("public") else ""
    return found


@bp.route("/report-jobs", methods=["POST"])
@bp.guarded(ApiScope.JOBS)
@bp.arguments(ReportJobIn)
@bp.response(202, ReportJobOut, description=_l("Queued; a worker builds the file."))
@bp.doc(summary=_l("Ask for a report"),
        description=_l("The status matrix, the status report or a follow-up draft, over the "
                       "recommendations the filters choose. Poll the address in Location."))
def request_report_job(body: dict):
    try:
        wanted = export_service.parse_export_request(_as_form(body))
    except ServiceError as error:
        raise from_service_error(error) from None
    return _accepted(_report_job(perform(export_service.request_export, current_api_user(),
                                         wanted)))


def _visible_report_job(job_id: int) -> ReportJob:
    job = export_service.find_export(current_api_user(), job_id)
    if job is None:
        raise not_found()
    return job


@bp.route("/report-jobs/<id:job_id>", methods=["GET"])
@bp.guarded(ApiScope.JOBS)
@bp.arguments(schemas.LangQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.response(200, ReportJobOut)
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(summary=_l("Follow a report job"))
def get_report_job(job_id: int, **_args):
    return _report_job(_visible_report_job(job_id))


@bp.route("/report-jobs/<id:job_id>/file", methods=["GET"])
@bp.guarded(ApiScope.JOBS)
@bp.response(200, description=_l("The file."), content_type="application/octet-stream")
@bp.alt_response(404, response="NOT_FOUND")
@bp.doc(summary=_l("Download a report job's file"),
        description=_l("Once the job is done; until then, 404."))
def report_job_file(job_id: int):
    _visible_report_job(job_id)
    job = export_service.downloadable_export(current_api_user(), job_id)
    if job is None or job.stored_file is None:
        raise not_found()
    return stream_stored(job.stored_file, "private, no-store")
