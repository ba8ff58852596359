"""Labels to map: what imports met that no term knows, mapped once by the office."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from tracker import policy
from tracker.imports.lookups import label_key
from tracker.services import labels as label_service
from tracker.web.access import require
from tracker.web.form_errors import show_error
from tracker.web.ids import IdField
from tracker.web.review import bp
from tracker.web.transaction import run

SEARCH_MAX = 100


class MapLabelForm(FlaskForm):
    term_id = IdField(_l("Term it means"), validators=[DataRequired()])


class NewTermForm(FlaskForm):
    name_es = StringField(_l("Name in Spanish"), validators=[DataRequired(), Length(max=255)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=255)])


class IgnoreLabelForm(FlaskForm):
    """The CSRF token only."""


@bp.context_processor
def _labels_waiting():
    # Called by the workspace's tab bar only when it is drawn: one count per page.
    return {"labels_waiting": label_service.count_waiting}


def _term_groups(label, search: str):
    """The terms offered for a label, narrowed by what the reviewer searched for."""
    wanted = label_key(search)
    groups = []
    for vocabulary, terms in label_service.term_choices(label.vocabulary_id):
        if wanted:
            terms = [t for t in terms
                     if wanted in label_key(t.name_es) or wanted in label_key(t.name_en)]
        groups.append((vocabulary, terms))
    return groups


def _render(label, map_form=None, term_form=None, status: int = 200):
    search = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    groups = _term_groups(label, search)
    map_form = map_form or MapLabelForm(formdata=None)
    map_form.term_id.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(t.id), t.name, optgroup=v.name) for v, terms in groups for t in terms]
    if term_form is None:
        term_form = NewTermForm(formdata=None)
    return render_template(
        "review/labels/detail.html", label=label, groups=groups, search=search,
        map_form=map_form, term_form=term_form, ignore_form=IgnoreLabelForm(formdata=None),
        offered=sum(len(terms) for _v, terms in groups),
        waiting=label_service.waiting_records(label.id)), status


def _label_or_gone(label_id: int):
    label = label_service.find_label(label_id)
    if label is None:
        flash(_("This label is no longer waiting: someone has mapped it meanwhile."), "info")
    return label


def _done(outcome) -> None:
    if outcome.term is None:
        flash(_("“%(label)s” will be left out of every import from now on.",
                label=outcome.label), "success")
    else:
        flash(_("“%(label)s” now means “%(term)s”, in this import and every later one. "
                "Recommendations linked: %(count)s.", label=outcome.label,
                term=outcome.term.name, count=outcome.records), "success")


@bp.get("/labels")
@require(policy.can_curate)
def labels():
    return render_template("review/labels/list.html", waiting=label_service.waiting_labels())


@bp.get("/labels/<id:label_id>")
@require(policy.can_curate)
def label(label_id: int):
    found = label_service.find_label(label_id)
    if found is None:
        abort(404)
    return _render(found)


@bp.post("/labels/<id:label_id>/map")
@require(policy.can_curate)
def map_label(label_id: int):
    found = _label_or_gone(label_id)
    if found is None:
        return redirect(url_for("review.labels"))
    form = MapLabelForm()
    if not form.validate_on_submit():
        return _render(found, map_form=form, status=400)
    outcome, error = run(label_service.map_label, current_user, label_id, form.term_id.data)
    if error is not None:
        found = _label_or_gone(label_id)
        if found is None:
            return redirect(url_for("review.labels"))
        form.term_id.errors = []
        show_error(form, error)
        return _render(found, map_form=form, status=error.status)
    _done(outcome)
    return redirect(url_for("review.labels"))


@bp.post("/labels/<id:label_id>/term")
@require(policy.can_curate)
def create_label_term(label_id: int):
    found = _label_or_gone(label_id)
    if found is None:
        return redirect(url_for("review.labels"))
    form = NewTermForm()
    if not form.validate_on_submit():
        return _render(found, term_form=form, status=400)
    outcome, error = run(label_service.create_term_for_label, current_user, label_id,
                         form.name_es.data, form.name_en.data)
    if error is not None:
        found = _label_or_gone(label_id)
        if found is None:
            return redirect(url_for("review.labels"))
        show_error(form, error)
        return _render(found, term_form=form, status=error.status)
    _done(outcome)
    return redirect(url_for("review.labels"))


@bp.post("/labels/<id:label_id>/ignore")
@require(policy.can_curate)
def ignore_label(label_id: int):
    found = _label_or_gone(label_id)
    if found is None:
        return redirect(url_for("review.labels"))
    if not IgnoreLabelForm().validate_on_submit():
        abort(400)
    outcome, error = run(label_service.ignore_label, current_user, label_id)
    if error is not None:
        flash(str(error.message), "danger")
        return redirect(url_for("review.labels"))
    _done(outcome)
    return redirect(url_for("review.labels"))
