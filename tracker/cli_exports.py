"""``tracker exports``: queue the monthly public snapshot by hand."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from tracker.extensions import db


@click.group("exports")
def exports_group() -> None:
    """Exports: the status matrix, the status report and the follow-up draft."""


@exports_group.command("snapshot")
@click.option("--month", type=click.DateTime(formats=["%Y-%m"]),
              help="The month of the snapshot, YYYY-MM (default: this month).")
@with_appcontext
def snapshot_command(month) -> None:
    """Queue a month's public snapshot; a month already queued is left as it is."""
    from tracker.models import ReportJob
    from tracker.services.export_runs import stale_export_job_ids
    from tracker.services.exports import BUILD_TASK, export_type_of, queue_public_snapshot
    from tracker.services.notify import dispatch_outbox, enqueue_after_commit
    from tracker.services.report_queries import local_today

    day = month.date() if month else local_today()
    queued = queue_public_snapshot(day)
    # Without a scheduler nothing else would take up a build left unfinished (a stopped
    # process, a locked database): this command sends those again too. A job a worker
    # holds already is left to it: a build claims its job before it starts.
    left = [job_id for job_id in stale_export_job_ids(queued_for=timedelta(0))
            if job_id not in queued]
    for job_id in left:
        enqueue_after_commit(BUILD_TASK, job_id)
    db.session.commit()
    for job_id in queued:
        job = db.session.get(ReportJob, job_id)
        click.echo(f"queued #{job.id}: {export_type_of(job).code} ({job.locale})")
    click.echo(f"{day:%Y-%m}: queued {len(queued)} export(s).")
    if left:
        click.echo(f"sent again {len(left)} unfinished export(s).")
    # End this session's reads: a build run here (no broker) writes on its own connection.
    db.session.rollback()
    # Built by the worker, or here and now when no broker is configured.
    dispatch_outbox()
