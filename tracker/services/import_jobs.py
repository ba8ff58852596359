"""Imports from the office's screen: a file is kept, previewed, and imported once confirmed.

An upload is read at once far enough to know it can be imported (its size, its format,
its columns); a file that cannot be is refused with the reason, and only the refusal is
kept, for the history. A file that can is stored and a worker builds its preview: the
import run as a dry run, which saves nothing. The reviewer reads what would happen, maps
the labels no term knows, decides each conflict with the office's curated values, changes
the options (each of which builds the preview again) and confirms; the worker then runs
the import itself with those choices. ``import_runs`` holds what the worker does.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker import policy
from tracker.extensions import db
from tracker.imports import ImportFileError, guess_format, open_records
from tracker.models import ImportFormat, ImportJob, ImportPhase, JobState, Vocabulary, utcnow
from tracker.services import import_messages
from tracker.services import labels as label_service
from tracker.services.catalogue import Page
from tracker.services.errors import ServiceError
from tracker.services.evidence import visible_text
from tracker.services.import_reports import load_report
from tracker.services.notify import enqueue_after_commit
from tracker.services.storage import store_stream

IMPORT_TASK = "tracker.tasks.run_import"
HEAD_BYTES = 4096
SPOOL_BYTES = 1024 * 1024
CONTENT_TYPES = {
    ImportFormat.UHRI_XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ImportFormat.UHRI_JSON: "application/json",
    ImportFormat.CSV: "text/csv",
    ImportFormat.UPR_INFO_CSV: "text/csv",
}
_UNSAFE_NAME_CHARS = re.compile(r'[<>:"|?*\\/]')


@dataclass(frozen=True)
class Upload:
    """A file sent from the form, with the choices made beside it."""

    filename: str | None
    stream: BinaryIO | None
    format: str | None = None  # empty: told from the file's name and first bytes
    publish: bool = False
    keep_other_states: bool = False


def max_bytes() -> int:
    """Return the largest file an import accepts, in bytes."""
    return int(current_app.config.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def _allow(actor) -> None:
    if not policy.can_import(actor):
        raise ServiceError(_l("Only office staff may import recommendations."), status=403)


def parse_format(value: str | None) -> ImportFormat | None:
    """Read the format chosen in the form; empty means "tell it from the file"."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return ImportFormat(value)
    except ValueError:
        raise ServiceError(_l("Choose one of the formats offered."), field="format") from None


def clean_filename(name: str | None) -> str:
    """Return an upload's name without folders, control or unsafe characters."""
    name = re.split(r"[/\\]", visible_text(name))[-1]
    name = " ".join(_UNSAFE_NAME_CHARS.sub("_", name).split()).strip(" .")
    return name[:200] or "import"


# --- the upload --------------------------------------------------------------------------------

def start_import(actor, upload: Upload) -> ImportJob:
    """Keep an uploaded file and queue its preview; refuse a file that cannot be imported.

    A refused file is not kept: the job records the refusal (failed, with the reason).
    """
    _allow(actor)
    chosen = parse_format(upload.format)
    if upload.stream is None or not (upload.filename or "").strip():
        raise ServiceError(_l("Choose the file to import."), field="file")
    name = clean_filename(upload.filename)
    head = upload.stream.read(HEAD_BYTES)
    fmt = chosen or guess_format(name, head)
    if fmt is None:
        raise ServiceError(import_messages.file_problem(import_messages.UNKNOWN_FORMAT, name),
                           field="format")
    job = ImportJob(source_format=fmt, filename=name, dry_run=True, publish=upload.publish,
                    keep_other_states=upload.keep_other_states, requested_by_id=actor.id,
                    state=JobState.QUEUED, progress=0, attempts=0, overwrite_rows=[],
                    counts={}, errors=[])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        try:
            _spool(upload.stream, head, spool, name)
            _readable(fmt, spool, name)
        except ImportFileError as exc:
            return _refused(job, str(exc))
        spool.seek(0)
        job.stored_file_id = store_stream(spool, name, _content_type(fmt, head), actor.id).id
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(IMPORT_TASK, job.id)
    return job


def _spool(stream: BinaryIO, head: bytes, spool, name: str) -> None:
    """Copy the upload to the spool, refusing it past the size limit or when empty."""
    limit, size = max_bytes(), 0
    chunk = head
    while chunk:
        size += len(chunk)
        if size > limit:
            raise ImportFileError(f"{name}: " + import_messages.TOO_LARGE.format(limit=limit))
        spool.write(chunk)
        chunk = stream.read(SPOOL_BYTES)
    if not size:
        raise ImportFileError(f"{name}: the file is empty")


def _readable(fmt: ImportFormat, spool, name: str) -> None:
    """Open the file with its reader: it checks the file's shape and columns at once."""
    spool.seek(0)
    try:
        records = open_records(fmt, spool, name)
    except (ValueError, csv.Error) as exc:  # a reader's library, tripped by a damaged file
        raise ImportFileError(f"{name}: " + import_messages.UNREADABLE.format(
            detail=str(exc)[:200])) from None
    records.close()
    if records.total == 0:
        raise ImportFileError(f"{name}: the file holds no rows to import")


def _content_type(fmt: ImportFormat, head: bytes) -> str:
    return "application/gzip" if head[:2] == b"\x1f\x8b" else CONTENT_TYPES[fmt]


def _refused(job: ImportJob, message: str) -> ImportJob:
    job.state, job.finished_at = JobState.FAILED, utcnow()
    job.errors = [{"row": None, "message": message, "level": "error"}]
    db.session.add(job)
    db.session.flush()
    return job


# --- the preview: options, conflicts, labels ---------------------------------------------------

def _job(actor, job_id: int) -> ImportJob:
    _allow(actor)
    job = db.session.get(ImportJob, job_id, with_for_update=True)
    if job is None:
        raise ServiceError(_l("This import does not exist."), status=404)
    return job


def _open_preview(actor, job_id: int) -> ImportJob:
    """Return a job whose preview may still change; refuse one confirmed or discarded."""
    job = _job(actor, job_id)
    if job.discarded_at is not None:
        raise ServiceError(_l("This import was discarded. Upload the file again to import "
                              "it."), status=409)
    if not job.dry_run:
        raise ServiceError(_l("This import was confirmed: its preview can no longer "
                              "change."), status=409)
    if job.stored_file_id is None:
        raise ServiceError(_l("The file of this import was refused, so there is nothing to "
                              "preview. Upload a corrected file."), status=409)
    return job


def _queue_run(job: ImportJob) -> None:
    """Ask the worker for a new run of the job (a run under way leaves its result unsaved)."""
    job.state, job.progress, job.attempts = JobState.QUEUED, 0, 0
    job.claim_token, job.heartbeat_at, job.finished_at = None, None, None
    db.session.flush()
    enqueue_after_commit(IMPORT_TASK, job.id)


def change_options(actor, job_id: int, *, publish: bool, keep_other_states: bool) -> ImportJob:
    """Change what the import will do and build its preview again."""
    job = _open_preview(actor, job_id)
    job.publish, job.keep_other_states = bool(publish), bool(keep_other_states)
    _queue_run(job)
    return job


def decide_conflicts(actor, job_id: int, shown: Iterable[int],
                     take_file: Iterable[int]) -> ImportJob:
    """Record, for the conflict rows shown, whose value wins; build the preview again.

    ``take_file`` are the rows whose file values replace the office's; the other rows
    shown keep the office's values. Rows not shown keep what was decided before.
    """
    job = _open_preview(actor, job_id)
    shown, take_file = set(shown), set(take_file)
    if not take_file <= shown:
        raise ServiceError(_l("Choose for the rows listed only."))
    job.overwrite_rows = sorted((set(job.overwrite_rows or []) - shown) | take_file)
    _queue_run(job)
    return job


def decide_all_conflicts(actor, job_id: int, *, take_file: bool) -> ImportJob:
    """Let the file's values win on every conflict row of the preview, or none."""
    job = _open_preview(actor, job_id)
    report = load_report(job.report_file_id) or {"conflicts": []}
    job.overwrite_rows = sorted(row for row, _found in report["conflicts"]) if take_file else []
    _queue_run(job)
    return job


def _waiting_label(job: ImportJob, vocabulary: str, label: str) -> Vocabulary:
    """Return the vocabulary of a label the preview waits for; refuse any other label."""
    report = load_report(job.report_file_id) or {"labels": []}
    waiting = any(item["vocabulary"] == vocabulary and item["label"] == label
                  for item in report["labels"])
    found = db.session.scalar(
        select(Vocabulary).where(Vocabulary.code == vocabulary)) if waiting else None
    if found is None:
        raise ServiceError(_l("This label is no longer waiting in this preview."), status=409)
    return found


def map_label(actor, job_id: int, vocabulary: str, label: str, term_id: int | None):
    """Make a label of the file mean a term, in this import and every later one."""
    job = _open_preview(actor, job_id)
    found = _waiting_label(job, vocabulary, label)
    outcome = label_service.map_file_label(actor, found.id, label, term_id)
    _queue_run(job)
    return outcome


def add_term_for_label(actor, job_id: int, vocabulary: str, label: str,
                       name_es: str | None, name_en: str | None):
    """Add the term a label of the file names, in both languages, and map the label to it."""
    job = _open_preview(actor, job_id)
    found = _waiting_label(job, vocabulary, label)
    outcome = label_service.create_term_for_file_label(actor, found.id, label, name_es,
                                                       name_en)
    _queue_run(job)
    return outcome


# --- confirming or discarding ------------------------------------------------------------------

def confirm(actor, job_id: int) -> ImportJob:
    """Run the import of a ready preview, with its options and decisions; once only."""
    job = _job(actor, job_id)
    phase = job.phase
    if phase in (ImportPhase.IMPORTING, ImportPhase.DONE) or (
            phase == ImportPhase.FAILED and not job.dry_run):
        raise ServiceError(_l("This import was already confirmed."), status=409)
    if phase == ImportPhase.DISCARDED:
        raise ServiceError(_l("This import was discarded. Upload the file again to import "
                              "it."), status=409)
    if phase != ImportPhase.PREVIEW_READY:
        raise ServiceError(_l("The preview is not ready: confirm once it shows what the "
                              "import would do."), status=409)
    if _changes_nothing(job):
        raise ServiceError(_l("This file changes nothing: there is nothing to import."),
                           status=409)
    job.dry_run, job.confirmed_at, job.confirmed_by_id = False, utcnow(), actor.id
    _queue_run(job)
    return job


def _changes_nothing(job: ImportJob) -> bool:
    counts = job.counts or {}
    return not (counts.get("created") or counts.get("updated"))


def discard(actor, job_id: int) -> ImportJob:
    """Set a preview aside: nothing of the file is imported; the file stays in the history."""
    job = _job(actor, job_id)
    if job.discarded_at is not None:
        return job
    if not job.dry_run:
        raise ServiceError(_l("This import was confirmed: it can no longer be discarded."),
                           status=409)
    job.discarded_at, job.claim_token = utcnow(), None
    db.session.flush()
    return job


# --- reading -----------------------------------------------------------------------------------

def import_history(actor, page: int, per_page: int) -> Page:
    """Return one page of the imports the actor may see, newest first."""
    query = policy.import_jobs_visible_to(actor, select(ImportJob))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    items = db.session.scalars(
        query.options(selectinload(ImportJob.requested_by), selectinload(ImportJob.stored_file))
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def find_import(actor, job_id: int) -> ImportJob | None:
    """Return the job when the actor may see it, else None."""
    return db.session.scalar(policy.import_jobs_visible_to(
        actor, select(ImportJob).where(ImportJob.id == job_id)))


def downloadable_upload(actor, job_id: int) -> ImportJob | None:
    """Return the job when its file is kept and the actor may download it, else None."""
    job = find_import(actor, job_id)
    if job is None or not policy.can_download_import(actor, job):
        return None
    return job


def downloadable_report(actor, job_id: int) -> ImportJob | None:
    """Return the job when its last report is stored and the actor may read it, else None."""
    job = find_import(actor, job_id)
    return job if job is not None and job.report_file_id is not None else None
