"""Fixtures of the fault tests: a private PostgreSQL and Redis, and apps bound to them.

These tests stop and restart the services they use, so they never use the machine's own:
they run in the PostgreSQL half of the suite only (marked ``postgres_only``), one run at
a time on a machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.faults.services import PrivatePostgres, PrivateRedis, postgres_bindir
from tracker import create_app
from tracker.extensions import db


@pytest.fixture(scope="session")
def private_postgres():
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    server = PrivatePostgres(bindir).create()
    try:
        _migrate(server.url)
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def private_redis():
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def running_postgres(private_postgres):
    """The private PostgreSQL, started again if a test left it stopped."""
    yield private_postgres
    private_postgres.ensure_running()


@pytest.fixture
def running_redis(private_redis):
    """The private Redis, started again if a test left it stopped."""
    yield private_redis
    if private_redis.process is None:
        private_redis.start()


def fault_app(database_url: str, **config):
    """An app as a deployment runs it (not in testing mode), on the private services."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "faults-secret",
        "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None, "MAIL_SERVER": None, "CELERY_BROKER_URL": None, **config})


def _migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from tracker.services.seed import seed_reference_data

    built = fault_app(database_url)
    with built.app_context():
        upgrade()
        seed_reference_data()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@contextmanager
def serving(built):
    """Serve an app on a free port with werkzeug's threaded server; yield its base address."""
    port = free_port()
    server = make_server("127.0.0.1", port, built, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(30)
        with built.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _suite_celery_back(app):
    """Apps built here make their Celery the default one: give the suite's back afterwards."""
    yield
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


class Worker:
    """A real Celery worker process on the private services."""

    def __init__(self, database_url: str, broker_url: str, *, stall: bool = False, **env):
        environ = dict(os.environ, TRACKER_DATABASE_URL=database_url,
                       TRACKER_BROKER_URL=broker_url, TRACKER_SECRET_KEY="faults-secret",
                       TRACKER_BROKER_VISIBILITY_TIMEOUT="2", FAULTS_STALL="1" if stall else "",
                       **env)
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter
            [sys.executable, "-m", "tests.faults.stalling_worker"], env=environ,
            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, its task unacknowledged."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:  # it would not stop: kill it
                self.kill()


@contextmanager
def worker(database_url: str, broker_url: str, **options):
    """Run a worker process for the block; stop it afterwards."""
    started = Worker(database_url, broker_url, **options)
    try:
        yield started
    finally:
        started.stop()


def wait_for(check, what: str, timeout: float = 60.0):
    """Poll check() until it returns something true; return it, or fail saying what."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
