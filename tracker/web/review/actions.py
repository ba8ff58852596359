"""Office actions: what the UN office did, with its pillars, partners and recommendations."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from tracker import policy
from tracker.models import OfficeAction, OfficeActionKind
from tracker.services import curation_queries as queries
from tracker.services import office_actions
from tracker.services.errors import ConflictError, ServiceError
from tracker.services.markdown import render_markdown
from tracker.web.access import require
from tracker.web.form_errors import show_error, status_of
from tracker.web.ids import IdField, IdListField, arg_page
from tracker.web.review import bp
from tracker.web.review.curation import ButtonForm, enum_choices, version_field
from tracker.web.transaction import already_done, run, run_once, submission_key_field


class OfficeActionForm(FlaskForm):
    kind = SelectField(_l("Kind of action"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(
        _l("Description"), validators=[Optional()], render_kw={"rows": 6},
        description=_l("Markdown: *italics*, **bold**, lists with “-”, links [text](https://…)."))
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()],
                         description=_l("Leave empty for a one-day or ongoing action."))
    term_ids = IdListField(_l("Pillars and focus areas"), validate_choice=False)
    institution_ids = IdListField(
        _l("Institutions worked with"), render_kw={"size": 8},
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))
    references = TextAreaField(
        _l("Recommendations supported"), validators=[Optional()], render_kw={"rows": 4},
        description=_l("One reference a line, as shown on each recommendation's page, "
                       "e.g. A/HRC/16/10 ¶82.5"))
    is_public = BooleanField(_l("Public: shown on the public site"))
    version = version_field()
    submission_key = submission_key_field()

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class ActionFilterForm(Form):
    pillar = IdField(_l("Pillar"))
    institution = IdField(_l("Institution"))
    kind = SelectField(_l("Kind"), validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


def _offer_choices(form, action: OfficeAction | None = None) -> list:
    form.kind.choices = enum_choices("action_kind", OfficeActionKind, _("— choose —"))
    institutions = queries.institution_options(active_only=True)
    linked = [i for i in (action.institutions if action else []) if not i.active]
    form.institution_ids.choices = [SelectChoice(str(i.id), f"{i.acronym} · {i.name}")
                                    for i in [*institutions, *linked]]
    groups = queries.term_options(list(action.terms) if action else None, for_actions=True)
    # OHCHR's own lists first, the required pillars leading; then any other vocabulary.
    first = (office_actions.PILLAR_VOCABULARY, "shift", "spotlight")
    return sorted(groups, key=lambda g: first.index(g[0].code) if g[0].code in first else 3)


def _fill(form, action: OfficeAction) -> None:
    form.term_ids.data = [t.id for t in action.terms]
    form.institution_ids.data = [i.id for i in action.institutions]
    form.references.data = "\n".join(r.reference for r in action.recommendations)


def _input(form) -> office_actions.OfficeActionInput:
    return office_actions.OfficeActionInput(
        kind=form.kind.data, title=form.title.data, description=form.description.data or "",
        start_date=form.start_date.data, end_date=form.end_date.data,
        is_public=form.is_public.data, term_ids=form.term_ids.data or [],
        institution_ids=form.institution_ids.data or [],
        references=office_actions.parse_references(form.references.data))


def _action_or_404(action_id: int) -> OfficeAction:
    try:
        return office_actions.get_office_action(current_user, action_id)
    except ServiceError:
        abort(404)


def _edit_page(form, action, term_groups, status, unsaved=()):
    return render_template("review/actions/edit.html", form=form, action=action,
                           term_groups=term_groups, unsaved=unsaved), status


@bp.get("/actions")
@require(policy.can_manage_office_actions)
def actions():
    form = ActionFilterForm(request.args)
    form.pillar.choices = [SelectChoice("", _("Any pillar"))] + [
        SelectChoice(str(t.id), t.name) for t in office_actions.pillar_options()]
    form.institution.choices = [SelectChoice("", _("Any institution"))] + [
        SelectChoice(str(i.id), f"{i.acronym} · {i.name}")
        for i in queries.institution_options()]
    form.kind.choices = enum_choices("action_kind", OfficeActionKind, _("Any kind"))
    form.validate()
    kind = form.kind.data if form.kind.data in {k.value for k in OfficeActionKind} else None
    filters = office_actions.ActionFilters(
        pillar_id=form.pillar.data if not form.pillar.errors else None,
        institution_id=form.institution.data if not form.institution.errors else None,
        kind=OfficeActionKind(kind) if kind else None,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None)
    result = office_actions.list_office_actions(
        current_user, filters, page=arg_page(),
        per_page=current_app.config.get("PAGE_SIZE", 25))
    return render_template("review/actions/list.html", form=form, filters=filters,
                           result=result)


@bp.route("/actions/new", methods=["GET", "POST"])
@require(policy.can_manage_office_actions)
def new_action():
    form = OfficeActionForm()
    term_groups = _offer_choices(form)
    if not form.validate_on_submit():
        return _edit_page(form, None, term_groups, status_of(form))
    action, error, earlier = run_once(
        form.submission_key.data,
        lambda made: url_for("review.action_detail", action_id=made.id),
        office_actions.create_office_action, current_user, _input(form))
    if earlier:
        return already_done(earlier)
    if error is None:
        flash(_("The office action has been recorded."), "success")
        return redirect(url_for("review.action_detail", action_id=action.id))
    show_error(form, error)
    return _edit_page(form, None, term_groups, error.status)


@bp.get("/actions/<id:action_id>")
@require(policy.can_manage_office_actions)
def action_detail(action_id: int):
    action = _action_or_404(action_id)
    return render_template("review/actions/detail.html", action=action,
                           term_groups=_grouped(action),
                           description_html=render_markdown(action.description))


def _grouped(action: OfficeAction) -> list:
    groups: dict = {}
    for term in action.terms:
        groups.setdefault(term.vocabulary_id, (term.vocabulary, []))[1].append(term)
    return sorted(groups.values(), key=lambda g: (g[0].sort_order, g[0].code))


@bp.route("/actions/<id:action_id>/edit", methods=["GET", "POST"])
@require(policy.can_manage_office_actions)
def edit_action(action_id: int):
    action = _action_or_404(action_id)
    form = OfficeActionForm(obj=action)
    term_groups = _offer_choices(form, action)
    if not form.is_submitted():
        _fill(form, action)
    if not form.validate_on_submit():
        return _edit_page(form, action, term_groups, status_of(form))
    _saved, error = run(office_actions.update_office_action, current_user, action.id, _input(form),
                   form.version.data)
    if error is None:
        flash(_("The office action has been saved."), "success")
        return redirect(url_for("review.action_detail", action_id=action_id))
    unsaved = []
    if isinstance(error, ConflictError):
        sent, action = form, _action_or_404(action_id)
        form = OfficeActionForm(formdata=None, obj=action)
        term_groups = _offer_choices(form, action)
        _fill(form, action)
        unsaved = [(f.label.text, f.data) for f in (sent.title, sent.description)
                   if (f.data or "") != (form[f.name].data or "")]
    show_error(form, error)
    return _edit_page(form, action, term_groups, error.status, unsaved)


@bp.route("/actions/<id:action_id>/delete", methods=["GET", "POST"])
@require(policy.can_manage_office_actions)
def delete_action(action_id: int):
    action = _action_or_404(action_id)
    form = ButtonForm(obj=action) if request.method == "GET" else ButtonForm()
    if form.validate_on_submit():
        title = action.title
        _saved, error = run(office_actions.delete_office_action, current_user, action_id,
                       form.version.data)
        if error is None:
            flash(_("The office action “%(title)s” has been deleted.", title=title), "success")
            return redirect(url_for("review.actions"))
        if error.status == 404:
            flash(str(error.message), "danger")
            return redirect(url_for("review.actions"))
        action = _action_or_404(action_id)
        form = ButtonForm(formdata=None, obj=action)
        form.form_errors.append(str(error.message))
        return render_template("review/actions/delete.html", action=action, form=form
                               ), error.status
    return render_template("review/actions/delete.html", action=action, form=form
                           ), status_of(form)
