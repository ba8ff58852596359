"""Celery tasks: thin, idempotent wrappers over services; they take ids, never ORM objects."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(
    name="tracker.tasks.run_import",
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def run_import(job_id: int) -> str:
    """Run one import job to the end, committing as it goes."""
    from tracker.services.imports import run_import_job

    return run_import_job(job_id)


@shared_task(name="tracker.tasks.sweep_queued_jobs")
def sweep_queued_jobs() -> int:
    """Enqueue again the jobs whose first enqueue never reached the broker."""
    from tracker.services.jobs import requeue_stale_jobs

    return requeue_stale_jobs()


@shared_task(name="tracker.tasks.ping", ignore_result=False)
def ping(value: str) -> str:
    """Answer with the value and the database's view of it: a worker health check."""
    from sqlalchemy import text

    from tracker.extensions import db

    answer = db.session.execute(text("SELECT :v"), {"v": value}).scalar_one()
    db.session.rollback()
    return f"pong:{answer}"


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
