"""Documents, recommendations, assignments and status assessments."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import TimestampMixin, UTCDateTime, VersionedMixin, enum_column, utcnow
from tracker.models.reference import Country, Institution, Mechanism, Term


class RecommendationType(enum.StrEnum):
    RECOMMENDATION = "recommendation"
    CONCERN = "concern"
    OPERATIVE_POINT = "operative_point"
    PRECAUTIONARY_MEASURE = "precautionary_measure"


class UprPosition(enum.StrEnum):
    SUPPORTED = "supported"
    NOTED = "noted"
    SUPPORTED_NOTED = "supported_noted"
    PENDING = "pending"
    NOT_APPLICABLE = "not_applicable"


class ImplementationStatus(enum.StrEnum):
    NO_INFORMATION = "no_information"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    IMPLEMENTED = "implemented"
    NOT_APPLICABLE = "not_applicable"


class AssignmentRole(enum.StrEnum):
    LEAD = "lead"
    SUPPORT = "support"


REPORTING_RHYTHMS = (1, 3, 6, 12)


class Document(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("mechanism.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    date: Mapped[date | None]
    upr_cycle: Mapped[int | None]
    session: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(500))

    mechanism: Mapped[Mechanism] = relationship()
    recommendations: Mapped[list[Recommendation]] = relationship(back_populates="document")

    def __repr__(self) -> str:
        return f"<Document {self.symbol}>"


recommendation_state = Table(
    "recommendation_state",
    db.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("country_id", ForeignKey("country.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

# The State(s) a recommendation is addressed to (a joint communication may name several);
# not the recommending States of the UPR, which recommendation_state holds.
recommendation_concerned_state = Table(
    "recommendation_concerned_state",
    db.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("country_id", ForeignKey("country.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

recommendation_term = Table(
    "recommendation_term",
    db.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("term_id", ForeignKey("term.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Recommendation(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "recommendation"
    __table_args__ = (
        # Status first: with is_published first, SQLite (no ANALYZE statistics) chose it
        # for every published-only query and read the whole table.
        Index("ix_recommendation_status_published", "status", "is_published"),
        Index("ix_recommendation_document_published", "document_id", "is_published"),
        Index("ix_recommendation_mechanism_published", "mechanism_id", "is_published"),
        Index("ix_recommendation_document_paragraph", "document_id", "paragraph"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    # Denormalised from the document so the public list filters on one table.
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("mechanism.id"))
    paragraph: Mapped[str | None] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    # The original: the text as the mechanism adopted it (the first version the tracker
    # received), kept beside its version in ``texts`` so that lists and exports read one row.
    language: Mapped[str] = mapped_column(String(8), default="en")
    type: Mapped[RecommendationType] = mapped_column(
        enum_column(RecommendationType, "type"), default=RecommendationType.RECOMMENDATION
    )
    upr_position: Mapped[UprPosition | None] = mapped_column(
        enum_column(UprPosition, "upr_position")
    )
    follow_up: Mapped[bool] = mapped_column(default=False)
    follow_up_due: Mapped[date | None]
    is_published: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImplementationStatus] = mapped_column(
        enum_column(ImplementationStatus, "status"),
        default=ImplementationStatus.NO_INFORMATION,
    )
    status_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fields the office changed by hand (names as an import reports them: "text",
    # "terms", ...), sorted: a later import leaves them alone and reports the conflict.
    curated_fields: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    document: Mapped[Document] = relationship(back_populates="recommendations")
    mechanism: Mapped[Mechanism] = relationship()
    recommending_states: Mapped[list[Country]] = relationship(
        secondary=recommendation_state, order_by="Country.name_en"
    )
    states_concerned: Mapped[list[Country]] = relationship(
        secondary=recommendation_concerned_state, order_by="Country.name_en"
    )
    terms: Mapped[list[Term]] = relationship(secondary=recommendation_term)
    # Every language version, the original's included; loaded with the recommendation
    # (one query per page of them), since every page shows the reader's version.
    texts: Mapped[list[RecommendationText]] = relationship(
        back_populates="recommendation", order_by="RecommendationText.language",
        cascade="all, delete-orphan", lazy="selectin",
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="recommendation", order_by="Assignment.role, Assignment.id"
    )
    assessments: Mapped[list[StatusAssessment]] = relationship(
        back_populates="recommendation",
        order_by="StatusAssessment.assessed_at.desc(), StatusAssessment.id.desc()",
    )

    def __repr__(self) -> str:
        return f"<Recommendation {self.reference}>"

    def text_in(self, language: str) -> RecommendationText | None:
        """Return the version in a language, if the tracker holds one."""
        return next((t for t in self.texts if t.language == language), None)

    def shown_text(self, language: str) -> tuple[str, str]:
        """Return (text, its language): the reader's version if there is one, else the original."""
        version = self.text_in(language)
        if version is not None and version.text:
            return version.text, version.language
        return self.text, self.language

    def set_text(self, language: str, text: str) -> RecommendationText:
        """Type the version in a language (staff); the original's also updates ``text``."""
        version = self.text_in(language)
        if version is None:
            version = RecommendationText(language=language)
            self.texts.append(version)
        if version.text != text:
            version.text, version.source = text, TextSource.STAFF
            version.source_file = version.source_row = None
        if language == self.language:
            self.text = text
        return version

    def keep_original_version(self) -> None:
        """Give ``text`` its version row in ``language``, or bring that row up to date."""
        version = self.text_in(self.language)
        if version is None or version.text != self.text:
            self.set_text(self.language, self.text)


class TextSource(enum.StrEnum):
    """Where a language version of a recommendation came from."""

    UHRI = "uhri"  # the Universal Human Rights Index, with its annotation id
    UPR_INFO = "upr_info"
    FILE = "file"  # the tracker's own CSV, or a file whose origin is not known
    STAFF = "staff"  # typed or corrected on the web


class RecommendationText(db.Model):
    """A recommendation's text in one language: the UN publishes each in several."""

    __tablename__ = "recommendation_text"
    __table_args__ = (UniqueConstraint("recommendation_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[TextSource] = mapped_column(
        enum_column(TextSource, "text_source"), default=TextSource.FILE
    )
    # UHRI gives each language version of a paragraph an annotation id of its own.
    annotation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The file and row it was read from (a UPR Info row, a tracker CSV row); none if typed.
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_row: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<RecommendationText {self.recommendation_id} {self.language}>"


class Assignment(TimestampMixin, VersionedMixin, db.Model):
    """A recommendation placed with an institution, which reports on it every N months."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "institution_id"),
        CheckConstraint("rhythm_months IN (1, 3, 6, 12)", name="rhythm_months"),
        Index("ix_assignment_institution_due", "institution_id", "active", "next_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    role: Mapped[AssignmentRole] = mapped_column(
        enum_column(AssignmentRole, "role"), default=AssignmentRole.LEAD
    )
    rhythm_months: Mapped[int] = mapped_column(default=6)
    next_due: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )

    recommendation: Mapped[Recommendation] = relationship(back_populates="assignments")
    institution: Mapped[Institution] = relationship()


assessment_report = Table(
    "assessment_report",
    db.metadata,
    Column(
        "assessment_id",
        ForeignKey("status_assessment.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "report_id",
        ForeignKey("progress_report.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class AssessmentSource(enum.StrEnum):
    OFFICE = "office"
    MECHANISM = "mechanism"


class StatusAssessment(db.Model):
    """One judgement of how far a recommendation is implemented; the newest is current."""

    __tablename__ = "status_assessment"
    __table_args__ = (
        Index("ix_status_assessment_recommendation", "recommendation_id", "assessed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    status: Mapped[ImplementationStatus] = mapped_column(
        enum_column(ImplementationStatus, "status")
    )
    rationale: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[AssessmentSource] = mapped_column(
        enum_column(AssessmentSource, "source"), default=AssessmentSource.OFFICE
    )
    # The mechanism's own grade when it assessed (e.g. the Human Rights Committee's A-E).
    mechanism_grade: Mapped[str | None] = mapped_column(String(16))
    source_document: Mapped[str | None] = mapped_column(String(128))
    assessed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recommendation: Mapped[Recommendation] = relationship(back_populates="assessments")
    assessed_by = relationship("User")
    reports = relationship("ProgressReport", secondary=assessment_report)


@event.listens_for(Session, "before_flush")
def _keep_original_versions(session: Session, _context, _instances) -> None:
    """Whatever code sets a recommendation's text, its original version row follows."""
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Recommendation) or obj.text is None:
            continue
        state = inspect(obj)
        if obj in session.new or any(state.attrs[name].history.has_changes()
                                     for name in ("text", "language")):
            obj.keep_original_version()
