"""Reference data: mechanisms, vocabularies and terms, institutions, countries."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import (
    Localized,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
    utcnow,
)


class MechanismFamily(enum.StrEnum):
    UPR = "upr"
    TREATY_BODY = "treaty_body"
    SPECIAL_PROCEDURE = "special_procedure"
    REGIONAL_COMMISSION = "regional_commission"
    REGIONAL_COURT = "regional_court"


class Mechanism(Localized, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "mechanism"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    family: Mapped[MechanismFamily] = mapped_column(enum_column(MechanismFamily, "family"))
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    acronym_es: Mapped[str | None] = mapped_column(String(32))
    acronym_en: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    @property
    def acronym(self) -> str:
        return self.localized("acronym") or self.code

    def __repr__(self) -> str:
        return f"<Mechanism {self.code}>"


class Vocabulary(Localized, TimestampMixin, VersionedMixin, db.Model):
    """A classification scheme; its terms classify recommendations and office actions."""

    __tablename__ = "vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_es: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    applies_to_recommendations: Mapped[bool] = mapped_column(default=True)
    applies_to_actions: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    terms: Mapped[list[Term]] = relationship(
        back_populates="vocabulary", order_by="Term.sort_order, Term.name_en"
    )


class Term(Localized, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "term"
    __table_args__ = (
        UniqueConstraint("vocabulary_id", "code"),
        Index("ix_term_vocabulary_active", "vocabulary_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary_id: Mapped[int] = mapped_column(ForeignKey("vocabulary.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(128))
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_es: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    vocabulary: Mapped[Vocabulary] = relationship(back_populates="terms")
    parent: Mapped[Term | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Term]] = relationship(
        foreign_keys=[parent_id], back_populates="parent"
    )
    merged_into: Mapped[Term | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])


class TermAlias(TimestampMixin, db.Model):
    """Another way a source writes a term: a label met once is known for every later import.

    ``key`` is the label folded (no case, accents or punctuation), so each spelling of it
    finds the term; the term may belong to another vocabulary (a theme label that names a
    group of persons), or be none at all.
    """

    __tablename__ = "term_alias"
    __table_args__ = (UniqueConstraint("vocabulary_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary_id: Mapped[int] = mapped_column(ForeignKey("vocabulary.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    # None: the label classifies nothing ("General", "Other") and is left out.
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"),
                                                index=True)

    vocabulary: Mapped[Vocabulary] = relationship()
    term: Mapped[Term | None] = relationship()


# The recommendations an unknown label is waiting to be linked to.
pending_label_link = Table(
    "pending_label_link",
    db.metadata,
    Column("pending_label_id", ForeignKey("pending_label.id", ondelete="CASCADE"),
           primary_key=True),
    Column("recommendation_id", ForeignKey("recommendation.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class PendingLabel(db.Model):
    """A label an import met that no term or alias knows yet: the office maps it or adds it."""

    __tablename__ = "pending_label"
    __table_args__ = (UniqueConstraint("vocabulary_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary_id: Mapped[int] = mapped_column(ForeignKey("vocabulary.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_source: Mapped[str | None] = mapped_column(String(255))
    first_seen_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))

    vocabulary: Mapped[Vocabulary] = relationship()


class InstitutionBranch(enum.StrEnum):
    EXECUTIVE = "executive"
    LEGISLATIVE = "legislative"
    JUDICIAL = "judicial"
    AUTONOMOUS = "autonomous"
    LOCAL = "local"
    CIVIL_SOCIETY = "civil_society"
    UN = "un"
    INTERNATIONAL = "international"


class Institution(Localized, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    acronym: Mapped[str] = mapped_column(String(32), unique=True)
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    branch: Mapped[InstitutionBranch] = mapped_column(enum_column(InstitutionBranch, "branch"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True, index=True)

    parent: Mapped[Institution | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Institution {self.acronym}>"


class Country(Localized, db.Model):
    """A State or territory, by ISO 3166-1; UN States carry the UN short names (seed file)."""

    __tablename__ = "country"

    id: Mapped[int] = mapped_column(primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
