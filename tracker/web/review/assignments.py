"""Assignments: place recommendations with institutions, one by one or in bulk."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Optional

from tracker import policy
from tracker.models import REPORTING_RHYTHMS, AssignmentRole
from tracker.services import assignments
from tracker.services import curation_queries as queries
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.form_errors import show_error, status_of
from tracker.web.ids import IdListField
from tracker.web.review import bp
from tracker.web.review.curation import (
    ButtonForm,
    enum_choices,
    render_list,
    render_recommendation,
    version_field,
)
from tracker.web.transaction import run

NEXT_DUE_HELP = _l("Left empty: today plus the rhythm for new or ended assignments; "
                   "active ones keep their date.")


class _AssignmentTermsForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    rhythm_months = SelectField(_l("Reports every"), coerce=int, default=6)
    next_due = DateField(_l("Next report due"), validators=[Optional()],
                         description=NEXT_DUE_HELP)


class AssignForm(_AssignmentTermsForm):
    institution_ids = IdListField(
        _l("Institutions"), render_kw={"size": 8},
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))


class BulkAssignForm(AssignForm):
    scope = RadioField(_l("Which recommendations"), default="selected", choices=[
        SelectChoice("selected", _l("The ticked recommendations")),
        SelectChoice("all", _l("All the recommendations that match the filters"))])
    ids = IdListField(validate_choice=False)


class AssignmentEditForm(_AssignmentTermsForm):
    next_due = DateField(_l("Next report due"), validators=[DataRequired()])
    version = version_field()


def offer_assignment_choices(form) -> None:
    """Fill the menus of an assignment form (institutions: active ones)."""
    form.role.choices = enum_choices("assignment_role", AssignmentRole)
    form.rhythm_months.choices = [
        SelectChoice(str(n), ngettext("%(num)d month", "%(num)d months", n))
        for n in REPORTING_RHYTHMS]
    if "institution_ids" in form._fields:
        form.institution_ids.choices = [
            SelectChoice(str(i.id), f"{i.acronym} · {i.name}")
            for i in queries.institution_options(active_only=True)]


def _terms(form) -> assignments.AssignmentTerms:
    return assignments.AssignmentTerms(role=form.role.data, rhythm_months=form.rhythm_months.data,
                                       next_due=form.next_due.data)


def _result_message(result: assignments.AssignResult) -> str:
    # One plural per count: each number agrees with its own noun.
    return _("%(created)s and %(updated)s, %(recommendations)s.",
             created=ngettext("%(count)s assignment created", "%(count)s assignments created",
                              result.created, count=format_decimal(result.created)),
             updated=ngettext("%(count)s updated", "%(count)s updated",
                              result.updated, count=format_decimal(result.updated)),
             recommendations=ngettext("for %(count)s recommendation",
                                      "for %(count)s recommendations", result.recommendations,
                                      count=format_decimal(result.recommendations)))


@bp.post("/recommendations/<id:rec_id>/assignments")
@require(policy.can_assign)
def add_assignments(rec_id: int):
    form = AssignForm()
    offer_assignment_choices(form)
    if not form.validate_on_submit():
        return render_recommendation(rec_id, assign_form=form, status=400)
    result, error = run(assignments.assign, current_user, rec_id, form.institution_ids.data,
                        _terms(form))
    if error is not None:
        if error.status == 404:
            abort(404)
        show_error(form, error)
        return render_recommendation(rec_id, assign_form=form, status=error.status)
    flash(_result_message(result), "success")
    return redirect(url_for("review.recommendation_detail", rec_id=rec_id) + "#assignments")


def _assignment_or_404(assignment_id: int):
    found = assignments.get_assignment(assignment_id)
    if found is None:
        abort(404)
    return found


@bp.route("/assignments/<id:assignment_id>/edit", methods=["GET", "POST"])
@require(policy.can_assign)
def edit_assignment(assignment_id: int):
    found = _assignment_or_404(assignment_id)
    form = AssignmentEditForm(obj=found)
    offer_assignment_choices(form)
    if not form.validate_on_submit():
        return render_template("review/assignments/edit.html", form=form, assignment=found
                               ), status_of(form)
    _saved, error = run(assignments.update_assignment, current_user, found.id, _terms(form),
                   form.version.data)
    if error is None:
        flash(_("The assignment to %(inst)s has been saved.", inst=found.institution.acronym),
              "success")
        return redirect(url_for("review.recommendation_detail", rec_id=found.recommendation_id)
                        + "#assignments")
    if isinstance(error, ConflictError):
        found = _assignment_or_404(assignment_id)
        form = AssignmentEditForm(formdata=None, obj=found)
        offer_assignment_choices(form)
    show_error(form, error)
    return render_template("review/assignments/edit.html", form=form, assignment=found
                           ), error.status


@bp.post("/assignments/<id:assignment_id>/end")
@require(policy.can_assign)
def end_assignment(assignment_id: int):
    found = _assignment_or_404(assignment_id)
    rec_id, acronym = found.recommendation_id, found.institution.acronym
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    _saved, error = run(assignments.end_assignment, current_user, assignment_id, form.version.data)
    if error is None:
        flash(_("%(inst)s no longer reports on this recommendation.", inst=acronym), "success")
    else:
        flash(str(error.message), "danger")
    return redirect(url_for("review.recommendation_detail", rec_id=rec_id) + "#assignments")


@bp.post("/recommendations/assign")
@require(policy.can_assign)
def bulk_assign():
    form = BulkAssignForm()
    offer_assignment_choices(form)
    if not form.validate_on_submit():
        return render_list(form, 400)
    filters = queries.parse_filters(request.args)
    if form.scope.data == "all":
        if filters.is_empty:
            form.scope.errors = [_("Filter the list first: assigning every recommendation at "
                                   "once is not allowed.")]
            return render_list(form, 400)
        ids, scope = queries.matching_ids(current_user, filters), {"filters": filters.as_args()}
    else:
        if not form.ids.data:
            form.scope.errors = [_("Tick at least one recommendation, or choose all that "
                                   "match the filters.")]
            return render_list(form, 400)
        ids, scope = queries.chosen_ids(current_user, form.ids.data), {"ids": form.ids.data}
    result, error = run(assignments.bulk_assign, current_user, ids, form.institution_ids.data,
                        _terms(form), scope)
    if error is not None:
        show_error(form, error)
        return render_list(form, error.status)
    flash(_result_message(result), "success")
    return redirect(url_for("review.recommendations", **filters.as_args()))
