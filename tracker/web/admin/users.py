"""Accounts: list, invite, edit, deactivate and reactivate, resend an invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker import policy
from tracker.extensions import db
from tracker.i18n import label
from tracker.models import Role, User
from tracker.services import accounts, api_tokens
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import get_or_404, institution_choices, paginate, wanted_state
from tracker.web.admin.forms import ActionForm, InviteForm, UserEditForm, UserFilterForm, menu
from tracker.web.form_errors import show_error, status_of
from tracker.web.transaction import run


def _offer_roles(form) -> None:
    form.role.choices = menu((role.value, label("role", role))
                             for role in policy.grantable_roles(current_user))
    form.institution_id.choices = institution_choices(_("— none —"))


@bp.get("/users")
@require(policy.can_view_users)
def users():
    filters = UserFilterForm(request.args)
    filters.role.choices = menu(((r.value, label("role", r)) for r in Role), _("Any role"))
    filters.institution.choices = institution_choices(_("Any institution"), active_only=False)
    query = select(User).options(joinedload(User.institution)).order_by(User.name, User.id)
    if filters.validate():
        if filters.q.data:
            text = filters.q.data.strip().lower()
            query = query.where(or_(db.func.lower(User.name).contains(text, autoescape=True),
                                    User.email.contains(text, autoescape=True)))
        if filters.role.data in {r.value for r in Role}:
            query = query.where(User.role == Role(filters.role.data))
        if filters.institution.data:
            query = query.where(User.institution_id == filters.institution.data)
        if filters.status.data == "active":
            query = query.where(User.active.is_(True))
        elif filters.status.data == "inactive":
            query = query.where(User.active.is_(False))
        elif filters.status.data == "pending":
            query = query.where(User.password_hash.is_(None), User.active.is_(True))
    return render_template("admin/users/list.html", filters=filters, page=paginate(query))


@bp.route("/users/invite", methods=["GET", "POST"])
@require(policy.can_invite)
def invite_user():
    form = InviteForm()
    _offer_roles(form)
    status = status_of(form)
    if form.validate_on_submit():
        data = accounts.InvitationInput(
            email=form.email.data, name=form.name.data, role=form.role.data,
            institution_id=form.institution_id.data, locale=form.locale.data)
        user, error = run(accounts.invite_user, current_user, data)
        if error is None:
            flash(_("%(email)s has been invited; the invitation e-mail is on its way.",
                    email=user.email), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
        show_error(form, error)
        status = error.status
    return render_template("admin/users/invite.html", form=form), status


def _user_form(user: User) -> UserEditForm:
    """The edit form filled with the account as it is now (not with what was sent)."""
    form = UserEditForm(formdata=None, obj=user)
    _offer_roles(form)
    return form


def _render_user(user: User, form: UserEditForm, status: int = 200):
    tokens = (api_tokens.tokens_of(user) if policy.can_manage_api_tokens(current_user, user)
              else None)
    return render_template("admin/users/edit.html", user=user, form=form,
                           action_form=ActionForm(), tokens=tokens), status


def _manageable_user(user_id: int) -> User:
    user = get_or_404(User, user_id)
    if not policy.can_manage_user(current_user, user):
        abort(403)
    return user


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@require(policy.can_view_users)
def edit_user(user_id: int):
    user = _manageable_user(user_id)
    form = UserEditForm(obj=user)
    _offer_roles(form)
    if not form.validate_on_submit():
        return _render_user(user, form, status_of(form))
    change = accounts.UserChange(name=form.name.data, role=form.role.data,
                                 institution_id=form.institution_id.data,
                                 version=form.version.data)
    _saved, error = run(accounts.update_user, current_user, user.id, change)
    if error is None:
        flash(_("The account of %(email)s has been saved.", email=user.email), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if isinstance(error, ConflictError):
        user = get_or_404(User, user_id)
        form = _user_form(user)
    show_error(form, error)
    return _render_user(user, form, error.status)


@bp.post("/users/<id:user_id>/active")
@require(policy.can_view_users)
def set_user_active(user_id: int):
    user = _manageable_user(user_id)
    action_form = ActionForm()
    if not action_form.validate_on_submit():
        abort(400)
    active = wanted_state()
    _saved, error = run(accounts.set_active, current_user, user.id, active)
    if error is None:
        flash(_("The account has been reactivated.") if active else
              _("The account has been deactivated; its sessions have ended."), "success")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    user = get_or_404(User, user_id)
    form = _user_form(user)
    show_error(form, error)
    return _render_user(user, form, error.status)


@bp.post("/users/<id:user_id>/invitation")
@require(policy.can_invite)
def resend_invitation(user_id: int):
    user = get_or_404(User, user_id)
    if not policy.can_resend_invitation(current_user, user):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)

    _saved, error = run(accounts.resend_invitation, current_user, user.id)
    if error is not None:
        flash(str(error.message), "danger")
        user = get_or_404(User, user_id)
        return _render_user(user, _user_form(user), error.status)
    flash(_("A new invitation has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))
