"""Import recommendations from reader records; run an uploaded file as an import job."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from contextlib import nullcontext

from tracker.audit import acting_as, current_actor
from tracker.audit import record as audit_record
from tracker.extensions import db
from tracker.imports import ImportFileError, RecommendationRecord, RowError, open_records
from tracker.imports.writer import BatchWriter, ImportResult
from tracker.models import ImportJob, JobState, User, utcnow

log = logging.getLogger(__name__)
BATCH_SIZE = 500
MAX_STORED_ERRORS = 1000

__all__ = ["ImportResult", "import_records", "run_import_job"]


def import_records(
    records: Iterable[RecommendationRecord | RowError],
    *,
    actor_id: int | None = None,
    publish: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[ImportResult], None] | None = None,
    batch_size: int | None = None,
) -> ImportResult:
    """Create or update recommendations from records; flush (a dry run leaves nothing)."""
    result = ImportResult(dry_run=dry_run)
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        with _actor(actor_id), db.session.no_autoflush:
            writer = BatchWriter(result, publish)
            batch: list[RecommendationRecord] = []
            for item in records:
                result.rows += 1
                if isinstance(item, RowError):
                    result.errors.append(item)
                    result.skipped += 1
                    result.last_row = item.row or result.last_row
                    continue
                batch.append(item)
                writer.sources.add(item.source)
                result.last_row = item.row
                if len(batch) >= (batch_size or BATCH_SIZE):
                    writer.write(batch)
                    batch = []
                    if on_progress:
                        on_progress(result)
            writer.write(batch)
            # Reader errors arrive at once, write errors per batch: give them in file order.
            result.errors.sort(key=lambda e: (e.source, e.row or 0))
            result.warnings.sort(key=lambda e: (e.source, e.row or 0))
            result.documents_created = writer.documents.created
            result.terms_created = writer.terms.created
            if not dry_run and (result.created or result.updated):
                audit_record(db.session, "import", "recommendation", None, {
                    "created": result.created, "updated": result.updated,
                    "skipped": result.skipped, "errors": len(result.errors),
                    "sources": sorted(writer.sources)})
            db.session.flush()
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return result


def _actor(actor_id: int | None):
    """Attribute the import to its actor unless the caller already named one."""
    if actor_id is None or current_actor().user_id is not None:
        return nullcontext()
    user = db.session.get(User, actor_id)
    return acting_as(actor_id, user.email if user else None)


def _store_outcome(job: ImportJob, result: ImportResult) -> None:
    job.created_count = result.created
    job.updated_count = result.updated
    job.skipped_count = result.skipped
    problems = [e.as_dict() for e in result.errors] + [w.as_dict() for w in result.warnings]
    job.errors = problems[:MAX_STORED_ERRORS]


def _fail(job_id: int, message: str) -> str:
    db.session.rollback()
    job = db.session.get(ImportJob, job_id)
    job.state = JobState.FAILED
    job.errors = [*(job.errors or [])[: MAX_STORED_ERRORS - 1], {"row": None, "message": message,
                                                                 "level": "error"}]
    job.finished_at = utcnow()
    db.session.commit()
    return JobState.FAILED.value


def run_import_job(job_id: int) -> str:
    """Run an import job to its end, committing its progress; return its final state."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        log.warning("import job %s does not exist", job_id)
        return "missing"
    if job.state in (JobState.DONE, JobState.FAILED):
        return job.state.value  # a redelivered task must not import twice
    job.state, job.started_at, job.progress, job.errors = JobState.RUNNING, utcnow(), 0, []
    db.session.commit()
    try:
        stored = job.stored_file
        if stored is None:
            raise ImportFileError("the uploaded file is no longer stored")
        stream = open_records(job.source_format, io.BytesIO(stored.data), stored.filename)
        job.total_rows = stream.total or 0
        db.session.commit()

        def progress(result: ImportResult) -> None:
            # Commits what is imported so far: an interrupted job resumes by re-running,
            # since an import updates rather than duplicates.
            if job.total_rows:
                job.progress = min(99, result.last_row * 100 // job.total_rows)
            _store_outcome(job, result)
            db.session.commit()

        # A dry run lives in a savepoint that cannot be committed half-way: no progress.
        result = import_records(stream, actor_id=job.requested_by_id, publish=job.publish,
                                dry_run=job.dry_run,
                                on_progress=None if job.dry_run else progress)
    except (ConnectionError, TimeoutError):
        db.session.rollback()
        raise  # transient: the task retries, and the job is still running
    except (ImportFileError, LookupError) as exc:
        return _fail(job_id, str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        return _fail(job_id, f"unexpected error: {exc}")
    _store_outcome(job, result)
    job.total_rows = job.total_rows or result.rows
    job.progress, job.state, job.finished_at = 100, JobState.DONE, utcnow()
    db.session.commit()
    return JobState.DONE.value
