"""What institutions report (progress reports) and what the office does (office actions)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import TimestampMixin, UTCDateTime, VersionedMixin, enum_column, utcnow
from tracker.models.recommendation import Recommendation
from tracker.models.reference import Institution, Term


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class ReportVisibility(enum.StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class MeasureKind(enum.StrEnum):
    LEGISLATIVE = "legislative"
    POLICY = "policy"
    INSTITUTIONAL = "institutional"
    BUDGET = "budget"
    TRAINING = "training"
    JUDICIAL = "judicial"
    OTHER = "other"


report_recommendation = Table(
    "report_recommendation",
    db.metadata,
    Column("report_id", ForeignKey("progress_report.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ProgressReport(TimestampMixin, VersionedMixin, db.Model):
    """What an institution did about one or more of the recommendations assigned to it."""

    __tablename__ = "progress_report"
    __table_args__ = (
        Index("ix_progress_report_institution_state", "institution_id", "state"),
        Index("ix_progress_report_state_submitted", "state", "submitted_at"),
        CheckConstraint(
            "(state = 'approved') = (visibility IS NOT NULL)", name="visibility_when_approved"
        ),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    measure_kind: Mapped[MeasureKind] = mapped_column(
        enum_column(MeasureKind, "measure_kind"), default=MeasureKind.OTHER
    )
    state: Mapped[ReportState] = mapped_column(
        enum_column(ReportState, "state"), default=ReportState.DRAFT
    )
    visibility: Mapped[ReportVisibility | None] = mapped_column(
        enum_column(ReportVisibility, "visibility")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    institution: Mapped[Institution] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    recommendations: Mapped[list[Recommendation]] = relationship(
        secondary=report_recommendation, order_by="Recommendation.reference"
    )
    transitions: Mapped[list[ReportTransition]] = relationship(
        back_populates="report", order_by="ReportTransition.at, ReportTransition.id"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="report", order_by="Evidence.id", cascade="all, delete-orphan"
    )


class ReportTransition(db.Model):
    """One step of a report's lifecycle, with the text as it stood then."""

    __tablename__ = "report_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[ReportState | None] = mapped_column(enum_column(ReportState, "from_state"))
    to_state: Mapped[ReportState] = mapped_column(enum_column(ReportState, "to_state"))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict | None] = mapped_column(JSON)

    report: Mapped[ProgressReport] = relationship(back_populates="transitions")
    actor = relationship("User")


class EvidenceKind(enum.StrEnum):
    FILE = "file"
    LINK = "link"


class Evidence(db.Model):
    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'file' AND stored_file_id IS NOT NULL) OR (kind = 'link' AND url IS NOT NULL)",
            name="file_or_link",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, "kind"))
    label: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(1000))
    stored_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="RESTRICT")
    )
    is_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[ProgressReport] = relationship(back_populates="evidence")
    stored_file = relationship("StoredFile")


class OfficeActionKind(enum.StrEnum):
    TECHNICAL_ASSISTANCE = "technical_assistance"
    MONITORING = "monitoring"
    ADVOCACY = "advocacy"
    CAPACITY_BUILDING = "capacity_building"
    PUBLIC_REPORT = "public_report"
    DIALOGUE = "dialogue"
    EARLY_WARNING = "early_warning"


office_action_term = Table(
    "office_action_term",
    db.metadata,
    Column("action_id", ForeignKey("office_action.id", ondelete="CASCADE"), primary_key=True),
    Column("term_id", ForeignKey("term.id", ondelete="CASCADE"), primary_key=True, index=True),
)
office_action_institution = Table(
    "office_action_institution",
    db.metadata,
    Column("action_id", ForeignKey("office_action.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "institution_id",
        ForeignKey("institution.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
office_action_recommendation = Table(
    "office_action_recommendation",
    db.metadata,
    Column("action_id", ForeignKey("office_action.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class OfficeAction(TimestampMixin, VersionedMixin, db.Model):
    """Something the UN office did, tied to pillars, institutions and recommendations."""

    __tablename__ = "office_action"
    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name="date_order"
        ),
        Index("ix_office_action_kind_start", "kind", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OfficeActionKind] = mapped_column(enum_column(OfficeActionKind, "kind"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    is_public: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )

    terms: Mapped[list[Term]] = relationship(secondary=office_action_term)
    institutions: Mapped[list[Institution]] = relationship(secondary=office_action_institution)
    recommendations: Mapped[list[Recommendation]] = relationship(
        secondary=office_action_recommendation
    )
    created_by = relationship("User")
