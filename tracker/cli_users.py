"""``tracker users``: accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.models import User


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first account of a new install)."""
    from tracker.audit import acting_as
    from tracker.services.accounts import create_admin
    from tracker.services.errors import ServiceError

    try:
        with acting_as(None, "cli:create-admin"):
            user = create_admin(email, name, password)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@users_group.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print the demo accounts and their passwords (only those that exist)."""
    from tracker.services.demo import DEMO_LOGINS

    present = set(db.session.execute(
        db.select(User.email).where(User.is_demo.is_(True))
    ).scalars())
    rows = [login for login in DEMO_LOGINS if login[0] in present]
    if not rows:
        click.echo("No demo accounts are loaded (run `tracker demo`).")
        return
    click.echo("Demo accounts (demo data only — never use them on a real install):")
    for email, role, institution, password in rows:
        where = f" ({institution})" if institution else ""
        click.echo(f"  {role:<12} {email:<42} {password}{where}")
