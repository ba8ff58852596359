"""The outcome of a state-changing form, kept under the key the form was drawn with.

A form sent twice (a double click, a retry after a timeout) carries the same key: the
second sending finds the first one's outcome here and is shown it instead of acting again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.base import UTCDateTime, utcnow


class FormSubmission(db.Model):
    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    # Where the first sending led (the page a redirect named); empty until it acted.
    location: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<FormSubmission {self.id} of user {self.user_id}>"
