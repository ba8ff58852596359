"""Exports: the office asks for a file, follows its build, then downloads or deletes it."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from tracker import policy
from tracker.models import JobState
from tracker.services import curation_queries
from tracker.services import exports as export_service
from tracker.services.errors import ServiceError
from tracker.web.access import require
from tracker.web.ids import arg_page
from tracker.web.review import bp
from tracker.web.transaction import run

# Seconds between two looks at a list that still has exports being built.
REFRESH_SECONDS = 5


class ExportForm(FlaskForm):
    """The CSRF token only: the export service reads and checks the fields themselves."""


def _form_page(form: ExportForm, values, error: ServiceError | None = None,
               status: int = 200):
    """Draw the request form with the filters carried over and the choices made so far."""
    # Only the filters that parse are carried on; the message says what was dropped.
    filters = curation_queries.parse_filters(values)
    types = export_service.EXPORT_TYPES
    chosen = values.get("type")
    if chosen not in {t.code for t in types}:
        chosen = types[0].code
    return render_template(
        "review/exports/new.html", form=form, types=types, chosen=chosen,
        public=values.get("public") == "y",
        period_start=values.get("period_start") or "", period_end=values.get("period_end") or "",
        filters=filters, described=export_service.describe_filters(filters.as_args()),
        has_scope=filters.document_id is not None or filters.mechanism_id is not None,
        error=error, error_field=error.field if error is not None else None), status


@bp.route("/exports/new", methods=["GET", "POST"])
@require(policy.can_request_exports)
def new_export():
    form = ExportForm()
    if not form.is_submitted():
        return _form_page(form, request.args)
    if not form.validate_on_submit():  # an expired or missing CSRF token
        return _form_page(form, request.form, ServiceError(
            _("The form had expired. Check the choices and send it again.")), 400)
    try:
        wanted = export_service.parse_export_request(request.form)
    except ServiceError as error:
        return _form_page(form, request.form, error, error.status)
    _job, error = run(export_service.request_export, current_user, wanted)
    if error is not None:
        return _form_page(form, request.form, error, error.status)
    flash(_("Your export is queued. This page shows how its build goes; download the file "
            "here once it is ready."), "success")
    return redirect(url_for("review.exports"))


@bp.get("/exports")
@require(policy.can_request_exports)
def exports():
    result = export_service.export_jobs(current_user, arg_page(),
                                        current_app.config.get("PAGE_SIZE", 25))
    jobs = [(job, export_service.export_type_of(job),
             export_service.describe_filters(job.filters or {})) for job in result.items]
    building = sum(job.state in (JobState.QUEUED, JobState.RUNNING) for job in result.items)
    return render_template("review/exports/list.html", result=result, jobs=jobs,
                           building=building, refresh_seconds=REFRESH_SECONDS)


@bp.post("/exports/<id:job_id>/delete")
@require(policy.can_request_exports)
def delete_export(job_id: int):
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    _result, error = run(export_service.delete_export, current_user, job_id)
    if error is not None:
        if error.status == 404:
            abort(404)
        flash(str(error.message), "danger")
    else:
        flash(_("The export and its file have been deleted."), "success")
    return redirect(url_for("review.exports"))
