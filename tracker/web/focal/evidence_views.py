"""Routes that attach and remove a report's evidence (files and links)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import policy
from tracker.services import evidence as evidence_service
from tracker.web.access import require
from tracker.web.focal import bp
from tracker.web.focal.common import own_report_or_404, show_error
from tracker.web.focal.forms import EvidenceFileForm, EvidenceLinkForm, ReportActionForm
from tracker.web.focal.report_views import report_page
from tracker.web.transaction import run


def _refused_unless_editable(report):
    if policy.can_edit_report(current_user, report):
        return None
    return report_page(report, 409, _("Evidence can only be changed while the report is a "
                                      "draft or returned for changes."))


@bp.post("/reports/<id:report_id>/evidence/file")
@require(policy.can_write_reports)
def attach_file(report_id: int):
    report = own_report_or_404(report_id)
    if (refused := _refused_unless_editable(report)) is not None:
        return refused
    form = EvidenceFileForm()
    if not form.validate_on_submit():
        return report_page(report, 400, file_form=form)
    upload = form.file.data
    # One byte over the limit is enough for the service to refuse it.
    data = upload.read(evidence_service.max_bytes() + 1)
    _result, error = run(evidence_service.attach_file, current_user, report.id,
                   filename=upload.filename, data=data,
                   is_public=form.visibility.data == "public", label=form.label.data)
    if error is not None:
        report = own_report_or_404(report_id)
        message = None if show_error(form, error) else str(error.message)
        return report_page(report, error.status, message, file_form=form)
    flash(_("The file is attached."), "success")
    return redirect(url_for("focal.report", report_id=report.id, _anchor="evidence"))


@bp.post("/reports/<id:report_id>/evidence/link")
@require(policy.can_write_reports)
def add_link(report_id: int):
    report = own_report_or_404(report_id)
    if (refused := _refused_unless_editable(report)) is not None:
        return refused
    form = EvidenceLinkForm()
    if not form.validate_on_submit():
        return report_page(report, 400, link_form=form)
    _result, error = run(evidence_service.add_link, current_user, report.id, url=form.url.data,
                   is_public=form.visibility.data == "public", label=form.label.data)
    if error is not None:
        report = own_report_or_404(report_id)
        message = None if show_error(form, error) else str(error.message)
        return report_page(report, error.status, message, link_form=form)
    flash(_("The link is added."), "success")
    return redirect(url_for("focal.report", report_id=report.id, _anchor="evidence"))


@bp.post("/reports/<id:report_id>/evidence/<id:evidence_id>/remove")
@require(policy.can_write_reports)
def remove_evidence(report_id: int, evidence_id: int):
    report = own_report_or_404(report_id)
    if not ReportActionForm().validate_on_submit():
        return report_page(report, 400, _("The form expired. Reload the page and try again."))
    _result, error = run(evidence_service.remove_evidence, current_user, report.id, evidence_id)
    if error is not None:
        return report_page(own_report_or_404(report_id), error.status, str(error.message))
    flash(_("The evidence was removed."), "success")
    return redirect(url_for("focal.report", report_id=report.id, _anchor="evidence"))
