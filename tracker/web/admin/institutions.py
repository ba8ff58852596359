"""Institutions: list, create, edit, deactivate and reactivate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker import policy
from tracker.extensions import db
from tracker.models import Institution, InstitutionBranch
from tracker.services import reference
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import (
    back_to,
    enum_choices,
    get_or_404,
    institution_choices,
    paginate,
    wanted_state,
)
from tracker.web.admin.forms import ActionForm, InstitutionFilterForm, InstitutionForm
from tracker.web.form_errors import show_error, status_of
from tracker.web.transaction import run


def _descendants(institution_id: int) -> set[int]:
    """The institution and every unit below it (none of them may become its parent)."""
    children: dict[int | None, list[int]] = {}
    for inst_id, parent_id in db.session.execute(select(Institution.id, Institution.parent_id)):
        children.setdefault(parent_id, []).append(inst_id)
    found, pending = set(), [institution_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, []))
    return found


def _prepare(form: InstitutionForm, institution_id: int | None = None) -> InstitutionForm:
    form.branch.choices = enum_choices("branch", InstitutionBranch)
    exclude = _descendants(institution_id) if institution_id else set()
    form.parent_id.choices = institution_choices(_("— none —"), active_only=False,
                                                 exclude=exclude)
    return form


def _data(form: InstitutionForm) -> reference.InstitutionInput:
    return reference.InstitutionInput(
        acronym=form.acronym.data, name_es=form.name_es.data, name_en=form.name_en.data,
        branch=form.branch.data, parent_id=form.parent_id.data)


@bp.get("/institutions")
@require(policy.can_view_reference_data)
def institutions():
    filters = InstitutionFilterForm(request.args)
    filters.branch.choices = enum_choices("branch", InstitutionBranch, _("Any branch"))
    query = (select(Institution).options(joinedload(Institution.parent))
             .order_by(Institution.acronym))
    if filters.validate():
        if filters.q.data:
            text = filters.q.data.strip().lower()
            query = query.where(or_(*(
                db.func.lower(column).contains(text, autoescape=True)
                for column in (Institution.acronym, Institution.name_es, Institution.name_en))))
        if filters.branch.data in {b.value for b in InstitutionBranch}:
            query = query.where(Institution.branch == InstitutionBranch(filters.branch.data))
        if filters.status.data in ("active", "inactive"):
            query = query.where(Institution.active.is_(filters.status.data == "active"))
    return render_template("admin/institutions/list.html", filters=filters,
                           page=paginate(query), action_form=ActionForm())


@bp.route("/institutions/new", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def new_institution():
    form = _prepare(InstitutionForm())
    status = status_of(form)
    if form.validate_on_submit():
        inst, error = run(reference.create_institution, current_user, _data(form))
        if error is None:
            flash(_("The institution %(acronym)s has been created.", acronym=inst.acronym),
                  "success")
            return redirect(url_for("admin.institutions"))
        show_error(form, error)
        status = error.status
    return render_template("admin/institutions/form.html", form=form, institution=None), status


@bp.route("/institutions/<id:institution_id>", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def edit_institution(institution_id: int):
    inst = get_or_404(Institution, institution_id)
    form = _prepare(InstitutionForm(obj=inst), inst.id)
    status = status_of(form)
    if form.validate_on_submit():
        _saved, error = run(reference.update_institution, current_user, inst.id, _data(form),
                       form.version.data)
        if error is None:
            flash(_("The institution %(acronym)s has been saved.", acronym=inst.acronym),
                  "success")
            return redirect(url_for("admin.institutions"))
        if isinstance(error, ConflictError):
            form = _prepare(InstitutionForm(formdata=None, obj=inst), inst.id)
        show_error(form, error)
        status = error.status
    return render_template("admin/institutions/form.html", form=form, institution=inst), status


@bp.post("/institutions/<id:institution_id>/active")
@require(policy.can_edit_reference_data)
def set_institution_active(institution_id: int):
    inst = get_or_404(Institution, institution_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = wanted_state()
    _saved, error = run(reference.set_institution_active, current_user, inst.id, active)
    if error is not None:
        flash(str(error.message), "danger")
        return institutions(), error.status
    flash(_("%(acronym)s has been reactivated.", acronym=inst.acronym) if active else
          _("%(acronym)s has been deactivated.", acronym=inst.acronym), "success")
    return back_to(url_for("admin.institutions"))
