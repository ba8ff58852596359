"""Accounts: sign-in, invitations, password resets, roles and deactivation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tracker import audit
from tracker.extensions import db
from tracker.models import Institution, NotificationKind, Role, User, utcnow
from tracker.security import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from tracker.services import sessions
from tracker.services.errors import ServiceError
from tracker.services.notify import external_url, queue_notification, send_after_response

INVITATION_MAX_AGE = 7 * 24 * 3600
RESET_MAX_AGE = 2 * 3600
COMMON_PASSWORDS = frozenset(
    {"123456789012", "password1234", "contraseña123", "qwertyuiopas", "honduras2024",
     "passwordpassword", "000000000000", "111111111111", "administrador", "derechoshumanos"}
)


class AuthError(ServiceError):
    """Sign-in refused."""


class TokenError(ServiceError):
    """A link that is forged, expired or already used."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problems(password: str, email: str = "") -> list[str]:
    """Return what is wrong with a new password (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 5:
        problems.append(str(_l("This password is too easy to guess.")))
    local = normalise_email(email).split("@")[0]
    if len(local) >= 4 and local in password.lower():
        problems.append(str(_l("Do not use your e-mail address in the password.")))
    return problems


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User:
    """Return the user for valid credentials; raise AuthError otherwise (and audit it)."""
    user = find_user_by_email(email)
    # The password is checked even without an account, so both take the same time.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record(db.session, "login_failed", "app_user", user.id if user else None,
                     {"email": normalise_email(email)[:254]})
        raise AuthError(_l("Wrong e-mail or password."), status=401)
    if not user.is_active:
        audit.record(db.session, "login_refused", "app_user", user.id,
                     {"reason": "deactivated"})
        raise AuthError(
            _l("This account has been deactivated. Ask an administrator to restore it."),
            status=403,
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(db.session, "login", "app_user", user.id, by=user)
    db.session.flush()
    return user


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tracker-{purpose}")


def _fingerprint(user: User) -> str:
    # Changes whenever the password or the session token does, so a used link dies.
    raw = f"{user.password_hash or ''}|{user.session_token}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)})


def read_token(token: str, purpose: str, max_age: int) -> User:
    """Return the user a link was made for; raise TokenError when it no longer holds."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError(_l("This link has expired. Ask for a new one."), status=400) from exc
    except BadSignature as exc:
        raise TokenError(_l("This link is not valid."), status=400) from exc
    user = db.session.get(User, data.get("u"))
    if user is None or not secrets.compare_digest(_fingerprint(user), str(data.get("f"))):
        raise TokenError(_l("This link has already been used. Ask for a new one."), status=400)
    if not user.is_active:
        raise TokenError(_l("This account has been deactivated."), status=400)
    return user


@dataclass
class InvitationInput:
    email: str
    name: str
    role: Role
    institution_id: int | None
    locale: str = "es"


def _check_role_and_institution(actor: User, role: Role, institution_id: int | None) -> None:
    from tracker import policy

    if not policy.can_grant_role(actor, role):
        raise ServiceError(_l("You may not give this role."), status=403)
    if role == Role.FOCAL_POINT:
        inst = db.session.get(Institution, institution_id) if institution_id else None
        if inst is None or not inst.active:
            raise ServiceError(_l("A focal point must belong to an active institution."))
    elif institution_id:
        raise ServiceError(_l("Only focal points belong to an institution."))


def invite_user(actor: User, data: InvitationInput) -> User:
    """Create an account without a password and e-mail its holder a link to set one."""
    email = normalise_email(data.email)
    if find_user_by_email(email):
        raise ServiceError(_l("There is already an account with this e-mail address."),
                           status=409)
    _check_role_and_institution(actor, data.role, data.institution_id)
    user = User(email=email, name=data.name.strip(), role=data.role,
                institution_id=data.institution_id if data.role == Role.FOCAL_POINT else None,
                locale=data.locale if data.locale in ("es", "en") else "es")
    db.session.add(user)
    db.session.flush()
    audit.record(db.session, "invite", "app_user", user.id,
                 {"email": email, "role": data.role.value, "invited_by": actor.email})
    send_invitation(user, actor)
    return user


def send_invitation(user: User, actor: User) -> None:
    """Queue the invitation e-mail with a fresh set-password link."""
    token = make_token(user, "invite")
    link = url_for("auth.accept_invitation", token=token, _external=True)
    queue_notification(user, NotificationKind.INVITATION, f"invite:{user.id}:{token[-24:]}",
                       "invitation", link=link, inviter=actor)


def resend_invitation(actor: User, user_id: int) -> User:
    """Send a new set-password link to an account that has not chosen a password yet."""
    from tracker import policy

    user = _get_user(user_id)
    if not policy.can_resend_invitation(actor, user):
        raise ServiceError(_l("You may not send an invitation to this account."), status=403)
    send_invitation(user, actor)
    audit.record(db.session, "invitation_resent", "app_user", user.id)
    return user


def set_password(user: User, password: str, *, keep_device: bool = False) -> None:
    """Set a new password after checking the strength rule; end the other sign-ins."""
    problems = password_problems(password, user.email)
    if problems:
        raise ServiceError(" ".join(problems))
    user.password_hash = hash_password(password)
    sessions.end_every_session(user, keep=user.device if keep_device else None)
    audit.record(db.session, "password_set", "app_user", user.id)
    db.session.flush()


def accept_invitation(token: str, password: str) -> User:
    """Set the first password of an invited account from its link."""
    user = read_token(token, "invite", INVITATION_MAX_AGE)
    set_password(user, password)
    return user


def request_password_reset(email: str) -> None:
    """Record a reset request and leave the rest to a task: the same work for any address."""
    user = find_user_by_email(email)
    audit.record(db.session, "password_reset_requested", "app_user",
                 user.id if user else None, {"email": normalise_email(email)[:254]})
    send_after_response("tracker.tasks.send_password_reset", normalise_email(email))


def send_password_reset(email: str) -> None:
    """Queue a reset link to the address when it has an active account."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = make_token(user, "reset")
    link = external_url("auth.reset_password", token=token)
    queue_notification(user, NotificationKind.PASSWORD_RESET, f"reset:{user.id}:{token[-24:]}",
                       "password_reset", link=link)


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset link."""
    user = read_token(token, "reset", RESET_MAX_AGE)
    set_password(user, password)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password, proving the current one; this device stays signed in."""
    if not verify_password(user.password_hash, current):
        raise ServiceError(_l("The current password is not right."))
    set_password(user, new, keep_device=True)


@dataclass
class UserChange:
    name: str
    role: Role
    institution_id: int | None
    version: int


def update_user(actor: User, user_id: int, change: UserChange) -> User:
    """Change a user's name, role or institution; a new role signs them out everywhere."""
    from tracker import policy
    from tracker.services.errors import check_version

    user = _get_user(user_id)
    if not policy.can_manage_user(actor, user):
        raise ServiceError(_l("You may not change this account."), status=403)
    check_version(user, change.version)
    if user.id == actor.id and change.role != user.role:
        raise ServiceError(_l("You cannot change your own role."))
    _check_role_and_institution(actor, change.role, change.institution_id)
    permission_changed = (user.role, user.institution_id) != (
        change.role, change.institution_id if change.role == Role.FOCAL_POINT else None)
    user.name = change.name.strip()
    user.role = change.role
    user.institution_id = change.institution_id if change.role == Role.FOCAL_POINT else None
    if permission_changed:
        sessions.end_every_session(user)
        audit.record(db.session, "permission_change", "app_user", user.id,
                     {"role": change.role.value, "institution_id": user.institution_id})
    db.session.flush()
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate (ending every open session) or reactivate an account."""
    from tracker import policy

    user = _get_user(user_id)
    if not policy.can_manage_user(actor, user):
        raise ServiceError(_l("You may not change this account."), status=403)
    if user.id == actor.id and not active:
        raise ServiceError(_l("You cannot deactivate your own account."))
    if user.active == active:
        return user
    user.active = active
    sessions.end_every_session(user)
    audit.record(db.session, "activate" if active else "deactivate", "app_user", user.id)
    db.session.flush()
    return user


def update_preferences(user: User, *, name: str, locale: str, digest_opt_out: bool) -> None:
    """Save one's own name, language and reminder preference."""
    user.name = name.strip() or user.name
    user.locale = locale if locale in ("es", "en") else user.locale
    user.digest_opt_out = digest_opt_out
    db.session.flush()


def create_admin(email: str, name: str, password: str) -> User:
    """Create an administrator account (first install)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(normalise_email(email), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError(_l("This is not a valid e-mail address.")) from exc
    if not (name or "").strip():
        raise ServiceError(_l("Write the administrator's name."))
    if find_user_by_email(email):
        raise ServiceError(_l("There is already an account with this e-mail address."),
                           status=409)
    user = User(email=normalise_email(email), name=name.strip(), role=Role.ADMIN)
    problems = password_problems(password, email)
    if problems:
        raise ServiceError(" ".join(problems))
    user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError(_l("No such account."), status=404)
    return user
