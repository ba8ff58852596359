"""A worker killed (SIGKILL) mid-build or mid-import: the job is finished by another worker.

Tasks are acknowledged only once they return (acks late) and Redis hands an
unacknowledged task to another worker after the visibility timeout (2 s here). The
killed worker's job is left "running" with a heartbeat that then goes silent; once it is
older than the silence a build may keep (aged here, as the minutes would), the task
handed on takes the job over and finishes it once: one file, one "ready" message.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from tests.faults.conftest import fault_app, wait_for, worker
from tracker.extensions import db
from tracker.models import (
    ImportJob,
    ImportPhase,
    JobState,
    Notification,
    Recommendation,
    ReportJob,
    Role,
    User,
    utcnow,
)
from tracker.services import exports, import_jobs
from tracker.web.transaction import commit

pytestmark = pytest.mark.postgres_only
CSV = ("mechanism,document_symbol,paragraph,text\n"
       + "".join(f"CAT,CAT/C/KIL/CO/1,{n},Paragraph {n} of the killed worker's file.\n"
                 for n in range(1, 6))).encode()


def _ask_for_an_export(owner: User) -> tuple[type, int]:
    request = exports.parse_export_request({"type": "status_matrix.csv"})
    return ReportJob, exports.request_export(owner, request).id


def _ask_for_an_import(owner: User) -> tuple[type, int]:
    upload = import_jobs.Upload("killed.csv", io.BytesIO(CSV), publish=True)
    return ImportJob, import_jobs.start_import(owner, upload).id


def _state(built, model, job_id: int):
    with built.app_context():
        job = db.session.get(model, job_id)
        found = (job.state, job.attempts)
        db.session.remove()
    return found


@pytest.mark.parametrize("ask", [_ask_for_an_export, _ask_for_an_import],
                         ids=["export", "import"])
def test_a_job_whose_worker_was_killed_is_finished_once(
        running_postgres, running_redis, ask):
    built = fault_app(running_postgres.url, CELERY_BROKER_URL=running_redis.url)
    with built.app_context():
        owner = f.user(Role.REVIEWER, email=f"killed-{ask.__name__}@worker.example")
        model, job_id = ask(owner)
        commit()  # the request's commit: the task goes to Redis only now
        db.session.remove()

    with worker(running_postgres.url, running_redis.url, stall=True) as doomed:
        wait_for(lambda: _state(built, model, job_id)[0] == JobState.RUNNING,
                 "the first worker to start the job")
        doomed.kill()
    assert _state(built, model, job_id) == (JobState.RUNNING, 1)  # left mid-way

    with built.app_context():
        # The killed build's heartbeat falls silent; the minutes it takes to look dead pass.
        db.session.execute(update(model).where(model.id == job_id)
                           .values(heartbeat_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
        db.session.remove()
    with worker(running_postgres.url, running_redis.url):
        # No one sends the task again: Redis hands the unacknowledged one to this worker.
        state, attempts = wait_for(
            lambda: (found := _state(built, model, job_id))[0] in (JobState.DONE,
                                                                   JobState.FAILED) and found,
            "the second worker to finish the job")

    assert (state, attempts) == (JobState.DONE, 2)
    with built.app_context():
        if model is ReportJob:
            job = db.session.get(ReportJob, job_id)
            assert job.stored_file_id is not None and job.error is None
            ready = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.dedupe_key == f"export_ready:{job_id}"))
            assert ready == 1
        else:
            job = db.session.get(ImportJob, job_id)
            assert job.phase == ImportPhase.PREVIEW_READY and job.counts["created"] == 5
            # A preview saves nothing, however often it ran.
            assert db.session.scalar(select(func.count(Recommendation.id)).where(
                Recommendation.reference.startswith("CAT/C/KIL/CO/1"))) == 0
        db.session.remove()
        db.engine.dispose()
