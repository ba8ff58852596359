"""Building an export inside a worker: claim the job, build, store, announce; never lose it.

A build claims its job with one conditional UPDATE, so two deliveries of the same task
(a redelivery after a lost worker, a sweep) never build it twice at once. While it works
it beats: progress and a heartbeat, committed. A job whose heartbeat has gone silent was
left by a worker that died; the next delivery or the sweep takes it over, up to
MAX_ATTEMPTS builds. The file is written to a temporary file first and stored, with the
job's new state, in the one transaction that finishes the job.
"""

from __future__ import annotations

import importlib
import logging
import secrets
import tempfile
import time
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import and_, or_, select, update

from tracker import policy
from tracker.exports import Built, Selection
from tracker.extensions import db
from tracker.models import (
    JobState,
    NotificationKind,
    ReportJob,
    User,
    utcnow,
)
from tracker.services.curation_queries import matching_ids, parse_filters
from tracker.services.exports import describe_filters, export_type_of
from tracker.services.notify import dispatch_outbox, external_url, queue_notification
from tracker.services.storage import store_stream

log = logging.getLogger(__name__)
# A build that has not beaten for this long is taken to have died with its worker.
HEARTBEAT_STALE = timedelta(seconds=90)
# A queued job nobody took for this long was never enqueued (the broker was down).
QUEUED_STALE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
BEAT_EVERY_S = 2.0
BUILDERS = {
    "status_matrix.xlsx": "tracker.exports.matrix:build_status_matrix_xlsx",
    "status_matrix.csv": "tracker.exports.matrix:build_status_matrix_csv",
    "status_report.pdf": "tracker.exports.status_report:build_status_report_pdf",
    "followup_draft.docx": "tracker.exports.followup_draft:build_followup_draft_docx",
}
CLAIMED, BUSY, GONE = "claimed", "busy", "gone"


class BuildRefused(Exception):
    """The job cannot be built as asked; the message is for the person who asked."""


def _builder(job: ReportJob):
    module, name = BUILDERS[export_type_of(job).code].split(":")
    return getattr(importlib.import_module(module), name)


def claim(job_id: int) -> tuple[str, str | None]:
    """Take a queued job, or one whose build went silent; commit. Return (outcome, token)."""
    now = utcnow()
    token = secrets.token_hex(16)
    taken = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, or_(
            ReportJob.state == JobState.QUEUED,
            and_(ReportJob.state == JobState.RUNNING,
                 or_(ReportJob.heartbeat_at.is_(None),
                     ReportJob.heartbeat_at < now - HEARTBEAT_STALE))))
        .values(state=JobState.RUNNING, claim_token=token, heartbeat_at=now, started_at=now,
                attempts=ReportJob.attempts + 1, progress=0, error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken:
        return CLAIMED, token
    state = db.session.scalar(select(ReportJob.state).where(ReportJob.id == job_id))
    return (BUSY if state == JobState.RUNNING else GONE), None


def _beat(job_id: int, token: str, progress: int | None = None) -> None:
    values = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    db.session.execute(
        update(ReportJob).where(ReportJob.id == job_id, ReportJob.claim_token == token)
        .values(**values).execution_options(synchronize_session=False))
    # Commits the build's read transaction too: builders keep no ORM rows across batches.
    db.session.commit()


def _fail(job_id: int, token: str, message: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(ReportJob).where(ReportJob.id == job_id, ReportJob.claim_token == token)
        .values(state=JobState.FAILED, error=message[:2000], finished_at=utcnow(),
                claim_token=None).execution_options(synchronize_session=False))
    db.session.commit()


def _period(filters: dict, key: str) -> date | None:
    raw = filters.get(key)
    return date.fromisoformat(raw) if raw else None


def selection_for(job: ReportJob) -> Selection:
    """Turn a job's filters into the selection its builder reads, with visibility applied."""
    if job.public:
        actor = AnonymousUserMixin()
    else:
        actor = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
        if actor is None or not policy.can_request_exports(actor):
            raise BuildRefused(_("The person who asked for this export may no longer ask "
                                 "for exports, so it was not built."))
    filters = parse_filters(job.filters or {})
    return Selection(
        ids=matching_ids(actor, filters), public=job.public, locale=job.locale,
        description=describe_filters(job.filters or {}), generated_at=utcnow(),
        period_start=_period(job.filters or {}, "period_start"),
        period_end=_period(job.filters or {}, "period_end"),
        document_id=filters.document_id, mechanism_id=filters.mechanism_id,
        filters=dict(job.filters or {}))


def _announce(job: ReportJob) -> None:
    if job.requested_by is None or not job.requested_by.active:
        return
    queue_notification(job.requested_by, NotificationKind.REPORT_READY,
                       f"export_ready:{job.id}", "export_ready", job=job,
                       export=export_type_of(job),
                       link=external_url("review.exports"))


def run_export_job(job_id: int) -> str:
    """Build one export job to the end, or leave it to the build that holds it."""
    outcome, token = claim(job_id)
    if outcome != CLAIMED:
        return outcome
    job = db.session.get(ReportJob, job_id)
    last_beat = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last_beat[0] < BEAT_EVERY_S:
            return
        last_beat[0] = time.monotonic()
        _beat(job_id, token, min(99, done * 100 // total) if total else None)

    # The job's messages, like its file, are in the language of the person who asked.
    with force_locale(job.locale or "es"), tempfile.TemporaryFile() as out:
        if job.attempts > MAX_ATTEMPTS:
            _fail(job_id, token, _("The build stopped %(num)d times without finishing; ask "
                                   "for the export again.", num=MAX_ATTEMPTS))
            return "failed"
        try:
            built: Built = _builder(job)(selection_for(job), out, progress)
        except BuildRefused as exc:
            _fail(job_id, token, str(exc))
            return "failed"
        except Exception as exc:  # noqa: BLE001 - recorded on the job for the one who asked
            # The details stay in the worker's log: they may name the database's internals.
            log.exception("export job %s failed", job_id)
            _fail(job_id, token, _("An unexpected error (%(error)s) stopped the build. The "
                                   "details are in the worker's log.",
                                   error=type(exc).__name__))
            return "failed"
        db.session.rollback()  # end the build's reads before the writing transaction
        job = db.session.get(ReportJob, job_id, with_for_update=True)
        if job is None or job.claim_token != token:
            return GONE  # deleted meanwhile, or taken over after a silence: theirs now
        out.seek(0)
        stored = store_stream(out, built.filename, built.content_type, job.requested_by_id)
        job.stored_file_id = stored.id
        job.state, job.progress, job.rows = JobState.DONE, 100, built.rows
        job.finished_at, job.claim_token = utcnow(), None
        _announce(job)
        db.session.commit()
    dispatch_outbox()
    return "done"


def stale_export_job_ids(queued_for: timedelta = QUEUED_STALE) -> list[int]:
    """Return the jobs queued this long (never enqueued?), and those whose build went silent."""
    now = utcnow()
    return list(db.session.scalars(select(ReportJob.id).where(or_(
        and_(ReportJob.state == JobState.QUEUED, ReportJob.created_at <= now - queued_for),
        and_(ReportJob.state == JobState.RUNNING,
             or_(ReportJob.heartbeat_at.is_(None),
                 ReportJob.heartbeat_at < now - HEARTBEAT_STALE)))).order_by(ReportJob.id)))
