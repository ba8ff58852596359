"""The office's dashboard, the review queue of submitted reports, and the decisions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from tracker import policy
from tracker.extensions import db
from tracker.models import ProgressReport, ReportVisibility
from tracker.services import report_queries as queries
from tracker.services import reports
from tracker.web.access import require
from tracker.web.focal.common import parse_version, show_error
from tracker.web.ids import arg_page
from tracker.web.review import bp
from tracker.web.transaction import already_done, run_once, submission_key_field

APPROVE_PUBLIC, APPROVE_INTERNAL, RETURN = "approve_public", "approve_internal", "return"


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"),
                          validators=[InputRequired(message=_l("Choose a decision."))])
    comment = TextAreaField(
        _l("Comment for the institution"),
        description=_l("Required when you return the report: say what should change."),
        validators=[Length(max=reports.MAX_COMMENT)], render_kw={"rows": 5})
    version = HiddenField()
    submission_key = submission_key_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            SelectChoice(APPROVE_PUBLIC, _l("Approve and publish on the public site")),
            SelectChoice(APPROVE_INTERNAL, _l("Approve for internal use only")),
            SelectChoice(RETURN, _l("Return to the institution with comments")),
        ]


@bp.get("/")
@require(policy.is_staff)
def home():
    waiting = queries.review_queue(current_user, queries.QueueFilters(), 1, 5)
    return render_template("review/home.html", dashboard=queries.review_dashboard(current_user),
                           waiting=waiting)


@bp.get("/reports/")
@require(policy.can_review_reports)
def queue():
    filters = queries.parse_queue_filters(request.args)
    result = queries.review_queue(current_user, filters,
                                  page=arg_page(),
                                  per_page=current_app.config.get("PAGE_SIZE", 25))
    institutions, mechanisms = queries.queue_filter_options(current_user)
    return render_template("review/reports/queue.html", filters=filters, result=result,
                           institutions=institutions, mechanisms=mechanisms)


def _report_or_404(report_id: int) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id)
    if report is None or not policy.can_view_report(current_user, report):
        abort(404)
    return report


def _page(report: ProgressReport, form: DecisionForm | None = None, status: int = 200,
          error: str | None = None):
    if form is None:
        form = DecisionForm(formdata=None, version=report.version)
    return render_template("review/reports/report.html", report=report, form=form,
                           error=error,
                           can_decide=policy.can_decide_report(current_user, report)), status


@bp.get("/reports/<id:report_id>")
@require(policy.can_review_reports)
def report(report_id: int):
    return _page(_report_or_404(report_id))


@bp.post("/reports/<id:report_id>/decision")
@require(policy.can_review_reports)
def decide(report_id: int):
    report = _report_or_404(report_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _page(report, form, 400)
    version = parse_version(form.version.data)
    once = (form.submission_key.data, lambda _done: url_for("review.queue"))
    if form.decision.data == RETURN:
        _result, error, earlier = run_once(*once, reports.return_report, current_user,
                                           report.id, version, comment=form.comment.data)
    else:
        visibility = (ReportVisibility.PUBLIC if form.decision.data == APPROVE_PUBLIC
                      else ReportVisibility.INTERNAL)
        _result, error, earlier = run_once(*once, reports.approve_report, current_user,
                                           report.id, version, visibility=visibility,
                                           comment=form.comment.data)
    if earlier:
        return already_done(earlier)
    if error is not None:
        report = _report_or_404(report_id)
        if show_error(form, error):
            return _page(report, form, error.status)
        return _page(report, form, error.status, str(error.message))
    flash(_("Your decision is recorded and the institution has been told by e-mail."),
          "success")
    return redirect(url_for("review.queue"))
