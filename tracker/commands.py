"""CLI commands: seed, demo, import. Each command is the transaction: it commits once."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.models import ImportFormat

FORMATS = {
    "uhri-xlsx": ImportFormat.UHRI_XLSX,
    "uhri-json": ImportFormat.UHRI_JSON,
    "csv": ImportFormat.CSV,
    "upr-info": ImportFormat.UPR_INFO_CSV,
}


@click.command("seed")
@click.option("--from", "seed_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of seed CSV files (default: the lists shipped with the tracker).")
@with_appcontext
def seed_command(seed_dir: Path | None) -> None:
    """Load the reference lists: mechanisms, vocabularies, institutions, countries."""
    from tracker.audit import acting_as
    from tracker.services.seed import SEED_DIR, SeedError, seed_reference_data

    try:
        with acting_as(None, "cli:seed"):
            report = seed_reference_data(seed_dir or SEED_DIR)
    except SeedError as exc:
        db.session.rollback()
        raise click.ClickException(f"seed failed, nothing saved: {exc}") from exc
    db.session.commit()
    if not report.created:
        click.echo("Reference data already up to date: nothing added.")
        return
    click.echo("Reference data added:")
    for kind, count in sorted(report.created.items()):
        click.echo(f"  {kind}: {count}")


@click.command("demo")
@click.option("--if-empty", is_flag=True,
              help="Load only when there are no recommendations; a missing data folder "
                   "is then a warning, not an error.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load the Honduras recommendations and the demo accounts and data (idempotent)."""
    from tracker.audit import acting_as
    from tracker.models import Recommendation
    from tracker.services.demo import DemoDataMissing, load_demo

    if if_empty and db.session.execute(db.select(Recommendation.id).limit(1)).first():
        click.echo("Recommendations already loaded: demo not loaded (--if-empty).")
        return
    try:
        with acting_as(None, "cli:demo"):
            report = load_demo()
    except DemoDataMissing as exc:
        db.session.rollback()
        if if_empty:
            click.echo(f"Warning: {exc}. Starting with an empty catalogue.", err=True)
            return
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for name, result in report.imports.items():
        click.echo(f"{name}: {result.summary()}")
    click.echo(f"CCPR follow-up: {report.followup_created} paragraphs added, "
               f"{report.mechanism_assessments} Committee grades recorded")
    added = ", ".join(f"{n} {kind}" for kind, n in sorted(report.added.items()))
    click.echo(f"Demo set: {added or 'already loaded, nothing added'}")
    click.echo("Demo accounts: `tracker users demo-logins`.")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)),
              help="The file's layout; guessed from its extension when left out.")
@click.option("--dry-run", is_flag=True, help="Report what would change; save nothing.")
@click.option("--publish", is_flag=True, help="Publish the imported recommendations.")
@click.option("--keep-other-states", is_flag=True,
              help="Also import the records that concern only other States than the "
                   "tracker's (TRACKER_STATE).")
@click.option("--overwrite-curated", is_flag=True,
              help="Replace the values staff curated on the web with the file's "
                   "(each is reported).")
@click.option("--show-errors", default=20, show_default=True,
              help="How many row errors to print.")
@with_appcontext
def import_command(file: Path, fmt: str | None, dry_run: bool, publish: bool,
                   keep_other_states: bool, overwrite_curated: bool, show_errors: int) -> None:
    """Import recommendations from a UHRI export, the tracker CSV or a UPR Info export."""
    from tracker.audit import acting_as
    from tracker.imports import ImportFileError, guess_format, open_records, read_head
    from tracker.services.imports import import_records

    source_format = FORMATS[fmt] if fmt else guess_format(file.name, read_head(file))
    if source_format is None:
        raise click.UsageError(
            f"cannot tell the format of {file.name} from its extension; pass --format "
            f"({', '.join(sorted(FORMATS))})")
    try:
        with acting_as(None, "cli:import"):
            result = import_records(open_records(source_format, file), publish=publish,
                                    dry_run=dry_run, keep_other_states=keep_other_states,
                                    overwrite_curated=overwrite_curated)
    except (ImportFileError, LookupError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if not result.rows:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: the file holds no rows to import; "
                                   "nothing was saved")
    if not dry_run:
        db.session.commit()
    click.echo(f"{file.name} ({source_format.value}): {result.summary()}")
    if result.documents_created:
        click.echo(f"  new documents: {result.documents_created}")
    if result.labels_queued:
        from tracker.services.notify import external_url

        queued = result.labels_queued
        click.echo(f"  labels to map: {len(queued)} ({', '.join(queued[:5])}"
                   f"{', ...' if len(queued) > 5 else ''}); the records wait for them at "
                   f"{external_url('review.labels')}")
    if result.not_for_state:
        count = result.not_for_state
        click.echo(f"  not for this State ({current_app.config['STATE']}): {count:,} "
                   f"{'row' if count == 1 else 'rows'} left out; --keep-other-states "
                   "imports them")
    _echo_rows(result, show_errors)


def _echo_rows(result, limit: int) -> None:
    """Say, row by row up to the limit, what was updated, replaced, refused or doubtful."""
    from tracker.imports.result import Outcome

    _echo_joined("updated", [f"row {row} ({', '.join(result.changed_fields.get(row, []))})"
                             for row in result.rows_with(Outcome.UPDATED)], limit)
    _echo_joined("replaced by a later row with the same annotation id",
                 [f"row {row} by row {result.into[row]}"
                  for row in result.rows_with(Outcome.REPLACED)], limit)
    _echo_conflicts(result, limit)
    _echo_list("refused", "more rows refused", result.errors, limit)
    _echo_list("warning", "more warnings", result.warnings, limit)


def _echo_conflicts(result, limit: int) -> None:
    """List, under its own heading, each value the office curated that the file differs on."""
    lines = [(row, conflict) for row, found in sorted(result.conflicts.items())
             for conflict in found]
    if not lines:
        return
    if all(conflict.overwritten for _row, conflict in lines):
        click.echo("  curated values replaced by the file (--overwrite-curated):")
    else:
        click.echo("  curated values kept (the office's; --overwrite-curated replaces them):")
    for row, conflict in lines[:limit]:
        click.echo(f"    row {row}, {conflict.field}: the file says "
                   f"{_shown(conflict.file_value)}, the office has "
                   f"{_shown(conflict.office_value)}")
    if len(lines) > limit:
        click.echo(f"    ... and {len(lines) - limit} more")


def _shown(value, width: int = 60) -> str:
    if value in (None, "", []):
        return "nothing"
    text = ", ".join(value) if isinstance(value, list) else str(value)
    return repr(text if len(text) <= width else text[:width - 1] + "…")


def _echo_joined(label: str, items: list[str], limit: int) -> None:
    if items and limit:
        more = f", ... and {len(items) - limit} more" if len(items) > limit else ""
        click.echo(f"  {label}: {', '.join(items[:limit])}{more}")


def _echo_list(label: str, more: str, problems: list, limit: int) -> None:
    for problem in problems[:limit]:
        click.echo(f"  {label}: {problem}")
    if len(problems) > limit:
        click.echo(f"  ... and {len(problems) - limit} {more}")
