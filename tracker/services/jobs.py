"""Queued work that must not be lost when the broker is unreachable."""

from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=5)


def requeue_stale_jobs() -> int:
    """Enqueue again the jobs and messages left waiting longer than STALE_AFTER; count them."""
    from tracker.services.export_runs import stale_export_job_ids
    from tracker.services.import_runs import stale_import_job_ids
    from tracker.services.notify import pending_notification_ids
    from tracker.tasks import build_export, run_import, send_notification

    work = [(run_import, job_id) for job_id in stale_import_job_ids(STALE_AFTER)]
    work += [(build_export, job_id) for job_id in stale_export_job_ids()]
    work += [(send_notification, note_id) for note_id in pending_notification_ids()]
    handed_on = 0
    for task, item_id in work:
        try:
            task.delay(item_id)
        except Exception:  # noqa: BLE001 - one failure must not hold back the others
            # Without a broker the task runs here and its failure surfaces here; the row
            # keeps its state and error, and the next sweep tries again.
            log.warning("sweep: %s(%s) did not go through", task.name, item_id, exc_info=True)
            continue
        handed_on += 1
    return handed_on
