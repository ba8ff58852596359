"""An import from the screen through a real Redis broker and a real Celery worker: the upload
is previewed by the worker, saves nothing until confirmed, and is imported once."""

from __future__ import annotations

import io
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

from tests import factories as f
from tests.conftest import another_app, removing_committed_rows
from tracker.extensions import db
from tracker.models import ImportJob, ImportPhase, Recommendation, Role, User
from tracker.services import import_jobs
from tracker.web.transaction import commit

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
OWNER = "imports@worker.example"
CSV = ("mechanism,document_symbol,paragraph,text\n"
       + "".join(f"CAT,CAT/C/WRK/CO/1,{n},Paragraph {n} of the worker's file.\n"
                 for n in range(1, 6))).encode()


@pytest.fixture
def worker_app(app, database_url):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with removing_committed_rows(app), another_app(app, {
            "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "tracker.test",
            "CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL}) as built:
        yield built


def _wait_for(built, job_id: int, phase: ImportPhase, timeout: float = 60.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        with built.app_context():
            job = db.session.get(ImportJob, job_id)
            found = (job.phase, job.counts, job.errors)
            db.session.remove()
        if found[0] == phase or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _recs(built) -> int:
    with built.app_context():
        count = db.session.scalar(select(func.count(Recommendation.id)).where(
            Recommendation.reference.startswith("CAT/C/WRK/CO/1")))
        db.session.remove()
    return count


@pytest.mark.redis
def test_the_worker_previews_then_imports_what_was_confirmed(worker_app):
    celery = worker_app.extensions["celery"]
    celery.set_current()
    assert not celery.conf.task_always_eager
    with worker_app.app_context():
        owner = f.user(Role.REVIEWER, email=OWNER)
        job_id = import_jobs.start_import(owner, import_jobs.Upload(
            "worker.csv", io.BytesIO(CSV), publish=True)).id
        commit()  # the request's commit: the preview is enqueued only now
        db.session.remove()
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        phase, counts, errors = _wait_for(worker_app, job_id, ImportPhase.PREVIEW_READY)
        assert phase == ImportPhase.PREVIEW_READY, errors
        assert counts["created"] == 5 and _recs(worker_app) == 0

        with worker_app.app_context():
            owner = db.session.scalar(select(User).where(User.email == OWNER))
            import_jobs.confirm(owner, job_id)
            commit()
            db.session.remove()
        phase, counts, errors = _wait_for(worker_app, job_id, ImportPhase.DONE)
        assert phase == ImportPhase.DONE, errors
        # The task delivered again finds the job done: nothing is imported twice. The solo
        # worker takes tasks in turn, so the ping answers once the redelivery has run.
        celery.send_task("tracker.tasks.run_import", args=[job_id])
        assert celery.send_task("tracker.tasks.ping", args=["after"]).get(timeout=30) == (
            "pong:after")

    assert counts["created"] == 5 and _recs(worker_app) == 5
