"""Terms of a vocabulary: create, rename, deactivate and reactivate, merge a duplicate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from tracker import policy
from tracker.models import Term, Vocabulary
from tracker.services import reference
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import back_to, get_or_404, wanted_state
from tracker.web.admin.forms import ActionForm, MergeForm, TermForm, menu
from tracker.web.admin.vocabularies import render_vocabulary, term_parent_choices
from tracker.web.form_errors import show_error, status_of
from tracker.web.transaction import run


def _data(form: TermForm) -> reference.TermInput:
    return reference.TermInput(
        name_es=form.name_es.data, name_en=form.name_en.data, parent_id=form.parent_id.data,
        description_es=form.description_es.data, description_en=form.description_en.data)


def _subterms(term: Term) -> set[int]:
    """The term and everything below it (none of them may become its broader term)."""
    found, pending = set(), [term]
    while pending:
        current = pending.pop()
        if current.id not in found:
            found.add(current.id)
            pending.extend(current.children)
    return found


@bp.post("/vocabularies/<id:vocabulary_id>/terms")
@require(policy.can_edit_reference_data)
def new_term(vocabulary_id: int):
    vocab = get_or_404(Vocabulary, vocabulary_id)
    form = TermForm()
    if not form.validate_on_submit():
        return render_vocabulary(vocab, form, 400)
    term, error = run(reference.create_term, current_user, vocab.id, form.code.data, _data(form))
    if error is not None:
        show_error(form, error)
        return render_vocabulary(vocab, form, error.status)
    flash(_("The term %(name)s has been added.", name=term.localized("name")), "success")
    return redirect(url_for("admin.vocabulary", vocabulary_id=vocab.id))


@bp.route("/terms/<id:term_id>", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def edit_term(term_id: int):
    term = get_or_404(Term, term_id)
    form = TermForm(obj=term)
    form.parent_id.choices = term_parent_choices(term.vocabulary, _subterms(term))
    status = status_of(form)
    if form.validate_on_submit():
        _saved, error = run(reference.update_term, current_user, term.id, _data(form),
                       form.version.data)
        if error is None:
            flash(_("The term has been saved."), "success")
            return redirect(url_for("admin.vocabulary", vocabulary_id=term.vocabulary_id))
        if isinstance(error, ConflictError):
            form = TermForm(formdata=None, obj=term)
            form.parent_id.choices = term_parent_choices(term.vocabulary, _subterms(term))
        show_error(form, error)
        status = error.status
    return render_template("admin/terms/form.html", form=form, term=term), status


@bp.post("/terms/<id:term_id>/active")
@require(policy.can_edit_reference_data)
def set_term_active(term_id: int):
    term = get_or_404(Term, term_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = wanted_state()
    _saved, error = run(reference.set_term_active, current_user, term.id, active)
    if error is not None:
        flash(str(error.message), "danger")
        return render_vocabulary(get_or_404(Vocabulary, term.vocabulary_id), status=error.status)
    flash(_("The term has been reactivated.") if active else
          _("The term has been deactivated."), "success")
    return back_to(url_for("admin.vocabulary", vocabulary_id=term.vocabulary_id))


@bp.route("/terms/<id:term_id>/merge", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def merge_term(term_id: int):
    term = get_or_404(Term, term_id)
    form = MergeForm()
    form.target_id.choices = menu(
        ((other.id, f"{other.localized('name')} ({other.code})")
         for other in term.vocabulary.terms if other.active and other.id != term.id),
        blank=_("— choose a term —"))
    status = status_of(form)
    if form.validate_on_submit():
        result, error = run(reference.merge_terms, current_user, term.id, form.target_id.data)
        if error is None:
            flash(_("The term has been merged: %(recommendations)s and %(actions)s now use "
                    "the term chosen.",
                    recommendations=ngettext("%(num)d recommendation", "%(num)d recommendations",
                                             result.recommendations),
                    actions=ngettext("%(num)d office action", "%(num)d office actions",
                                     result.actions)), "success")
            return redirect(url_for("admin.vocabulary", vocabulary_id=term.vocabulary_id))
        show_error(form, error)
        status = error.status
    usage = reference.term_usage(term.vocabulary_id).get(term.id, (0, 0))
    return render_template("admin/terms/merge.html", form=form, term=term, usage=usage), status
