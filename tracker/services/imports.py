"""Import recommendations from reader records; run an uploaded file as an import job."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Collection, Iterable
from contextlib import nullcontext

from flask import current_app

from tracker.audit import acting_as, current_actor
from tracker.audit import record as audit_record
from tracker.extensions import db
from tracker.imports import ImportFileError, RecommendationRecord, RowError, open_records
from tracker.imports.records import strip_controls
from tracker.imports.writer import BatchWriter, ImportResult, Outcome
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
    keep_other_states: bool = False,
    overwrite_curated: bool | Collection[int] = False,
) -> ImportResult:
    """Create or update recommendations from records; flush (a dry run leaves nothing).

    Records that concern only other States than the tracker's (``STATE``) are counted as
    not for this State and left out, unless ``keep_other_states``. Fields the office
    curated keep its value, the file's being reported as a conflict, unless
    ``overwrite_curated`` (True, or the rows of the file whose values replace the office's).
    """
    result = ImportResult(dry_run=dry_run)
    db.session.flush()  # what the caller changed is written before the import reads
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        with _actor(actor_id), db.session.no_autoflush:
            writer = BatchWriter(result, publish, state=current_app.config["STATE"],
                                 keep_other_states=keep_other_states,
                                 overwrite_curated=overwrite_curated)
            batch: list[RecommendationRecord] = []
            for item in records:
                if isinstance(item, RowError):
                    result.rows += 1
                    result.refuse(item)
                    result.last_row = item.row or result.last_row
                    continue
                result.rows += 1 + len(item.merged_rows)
                result.records += 1
                _strip_controls(item)
                batch.append(item)
                writer.sources.add(item.source)
                result.last_row = max([item.row, *item.merged_rows])
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
            result.labels_queued = writer.terms.queued
            if not dry_run and not result.changed_nothing:
                counts = {outcome.value: result.count(outcome) for outcome in Outcome}
                audit_record(db.session, "import", "recommendation", None, {
                    **counts, "rows": result.rows, "sources": sorted(writer.sources)})
            db.session.flush()
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return result


def _strip_controls(record: RecommendationRecord) -> None:
    """Clean a record built by code as the readers clean cells: PostgreSQL refuses NUL."""
    for name, value in vars(record).items():
        if isinstance(value, str):
            setattr(record, name, strip_controls(value))
        elif isinstance(value, list) and value and isinstance(value[0], str):
            setattr(record, name, [strip_controls(v) for v in value])


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
        if not result.rows:
            raise ImportFileError(f"{stored.filename}: the file holds no rows to import")
    except (ConnectionError, TimeoutError):
        db.session.rollback()
        raise  # transient: the task retries, and the job is still running
    except (ImportFileError, LookupError) as exc:
        return _fail(job_id, str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        return _fail(job_id, f"unexpected error: {exc}")
    _store_outcome(job, result)
    job.total_rows = result.rows  # rows of the file, a joint recommendation's all counted
    job.progress, job.state, job.finished_at = 100, JobState.DONE, utcnow()
    db.session.commit()
    return JobState.DONE.value
