"""/readyz says which service a deployment lacks, without a secret; ``tracker doctor`` says it
in words and what to do about it."""

from __future__ import annotations

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker

from tests.conftest import DATABASE_URL, another_app, free_port, scratch_database
from tracker import health
from tracker.config import DEFAULT_SECRET_KEY

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
PASSWORD = "pw-not-to-show"


def _statuses(body: dict) -> dict[str, str]:
    return {name: check["status"] for name, check in body["checks"].items()}


def _unreachable_database(tmp_path) -> str:
    """A URL of the suite's kind naming a database that cannot be reached."""
    if DATABASE_URL:
        return f"postgresql+psycopg://tracker:{PASSWORD}@127.0.0.1:{free_port()}/tracker"
    return "sqlite:///" + str(tmp_path / "no-such-folder" / "tracker.db")


def _previous(built, revision: str) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", built.extensions["migrate"].directory)
    return ScriptDirectory.from_config(cfg).get_revision(revision).down_revision


@pytest.fixture
def redis_app(app, database_url):
    """An app bound to the test Redis as its broker; the heartbeat is removed afterwards."""
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": database_url,
                           "CELERY_BROKER_URL": REDIS_URL}) as built:
        with built.app_context():
            client = health.redis_client(REDIS_URL)
        client.delete(health.HEARTBEAT_KEY)
        yield built
        client.delete(health.HEARTBEAT_KEY)


def test_a_healthy_embedded_app_is_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert _statuses(body) == dict.fromkeys(("database", "migrations", "broker", "worker"), "ok")
    assert body["checks"]["worker"]["reason"] == "runs in-process"
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unreachable_database_fails_readiness_without_telling_where_it_is(app, tmp_path):
    url = _unreachable_database(tmp_path)
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": url}) as built:
        response = built.test_client().get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail"
    assert _statuses(body)["database"] == "fail"
    assert body["checks"]["database"]["reason"].startswith("unreachable")
    text = response.get_data(as_text=True)
    for secret in (PASSWORD, "127.0.0.1", str(tmp_path), "tracker.db"):
        assert secret not in text


def test_a_database_behind_the_code_fails_readiness_naming_the_migrations(app, tmp_path):
    from flask_migrate import upgrade

    with (scratch_database(tmp_path, "readyz_behind") as (url, options),
          another_app(app, {"SQLALCHEMY_DATABASE_URI": url,
                            "SQLALCHEMY_ENGINE_OPTIONS": options}) as built):
        head = next(iter(health.code_heads(built)))
        with built.app_context():
            upgrade(revision=_previous(built, head))
        response = built.test_client().get("/readyz")
        with built.app_context():
            upgrade()
        caught_up = built.test_client().get("/readyz")

    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations["status"] == "fail"
    assert migrations["reason"].endswith(f"code at {head}")
    assert _statuses(response.get_json())["database"] == "ok"
    assert caught_up.status_code == 200


def test_a_stale_worker_heartbeat_fails_readiness(redis_app):
    client = health.redis_client(REDIS_URL)
    web = redis_app.test_client()

    nobody_yet = web.get("/readyz")
    client.set(health.HEARTBEAT_KEY, str(time.time() - 600))
    stale = web.get("/readyz")
    client.set(health.HEARTBEAT_KEY, str(time.time()))
    fresh = web.get("/readyz")

    assert nobody_yet.status_code == 503
    assert nobody_yet.get_json()["checks"]["worker"]["reason"] == "no worker has been seen"
    assert stale.status_code == 503
    assert _statuses(stale.get_json()) == {"database": "ok", "migrations": "ok",
                                           "broker": "ok", "worker": "fail"}
    assert "more than 120 s" in stale.get_json()["checks"]["worker"]["reason"]
    assert fresh.status_code == 200
    assert REDIS_URL not in stale.get_data(as_text=True)


def test_a_real_worker_taking_the_heartbeat_task_makes_the_app_ready(redis_app):
    celery = redis_app.extensions["celery"]
    web = redis_app.test_client()
    before = web.get("/readyz")

    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery.send_task("tracker.tasks.record_worker_heartbeat")  # what beat sends
        client = health.redis_client(REDIS_URL)
        deadline = time.monotonic() + 30
        while client.get(health.HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    after = web.get("/readyz")

    assert before.status_code == 503
    assert after.status_code == 200
    assert after.get_json()["checks"]["worker"]["status"] == "ok"


# --- tracker doctor ------------------------------------------------------------------------

def test_doctor_passes_a_good_configuration(runner):
    result = runner.invoke(args=["doctor"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line.startswith("✓ ") for line in lines[:-1]), result.output
    assert {line.split(":")[0][2:] for line in lines[:-1]} >= {
        "database", "migrations", "broker", "worker", "secret key", "mail", "storage",
        "cookies", "language"}


def test_doctor_refuses_the_default_secret_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "SECRET_KEY", DEFAULT_SECRET_KEY)

    result = runner.invoke(args=["doctor"])

    assert result.exit_code == 1
    assert ("✗ secret key: the development default; set TRACKER_SECRET_KEY to a long random "
            "value") in result.output
    assert "✓ database: reachable" in result.output


def test_doctor_names_an_unreachable_broker_and_what_to_do(app, database_url):
    broker = f"redis://127.0.0.1:{free_port()}/0"
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": database_url,
                           "CELERY_BROKER_URL": broker}) as built:
        result = built.test_cli_runner().invoke(args=["doctor"])

    assert result.exit_code == 1
    assert ("✗ broker: unreachable (ConnectionError); start Redis or correct "
            "TRACKER_BROKER_URL") in result.output
    assert "✗ worker: heartbeat unreadable" in result.output
    assert "✓ migrations: at head" in result.output


def test_doctor_names_an_unreachable_mail_server(runner, monkeypatch, app):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())

    result = runner.invoke(args=["doctor"])

    assert result.exit_code == 1
    assert "✗ mail: cannot connect to the SMTP server" in result.output


def test_a_database_host_that_never_answers_fails_readiness_in_seconds(app):
    # A port whose connections the kernel completes but nobody ever answers: without a
    # bound, libpq would wait for the server's greeting forever and /readyz never answer.
    import socket
    import threading

    silent = socket.create_server(("127.0.0.1", 0), backlog=8)
    port = silent.getsockname()[1]
    answered: list = []
    try:
        with another_app(app, {"SQLALCHEMY_DATABASE_URI":
                               f"postgresql+psycopg://tracker@127.0.0.1:{port}/tracker",
                               "DATABASE_CONNECT_TIMEOUT": 1}) as built:
            probe = threading.Thread(
                target=lambda: answered.append(built.test_client().get("/readyz")),
                daemon=True)
            probe.start()
            probe.join(timeout=60)
    finally:
        silent.close()

    assert answered, "/readyz was still waiting for the database after a minute"
    body = answered[0].get_json()
    assert answered[0].status_code == 503 and _statuses(body)["database"] == "fail"
