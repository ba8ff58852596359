"""Queued work that must not be lost when the broker is unreachable."""

from __future__ import annotations

import logging
from datetime import timedelta

from tracker.extensions import db
from tracker.models import ImportJob, JobState, utcnow

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=5)


def requeue_stale_jobs() -> int:
    """Enqueue again the jobs and messages left waiting longer than STALE_AFTER; count them."""
    from tracker.tasks import run_import

    cutoff = utcnow() - STALE_AFTER
    ids = db.session.execute(
        db.select(ImportJob.id).where(
            ImportJob.state == JobState.QUEUED, ImportJob.created_at < cutoff
        )
    ).scalars().all()
    for job_id in ids:
        run_import.delay(job_id)
    from tracker.services.notify import pending_notification_ids
    from tracker.tasks import send_notification

    notes = pending_notification_ids()
    for note_id in notes:
        send_notification.delay(note_id)
    return len(ids) + len(notes)
