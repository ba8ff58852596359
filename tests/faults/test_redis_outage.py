"""Redis stopped during a reminder pass and during export requests, then started again.

Redis keeps nothing on disk here: what it held is gone with it, as after a crash. The
work asked for meanwhile is in the database (pending messages, queued jobs); once Redis
is back the periodic sweep, sent twice as two beats would, hands it to a real worker.
Each digest and each "ready" message reaches its recipient once, and the export is built.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests import factories as f
from tests.faults.conftest import fault_app, wait_for, worker
from tracker.extensions import db
from tracker.models import (
    JobState,
    Notification,
    NotificationStatus,
    ReportJob,
    Role,
    User,
    utcnow,
)
from tracker.services import exports
from tracker.web.transaction import commit

pytestmark = pytest.mark.postgres_only
TODAY = date(2026, 3, 10)
FOCAL = ("outage-a@inst.example", "outage-b@inst.example")
OWNER = "outage-owner@office.example"


def _notes(built) -> dict[str, NotificationStatus]:
    with built.app_context():
        found = db.session.execute(select(Notification.recipient_email, Notification.status)
                                   .where(Notification.recipient_email.in_([*FOCAL, OWNER])))
        notes = sorted(found.all())
        db.session.remove()
    return notes


def test_work_asked_for_while_redis_was_down_is_done_once(
        running_postgres, running_redis, app, mailbox):
    built = fault_app(running_postgres.url, CELERY_BROKER_URL=running_redis.url)
    with built.app_context():
        inst = f.institution(acronym="OUTAGE")
        f.assignment(f.recommendation(reference="OUTAGE ¶1"), inst, next_due=date(2026, 3, 1))
        for address in FOCAL:
            f.user(Role.FOCAL_POINT, inst, email=address, locale="en")
        owner = f.user(Role.REVIEWER, email=OWNER, locale="en")
        db.session.commit()
        owner_id = owner.id
        db.session.remove()

    running_redis.stop()
    from tracker.tasks import _reminder_pass

    with built.app_context():
        built.extensions["celery"].set_current()
        # The daily pass and an export request, both while the broker is unreachable.
        assert _reminder_pass("digest", TODAY.isoformat()) == 2
        request = exports.parse_export_request({"type": "status_matrix.csv"})
        job_id = exports.request_export(db.session.get(User, owner_id), request).id
        commit()  # cannot enqueue: the request still ends, the job stays queued
        db.session.remove()
    assert _notes(built) == [(a, NotificationStatus.PENDING) for a in FOCAL]

    running_redis.start()
    with built.app_context():
        # Five minutes later the sweep takes what was left (it leaves fresh work alone).
        old = utcnow() - timedelta(minutes=10)
        db.session.execute(update(ReportJob).where(ReportJob.id == job_id)
                           .values(created_at=old))
        db.session.execute(update(Notification).where(
            Notification.recipient_email.in_(FOCAL)).values(created_at=old))
        db.session.commit()
        db.session.remove()
    with worker(running_postgres.url, running_redis.url,
                TRACKER_MAIL_SERVER="127.0.0.1", TRACKER_MAIL_PORT=str(app.config["MAIL_PORT"])):
        celery = built.extensions["celery"]
        for _beat in range(2):  # two beats, or one beat and an operator's hand
            celery.send_task("tracker.tasks.sweep_queued_jobs")
        wait_for(lambda: _notes(built) == sorted(
            [(a, NotificationStatus.SENT) for a in FOCAL] + [(OWNER, NotificationStatus.SENT)]),
            "every message to be sent")
        with built.app_context():
            # The pass run again once Redis is back finds nothing left to send.
            assert _reminder_pass("digest", TODAY.isoformat()) == 0
            job = db.session.get(ReportJob, job_id)
            assert (job.state, job.attempts) == (JobState.DONE, 1)
            db.session.remove()
            db.engine.dispose()

    assert sorted(m["To"] for m in mailbox.messages) == sorted([*FOCAL, OWNER])
