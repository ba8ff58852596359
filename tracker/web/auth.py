"""Sign-in, sign-out, invitations, password resets and one's own account."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from tracker import policy
from tracker.extensions import limiter
from tracker.services import accounts, api_tokens, sessions, sign_in_throttle
from tracker.services.errors import ServiceError
from tracker.web.auth_forms import (
    AccountForm,
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from tracker.web.form_errors import show_error
from tracker.web.helpers import safe_next
from tracker.web.transaction import commit, rollback, run

bp = Blueprint("auth", __name__)


def _forget_this_device() -> None:
    """Empty the session and have the remember cookie deleted, keeping the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # After the clear: logout_user marks the remember cookie for deletion in the session.
    logout_user()


def _sign_in(user, remember: bool) -> None:
    lang = session.get("lang")
    session.clear()  # a new session at sign-in: nothing carried over from before
    if lang:
        session["lang"] = lang
    sessions.start_session(user, remember=remember,
                           user_agent=request.headers.get("User-Agent", ""),
                           address=request.remote_addr)
    commit()
    login_user(user, remember=remember)
    session.permanent = True


def _throttled(form: LoginForm, wait: int):
    minutes = max(1, -(-wait // 60))
    flash(ngettext("Too many failed sign-ins from here. Try again in %(num)d minute.",
                   "Too many failed sign-ins from here. Try again in %(num)d minutes.",
                   minutes), "danger")
    response = current_app.make_response((render_template("auth/login.html", form=form), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def home_for(user) -> str:
    """Where a user lands after signing in."""
    if policy.is_focal_point(user) and "focal.home" in current_app.view_functions:
        return url_for("focal.home")
    if policy.is_staff(user) and "review.home" in current_app.view_functions:
        return url_for("review.home")
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        wait = sign_in_throttle.seconds_to_wait(email, request.remote_addr)
        if wait:
            return _throttled(form, wait)
        try:
            user = accounts.authenticate(email, form.password.data)
        except ServiceError as exc:
            if exc.status == 401:
                sign_in_throttle.record_failure(email, request.remote_addr)
            commit()  # keep the audit entry of the failure
            flash(str(exc.message), "danger")
            status = exc.status
        else:
            sign_in_throttle.record_success(email, request.remote_addr)
            _sign_in(user, form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), home_for(user)))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sessions.sign_out(current_user)
        commit()
    _forget_this_device()
    flash(_("You have signed out."), "info")
    return redirect(url_for("public.home"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    sessions.sign_out_everywhere(current_user)
    commit()
    _forget_this_device()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("public.home"))


def _password_page(token: str, purpose: str, template: str, action):
    try:
        user = accounts.read_token(
            token, purpose,
            accounts.INVITATION_MAX_AGE if purpose == "invite" else accounts.RESET_MAX_AGE,
        )
    except ServiceError as exc:
        return render_template("auth/link_invalid.html", message=exc.message), exc.status
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            action(token, form.password.data)
        except ServiceError as exc:
            rollback()
            form.password.errors = [*form.password.errors, str(exc.message)]
            status = 400
        else:
            commit()
            flash(_("Your password is set. You can sign in now."), "success")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 400
    return render_template(template, form=form, user=user), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _password_page(token, "invite", "auth/set_password.html", accounts.accept_invitation)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_page(token, "reset", "auth/reset_password.html", accounts.reset_password)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        commit()
        # The same answer whether or not the address has an account.
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. The link works for two hours."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), (400 if form.is_submitted() else 200)


def _token_form(*, submitted: bool) -> ApiTokenForm:
    """The form of a new API token, offering the scopes the user's role allows."""
    form = ApiTokenForm(prefix="token") if submitted else ApiTokenForm(formdata=None,
                                                                       prefix="token")
    form.offer_choices(policy.api_scopes_for(current_user))
    return form


def _account_page(form=None, password_form=None, token_form=None, status: int = 200):
    return render_template(
        "auth/account.html", form=form or AccountForm(formdata=None, obj=current_user),
        password_form=password_form or ChangePasswordForm(formdata=None, prefix="pw"),
        token_form=token_form or _token_form(submitted=False),
        tokens=api_tokens.tokens_of(current_user),
        devices=sessions.live_sessions(current_user), this_device=current_user.device,
    ), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    password_form = ChangePasswordForm(prefix="pw")
    status = 200
    if request.method == "POST" and request.form.get("action") == "password":
        if password_form.validate_on_submit():
            try:
                accounts.change_password(current_user, password_form.current.data,
                                         password_form.password.data)
            except ServiceError as exc:
                rollback()
                password_form.password.errors = [str(exc.message)]
                status = 400
            else:
                commit()
                flash(_("Your password has been changed. Your other devices have been "
                        "signed out."), "success")
                return redirect(url_for("auth.account"))
        else:
            status = 400
    elif form.validate_on_submit():
        accounts.update_preferences(current_user, name=form.name.data, locale=form.locale.data,
                                    digest_opt_out=form.digest_opt_out.data)
        commit()
        session["lang"] = current_user.locale
        flash(_("Your preferences have been saved."), "success")
        return redirect(url_for("auth.account"))
    elif form.is_submitted():
        status = 400
    return _account_page(form, password_form, status=status)


@bp.post("/account/api-tokens")
@login_required
def create_api_token():
    form = _token_form(submitted=True)
    if not form.validate_on_submit():
        return _account_page(token_form=form, status=400)
    created, error = run(api_tokens.create, current_user, form.name.data, form.scopes.data,
                         form.expires_in.data)
    if error is not None:
        show_error(form, error)
        return _account_page(token_form=form, status=error.status)
    token, secret = created
    # Shown on this answer only: never kept in the session, a flash or a log.
    return render_template("auth/api_token_created.html", token=token, secret=secret)


@bp.post("/account/api-tokens/<id:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    token, error = run(api_tokens.revoke, current_user, token_id)
    if error is not None:
        abort(error.status)
    flash(_("The token %(name)s has been revoked: it no longer works.", name=token.name),
          "success")
    if token.user_id != current_user.id:
        return redirect(url_for("admin.edit_user", user_id=token.user_id))
    return redirect(url_for("auth.account"))
