"""Alembic environment: the app's engine and metadata, batch mode for SQLite."""

import logging

from alembic import context
from flask import current_app

from tracker.models.base import UTCDateTime
from tracker.models.search import include_object

config = context.config
logger = logging.getLogger("alembic.env")
migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain timezone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _skip_empty(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    context.configure(
        url=str(migrate_ext.db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", _skip_empty)
    args.setdefault("render_item", render_item)
    args.setdefault("compare_type", True)
    args.setdefault("include_object", include_object)
    with migrate_ext.db.engine.connect() as connection:
        # SQLite changes a column by rebuilding the table (copy, drop, rename): with foreign
        # keys on, dropping the old table would delete every row that cascades from it. The
        # pragma only takes effect outside a transaction, so it goes to the driver directly.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
