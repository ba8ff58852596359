"""The machinery: stored files, notifications, report and import jobs, the bulk download."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from tracker.extensions import db
from tracker.models.base import UTCDateTime, enum_column, utcnow


class StoredFile(db.Model):
    """Bytes every web and worker process can read: kept in the database."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Small files (evidence) keep their bytes here; large ones (exports) in StoredFileChunk
    # rows, so that neither writing nor reading them holds the whole file in memory.
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )


class StoredFileChunk(db.Model):
    """One slice of a large stored file, in order."""

    __tablename__ = "stored_file_chunk"

    stored_file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class NotificationKind(enum.StrEnum):
    REMINDER_DIGEST = "reminder_digest"
    ESCALATION = "escalation"
    REVIEW_RESULT = "review_result"
    REPORT_READY = "report_ready"
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a message kind, not a secret
    SUBMISSION_DIGEST = "submission_digest"
    ASSIGNMENT = "assignment"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_status_created", "status", "created_at"),
        # The unread count in every signed-in page's account bar.
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    recipient_email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, "kind"))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, "status"), default=NotificationStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient = relationship("User")


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportKind(enum.StrEnum):
    STATUS_MATRIX = "status_matrix"
    STATUS_REPORT = "status_report"
    FOLLOWUP_DRAFT = "followup_draft"


class ReportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    PDF = "pdf"
    DOCX = "docx"


class ReportJob(db.Model):
    """A requested export: built by a worker into a stored file, kept until deleted."""

    __tablename__ = "report_job"
    __table_args__ = (
        Index("ix_report_job_state_created", "state", "created_at"),
        UniqueConstraint("snapshot_key", name="uq_report_job_snapshot_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "kind"))
    format: Mapped[ReportFormat] = mapped_column(enum_column(ReportFormat, "format"))
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="es")
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState, "state"), default=JobState.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)
    stored_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Only public information, downloadable by anyone once done.
    public: Mapped[bool] = mapped_column(default=False)
    # The monthly public snapshot's period and type ("2026-11:status_matrix.xlsx"): unique,
    # so that a second beat or a repeated pass never builds the same month twice.
    snapshot_key: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    # The build that holds the job: a worker claims it, beats while it works, and only the
    # holder may finish it; a silent heartbeat lets the sweep hand the job to another.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by = relationship("User")
    stored_file = relationship("StoredFile")


class ImportFormat(enum.StrEnum):
    UHRI_XLSX = "uhri_xlsx"
    UHRI_JSON = "uhri_json"
    CSV = "csv"
    UPR_INFO_CSV = "upr_info_csv"


class ImportPhase(enum.StrEnum):
    """Where an import from the screen stands, as the person who uploaded it reads it."""

    PREVIEWING = "previewing"  # the worker builds the preview (a dry run)
    PREVIEW_READY = "preview_ready"  # the preview waits for the person to confirm
    IMPORTING = "importing"  # confirmed: the worker imports
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"  # set aside at the preview: nothing was imported


class ImportJob(db.Model):
    """A file to import: kept, previewed by a worker (a dry run), imported once confirmed.

    ``dry_run`` says which run the job is at (the preview, or the import confirmed by
    ``confirmed_by``) and ``state`` how that run goes; ``phase`` tells both in one word.
    """

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_format: Mapped[ImportFormat] = mapped_column(enum_column(ImportFormat, "format"))
    stored_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    # The name the file was uploaded under: kept also when the file was refused.
    filename: Mapped[str | None] = mapped_column(String(255))
    dry_run: Mapped[bool] = mapped_column(default=True)
    publish: Mapped[bool] = mapped_column(default=False)
    keep_other_states: Mapped[bool] = mapped_column(default=False)
    # Rows of the file whose values replace what the office curated (its choice, conflict
    # by conflict); the office's values stay on every other row.
    overwrite_rows: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState, "state"), default=JobState.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)
    total_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    # Rows per outcome and the other totals of the last run, for the history's line.
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    # The last run's full report (every row's outcome), a JSON file: large files give
    # large reports, which stay out of this row.
    report_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The run that holds the job, as for exports: claimed, beating, finished by its holder.
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stored_file = relationship("StoredFile", foreign_keys=[stored_file_id])
    report_file = relationship("StoredFile", foreign_keys=[report_file_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    @property
    def phase(self) -> ImportPhase:
        if self.discarded_at is not None:
            return ImportPhase.DISCARDED
        if self.state == JobState.FAILED:
            return ImportPhase.FAILED
        if self.state == JobState.DONE:
            return ImportPhase.PREVIEW_READY if self.dry_run else ImportPhase.DONE
        return ImportPhase.PREVIEWING if self.dry_run else ImportPhase.IMPORTING

    @property
    def working(self) -> bool:
        """Whether a worker has the job to do now (a preview or the import under way)."""
        return self.phase in (ImportPhase.PREVIEWING, ImportPhase.IMPORTING)


class BulkFile(db.Model):
    """One language's file of the bulk download: every published recommendation, as the
    public data stood at the counters it records."""

    __tablename__ = "bulk_file"
    __table_args__ = (
        # Two builds of the same data (a second beat, a command run meanwhile): one is kept.
        UniqueConstraint("language", "catalogue_version", "activity_version",
                         name="uq_bulk_file_language_versions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    stored_file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_file.id", ondelete="CASCADE"), index=True
    )
    rows: Mapped[int]
    catalogue_version: Mapped[int] = mapped_column(BigInteger)
    activity_version: Mapped[int] = mapped_column(BigInteger)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stored_file = relationship("StoredFile")

    @property
    def data_versions(self) -> dict[str, int]:
        return {"catalogue": self.catalogue_version, "activity": self.activity_version}
