"""``tracker api``: the API's bulk download, built by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.extensions import db


@click.group("api")
def api_group() -> None:
    """The API: its bulk download."""


@api_group.command("bulk")
@with_appcontext
def bulk_command() -> None:
    """Build the bulk download if the public data changed since it was built."""
    from tracker.services.bulk_data import rebuild

    built = rebuild()
    db.session.commit()
    for found in built:
        click.echo(f"built {found.stored_file.filename}: {found.rows} recommendation(s), "
                   f"{found.stored_file.size} bytes, sha256 {found.stored_file.sha256}")
    if not built:
        click.echo("up to date: the public data has not changed since the last build.")
