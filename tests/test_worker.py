"""Tasks travel through a real Redis broker to a real Celery worker."""

from __future__ import annotations

import os

import pytest
from celery.contrib.testing.worker import start_worker

from tests.conftest import another_app

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")


@pytest.fixture
def worker_app(app, database_url):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with another_app(app, {"SQLALCHEMY_DATABASE_URI": database_url,
                           "CELERY_BROKER_URL": REDIS_URL,
                           "CELERY_RESULT_BACKEND": REDIS_URL}) as redis_app:
        yield redis_app


@pytest.mark.redis
def test_a_task_reaches_the_worker_and_the_database(worker_app):
    celery = worker_app.extensions["celery"]
    assert not celery.conf.task_always_eager
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = celery.tasks["tracker.tasks.ping"].delay("hola")
        assert result.get(timeout=30) == "pong:hola"


def test_without_a_broker_tasks_run_in_process(app):
    celery = app.extensions["celery"]
    assert celery.conf.task_always_eager
    assert celery.tasks["tracker.tasks.ping"].delay("hi").get(timeout=5) == "pong:hi"
