"""Sign-in records: one per device, named by its cookies, ended by signing out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from tracker import audit
from tracker.extensions import db
from tracker.models import User, UserSession, new_session_token, utcnow

# last_seen_at is a hint for the account page, not a clock: writing it on every request
# would turn each page view into a database write.
HEARTBEAT = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, remember: bool, user_agent: str = "",
                  address: str | None = None) -> str:
    """Open a sign-in record for this device and return its token (stored only hashed)."""
    # Records no cookie can name any more are only history: drop the user's old ones.
    too_old = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"] - timedelta(days=1)
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user.id,
                                                    UserSession.last_seen_at < too_old))
    token = secrets.token_urlsafe(32)
    record = UserSession(user_id=user.id, token_hash=_hash(token), remember=remember,
                         user_agent=(user_agent or "")[:300], source_address=address)
    db.session.add(record)
    db.session.flush()
    user.device_token, user.device = token, record
    return token


def _still_valid(record: UserSession) -> bool:
    # A record lives as long as one of its cookies could: the session cookie while the
    # device keeps coming back, the remember cookie for its fixed term from sign-in.
    cfg = current_app.config
    now = utcnow()
    if record.last_seen_at > now - cfg["PERMANENT_SESSION_LIFETIME"] - HEARTBEAT:
        return True
    return record.remember and record.created_at > now - cfg["REMEMBER_COOKIE_DURATION"]


def resume_session(token: str) -> User | None:
    """Return the active user of a live sign-in record named by a cookie, else None."""
    if not token:
        return None
    record = db.session.execute(
        db.select(UserSession).options(joinedload(UserSession.user))
        .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
    ).scalar_one_or_none()
    if record is None or not record.user.is_active or not _still_valid(record):
        return None
    user = record.user
    user.device_token, user.device = token, record
    return user


def needs_heartbeat(record: UserSession) -> bool:
    """Tell whether the record's last-seen time is old enough to be written again."""
    return record.last_seen_at < utcnow() - HEARTBEAT


def note_seen(record: UserSession) -> None:
    """Stamp the record as seen now."""
    record.last_seen_at = utcnow()
    db.session.flush()


def sign_out(user: User) -> None:
    """End the sign-in record this device runs under."""
    if user.device is not None and user.device.ended_at is None:
        user.device.ended_at = utcnow()
    audit.record(db.session, "logout", "app_user", user.id)
    db.session.flush()


def sign_out_everywhere(user: User) -> int:
    """End every sign-in record of the user, this device's included; return how many."""
    ended = end_every_session(user)
    audit.record(db.session, "logout_everywhere", "app_user", user.id, {"sessions": ended})
    return ended


def end_every_session(user: User, *, keep: UserSession | None = None) -> int:
    """End all of the user's sign-in records but ``keep``; return how many ended."""
    # Links e-mailed before (invitation, reset) carry a fingerprint of this token. Set
    # first, so that it is flushed with the change that ends the sessions: one event.
    user.session_token = new_session_token()
    query = db.update(UserSession).where(UserSession.user_id == user.id,
                                         UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    return db.session.execute(query.values(ended_at=utcnow()),
                              execution_options={"synchronize_session": "fetch"}).rowcount


def live_sessions(user: User) -> list[UserSession]:
    """Return the user's sign-in records that can still be used, the latest seen first."""
    records = db.session.execute(
        db.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).scalars()
    return [r for r in records if _still_valid(r)]
