"""Vocabularies: list, create, rename, and one vocabulary's page with its terms."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from tracker import policy
from tracker.extensions import db
from tracker.models import Term, Vocabulary
from tracker.services import reference
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import get_or_404
from tracker.web.admin.forms import ActionForm, TermForm, VocabularyForm, menu
from tracker.web.form_errors import show_error, status_of
from tracker.web.transaction import run


def _data(form: VocabularyForm) -> reference.VocabularyInput:
    return reference.VocabularyInput(
        name_es=form.name_es.data, name_en=form.name_en.data,
        description_es=form.description_es.data, description_en=form.description_en.data,
        applies_to_recommendations=form.applies_to_recommendations.data,
        applies_to_actions=form.applies_to_actions.data, active=form.active.data)


def term_parent_choices(vocab: Vocabulary, exclude: set[int] | frozenset[int] = frozenset()):
    """Menu of the vocabulary's active terms that may be a broader term."""
    return menu(((term.id, f"{term.localized('name')} ({term.code})")
                 for term in vocab.terms if term.active and term.id not in exclude),
                blank=_("— none —"))


def render_vocabulary(vocab: Vocabulary, term_form: TermForm | None = None, status: int = 200):
    """The page of one vocabulary: its terms with their use, and the new-term form."""
    if term_form is None:
        term_form = TermForm(formdata=None)
    term_form.parent_id.choices = term_parent_choices(vocab)
    return render_template(
        "admin/vocabularies/detail.html", vocabulary=vocab, terms=vocab.terms,
        usage=reference.term_usage(vocab.id), term_form=term_form, action_form=ActionForm(),
    ), status


@bp.get("/vocabularies")
@require(policy.can_view_reference_data)
def vocabularies():
    counts = dict(db.session.execute(
        select(Term.vocabulary_id, func.count()).where(Term.active.is_(True))
        .group_by(Term.vocabulary_id)).all())
    rows = db.session.execute(
        select(Vocabulary).order_by(Vocabulary.sort_order, Vocabulary.code)).scalars().all()
    return render_template("admin/vocabularies/list.html", vocabularies=rows, counts=counts)


@bp.route("/vocabularies/new", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def new_vocabulary():
    form = VocabularyForm()
    status = status_of(form)
    if form.validate_on_submit():
        vocab, error = run(reference.create_vocabulary, current_user, form.code.data,
                           _data(form))
        if error is None:
            flash(_("The vocabulary %(name)s has been created; now add its terms.",
                    name=vocab.localized("name")), "success")
            return redirect(url_for("admin.vocabulary", vocabulary_id=vocab.id))
        show_error(form, error)
        status = error.status
    return render_template("admin/vocabularies/form.html", form=form, vocabulary=None), status


@bp.get("/vocabularies/<id:vocabulary_id>")
@require(policy.can_view_reference_data)
def vocabulary(vocabulary_id: int):
    return render_vocabulary(get_or_404(Vocabulary, vocabulary_id))


@bp.route("/vocabularies/<id:vocabulary_id>/edit", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def edit_vocabulary(vocabulary_id: int):
    vocab = get_or_404(Vocabulary, vocabulary_id)
    form = VocabularyForm(obj=vocab)
    status = status_of(form)
    if form.validate_on_submit():
        _saved, error = run(reference.update_vocabulary, current_user, vocab.id, _data(form),
                       form.version.data)
        if error is None:
            flash(_("The vocabulary has been saved."), "success")
            return redirect(url_for("admin.vocabulary", vocabulary_id=vocab.id))
        if isinstance(error, ConflictError):
            form = VocabularyForm(formdata=None, obj=vocab)
        show_error(form, error)
        status = error.status
    return render_template("admin/vocabularies/form.html", form=form, vocabulary=vocab), status
