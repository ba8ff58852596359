"""Celery tasks: thin, idempotent wrappers over services; they take ids, never ORM objects."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(
    name="tracker.tasks.run_import",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def run_import(job_id: int) -> str:
    """Run an import job's preview (a dry run) or, once confirmed, its import.

    Acknowledged only once it returns, like an export's build: a worker lost mid-run leaves
    the message to be delivered again, and the job's heartbeat lets the next delivery or
    the sweep take over; a job already done is never run again.
    """
    from tracker.services.import_runs import run_import_job

    return run_import_job(job_id)


@shared_task(
    name="tracker.tasks.build_export",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def build_export(job_id: int) -> str:
    """Build one export (matrix, status report, follow-up draft) and store its file.

    Acknowledged only once it returns: a worker lost mid-build leaves the message to be
    delivered again, and the job's heartbeat lets the next delivery or the sweep take over.
    """
    from tracker.services.export_runs import run_export_job

    return run_export_job(job_id)


@shared_task(name="tracker.tasks.build_public_snapshot", ignore_result=False)
def build_public_snapshot(month: str | None = None) -> int:
    """Queue this month's public snapshot (matrix and status report, each language) once."""
    from datetime import date

    from tracker.extensions import db
    from tracker.services.exports import queue_public_snapshot
    from tracker.services.notify import dispatch_outbox
    from tracker.services.report_queries import local_today

    day = date.fromisoformat(f"{month}-01") if month else local_today()
    queued = queue_public_snapshot(day)
    db.session.commit()
    dispatch_outbox()
    return len(queued)


@shared_task(name="tracker.tasks.rebuild_bulk_data", ignore_result=False)
def rebuild_bulk_data() -> int:
    """Rebuild the API's bulk download if the public data changed since it was built."""
    from tracker.extensions import db
    from tracker.services.bulk_data import rebuild

    built = rebuild()
    db.session.commit()
    return len(built)


@shared_task(name="tracker.tasks.sweep_queued_jobs")
def sweep_queued_jobs() -> int:
    """Enqueue again the jobs whose first enqueue never reached the broker."""
    from tracker.services.jobs import requeue_stale_jobs

    return requeue_stale_jobs()


@shared_task(name="tracker.tasks.forget_old_submissions")
def forget_old_submissions() -> int:
    """Delete the keys of forms sent long enough ago that no repeat can still come."""
    from tracker.extensions import db
    from tracker.services.submissions import forget_old_submissions as forget

    gone = forget()
    db.session.commit()
    return gone


@shared_task(name="tracker.tasks.ping", ignore_result=False)
def ping(value: str) -> str:
    """Answer with the value and the database's view of it: a worker health check."""
    from sqlalchemy import text

    from tracker.extensions import db

    answer = db.session.execute(text("SELECT :v"), {"v": value}).scalar_one()
    db.session.rollback()
    return f"pong:{answer}"


@shared_task(name="tracker.tasks.record_worker_heartbeat")
def record_worker_heartbeat() -> None:
    """Note that a worker is taking work from the queue now."""
    from tracker.health import record_worker_heartbeat as record

    record()


@shared_task(
    name="tracker.tasks.send_notification",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=4,
)
def send_notification(notification_id: int) -> str:
    """Send one notification e-mail; commit its new status."""
    from tracker.extensions import db
    from tracker.services.notify import deliver_notification

    try:
        status = deliver_notification(notification_id)
    finally:
        db.session.commit()
    return str(status)


@shared_task(
    name="tracker.tasks.send_password_reset",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=4,
)
def send_password_reset(email: str) -> None:
    """Queue and send a reset link when the address has an active account."""
    from tracker.extensions import db
    from tracker.services.accounts import send_password_reset as queue_reset
    from tracker.services.notify import dispatch_outbox

    queue_reset(email)
    db.session.commit()
    dispatch_outbox()


@shared_task(name="tracker.tasks.send_submission_digests", ignore_result=False)
def send_submission_digests() -> int:
    """Tell reviewers, at most hourly, which reports were submitted since their last digest."""
    from sqlalchemy.exc import IntegrityError

    from tracker.extensions import db
    from tracker.services.event_mails import queue_submission_digests
    from tracker.services.notify import dispatch_outbox

    queued = queue_submission_digests()
    try:
        db.session.commit()
    except IntegrityError:
        # Another pass (a second beat) committed the same hour's digests first.
        db.session.rollback()
        return 0
    dispatch_outbox()
    return queued


def _reminder_pass(kind: str, day: str | None) -> int:
    """Queue a reminder pass, commit the rows, then send them: a second pass is a no-op."""
    from datetime import date

    from tracker.extensions import db
    from tracker.services.notify import dispatch_outbox
    from tracker.services.reminders import queue_reminders
    from tracker.services.report_queries import local_today

    today = date.fromisoformat(day) if day else local_today()
    queued = queue_reminders(today, kind)
    db.session.commit()
    dispatch_outbox()
    return len(queued)


@shared_task(name="tracker.tasks.send_reminder_digests", ignore_result=False)
def send_reminder_digests(day: str | None = None) -> int:
    """Send the focal points' daily digest of what is overdue and due soon."""
    return _reminder_pass("digest", day)


@shared_task(name="tracker.tasks.send_escalations", ignore_result=False)
def send_escalations(day: str | None = None) -> int:
    """Send the reviewers' weekly escalation of long-overdue and long-waiting work."""
    return _reminder_pass("escalation", day)
