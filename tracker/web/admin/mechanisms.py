"""Mechanisms: list, create and edit (names and acronyms in both languages, family, active)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker import policy
from tracker.extensions import db
from tracker.models import Mechanism, MechanismFamily
from tracker.services import reference
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import enum_choices, get_or_404
from tracker.web.admin.forms import MechanismForm
from tracker.web.form_errors import show_error, status_of
from tracker.web.transaction import run


def _prepare(form: MechanismForm) -> MechanismForm:
    form.family.choices = enum_choices("family", MechanismFamily)
    return form


def _data(form: MechanismForm) -> reference.MechanismInput:
    return reference.MechanismInput(
        family=form.family.data, name_es=form.name_es.data, name_en=form.name_en.data,
        acronym_es=form.acronym_es.data, acronym_en=form.acronym_en.data,
        active=form.active.data)


@bp.get("/mechanisms")
@require(policy.can_view_reference_data)
def mechanisms():
    rows = db.session.execute(
        select(Mechanism).order_by(Mechanism.family, Mechanism.sort_order, Mechanism.code)
    ).scalars().all()
    return render_template("admin/mechanisms/list.html", mechanisms=rows)


@bp.route("/mechanisms/new", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def new_mechanism():
    form = _prepare(MechanismForm())
    status = status_of(form)
    if form.validate_on_submit():
        mech, error = run(reference.create_mechanism, current_user, form.code.data, _data(form))
        if error is None:
            flash(_("The mechanism %(code)s has been created.", code=mech.code), "success")
            return redirect(url_for("admin.mechanisms"))
        show_error(form, error)
        status = error.status
    return render_template("admin/mechanisms/form.html", form=form, mechanism=None), status


@bp.route("/mechanisms/<id:mechanism_id>", methods=["GET", "POST"])
@require(policy.can_edit_reference_data)
def edit_mechanism(mechanism_id: int):
    mech = get_or_404(Mechanism, mechanism_id)
    form = _prepare(MechanismForm(obj=mech))
    status = status_of(form)
    if form.validate_on_submit():
        _saved, error = run(reference.update_mechanism, current_user, mech.id, _data(form),
                       form.version.data)
        if error is None:
            flash(_("The mechanism %(code)s has been saved.", code=mech.code), "success")
            return redirect(url_for("admin.mechanisms"))
        if isinstance(error, ConflictError):
            form = _prepare(MechanismForm(formdata=None, obj=mech))
        show_error(form, error)
        status = error.status
    return render_template("admin/mechanisms/form.html", form=form, mechanism=mech), status
