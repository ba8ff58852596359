"""Running an import job in a worker: its preview (a dry run), then the confirmed import.

Like an export's build, a run claims its job with one conditional UPDATE, so that two
deliveries of the same task (a redelivery after a lost worker, the sweep) never run it at
once, and a finished job is never run again. While it works it beats: the import commits
its progress batch by batch, which is its heartbeat too; the preview saves nothing (its
writes live in a savepoint that is rolled back), so it beats through a connection of its
own where the database allows a second writer. A run whose heartbeat went silent was left
by a worker that died: the next delivery or the sweep takes it over, up to MAX_ATTEMPTS
runs. Each run ends by storing its full report and the job's counts in one transaction,
and only while it still holds the job: a preview asked for again meanwhile (new options, a
label mapped) leaves the older one's result unsaved.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select, update

from tracker.extensions import db
from tracker.imports import ImportFileError, open_records
from tracker.imports.result import ImportResult
from tracker.models import ImportFormat, ImportJob, JobState, utcnow
from tracker.services import import_messages
from tracker.services.import_reports import build_report, counts_of, store_report
from tracker.services.imports import import_records
from tracker.services.storage import delete_stored_file, iter_stored_bytes

log = logging.getLogger(__name__)
# A run that has not beaten for this long is taken to have died with its worker.
HEARTBEAT_STALE = timedelta(seconds=90)
# A queued job nobody took for this long was never enqueued (the broker was down).
QUEUED_STALE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
BEAT_EVERY_S = 2.0
# Problems kept in the job's row; the report keeps them all.
MAX_STORED_ERRORS = 1000
CLAIMED, BUSY, GONE = "claimed", "busy", "gone"


class JobLost(Exception):
    """Another run holds the job now: this one stops without saving its end."""


def _takeable(now):
    return and_(ImportJob.discarded_at.is_(None), or_(
        ImportJob.state == JobState.QUEUED,
        and_(ImportJob.state == JobState.RUNNING,
             or_(ImportJob.heartbeat_at.is_(None),
                 ImportJob.heartbeat_at < now - HEARTBEAT_STALE))))


def claim(job_id: int) -> tuple[str, str | None]:
    """Take a queued job, or one whose run went silent; commit. Return (outcome, token)."""
    now = utcnow()
    token = secrets.token_hex(16)
    taken = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, _takeable(now))
        .values(state=JobState.RUNNING, claim_token=token, heartbeat_at=now, started_at=now,
                finished_at=None, attempts=ImportJob.attempts + 1, progress=0, errors=[])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return (CLAIMED, token) if taken else (_taken(job_id), None)


def _taken(job_id: int) -> str:
    state = db.session.scalar(select(ImportJob.state).where(ImportJob.id == job_id))
    db.session.rollback()
    return BUSY if state == JobState.RUNNING else GONE


def stale_import_job_ids(queued_for: timedelta = QUEUED_STALE) -> list[int]:
    """Return the jobs queued this long (never enqueued?), and those whose run went silent."""
    now = utcnow()
    return list(db.session.scalars(select(ImportJob.id).where(
        ImportJob.discarded_at.is_(None), or_(
            and_(ImportJob.state == JobState.QUEUED, ImportJob.created_at <= now - queued_for),
            and_(ImportJob.state == JobState.RUNNING,
                 or_(ImportJob.heartbeat_at.is_(None),
                     ImportJob.heartbeat_at < now - HEARTBEAT_STALE)))).order_by(ImportJob.id)))


@contextmanager
def _upload(job: ImportJob) -> Iterator[tuple[Path, str]]:
    """Copy the kept upload to a temporary file, chunk by chunk; yield its path and name."""
    stored = job.stored_file
    if stored is None:
        raise ImportFileError("the uploaded file is no longer stored")
    # openpyxl reads a workbook from a path only when the name says it is one.
    suffix = ".xlsx" if job.source_format == ImportFormat.UHRI_XLSX else ".upload"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as out:
            for chunk in iter_stored_bytes(stored.id):
                out.write(chunk)
        yield path, stored.filename


def _percent(result: ImportResult, total: int) -> int:
    return min(99, result.last_row * 100 // total) if total else 0


def _store_outcome(job: ImportJob, result: ImportResult) -> None:
    job.created_count = result.created
    job.updated_count = result.updated
    job.skipped_count = result.skipped
    problems = [e.as_dict() for e in result.errors] + [w.as_dict() for w in result.warnings]
    job.errors = problems[:MAX_STORED_ERRORS]


def _beat_aside(job_id: int, token: str, progress: int) -> None:
    """Say a preview is alive without committing its savepoint: on a connection of its own."""
    bind = db.session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine.dialect.name == "sqlite":
        return  # one writer at a time, and the preview's savepoint is that writer
    table = ImportJob.__table__
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.id == job_id,
                                               table.c.claim_token == token)
                           .values(heartbeat_at=utcnow(), progress=progress))


def _progress_of(job: ImportJob, token: str):
    """Return what a run does after each batch: beat, and for the import commit it."""
    job_id, total, last_beat = job.id, job.total_rows, [time.monotonic()]

    def preview(result: ImportResult) -> None:
        if time.monotonic() - last_beat[0] >= BEAT_EVERY_S:
            last_beat[0] = time.monotonic()
            _beat_aside(job_id, token, _percent(result, total))

    def importing(result: ImportResult) -> None:
        # What is imported so far is committed: a run taken over resumes by running again,
        # since an import updates rather than duplicates.
        if job.claim_token != token:
            raise JobLost
        job.progress, job.heartbeat_at = _percent(result, total), utcnow()
        _store_outcome(job, result)
        db.session.commit()

    return preview if job.dry_run else importing


def _run(job: ImportJob, token: str) -> ImportResult:
    with _upload(job) as (path, name):
        stream = open_records(job.source_format, path, name)
        job.total_rows = stream.total or 0
        db.session.commit()
        result = import_records(
            stream, actor_id=job.confirmed_by_id or job.requested_by_id, publish=job.publish,
            dry_run=job.dry_run, on_progress=_progress_of(job, token),
            keep_other_states=job.keep_other_states,
            overwrite_curated=set(job.overwrite_rows or []))
        if not result.rows:
            raise ImportFileError(f"{name}: the file holds no rows to import")
        return result


def _held(job_id: int, token: str) -> ImportJob | None:
    job = db.session.get(ImportJob, job_id, with_for_update=True, populate_existing=True)
    return job if job is not None and job.claim_token == token else None


def _release(job_id: int, token: str) -> None:
    """Give the job back to the queue, for the task's retry to take it."""
    db.session.rollback()
    db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token)
        .values(state=JobState.QUEUED, claim_token=None)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _fail(job_id: int, token: str, message: str) -> str:
    db.session.rollback()
    job = _held(job_id, token)
    if job is None:
        db.session.rollback()
        return GONE
    job.state, job.finished_at, job.claim_token = JobState.FAILED, utcnow(), None
    job.errors = [*(job.errors or [])[:MAX_STORED_ERRORS - 1],
                  {"row": None, "message": message, "level": "error"}]
    db.session.commit()
    return JobState.FAILED.value


def _finish(job_id: int, token: str, result: ImportResult) -> str:
    """Store the run's report and counts with the job's end, if the run still holds it."""
    job = _held(job_id, token)
    if job is None:
        db.session.rollback()  # a lost import's last batch goes; the run holding it redoes it
        return GONE
    report = build_report(result, job.stored_file.filename if job.stored_file else "")
    stored = store_report(report, report["file"], job.requested_by_id)
    replaced, job.report_file_id = job.report_file_id, stored.id
    if replaced is not None:
        delete_stored_file(replaced)
    _store_outcome(job, result)
    job.counts = counts_of(report)
    job.total_rows = result.rows  # rows of the file, a joint recommendation's all counted
    job.progress, job.state, job.finished_at = 100, JobState.DONE, utcnow()
    job.claim_token = None
    db.session.commit()
    return JobState.DONE.value


def _not_claimed(job_id: int, outcome: str) -> str:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        log.warning("import job %s does not exist", job_id)
        return "missing"
    if job.discarded_at is not None:
        return "discarded"
    # A redelivered task finds the job done, failed, or running elsewhere: it does nothing.
    return job.state.value if outcome == GONE else BUSY


def run_import_job(job_id: int) -> str:
    """Run the job's preview or its import to the end; return the job's state after it."""
    outcome, token = claim(job_id)
    if outcome != CLAIMED:
        return _not_claimed(job_id, outcome)
    job = db.session.get(ImportJob, job_id)
    if job.attempts > MAX_ATTEMPTS:
        return _fail(job_id, token, import_messages.GAVE_UP.format(times=MAX_ATTEMPTS))
    try:
        result = _run(job, token)
    except (ConnectionError, TimeoutError):
        _release(job_id, token)
        raise  # transient: the task retries, and finds the job queued again
    except JobLost:
        db.session.rollback()
        return GONE
    except (ImportFileError, LookupError) as exc:
        return _fail(job_id, token, str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the one who asked
        # The details stay in the worker's log: they may name the database's internals.
        log.exception("import job %s failed", job_id)
        return _fail(job_id, token, import_messages.UNEXPECTED.format(
            error=type(exc).__name__))
    return _finish(job_id, token, result)
