"""Imports: the office uploads a file, reads its preview, decides, confirms, follows the job."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from tracker import policy
from tracker.i18n import file_size
from tracker.ids import parse_id, parse_page
from tracker.models import ImportFormat, ImportPhase
from tracker.services import import_jobs, import_messages, import_pages
from tracker.services.audit_registry import field_label
from tracker.services.errors import ServiceError
from tracker.web.access import require
from tracker.web.ids import arg_page
from tracker.web.review import bp
from tracker.web.transaction import run

# Seconds between two looks at a job being worked on (the script's, or the page's own).
REFRESH_SECONDS = 3
TICKED = ("y", "yes", "on", "1", "true")


class ImportForm(FlaskForm):
    """The CSRF token only: the import service reads and checks the fields themselves."""


def _ticked(name: str) -> bool:
    return (request.form.get(name) or "").strip().lower() in TICKED


def _job_or_404(import_id: int):
    job = import_jobs.find_import(current_user, import_id)
    if job is None:
        abort(404)
    return job


def _back(import_id: int, anchor: str | None = None):
    return redirect(url_for("review.import_job", import_id=import_id, _anchor=anchor))


# --- the history and the upload ------------------------------------------------------------------

@bp.get("/imports")
@require(policy.can_view_imports)
def imports():
    result = import_jobs.import_history(current_user, arg_page(),
                                        current_app.config.get("PAGE_SIZE", 25))
    return render_template("review/imports/list.html", result=result,
                           working=sum(job.working for job in result.items),
                           refresh_seconds=REFRESH_SECONDS)


def _upload_page(form, values, error: ServiceError | None = None, refused=None,
                 status: int = 200):
    return render_template(
        "review/imports/new.html", form=form, formats=list(ImportFormat),
        chosen=values.get("format") or "", publish=values.get("publish") in TICKED,
        keep_other_states=values.get("keep_other_states") in TICKED,
        limit=file_size(import_jobs.max_bytes()), error=error,
        error_field=error.field if error is not None else None, refused=refused,
        refusal=import_messages.file_problem(refused.errors[-1]["message"], refused.filename)
        if refused is not None else None), status


def _too_large():
    """Answer a request whose body passed MAX_CONTENT_LENGTH: it cannot even be read."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or import_jobs.max_bytes()
    message = _("The file is larger than the limit for imports, %(size)s.",
                size=file_size(min(limit, import_jobs.max_bytes())))
    return _upload_page(ImportForm(formdata=None), {},
                        ServiceError(message, status=413, field="file"), status=413)


@bp.route("/imports/new", methods=["GET", "POST"])
@require(policy.can_import)
def new_import():
    try:
        form = ImportForm()
        sent = request.files.get("file") if form.is_submitted() else None
    except RequestEntityTooLarge:
        return _too_large()
    if not form.is_submitted():
        return _upload_page(form, request.args)
    if not form.validate_on_submit():  # an expired or missing CSRF token
        return _upload_page(form, request.form, ServiceError(
            _("The form had expired. Choose the file and send it again.")), status=400)
    upload = import_jobs.Upload(
        filename=sent.filename if sent else None, stream=sent.stream if sent else None,
        format=request.form.get("format"), publish=_ticked("publish"),
        keep_other_states=_ticked("keep_other_states"))
    job, error = run(import_jobs.start_import, current_user, upload)
    if error is not None:
        return _upload_page(form, request.form, error, status=error.status)
    if job.stored_file_id is None:  # refused: the refusal is in the history, not the file
        return _upload_page(form, request.form, refused=job, status=400)
    flash(_("The file is kept and its preview is being built: nothing is imported until "
            "you confirm."), "success")
    return _back(job.id)


# --- one import: its preview, then its report ----------------------------------------------------

@bp.get("/imports/<id:import_id>")
@require(policy.can_view_imports)
def import_job(import_id: int):
    job = _job_or_404(import_id)
    shown = import_pages.import_page(
        job, request.args.get("outcome"), arg_page(), parse_page(request.args.get("cpage")),
        current_app.config.get("PAGE_SIZE", 25))
    failed = job.phase == ImportPhase.FAILED and job.errors
    return render_template(
        "review/imports/job.html", job=job, shown=shown, refresh_seconds=REFRESH_SECONDS,
        problem=import_messages.file_problem(job.errors[-1]["message"], job.filename)
        if failed else None,
        say=import_messages.translate, field_name=_field_name,
        field_names=lambda names: ", ".join(_field_name(name) for name in names))


def _field_name(name: str) -> str:
    return field_label("recommendation", name)


@bp.get("/imports/<id:import_id>/status")
@require(policy.can_view_imports)
def import_status(import_id: int):
    return jsonify(import_pages.status_of(_job_or_404(import_id)))


def _act(import_id: int, service, *args, done: str | None = None, anchor: str | None = None,
         **kwargs):
    """Run one change of an import's preview, say how it went, and show the import again."""
    if not ImportForm().validate_on_submit():
        abort(400)
    _job_or_404(import_id)
    _result, error = run(service, current_user, import_id, *args, **kwargs)
    if error is not None:
        if error.status == 404:
            abort(404)
        flash(str(error.message), "danger")
    elif done:
        flash(done, "success")
    return _back(import_id, anchor)


@bp.post("/imports/<id:import_id>/options")
@require(policy.can_import)
def import_options(import_id: int):
    return _act(import_id, import_jobs.change_options, publish=_ticked("publish"),
                keep_other_states=_ticked("keep_other_states"),
                done=_("The options are changed: the preview is being built again."))


def _rows(name: str) -> list[int]:
    return [row for row in (parse_id(value) for value in request.form.getlist(name)) if row]


@bp.post("/imports/<id:import_id>/conflicts")
@require(policy.can_import)
def import_conflicts(import_id: int):
    done = _("Your choices are saved: the preview is being built again with them.")
    every = request.form.get("every")
    if every in ("office", "file"):
        return _act(import_id, import_jobs.decide_all_conflicts, take_file=every == "file",
                    done=done, anchor="conflicts")
    shown = _rows("shown")
    take_file = [row for row in shown if request.form.get(f"choice-{row}") == "file"]
    return _act(import_id, import_jobs.decide_conflicts, shown, take_file, done=done,
                anchor="conflicts")


def _label_done(outcome) -> str:
    return _("“%(label)s” now means “%(term)s”, in this import and every later one: the "
             "preview is being built again.", label=outcome.label, term=outcome.term.name)


@bp.post("/imports/<id:import_id>/labels/map")
@require(policy.can_import)
def import_map_label(import_id: int):
    if not ImportForm().validate_on_submit():
        abort(400)
    _job_or_404(import_id)
    outcome, error = run(import_jobs.map_label, current_user, import_id,
                         request.form.get("vocabulary") or "", request.form.get("label") or "",
                         parse_id(request.form.get("term_id")))
    return _label_answer(import_id, outcome, error)


@bp.post("/imports/<id:import_id>/labels/term")
@require(policy.can_import)
def import_label_term(import_id: int):
    if not ImportForm().validate_on_submit():
        abort(400)
    _job_or_404(import_id)
    outcome, error = run(import_jobs.add_term_for_label, current_user, import_id,
                         request.form.get("vocabulary") or "", request.form.get("label") or "",
                         request.form.get("name_es"), request.form.get("name_en"))
    return _label_answer(import_id, outcome, error)


def _label_answer(import_id: int, outcome, error):
    if error is not None:
        if error.status == 404:
            abort(404)
        flash(_("The label was not mapped: %(reason)s", reason=error.message), "danger")
        return _back(import_id, "labels")
    flash(_label_done(outcome), "success")
    return _back(import_id)


@bp.post("/imports/<id:import_id>/confirm")
@require(policy.can_import)
def confirm_import(import_id: int):
    return _act(import_id, import_jobs.confirm,
                done=_("The import is confirmed: this page follows it to its end."))


@bp.post("/imports/<id:import_id>/discard")
@require(policy.can_import)
def discard_import(import_id: int):
    return _act(import_id, import_jobs.discard,
                done=_("The preview is discarded: nothing of the file was imported."))
