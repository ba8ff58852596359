"""Routes of a progress report: write, edit, submit, delete, read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from tracker import policy
from tracker.extensions import db
from tracker.models import ProgressReport, Recommendation, ReportState
from tracker.services import reports
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.focal import bp
from tracker.web.focal.common import own_report_or_404, parse_version, show_error
from tracker.web.focal.forms import (
    EvidenceFileForm,
    EvidenceLinkForm,
    ReportActionForm,
    ReportForm,
)
from tracker.web.ids import arg_id
from tracker.web.transaction import already_done, run_once


def recommendation_options(report: ProgressReport | None = None) -> list[Recommendation]:
    """Return the recommendations the form offers: those assigned, plus those already covered."""
    options = list(db.session.scalars(
        reports.assignable_recommendations_query(current_user)
        .options(selectinload(Recommendation.mechanism))
        .order_by(Recommendation.reference)))
    if report is not None:
        known = {rec.id for rec in options}
        options += [rec for rec in report.recommendations if rec.id not in known]
    return options


def _form(options, **kwargs) -> ReportForm:
    choices = [SelectChoice(str(rec.id), rec.reference) for rec in options]
    return ReportForm(recommendation_choices=choices, **kwargs)


def report_page(report: ProgressReport, status: int = 200, error: str | None = None,
                file_form: EvidenceFileForm | None = None,
                link_form: EvidenceLinkForm | None = None):
    """Render a report's page in the workspace, with its evidence forms and history."""
    return render_template(
        "focal/report.html", report=report, error=error,
        file_form=file_form or EvidenceFileForm(formdata=None),
        link_form=link_form or EvidenceLinkForm(formdata=None),
        can_edit=policy.can_edit_report(current_user, report),
        can_delete=policy.can_delete_report(current_user, report),
    ), status


def _form_page(form, options, report=None, status=200, error=None, typed=None):
    return render_template("focal/report_form.html", form=form, options=options, report=report,
                           error=error, typed=typed), status


@bp.route("/reports/new", methods=["GET", "POST"])
@require(policy.can_write_reports)
def new_report():
    options = recommendation_options()
    form = _form(options)
    if request.method == "GET":
        wanted = arg_id("rec")
        form.recommendation_ids.data = [wanted] if wanted in {r.id for r in options} else []
        form.measure_kind.data = "other"
    elif form.validate_on_submit():
        report, error, earlier = run_once(
            form.submission_key.data, lambda made: url_for("focal.report", report_id=made.id),
            reports.create_report, current_user, form.to_input())
        if earlier:
            return already_done(earlier)
        if error is None:
            flash(_("The draft is saved. Add evidence, then submit it when it is ready."),
                  "success")
            return redirect(url_for("focal.report", report_id=report.id))
        message = None if show_error(form, error) else str(error.message)
        return _form_page(form, options, status=error.status, error=message)
    else:
        return _form_page(form, options, status=400)
    return _form_page(form, options)


@bp.get("/reports/<id:report_id>")
@require(policy.can_use_institution_workspace)
def report(report_id: int):
    return report_page(own_report_or_404(report_id))


def _refusal(report: ProgressReport) -> str:
    if report.state == ReportState.SUBMITTED:
        return _("This report has been submitted for review and can no longer be changed.")
    return _("This report has been approved and can no longer be changed.")


@bp.route("/reports/<id:report_id>/edit", methods=["GET", "POST"])
@require(policy.can_write_reports)
def edit_report(report_id: int):
    report = own_report_or_404(report_id)
    if not policy.can_edit_report(current_user, report):
        return report_page(report, 409, _refusal(report))
    options = recommendation_options(report)
    if request.method == "GET":
        form = _form(options, obj=report)
        form.recommendation_ids.data = [rec.id for rec in report.recommendations]
        return _form_page(form, options, report)
    form = _form(options)
    if not form.validate_on_submit():
        return _form_page(form, options, report, status=400)
    _result, error, earlier = run_once(
        form.submission_key.data, lambda _saved: url_for("focal.report", report_id=report_id),
        reports.update_report, current_user, report.id, parse_version(form.version.data),
        form.to_input())
    if earlier:
        return already_done(earlier)
    if error is None:
        flash(_("Your changes are saved."), "success")
        return redirect(url_for("focal.report", report_id=report.id))
    if isinstance(error, ConflictError):
        # Show the current version, and keep what the user typed beside it to copy from.
        typed = form.to_input()
        current = _form(options, formdata=None, obj=report)
        current.recommendation_ids.data = [rec.id for rec in report.recommendations]
        return _form_page(current, options, report, status=409, error=str(error.message),
                          typed=typed)
    if error.status in (403, 409) and not error.field:
        return report_page(report, error.status, str(error.message))
    message = None if show_error(form, error) else str(error.message)
    return _form_page(form, options, report, status=error.status, error=message)


def _transition(report_id: int, service, done: str, target):
    report = own_report_or_404(report_id)
    form = ReportActionForm()
    if not form.validate_on_submit():
        return report_page(report, 400, _("The form expired. Reload the page and try again."))
    _result, error, earlier = run_once(form.submission_key.data, lambda _done: target,
                                       service, current_user, report.id,
                                       parse_version(form.version.data))
    if earlier:
        return already_done(earlier)
    if error is not None:
        return report_page(own_report_or_404(report_id), error.status, str(error.message))
    flash(done, "success")
    return redirect(target)


@bp.post("/reports/<id:report_id>/submit")
@require(policy.can_write_reports)
def submit_report(report_id: int):
    return _transition(report_id, reports.submit_report,
                       _("The report was sent to the office for review."),
                       url_for("focal.report", report_id=report_id))


@bp.post("/reports/<id:report_id>/delete")
@require(policy.can_write_reports)
def delete_report(report_id: int):
    return _transition(report_id, reports.delete_report, _("The draft was deleted."),
                       url_for("focal.reports", state="draft"))

