"""Command-line interface: ``flask --app tracker <command>`` or the ``tracker`` script."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_cli(app: Flask) -> None:
    """Attach the project's commands to the app's CLI."""
    from tracker.cli_api import api_group
    from tracker.cli_backup import backup_command, restore_command
    from tracker.cli_doctor import doctor_command
    from tracker.cli_exports import exports_group
    from tracker.cli_reminders import reminders_group
    from tracker.cli_users import users_group
    from tracker.commands import demo_command, import_command, seed_command

    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(import_command)
    app.cli.add_command(users_group)
    app.cli.add_command(reminders_group)
    app.cli.add_command(exports_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(api_group)
    app.cli.add_command(doctor_command)


def _create_app():
    from tracker import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """Seguimiento — follow-up of human-rights recommendations."""


def main() -> None:
    cli(prog_name="tracker")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
