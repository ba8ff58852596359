"""Reference data: mechanisms, vocabularies and terms, institutions, countries."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import Localized, TimestampMixin, VersionedMixin, enum_column


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
    """A State, by ISO 3166-1; names come from pycountry and its Spanish catalogue."""

    __tablename__ = "country"

    id: Mapped[int] = mapped_column(primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name_es: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
