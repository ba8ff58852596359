"""``tracker backup`` and ``tracker restore``: the whole database to and from an archive."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write the whole database, stored files and audit trail included, to FILE."""
    from tracker.backup import BackupError, write_backup

    try:
        manifest = write_backup(file)
    except BackupError as exc:
        raise click.ClickException(f"backup not written: {exc}") from exc
    finally:
        db.session.rollback()  # only read: end the snapshot
    rows = sum(table["rows"] for table in manifest["tables"])
    click.echo(f"Backup written to {file}: {rows} rows in {len(manifest['tables'])} tables, "
               f"{len(manifest['files'])} stored files, schema revision "
               f"{manifest['alembic_revision']}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Load a backup FILE into this database, which must be empty and at its revision."""
    from tracker.backup import BackupError, restore_backup

    try:
        manifest = restore_backup(file)
    except BackupError as exc:
        db.session.rollback()
        raise click.ClickException(f"restore refused, nothing saved: {exc}") from exc
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise click.ClickException(f"restore failed, nothing saved: {exc}") from exc
    db.session.commit()
    rows = sum(table["rows"] for table in manifest["tables"])
    click.echo(f"Restored {file}: {rows} rows in {len(manifest['tables'])} tables, "
               f"{len(manifest['files'])} stored files checked, schema revision "
               f"{manifest['alembic_revision']} (made {manifest['created_at']}).")
