"""People who sign in."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import TimestampMixin, UTCDateTime, VersionedMixin, enum_column
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
    # Changing it signs the user out everywhere: it is what the session cookie names.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)

    institution: Mapped[Institution | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
