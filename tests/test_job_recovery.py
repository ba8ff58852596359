"""Work asked for while the broker was down is not lost: the periodic sweep sends it on.

A web process whose broker address answers nothing commits an import job and an
invitation e-mail; later the sweep task travels through a real Redis broker to a
real Celery worker, which runs the import and sends the e-mail through a real SMTP
server. The rows are committed for real, since the worker reads them on its own
connection, and removed afterwards.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import delete, func, select, update

from tests.conftest import free_port
from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ImportFormat,
    ImportJob,
    JobState,
    Notification,
    NotificationKind,
    NotificationStatus,
    Role,
    StoredFile,
    User,
    utcnow,
)
from tracker.services.demo import DEMO_DATA_DIR

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
IACHR_CSV = DEMO_DATA_DIR / "iachr_2015_honduras.csv"


def _app(database_url: str, broker: str, **extra):
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": "tracker.test",
        "CELERY_BROKER_URL": broker,
        **extra,
    })


@pytest.fixture
def apps(app, database_url):
    """Build Flask apps bound to other brokers; clean their committed rows afterwards."""
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    made = []
    with app.app_context():
        first_event = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        db.session.remove()

    def make(broker: str, **extra):
        built = _app(database_url, broker, **extra)
        made.append(built)
        return built

    yield make
    with app.app_context():
        # Core statements: the cleaning itself must not leave audit events behind.
        users = select(User.id).where(User.email.in_(["boss@outage.example",
                                                      "newcomer@outage.example"]))
        db.session.execute(delete(Notification).where(Notification.recipient_id.in_(users)))
        jobs = db.session.scalars(select(ImportJob).where(ImportJob.requested_by_id.in_(users)))
        # The upload, and the report the preview stored beside it.
        files = [file_id for job in jobs for file_id in (job.stored_file_id, job.report_file_id)
                 if file_id is not None]
        db.session.execute(delete(ImportJob).where(ImportJob.requested_by_id.in_(users)))
        db.session.execute(delete(StoredFile).where(StoredFile.id.in_(files)))
        db.session.execute(delete(AuditEvent).where(AuditEvent.id > first_event))
        db.session.execute(delete(User).where(User.id.in_(users)))
        db.session.commit()
        db.session.remove()
    for built in made:
        with built.app_context():
            db.engine.dispose()
    # Creating an app makes its Celery the default; give the suite's eager one back.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()


def _ask_for_work_while_the_broker_is_down(outage_app) -> tuple[int, int]:
    from tracker.services import accounts
    from tracker.web.transaction import commit

    celery = outage_app.extensions["celery"]
    celery.set_current()
    with outage_app.app_context():
        boss = User(email="boss@outage.example", name="Boss", role=Role.ADMIN)
        db.session.add(boss)
        db.session.flush()
        invited = accounts.invite_user(boss, accounts.InvitationInput(
            email="newcomer@outage.example", name="Newcomer", role=Role.REVIEWER,
            institution_id=None, locale="en"))
        data = IACHR_CSV.read_bytes()
        stored = StoredFile(filename=IACHR_CSV.name, content_type="text/csv", size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), data=data)
        job = ImportJob(source_format=ImportFormat.CSV, stored_file=stored, dry_run=True,
                        requested_by_id=boss.id)
        db.session.add(job)
        db.session.flush()
        ids = (job.id, invited.id)
        commit()  # the request's commit: the e-mail cannot be enqueued, the request still ends
        note = db.session.scalars(select(Notification).where(
            Notification.recipient_id == invited.id)).one()
        assert (note.status, note.attempts) == (NotificationStatus.PENDING, 0)
        # Five minutes later the sweep takes them (it leaves fresh work to the worker).
        old = utcnow() - timedelta(minutes=10)
        db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(created_at=old))
        db.session.execute(update(Notification).where(Notification.id == note.id)
                           .values(created_at=old))
        db.session.commit()
        db.session.remove()
    return ids


def _wait_for(worker_app, job_id: int, user_id: int, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        with worker_app.app_context():
            job = db.session.get(ImportJob, job_id)
            note = db.session.scalars(select(Notification).where(
                Notification.recipient_id == user_id)).one()
            state = (job.state, job.created_count, job.progress, note.status, note.attempts)
            db.session.remove()
        if state[0] in (JobState.DONE, JobState.FAILED) and state[3] != NotificationStatus.PENDING:
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.2)


@pytest.mark.redis
def test_the_sweep_sends_what_was_asked_for_during_a_broker_outage(apps, app, mailbox):
    outage_app = apps(f"redis://127.0.0.1:{free_port()}/0")
    job_id, user_id = _ask_for_work_while_the_broker_is_down(outage_app)

    worker_app = apps(REDIS_URL, CELERY_RESULT_BACKEND=REDIS_URL,
                      MAIL_SERVER="127.0.0.1", MAIL_PORT=app.config["MAIL_PORT"])
    celery = worker_app.extensions["celery"]
    celery.set_current()
    assert not celery.conf.task_always_eager
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery.send_task("tracker.tasks.sweep_queued_jobs")  # what beat sends every 5 minutes
        state = _wait_for(worker_app, job_id, user_id)

    # The dry run of the 12 IACHR paragraphs ran to its end, and the invitation went out once.
    assert state == (JobState.DONE, 12, 100, NotificationStatus.SENT, 1)
    message = mailbox.last_to("newcomer@outage.example")
    assert "/invitation/" in message.get_payload(decode=True).decode()
    assert [m["To"] for m in mailbox.messages] == ["newcomer@outage.example"]


@pytest.mark.redis
def test_a_reset_asked_for_during_a_broker_outage_is_not_lost(apps):
    outage_app = apps(f"redis://127.0.0.1:{free_port()}/0", WTF_CSRF_ENABLED=False)
    outage_app.extensions["celery"].set_current()
    with outage_app.app_context():
        boss = User(email="boss@outage.example", name="Boss", role=Role.ADMIN)
        db.session.add(boss)
        db.session.commit()
        boss_id = boss.id
        db.session.remove()

    response = outage_app.test_client().post("/forgot", data={"email": "boss@outage.example"})
    response.close()  # as a server does once the answer has gone

    # The task could not be enqueued: it ran in the web process after the answer, and left
    # the reset e-mail pending for the sweep, which the test above shows delivering.
    assert response.status_code == 302
    with outage_app.app_context():
        notes = db.session.execute(select(Notification.kind, Notification.status).where(
            Notification.recipient_id == boss_id)).all()
        db.session.remove()
    assert notes == [(NotificationKind.PASSWORD_RESET, NotificationStatus.PENDING)]
