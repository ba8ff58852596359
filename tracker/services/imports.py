"""Import recommendations from reader records (the screen's jobs run in ``import_runs``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from contextlib import nullcontext

from flask import current_app

from tracker.audit import acting_as, current_actor
from tracker.audit import record as audit_record
from tracker.database import refresh_statistics
from tracker.extensions import db
from tracker.imports import RecommendationRecord, RowError
from tracker.imports.records import strip_controls
from tracker.imports.writer import WRITTEN_TABLES, BatchWriter, ImportResult, Outcome
from tracker.models import User

log = logging.getLogger(__name__)
BATCH_SIZE = 500

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
            result.labels_waiting = [(vocabulary, label, rows) for (vocabulary, _key), (label, rows)
                                     in writer.terms.waiting.items()]
            if not dry_run and not result.changed_nothing:
                counts = {outcome.value: result.count(outcome) for outcome in Outcome}
                audit_record(db.session, "import", "recommendation", None, {
                    **counts, "rows": result.rows, "sources": sorted(writer.sources)})
            db.session.flush()
            if not dry_run:
                refresh_statistics(db.session, WRITTEN_TABLES, result.created + result.updated)
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


def run_import_job(job_id: int) -> str:
    """Run an import job's preview or import to its end (see ``import_runs``)."""
    from tracker.services.import_runs import run_import_job as run

    return run(job_id)
