"""``tracker reminders``: run a reminder pass by hand."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from tracker.extensions import db


@click.group("reminders")
def reminders_group() -> None:
    """Status reminders: the focal points' digest and the reviewers' escalation."""


@reminders_group.command("run")
@click.option("--dry-run", is_flag=True, help="Print who would get what; send and save nothing.")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The local date of the pass (default: today in the office's time zone).")
@click.option("--kind", type=click.Choice(["digest", "escalation", "all"]), default="all",
              show_default=True)
@with_appcontext
def run_command(dry_run: bool, day, kind: str) -> None:
    """Queue and send the reminders of one local date; a second run sends nothing again."""
    from tracker.services.notify import dispatch_outbox
    from tracker.services.reminders import plan_pass, queue_reminders
    from tracker.services.report_queries import local_today

    today: date = day.date() if day else local_today()
    if dry_run:
        planned = plan_pass(today, kind)  # reads only: nothing to save or to send
    else:
        planned = queue_reminders(today, kind)
        db.session.commit()
        dispatch_outbox()
    verb = "would send" if dry_run else "sent"
    for message in planned:
        click.echo(f"{message.kind.value}: {message.person.name} <{message.person.email}>, "
                   f"{message.item_count} item(s)")
    click.echo(f"{today.isoformat()}: {verb} {len(planned)} message(s).")
