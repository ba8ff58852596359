"""People who sign in."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import TimestampMixin, UTCDateTime, VersionedMixin, enum_column, utcnow
from tracker.models.reference import Institution


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    FOCAL_POINT = "focal_point"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(
            "(role = 'focal_point') = (institution_id IS NOT NULL)",
            name="focal_point_has_institution",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id"), index=True
    )
    locale: Mapped[str] = mapped_column(String(8), default="es")
    active: Mapped[bool] = mapped_column(default=True)
    digest_opt_out: Mapped[bool] = mapped_column(default=False)
    # Rotated whenever every sign-in of the user ends; links e-mailed before then
    # (invitation, password reset) carry a fingerprint of it and die with it.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)

    institution: Mapped[Institution | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The raw token of the sign-in record this request runs under (set by sign-in and by
    # the user loader); only its hash is stored, so the object carries it for get_id.
    device_token = None
    device = None

    def get_id(self) -> str:
        # Both the session cookie and the remember cookie name the device's sign-in
        # record, never the account: ending the record refuses every copy of them.
        if not self.device_token:
            raise RuntimeError("sign the user in through services.sessions.start_session")
        return self.device_token

    # UserMixin compares get_id(), which now names a device (and is missing on a user
    # loaded outside a sign-in): the same person is the same account row.
    def __eq__(self, other):
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    __hash__ = UserMixin.__hash__

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """One device's sign-in: what the session and remember cookies name."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_ended", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    source_address: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class ApiScope(enum.StrEnum):
    """What an API token may be used for; the holder's role still bounds each scope."""

    READ = "read"  # one's own workspace: assignments, one's institution's reports
    REPORTS = "reports"  # focal points: draft, update, attach evidence, submit
    REVIEW = "review"  # office staff: return or approve, assess, record office actions
    JOBS = "jobs"  # office staff: start imports and report jobs


class ApiToken(db.Model):
    """A personal key for the API: named, narrowed to scopes, expiring, revocable.

    Only a hash of its secret is kept; the public prefix lets its holder recognise it.
    """

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_address: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def state(self, now: datetime | None = None) -> str:
        """Return "revoked", "expired" or "active"."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or utcnow()) else "active"

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of user {self.user_id}>"
