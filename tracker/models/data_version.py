"""A counter per kind of public data, moved on by every commit that changes it.

Each serving process keeps figures derived from the data (counts, facet sets, word
lists) and rebuilds them only when the counter has moved: the processes share nothing
but the database, so the counter lives there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.base import UTCDateTime, utcnow


class DataVersion(db.Model):
    __tablename__ = "data_version"

    # "catalogue": recommendations, their texts, classification, statuses and
    # assignments; "activity": progress reports and office actions.
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
