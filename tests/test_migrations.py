"""The migrations build the models' schema from empty, and go back down cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import scratch_database
from tracker import create_app
from tracker.extensions import db
from tracker.models.search import include_object

SCHEMA = "migration_roundtrip"


@pytest.fixture
def scratch_app(tmp_path):
    """An app on an empty database of the same kind as the suite's."""
    with scratch_database(tmp_path, SCHEMA) as (url, options):
        app = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options}
        )
        yield app
        with app.app_context():
            db.engine.dispose()


def _tables(app) -> set[str]:
    with app.app_context():
        # Less the full-text index's own tables, which SQLite builds and the models leave out.
        return {name for name in inspect(db.engine).get_table_names()
                if include_object(None, name, "table", True, None)} - {"alembic_version"}


def _diff(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": include_object})
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_round_trip(scratch_app):
    with scratch_app.app_context():
        upgrade()
    assert {"recommendation", "progress_report", "audit_event"} <= _tables(scratch_app)

    with scratch_app.app_context():
        downgrade(revision="base")
    assert _tables(scratch_app) == set()

    with scratch_app.app_context():
        upgrade()
    assert _tables(scratch_app) == set(db.metadata.tables)


def test_models_and_migrations_agree(scratch_app):
    with scratch_app.app_context():
        upgrade()
    assert _diff(scratch_app) == [], "a model changed without a migration: run `flask db migrate`"


def test_check_constraints_reject_unknown_enum_values(session):
    from sqlalchemy.exc import IntegrityError

    from tests.factories import recommendation

    rec = recommendation()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE recommendation SET status = 'done' WHERE id = :id"), {"id": rec.id}
        )


def test_sqlite_enforces_foreign_keys(session):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO recommendation_term (recommendation_id, term_id) VALUES (-1, -1)"
            )
        )
