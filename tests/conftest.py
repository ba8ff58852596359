"""Fixtures: one app per run on SQLite or PostgreSQL, each test in a rolled-back transaction.

The schema is built by the migrations themselves. Set TRACKER_TEST_DATABASE_URL to run
on PostgreSQL and TRACKER_TEST_REDIS_URL for the Redis/worker tests; with
TRACKER_TEST_FORBID_SKIP=1 a skipped test fails the run.
"""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from tracker import create_app
from tracker.extensions import db

DATABASE_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
FORBID_SKIP = os.environ.get("TRACKER_TEST_FORBID_SKIP") == "1"


def pytest_report_header(config):
    backend = re.sub(r"//[^@/]*@", "//***@", DATABASE_URL) if DATABASE_URL else "SQLite"
    return [f"tracker database: {backend}", f"tracker redis: {REDIS_URL or 'none'}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if FORBID_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipping is forbidden in this run (TRACKER_TEST_FORBID_SKIP=1): {reason}"


def _reset_database(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if DATABASE_URL:
        _reset_database(DATABASE_URL)
        return DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "tracker.test",
            "MAIL_SERVER": None,
            "CELERY_BROKER_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade()
        from tracker.services.seed import seed_reference_data

        seed_reference_data()
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture
def _db(app):
    """Run the test inside a transaction that is rolled back afterwards."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        db.session.remove()
        engines[None] = connection
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield db
        finally:
            db.session.remove()
            db.session.configure(join_transaction_mode="conservative_savepoint")
            engines[None] = engine
            outer.rollback()
            connection.close()


@pytest.fixture
def session(_db):
    return _db.session


@pytest.fixture
def client(app, _db):
    return app.test_client()


@pytest.fixture
def runner(app, _db):
    return app.test_cli_runner()
