"""Fixtures: one app per run on SQLite or PostgreSQL, each test in a rolled-back transaction.

The schema is built by the migrations themselves. Set TRACKER_TEST_DATABASE_URL to run
on PostgreSQL and TRACKER_TEST_REDIS_URL for the Redis/worker tests; with
TRACKER_TEST_FORBID_SKIP=1 a skipped test fails the run.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

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


def pytest_collection_modifyitems(config, items):
    """Leave the PostgreSQL-only tests out of the SQLite run (left out, not skipped)."""
    if DATABASE_URL:
        return
    left_out = [item for item in items if item.get_closest_marker("postgres_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if FORBID_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = (
            f"skipping is forbidden in this run (TRACKER_TEST_FORBID_SKIP=1): {reason}"
        )


def _reset_database(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def scratch_database(folder, schema: str):
    """Give (url, engine options) of an empty database of the suite's kind, dropped afterwards.

    On PostgreSQL it is a schema of its own in the test database, on SQLite a file in folder.
    """
    from sqlalchemy import create_engine

    if not DATABASE_URL:
        yield "sqlite:///" + str(folder / f"{schema}.db"), {}
        return
    engine = create_engine(DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield DATABASE_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
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
    @app.teardown_request
    def _forget_request_state(_exc):
        # Tests hold one app context across requests; give each request a clean `g`
        # (signed-in user, locale) as a real server would.
        from flask import g

        for key in list(vars(g)):
            delattr(g, key)

    with app.app_context():
        upgrade()
        from tracker.services.seed import seed_reference_data

        seed_reference_data()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does


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
            db.session.configure(join_transaction_mode="conditional_savepoint")
            engines[None] = engine
            outer.rollback()
            connection.close()


@contextmanager
def another_app(suite_app, config: dict):
    """Build another app (one bound to a real broker, say); dispose of it afterwards.

    Creating an app makes its Celery the default one: the suite's eager Celery is given
    back at the end.
    """
    built = create_app({"TESTING": True, **config})
    try:
        yield built
    finally:
        with built.app_context():
            db.engine.dispose()
        suite_app.extensions["celery"].set_default()
        suite_app.extensions["celery"].set_current()


@pytest.fixture
def count_queries():
    """Count the SQL statements run inside the block."""
    from contextlib import contextmanager

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(Engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(Engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def session(_db):
    return _db.session


@pytest.fixture
def client(app, _db):
    return app.test_client()


@pytest.fixture
def runner(app, _db):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_eager_celery(app):
    from tracker.extensions import limiter
    from tracker.services import data_versions

    limiter.reset()
    # Every test rolls its data back: figures one test cached must not serve the next.
    data_versions.forget_all()
    # A test that builds another app makes that app's Celery the current one; tasks
    # (e-mails among them) must run through the suite's eager app again.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    yield


class Mailbox:
    """Messages received by a real local SMTP server."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email

        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def last_to(self, address: str):
        found = [m for m in self.messages if m["To"] == address]
        assert found, f"no message to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]


def free_port() -> int:
    """Return a TCP port on localhost that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(app, monkeypatch, box: Mailbox):
    """Run a real SMTP server on localhost, handled by box, and route the app's e-mail to it."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app, monkeypatch):
    """Route the app's e-mail through a real SMTP server on localhost."""
    with smtp_server(app, monkeypatch, Mailbox()) as box:
        yield box


def login(client, user, password=None):
    from tests.factories import PASSWORD

    return client.post(
        "/login", data={"email": user.email, "password": password or PASSWORD}
    )


def choose_language(client, lang: str) -> None:
    """Pick the interface language for the following requests, as the language switcher does.

    Spanish is the default; signing in afterwards keeps the choice.
    """
    with client.session_transaction() as browser_session:
        browser_session["lang"] = lang


@pytest.fixture
def csrf_enabled(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@contextmanager
def removing_committed_rows(app):
    """Delete, afterwards, every row committed meanwhile (by a worker, another app).

    For tests whose work is committed outside the rolled-back test transaction: rows with
    an id above each table's highest id at the start go, and the link rows pointing at
    them, children first.
    """
    from sqlalchemy import delete, func, select

    tables = db.metadata.sorted_tables
    with app.app_context():
        before = {t.name: db.session.scalar(select(func.coalesce(func.max(t.c.id), 0)))
                  for t in tables if "id" in t.c}
        db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            for table in reversed(tables):
                if "id" in table.c:
                    db.session.execute(delete(table).where(table.c.id > before[table.name]))
                    continue
                for fk in table.foreign_keys:
                    parent = fk.column.table.name
                    if parent in before:
                        db.session.execute(
                            delete(table).where(fk.parent > before[parent]))
            db.session.commit()
            db.session.remove()
