"""Operators can follow a request through the logs, into its tasks, and count what happens."""

from __future__ import annotations

import json
import logging
import os
import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from prometheus_client.parser import text_string_to_metric_families

from tests import factories as f
from tests.conftest import another_app, login
from tracker.logs import configure_logging

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
TOKEN = "scrape-token-for-tests"


@pytest.fixture
def json_logs(app, monkeypatch):
    """Write the app's log lines as JSON for the test, and as text again afterwards."""
    monkeypatch.setitem(app.config, "LOG_FORMAT", "json")
    configure_logging(app)
    yield
    monkeypatch.setitem(app.config, "LOG_FORMAT", "text")
    configure_logging(app)


def _json_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def _sample(client, name: str, **labels) -> float:
    """Return one sample's value from /metrics (0 when it has not been counted yet)."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


# --- log format ----------------------------------------------------------------------------

def test_production_logs_json_unless_told_otherwise(tmp_path):
    from tracker.config import ConfigurationError, check_config, load_config

    production = {"TRACKER_ENV_NAME": "production"}
    assert load_config(str(tmp_path), production)["LOG_FORMAT"] == "json"
    assert load_config(str(tmp_path), {})["LOG_FORMAT"] == "text"
    assert load_config(str(tmp_path), {**production, "TRACKER_LOG_FORMAT": "Text"}
                       )["LOG_FORMAT"] == "text"
    with pytest.raises(ConfigurationError, match="TRACKER_LOG_FORMAT must be json or text"):
        check_config(load_config(str(tmp_path), {"TRACKER_LOG_FORMAT": "xml"}))


# --- request ids ---------------------------------------------------------------------------

def test_a_sane_request_id_is_kept_and_returned(client):
    response = client.get("/", headers={"X-Request-ID": "edge-4f2a_77"})

    assert response.headers["X-Request-ID"] == "edge-4f2a_77"


@pytest.mark.parametrize("given", ["has spaces", "x" * 65, "semi;colon", ""])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, given):
    response = client.get("/", headers={"X-Request-ID": given})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_request_refused_before_its_view_still_gets_an_id_and_is_counted(
        client, app, monkeypatch, csrf_enabled):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    before = _sample(client, "tracker_http_requests_total", endpoint="auth.login",
                     status="400")

    response = client.post("/login", data={"email": "a@example.org", "password": "x"},
                           headers={"X-Request-ID": "no-csrf-token"})

    assert response.status_code == 400
    assert response.headers["X-Request-ID"] == "no-csrf-token"
    assert _sample(client, "tracker_http_requests_total", endpoint="auth.login",
                   status="400") == before + 1


def test_json_access_lines_carry_the_request_id_and_the_user_id_only(client, json_logs,
                                                                     capsys):
    from tracker.models import Role

    reviewer = f.user(Role.REVIEWER, email="logged@example.org")
    login(client, reviewer)
    capsys.readouterr()
    client.get("/review/", headers={"X-Request-ID": "trace-me-1"})

    lines = _json_lines(capsys.readouterr().err)
    access = [line for line in lines if line["logger"] == "tracker.access"]
    assert len(access) == 1, lines
    line = access[0]
    assert {key: line[key] for key in ("request_id", "user_id", "method", "path", "level")} == {
        "request_id": "trace-me-1", "user_id": reviewer.id, "method": "GET",
        "path": "/review/", "level": "INFO"}
    assert isinstance(line["status"], int) and isinstance(line["duration_ms"], float)
    assert {"time", "message"} <= set(line)
    assert not any("logged@example.org" in json.dumps(entry) for entry in lines)


def test_readiness_probes_leave_no_info_line(client, capsys):
    capsys.readouterr()
    client.get("/readyz")
    client.get("/healthz")

    assert "tracker.access" not in capsys.readouterr().err


def _ran(lines: list[dict]) -> list[dict]:
    """The worker's lines saying the password-reset task ran (written while it runs)."""
    return [line for line in lines if line["logger"] == "celery.app.trace"
            and "send_password_reset" in line["message"]]


def test_a_task_sent_during_a_request_logs_the_requests_id(app, database_url, capsys):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": database_url,
                           "CELERY_BROKER_URL": REDIS_URL, "WTF_CSRF_ENABLED": False,
                           "LOG_FORMAT": "json"}) as built:
        celery = built.extensions["celery"]
        try:
            capsys.readouterr()
            # An address with no account: the task runs and finds nothing to send.
            built.test_client().post("/forgot", data={"email": "nobody@example.org"},
                                     headers={"X-Request-ID": "reset-trace-42"})
            with start_worker(celery, pool="solo", perform_ping_check=False,
                              shutdown_timeout=10, loglevel="INFO"):
                deadline = time.monotonic() + 30
                seen = []
                while time.monotonic() < deadline and not _ran(seen):
                    time.sleep(0.2)
                    seen += _json_lines(capsys.readouterr().err)
        finally:
            configure_logging(app)  # the suite's text lines again

    assert [line["request_id"] for line in _ran(seen)] == ["reset-trace-42"], seen


# --- metrics -------------------------------------------------------------------------------

def test_metrics_are_hidden_without_the_token(client, app, monkeypatch):
    assert client.get("/metrics").status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 404


def test_requests_are_counted_by_endpoint_and_status(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    rec = f.recommendation(f.document(), is_published=True)
    before = _sample(client, "tracker_http_requests_total", endpoint="public.recommendation",
                     status="200")
    missing = _sample(client, "tracker_http_requests_total", endpoint="public.recommendation",
                      status="404")

    client.get(f"/recommendations/{rec.id}")
    client.get(f"/recommendations/{rec.id}")
    client.get("/recommendations/999999999")

    assert _sample(client, "tracker_http_requests_total", endpoint="public.recommendation",
                   status="200") == before + 2
    assert _sample(client, "tracker_http_requests_total", endpoint="public.recommendation",
                   status="404") == missing + 1
    assert _sample(client, "tracker_http_request_duration_seconds_count",
                   endpoint="public.recommendation") >= 3
    page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert f"/recommendations/{rec.id}" not in page.get_data(as_text=True)


def test_a_refused_sign_in_moves_the_failure_counter(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    user = f.user()
    before = _sample(client, "tracker_sign_in_failures_total")

    login(client, user, password="not the password")

    assert _sample(client, "tracker_sign_in_failures_total") == before + 1


def test_notifications_are_counted_by_status_when_scraped(client, app, monkeypatch):
    from tracker.models import NotificationStatus

    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    before = _sample(client, "tracker_notifications", status="failed")
    f.notification(f.user(), status=NotificationStatus.FAILED)

    assert _sample(client, "tracker_notifications", status="failed") == before + 1


# --- slow queries --------------------------------------------------------------------------

def test_slow_statements_are_logged_without_their_parameters(app, database_url, caplog):
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": database_url,
                           "SLOW_QUERY_MS": 0.0001, "WTF_CSRF_ENABLED": False}) as built:
        try:
            with caplog.at_level(logging.WARNING, logger="tracker.slow_query"):
                built.test_client().post("/login", data={"email": "secret-person@example.org",
                                                         "password": "hunter2-password"})
        finally:
            configure_logging(app)

    slow = [r for r in caplog.records if r.name == "tracker.slow_query"]
    assert any("app_user" in r.getMessage() for r in slow)
    assert not any("secret-person" in r.getMessage() for r in slow)
    assert all(r.levelno == logging.WARNING and r.duration_ms >= 0 for r in slow)
