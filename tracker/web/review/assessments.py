"""Status assessment: the office judges how far a recommendation is implemented."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker import policy
from tracker.i18n import label
from tracker.models import ImplementationStatus, ReportState
from tracker.services import assessments
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.form_errors import show_error
from tracker.web.ids import IdListField
from tracker.web.review import bp
from tracker.web.review.curation import (
    enum_choices,
    load_recommendation,
    render_recommendation,
    set_version,
    version_field,
)
from tracker.web.transaction import already_done, run_once, submission_key_field


class AssessForm(FlaskForm):
    status = SelectField(_l("Implementation status"), validators=[DataRequired()])
    rationale = TextAreaField(
        _l("Rationale"), validators=[DataRequired(), Length(max=assessments.RATIONALE_MAX)],
        render_kw={"rows": 4},
        description=_l("Why this status: what was done, what is missing, on what evidence."))
    report_ids = IdListField(_l("Progress reports it rests on"), validate_choice=False)
    version = version_field()
    submission_key = submission_key_field()


def offer_assessment_choices(form, reports) -> None:
    """Fill the status menu and offer the approved reports among those covering it."""
    form.status.choices = enum_choices("status", ImplementationStatus)
    form.report_ids.choices = [
        SelectChoice(str(r.id), f"{r.institution.acronym} · {r.title} "
                                f"({label('visibility', r.visibility)})")
        for r in reports if r.state == ReportState.APPROVED]


@bp.post("/recommendations/<id:rec_id>/assessments")
@require(policy.can_assess)
def assess(rec_id: int):
    form = AssessForm()
    offer_assessment_choices(form, [])  # the reports are offered when the page is drawn
    if not form.validate_on_submit():
        return render_recommendation(rec_id, assess_form=form, status=400)
    _saved, error, earlier = run_once(
        form.submission_key.data,
        lambda _saved: url_for("review.recommendation_detail", rec_id=rec_id) + "#status",
        assessments.assess, current_user, rec_id, form.status.data, form.rationale.data,
        form.report_ids.data or [], form.version.data)
    if earlier:
        return already_done(earlier)
    if error is None:
        flash(_("The status has been recorded."), "success")
        return redirect(url_for("review.recommendation_detail", rec_id=rec_id) + "#status")
    if error.status == 404:
        abort(404)
    if isinstance(error, ConflictError):
        # Keep what was typed, against the version now shown, so it can be sent again
        # once the user has read what changed.
        set_version(form, load_recommendation(rec_id).version)
    show_error(form, error)
    return render_recommendation(rec_id, assess_form=form, status=error.status)
