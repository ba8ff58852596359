"""CLI commands: seed, demo, import."""

import click


@click.command("seed")
def seed_command():
    """Load the reference lists (idempotent)."""
    raise click.ClickException("not yet")


@click.command("demo")
def demo_command():
    """Load the Honduras demo data."""
    raise click.ClickException("not yet")


@click.command("import")
def import_command():
    """Import recommendations from a file."""
    raise click.ClickException("not yet")
